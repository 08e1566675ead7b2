"""The weekly fan-out: every lesson due, queued a page of enrolments at a time; apart because
it is the one part that runs at broadcast scale (bench/broadcast.py measures it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.lessons import next_slot
from bot.services.lessons.work import LessonWork


@dataclass(frozen=True, slots=True)
class FanOut:
    """What one run of the weekly fan-out did."""

    queued: int = 0
    completed: int = 0
    pages: int = 0


class WeeklyFanOut(LessonWork):
    async def queue_due(
        self, now: datetime | None = None, page: int = 5000, *, recorded: datetime | None = None
    ) -> FanOut:
        """Queue every lesson due at `now`, a page of enrolments at a time; the rows say they
        were made at `recorded` (default `now`: an operator may queue a later instant's lessons).

        Each page is one transaction of a few set-based statements (nothing per guardian in
        Python). A crash loses nothing and repeats nothing: the outbox key and the progress
        row are unique per enrolment and lesson. A guardian whose slot was missed (the bot was
        down) gets that lesson once, and the next one at the first slot after now.
        """
        now = now or self.clock.now()
        queued = completed = pages = 0
        after = 0
        while True:
            async with self.uow() as uow:
                ids, groups = await uow.fanout.due_page(now, after, page)
                if not ids:
                    break
                pages += 1
                after = ids[-1]
                for group in groups:
                    programme = self.programmes[group.programme]
                    tz = ZoneInfo(group.timezone)
                    q, c = await uow.fanout.queue_group(
                        ids,
                        group,
                        [(lesson.id, lesson.version, lesson.week) for lesson in programme.lessons],
                        self.policy.quiet.defer(now, tz),
                        next_slot(now, group.weekday, group.hour, tz, group.minute),
                        recorded or now,
                    )
                    queued += q
                    completed += c
                await uow.commit()
        return FanOut(queued, completed, pages)
