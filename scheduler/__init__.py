"""APScheduler as a ticker only: the database owns every schedule, jobs are plain coroutines."""

from scheduler.leader import Leadership, leadership_for
from scheduler.ticker import Job, Ticker

__all__ = ["Job", "Leadership", "Ticker", "leadership_for"]
