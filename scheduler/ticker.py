"""A ticker that runs each registered job every few seconds.

APScheduler 3's job stores cannot be shared between processes, so no schedule lives here: each
job asks the database what is due. A job that raises is logged and tried again on the next tick.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.domain.clock import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    run: Callable[[datetime], Awaitable[object]]
    every_seconds: float = 10.0


class Ticker:
    def __init__(self, jobs: list[Job]) -> None:
        self.jobs = jobs
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.last_tick: dict[str, datetime] = {}

    async def _tick(self, job: Job) -> None:
        now = utcnow()
        try:
            await job.run(now)
        except Exception:  # one failing job must not stop the others or the next tick
            log.exception("job %s failed", job.name)
        self.last_tick[job.name] = now

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
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
