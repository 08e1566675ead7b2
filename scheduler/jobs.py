"""The job table: every periodic job the ticker runs, how often, and why that often.

Each job is a plain coroutine of the time that asks the database what is due, so the cadence
here is only how soon something due is noticed. The composition root (bot/app.py) passes the
use cases in; nothing here knows how they are built.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from scheduler.ticker import Job

Run = Callable[[datetime], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Jobs:
    prune_inbox: Run
    queue_lessons: Run
    review_silence: Run
    resume_lessons: Run
    settle_lessons: Run
    case_timers: Run
    net_timers: Run
    screening_invitations: Run
    weekly_digest: Run
    retention: Run

    def table(self) -> list[Job]:
        return [
            Job("inbox.prune", self.prune_inbox, every_seconds=3600),
            # A lesson due at 19:00 goes out within half a minute of it.
            Job("lessons.queue_due", self.queue_lessons, every_seconds=30),
            Job("lessons.silence", self.review_silence, every_seconds=3600),
            Job("lessons.resume", self.resume_lessons, every_seconds=600),
            Job("lessons.settle", self.settle_lessons, every_seconds=60),
            # Response targets are minutes (red: 5): overdue cases are paged within 15 s.
            Job("helpline.timers", self.case_timers, every_seconds=15),
            # Unanswered direct questions become yellow cases; words older than the context
            # window are deleted (they are as sensitive as the messages themselves).
            Job("helpline.net", self.net_timers, every_seconds=15),
            Job("screening.invitations", self.screening_invitations, every_seconds=300),
            Job("oversight.digest", self.weekly_digest, every_seconds=300),
            Job("privacy.retention", self.retention, every_seconds=3600),
        ]
