"""When a guardian goes quiet: a nudge after two silent weeks, a pause (said) after four, and
pauses with an end date ending by themselves. The hourly and ten-minute jobs call these."""

from __future__ import annotations

from datetime import datetime

from bot.domain.lessons import DueEnrolment, EnrolmentStatus, PauseReason, next_slot
from bot.domain.outbox import NewMessage, Priority
from bot.ports import UnitOfWork
from bot.services.lessons.work import LessonWork


class Silence(LessonWork):
    async def review_silence(self, now: datetime | None = None, page: int = 500) -> dict[str, int]:
        """Nudge after two quiet weeks; pause (and say so) after four."""
        now = now or self.clock.now()
        cutoff = now - self.policy.silence.nudge_after
        counts = {"nudged": 0, "paused": 0}
        after = 0
        while True:
            async with self.uow() as uow:
                silent = await uow.enrolments.silent(cutoff, after, page)
                if not silent:
                    break
                messages: list[NewMessage] = []
                for item in silent:
                    assert item.enrolment.id is not None
                    after = item.enrolment.id
                    message = await self._review(uow, item, now)
                    if message is not None:
                        counts["paused" if message.kind == "auto_paused" else "nudged"] += 1
                        messages.append(message)
                await uow.outbox.enqueue(messages)
                await uow.holds.hold_during_cases([m.key for m in messages])
                await uow.commit()
        return counts

    async def _review(
        self, uow: UnitOfWork, item: DueEnrolment, now: datetime
    ) -> NewMessage | None:
        """Nudge or pause one quiet enrolment; the message that says so, or None."""
        e = item.enrolment
        assert e.id is not None
        verdict = self.policy.silence.verdict(e.last_active_at, e.nudged_at, now)
        if not verdict:
            return None
        if verdict == "pause":
            await uow.enrolments.update(
                e.id,
                status=EnrolmentStatus.PAUSED,
                pause_reason=PauseReason.SILENT,
                paused_until=None,
            )
        else:
            await uow.enrolments.update(e.id, nudged_at=now)
        kind = "auto_paused" if verdict == "pause" else "nudge"
        return NewMessage(
            key=f"{kind}:{e.id}:{e.last_active_at.isoformat()}",
            chat_id=item.telegram_id,
            kind=kind,
            priority=Priority.LESSON,
            locale=item.locale,
            due_at=self.policy.quiet.defer(now, e.tz),
            payload={"e": e.id},
            person_id=e.person_id,
        )

    async def resume_due(self, now: datetime | None = None) -> int:
        """Pauses with an end date end by themselves."""
        now = now or self.clock.now()
        resumed = 0
        after = 0
        while True:
            async with self.uow() as uow:
                page = await uow.enrolments.paused_until_before(now, after, 500)
                if not page:
                    break
                for item in page:
                    e = item.enrolment
                    assert e.id is not None
                    after = e.id
                    await uow.enrolments.update(
                        e.id,
                        status=EnrolmentStatus.ACTIVE,
                        paused_until=None,
                        pause_reason=None,
                        last_active_at=now,
                        next_due_at=next_slot(now, e.weekday, e.hour, e.tz, e.minute),
                    )
                    resumed += 1
                await uow.commit()
        return resumed
