"""Choosing the weekly slot: the weekday and hour pickers, enrolling (the welcome lesson at
once) or moving the slot, and the demo's "this week's lesson now"."""

from __future__ import annotations

from datetime import datetime

from bot.domain.lessons import Enrolment, EnrolmentStatus, Progress, next_slot
from bot.domain.outbox import NewMessage, Priority
from bot.domain.people import Person, Role
from bot.domain.replies import Choice, Keyboard, Outcome, Reply, rows
from bot.ports import UnitOfWork
from bot.services.common import Who
from bot.services.lessons.policy import STALE, WEEKDAYS, programme_for
from bot.services.lessons.replies import when_data
from bot.services.lessons.work import LessonWork


def _slot(weekday: str, hour: str, minute: str) -> tuple[int, int, int] | None:
    if not all(v.isdecimal() and len(v) < 3 for v in (weekday, hour, minute)):
        return None  # int() raises on "²"
    return int(weekday), int(hour), int(minute)


class Scheduling(LessonWork):
    def ask_hour(self, weekday: int) -> Reply:
        return Reply(
            "lessons/ask_hour",
            {"weekday": weekday},
            choices=rows(
                *(Choice(f"btn.hour.{h}", f"ls:hour:{weekday}:{h}") for h in self.policy.hours),
                width=2,
            ),
        )

    async def choose_day(self, who: Who, value: str) -> Outcome:
        if not value.isdecimal() or int(value) not in WEEKDAYS:  # int() raises on "²"
            return Outcome(toast=STALE)
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
        if person is None or not person.registered or person.role is Role.CHILD:
            return Outcome(toast=STALE)
        return Outcome.of(self.ask_hour(int(value)))

    def _offered(self, slot: tuple[int, int, int] | None) -> bool:
        if slot is None:
            return False
        day, hr, mm = slot
        return day in WEEKDAYS and hr in self.policy.hours and mm in self.policy.minutes

    async def set_schedule(self, who: Who, weekday: str, hour: str, minute: str = "0") -> Outcome:
        """Enrol (and send the first lesson at once), or move an existing enrolment."""
        slot = _slot(weekday, hour, minute)
        if slot is None or not self._offered(slot):
            return Outcome(toast=STALE)
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            if person is None or person.id is None or not person.registered:
                return Outcome(toast=STALE)
            if person.role is Role.CHILD:  # a child reads their own lessons, unscheduled
                return Outcome(toast=STALE)
            first = await self._enrol_or_move(uow, person, slot)
            await uow.commit()
        template = "lessons/enrolled" if first else "lessons/schedule_changed"
        choices = (
            rows(Choice("btn.invite_child", "fam:child"))
            if person.role is Role.GUARDIAN and first
            else ()
        )
        return Outcome.of(
            Reply(template, when_data(*slot), choices=choices, keyboard=Keyboard.HELP)
        )

    async def _enrol_or_move(
        self, uow: UnitOfWork, person: Person, slot: tuple[int, int, int]
    ) -> bool:
        """Store the slot; True when this enrolled the person (their first lesson queued)."""
        assert person.id is not None
        day, hr, mm = slot
        now = self.clock.now()
        programme = self.programmes[programme_for(person)]
        enrolment = await uow.enrolments.get(person.id, programme.name)
        first = enrolment is None
        if enrolment is None:
            enrolment = await uow.enrolments.add(
                Enrolment(
                    person_id=person.id,
                    programme=programme.name,
                    weekday=day,
                    hour=hr,
                    minute=mm,
                    timezone=self.policy.timezone,
                    last_active_at=now,
                )
            )
        assert enrolment.id is not None
        fields: dict[str, object] = {
            "weekday": day,
            "hour": hr,
            "minute": mm,
            "last_active_at": now,
        }
        if enrolment.status in (EnrolmentStatus.ACTIVE, EnrolmentStatus.PAUSED):
            fields.update(
                status=EnrolmentStatus.ACTIVE,
                paused_until=None,
                pause_reason=None,
                next_due_at=next_slot(now, day, hr, enrolment.tz, mm),
            )
        if first:
            # The welcome lesson comes right away; the next one at the chosen time.
            await self._queue_lesson(uow, enrolment, person, now, Priority.INTERACTIVE)
            fields["next_index"] = enrolment.next_index
        await uow.enrolments.update(enrolment.id, **fields)
        return first

    async def bring_forward(self, telegram_id: int) -> str:
        """Send a guardian's next lesson now instead of at its slot (the demo's "this week's
        lesson now"); the one after comes a week after the slot this one replaced, so the
        programme keeps its one-a-week rhythm. Returns "sent", "paused", "finished" or "none"."""
        now = self.clock.now()
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(telegram_id)
            if person is None or person.id is None or person.role is Role.CHILD:
                return "none"
            enrolment = await uow.enrolments.get(person.id, programme_for(person))
            if enrolment is None or enrolment.id is None:
                return "none"
            if enrolment.status is EnrolmentStatus.PAUSED:
                return "paused"
            if enrolment.status is not EnrolmentStatus.ACTIVE:
                return "finished"
            replaced = max(now, enrolment.next_due_at or now)
            if not await self._queue_lesson(uow, enrolment, person, now, Priority.INTERACTIVE):
                return "finished"
            await uow.enrolments.update(
                enrolment.id,
                next_index=enrolment.next_index,
                next_due_at=next_slot(
                    replaced, enrolment.weekday, enrolment.hour, enrolment.tz, enrolment.minute
                ),
            )
            await uow.commit()
        return "sent"

    async def _queue_lesson(
        self,
        uow: UnitOfWork,
        enrolment: Enrolment,
        person: Person,
        now: datetime,
        priority: Priority,
    ) -> bool:
        """Queue the enrolment's next lesson now (not at its slot) and move past it."""
        assert enrolment.id is not None
        programme = self.programmes[enrolment.programme]
        lesson = programme.at(enrolment.next_index)
        if lesson is None or person.telegram_id is None:
            return False
        await uow.progress.add_many(
            [Progress(enrolment.id, lesson.id, lesson.version, lesson.week, scheduled_for=now)]
        )
        row = NewMessage(
            key=f"lesson:{enrolment.id}:{lesson.id}",
            chat_id=person.telegram_id,
            kind="lesson",
            priority=priority,
            locale=person.locale,
            due_at=self.policy.quiet.defer(now, enrolment.tz),
            payload={"e": enrolment.id, "i": enrolment.next_index, "p": lesson.programme},
            person_id=person.id,
        )
        await uow.outbox.enqueue([row])
        await uow.holds.hold_during_cases([row.key])
        enrolment.next_index += 1
        return True
