"""A ticker that runs each registered job every few seconds.

APScheduler 3's job stores cannot be shared between processes, so no schedule lives here: each
job asks the database what is due. A job that raises is logged and tried again on the next tick.

With several instances only the leader's jobs run (bot/db/leader.py); the others skip their
ticks and check every few seconds whether they should take over. A tick skipped as a standby is
made up as soon as the instance takes over, so an hourly job does not wait another hour.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.domain.clock import utcnow
from bot.ports import AlwaysLead, Leadership

log = logging.getLogger(__name__)

LEADERSHIP_JOB = "ticker.leadership"


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    run: Callable[[datetime], Awaitable[object]]
    every_seconds: float = 10.0


class Ticker:
    def __init__(
        self,
        jobs: list[Job],
        leadership: Leadership | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.jobs = jobs
        # The app's clock, not the wall's: a demo or a test that moves time moves the jobs too
        # (a case opened "a week later" must not wait for the real week to time out).
        self.clock = clock
        self.leadership: Leadership = leadership or AlwaysLead()
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.last_tick: dict[str, datetime] = {}
        self.skipped: set[str] = set()  # jobs that came due while this instance stood by

    @property
    def leading(self) -> bool:
        """Whether this instance runs the jobs now (for health checks and metrics)."""
        return self.leadership.leading

    async def _tick(self, job: Job) -> None:
        if not self.leadership.leading:
            self.skipped.add(job.name)
            return
        now = self.clock()
        try:
            await job.run(now)
        except Exception:  # one failing job must not stop the others or the next tick
            log.exception("job %s failed", job.name)
        self.last_tick[job.name] = now

    async def run_all(self) -> None:
        """Run every job once now, in order (after the demo moved its clock)."""
        for job in self.jobs:
            await self._tick(job)

    async def check_leadership(self) -> bool:
        """Take over if the leader is gone (or confirm still leading); run skipped jobs now."""
        was = self.leadership.leading
        try:
            leading = await self.leadership.check()
        except Exception:  # a broken check must not stop the ticker; it is tried again
            log.exception("ticker leadership check failed")
            return self.leadership.leading
        if leading and not was and self.scheduler.running:
            skipped, self.skipped = self.skipped, set()
            now = datetime.now(UTC)
            for name in skipped:
                with contextlib.suppress(JobLookupError):
                    self.scheduler.modify_job(name, next_run_time=now)
        return leading

    def start(self) -> None:
        for job in self.jobs:
            self.scheduler.add_job(
                self._tick,
                "interval",
                seconds=job.every_seconds,
                args=[job],
                id=job.name,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
            )
        if not isinstance(self.leadership, AlwaysLead):
            self.scheduler.add_job(
                self.check_leadership,
                "interval",
                seconds=self.leadership.every_seconds,
                id=LEADERSHIP_JOB,
                next_run_time=datetime.now(UTC),  # know at once whether to lead
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
            )
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def close(self) -> None:
        """Stop ticking and hand leadership to a standby at once, before the engine closes."""
        self.stop()
        await self.leadership.release()
