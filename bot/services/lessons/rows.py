"""Our rows in the outbox: what each says when its turn comes (composed from the programme),
and what follows once it is sent (delivery recorded, the lesson's check-in booked)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.domain.lessons import Enrolment, Lesson, checkin_time
from bot.domain.outbox import NewMessage, OutboxItem, Priority
from bot.domain.replies import Keyboard, Reply
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.lessons.policy import LESSON_KINDS
from bot.services.lessons.replies import checkin_message, lesson_message
from bot.services.lessons.work import LessonWork
from bot.services.outbox.kinds import RowKinds

# Notices that say the same to everyone: no programme, no enrolment needed.
STATIC = {
    "nudge": "lessons/nudge",
    "auto_paused": "lessons/auto_paused",
    "completed": "lessons/completed",
}


class LessonRows(LessonWork):
    def row_kinds(self) -> RowKinds:
        """Lessons, check-ins, nudges and notices: composed from the programme when their turn
        comes; once sent, delivery is recorded and each lesson's check-in booked."""
        return RowKinds(LESSON_KINDS, self.compose, after_sent=self.settle_sent)

    # -- composing -------------------------------------------------------------------------

    async def compose(
        self, uow_factory: UnitOfWorkFactory, kind: str, payload: Mapping[str, object]
    ) -> Reply | None:
        """What an outbox row of ours says when it is sent (None: no longer needed).

        A lesson is composed from its payload alone: at broadcast rates every query counts.
        """
        e_id, index = payload.get("e"), payload.get("i", -1)
        if kind == "lesson" and isinstance(e_id, int) and isinstance(index, int):
            programme = self.programmes.get(str(payload.get("p", "")))
            lesson = programme.at(index) if programme else None
            return lesson_message(lesson, e_id, index, 0) if lesson else None
        if kind == "checkin":
            return await self._compose_checkin(uow_factory, payload)
        return Reply(STATIC[kind], keyboard=Keyboard.HELP) if kind in STATIC else None

    async def _compose_checkin(
        self, uow_factory: UnitOfWorkFactory, payload: Mapping[str, object]
    ) -> Reply | None:
        async with uow_factory() as uow:
            enrolment, lesson, index = await self._lesson_of(uow, payload)
            if enrolment is None or enrolment.id is None or lesson is None:
                return None
            progress = await uow.progress.get(enrolment.id, lesson.id)
        if progress is not None and progress.checkin_answer is not None:
            return None  # answered already (they reread and pressed ahead)
        return checkin_message(lesson, enrolment.id, index)

    async def _lesson_of(
        self, uow: UnitOfWork, payload: Mapping[str, object]
    ) -> tuple[Enrolment | None, Lesson | None, int]:
        e_id, index = payload.get("e"), payload.get("i", -1)
        if not isinstance(e_id, int) or not isinstance(index, int):
            return None, None, -1
        enrolment = await uow.enrolments.by_id(e_id)
        if enrolment is None:
            return None, None, index
        return enrolment, self.programmes[enrolment.programme].at(index), index

    # -- once sent -------------------------------------------------------------------------

    async def settle_sent(self, items: Sequence[OutboxItem], now: datetime) -> None:
        """After a batch went out: record delivery and book each lesson's check-in.

        A few set-based statements per batch, not queries per message, so sending stays
        fast; `settle_pending` repeats it for anything a crash left unsettled (idempotent).
        """
        async with self.uow() as uow:
            await self._settle_lessons(uow, [i.payload for i in items if i.kind == "lesson"], now)
            for item in items:
                if item.kind == "checkin":
                    await self._settle_checkin(uow, item.payload, now)
            await uow.commit()

    async def settle_pending(self, now: datetime | None = None) -> int:
        """Catch up on lessons the outbox sent but nobody recorded (after a crash)."""
        now = now or self.clock.now()
        settled = 0
        async with self.uow() as uow:
            for payload, sent_at in await uow.progress.sent_unsettled(500):
                await self._settle_lessons(uow, [payload], sent_at or now)
                settled += 1
            await uow.commit()
        return settled

    async def _settle_lessons(
        self, uow: UnitOfWork, payloads: Sequence[Mapping[str, object]], now: datetime
    ) -> None:
        wanted: set[tuple[int, int]] = set()
        for p in payloads:
            e_id, index = p.get("e"), p.get("i")
            if isinstance(e_id, int) and isinstance(index, int):
                wanted.add((e_id, index))
        if not wanted:
            return
        enrolments = await uow.enrolments.with_people([e for e, _ in wanted])
        marks: list[tuple[int, str, datetime, datetime]] = []
        checkins: list[NewMessage] = []
        for e_id, index in sorted(wanted):
            found = enrolments.get(e_id)
            if found is None:
                continue
            enrolment, telegram_id, locale = found
            lesson = self.programmes[enrolment.programme].at(index)
            if lesson is None:
                continue
            due = checkin_time(
                now, lesson.checkin_after_days, enrolment.hour, enrolment.tz, enrolment.minute
            )
            checkin_due = self.policy.quiet.defer(due, enrolment.tz)
            marks.append((e_id, lesson.id, now, checkin_due))
            checkins.append(
                NewMessage(
                    key=f"checkin:{e_id}:{lesson.id}",
                    chat_id=telegram_id,
                    kind="checkin",
                    priority=Priority.LESSON,
                    locale=locale,
                    due_at=checkin_due,
                    payload={"e": e_id, "i": index, "p": enrolment.programme},
                    person_id=enrolment.person_id,
                )
            )
        await uow.progress.mark_delivered(marks)
        await uow.outbox.enqueue(checkins)
        await uow.holds.hold_during_cases([m.key for m in checkins])

    async def _settle_checkin(
        self, uow: UnitOfWork, payload: Mapping[str, object], now: datetime
    ) -> None:
        enrolment, lesson, _ = await self._lesson_of(uow, payload)
        if enrolment is None or lesson is None or enrolment.id is None:
            return
        progress = await uow.progress.get(enrolment.id, lesson.id)
        if progress is not None and progress.id is not None:
            await uow.progress.update(
                progress.id, only_if_unset="checkin_sent_at", checkin_sent_at=now
            )
