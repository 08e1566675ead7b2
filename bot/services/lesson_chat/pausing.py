"""A break from the lessons, asked for by the guardian, and coming back from it.

(A pause for weeks of silence is the lessons' timer's, `Lessons.review_silence`; any press
inside a lesson ends that one: `Guards.touch`.)"""

from __future__ import annotations

from datetime import timedelta

from bot.domain.lessons import EnrolmentStatus, PauseReason, next_slot
from bot.domain.replies import Choice, Keyboard, Outcome, Reply, rows
from bot.services.common import Who
from bot.services.lesson_chat.guards import Guards, local_date
from bot.services.lesson_chat.overview import Overview
from bot.services.lessons import PAUSE_CHOICES, STALE, Lessons, when_data


class Pausing:
    def __init__(self, lessons: Lessons, guards: Guards, overview: Overview) -> None:
        self.guards = guards
        self.overview = overview
        self.uow = lessons.uow
        self.clock = lessons.clock

    async def ask_pause(self, who: Who) -> Outcome:
        async with self.uow() as uow:
            found = await self.guards.enrolment(uow, who)
            if found is None:
                return await self.overview.not_enrolled(uow, who)
        return Outcome.of(
            Reply(
                "lessons/ask_pause",
                choices=rows(
                    *(Choice(f"btn.pause.{d}", f"ls:p:{d}") for d in PAUSE_CHOICES), width=2
                ),
            )
        )

    async def pause(self, who: Who, days: str) -> Outcome:
        if not days.isdecimal() or int(days) not in PAUSE_CHOICES:  # int() raises on "²"
            return Outcome(toast=STALE)
        async with self.uow() as uow:
            found = await self.guards.enrolment(uow, who)
            if found is None:
                return Outcome(toast=STALE)
            _, enrolment = found
            if enrolment.status is EnrolmentStatus.COMPLETED:
                return Outcome.of(Reply("lessons/completed"))
            assert enrolment.id is not None
            enrolment.paused_until = (
                self.clock.now() + timedelta(days=int(days)) if int(days) else None
            )
            await uow.enrolments.update(
                enrolment.id,
                status=EnrolmentStatus.PAUSED,
                pause_reason=PauseReason.ASKED,
                paused_until=enrolment.paused_until,
                last_active_at=self.clock.now(),
            )
            await uow.commit()
        return Outcome.of(
            Reply("lessons/paused", {"until": local_date(enrolment)}, keyboard=Keyboard.HELP)
        )

    async def resume(self, who: Who) -> Outcome:
        async with self.uow() as uow:
            found = await self.guards.enrolment(uow, who)
            if found is None:
                return await self.overview.not_enrolled(uow, who)
            _, enrolment = found
            if enrolment.status is not EnrolmentStatus.PAUSED:
                return Outcome.of(Reply("lessons/not_paused", keyboard=Keyboard.HELP))
            assert enrolment.id is not None
            now = self.clock.now()
            await uow.enrolments.update(
                enrolment.id,
                status=EnrolmentStatus.ACTIVE,
                paused_until=None,
                pause_reason=None,
                last_active_at=now,
                next_due_at=next_slot(
                    now, enrolment.weekday, enrolment.hour, enrolment.tz, enrolment.minute
                ),
            )
            await uow.commit()
        return Outcome.of(
            Reply(
                "lessons/resumed",
                when_data(enrolment.weekday, enrolment.hour, enrolment.minute),
                keyboard=Keyboard.HELP,
            )
        )
