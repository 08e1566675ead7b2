"""APScheduler as a ticker only: the database owns every schedule, jobs are plain coroutines."""

from scheduler.jobs import Jobs
from scheduler.ticker import Job, Ticker

__all__ = ["Job", "Jobs", "Ticker"]
