"""What every lesson button passes first: its numbers read strictly, and the enrolment it
names being the presser's. Kept in one place so no entry point can skip a check."""

from __future__ import annotations

from bot.domain.lessons import Enrolment, EnrolmentStatus, Lesson, PauseReason, next_slot
from bot.domain.people import Person, Role
from bot.ports import UnitOfWork
from bot.services.common import Who
from bot.services.lessons import Lessons, programme_for


def ints(*values: str) -> tuple[int, ...] | None:
    # isdecimal, not isdigit: a forged "²" passes isdigit() and then int() raises on it.
    if not all(v.isdecimal() and len(v) < 10 for v in values):
        return None
    return tuple(int(v) for v in values)


class Guards:
    def __init__(self, lessons: Lessons) -> None:
        self.lessons = lessons
        self.clock = lessons.clock

    async def mine(
        self, uow: UnitOfWork, who: Who, enrolment_id: int, index: int
    ) -> tuple[Person, Enrolment, Lesson, int] | None:
        """The person's enrolment, the lesson and its progress row id, if all check out."""
        person = await uow.people.by_telegram_id(who.telegram_id)
        enrolment = await uow.enrolments.by_id(enrolment_id)
        if person is None or enrolment is None or enrolment.person_id != person.id:
            return None
        lesson = self.lessons.programmes[enrolment.programme].at(index)
        if lesson is None or enrolment.id is None:
            return None
        # Only lessons that were actually sent to this person can be opened.
        progress = await uow.progress.get(enrolment.id, lesson.id)
        if progress is None or progress.id is None:
            return None
        return person, enrolment, lesson, progress.id

    async def enrolment(self, uow: UnitOfWork, who: Who) -> tuple[Person, Enrolment] | None:
        """A registered adult's enrolment in their programme, if they have one."""
        person = await uow.people.by_telegram_id(who.telegram_id)
        if person is None or person.id is None or not person.registered:
            return None
        if person.role is Role.CHILD:  # children have no schedule: see children.py
            return None
        enrolment = await uow.enrolments.get(person.id, programme_for(person))
        return (person, enrolment) if enrolment is not None else None

    async def touch(self, uow: UnitOfWork, enrolment: Enrolment) -> None:
        """A press inside a lesson: the person is active, and a programme paused for their
        silence resumes."""
        assert enrolment.id is not None
        now = self.clock.now()
        if enrolment.status is EnrolmentStatus.PAUSED and (
            enrolment.pause_reason is PauseReason.SILENT
        ):
            # They came back on their own: the programme resumes where it stopped.
            await uow.enrolments.update(
                enrolment.id,
                last_active_at=now,
                status=EnrolmentStatus.ACTIVE,
                pause_reason=None,
                next_due_at=next_slot(
                    now, enrolment.weekday, enrolment.hour, enrolment.tz, enrolment.minute
                ),
            )
        else:
            await uow.enrolments.update(enrolment.id, last_active_at=now)


def local_date(enrolment: Enrolment) -> str:
    """The day a pause ends, in the person's time zone ("" when it has no end)."""
    if enrolment.paused_until is None:
        return ""
    return enrolment.paused_until.astimezone(enrolment.tz).date().isoformat()
