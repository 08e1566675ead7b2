"""The lesson programme's rules on a real database with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from bot.catalog.lessons import load_programmes
from bot.db.models import EnrolmentRow, OutboxRow, PersonRow
from bot.db.uow import SqlUnitOfWorkFactory
from bot.domain.lessons import EnrolmentStatus
from bot.domain.outbox import Priority
from bot.domain.people import ConsentStatus, Person, PersonStatus, Role, new_person_code
from bot.services.common import Who
from bot.services.lesson_chat import LessonChat
from bot.services.lessons import LessonPolicy, Lessons
from content import CONTENT_DIR
from tests.support import FixedClock

PROGRAMMES = load_programmes(CONTENT_DIR)
# Wednesday 2 March 2026, 10:00 in Shanghai.
START = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)


@pytest.fixture
def lessons(uow: SqlUnitOfWorkFactory, clock: FixedClock) -> Lessons:
    clock.at = START
    return Lessons(uow, clock, PROGRAMMES, LessonPolicy())


async def guardian(uow: SqlUnitOfWorkFactory, tg: int) -> None:
    async with uow() as u:
        await u.people.add(
            Person(
                telegram_id=tg,
                locale="zh_Hans",
                code=new_person_code(),
                role=Role.GUARDIAN,
                consent=ConsentStatus.GIVEN,
            )
        )
        await u.commit()


async def rows(uow: SqlUnitOfWorkFactory, kind: str | None = None) -> list[OutboxRow]:
    async with uow() as u:
        q = select(OutboxRow).order_by(OutboxRow.id)
        if kind:
            q = q.where(OutboxRow.kind == kind)
        found = list(await u.session.scalars(q))
        u.session.expunge_all()  # keep them readable after the unit of work ends
        return found


async def enrolment(uow: SqlUnitOfWorkFactory, tg: int):  # type: ignore[no-untyped-def]
    async with uow() as u:
        p = await u.people.by_telegram_id(tg)
        assert p is not None and p.id is not None
        return await u.enrolments.get(p.id, "guardian")


async def test_enrolment_sends_lesson_one_now_and_books_the_slot(
    lessons: Lessons, uow: SqlUnitOfWorkFactory
) -> None:
    await guardian(uow, 1)
    outcome = await lessons.set_schedule(Who(1), "6", "19")
    assert outcome.replies[0].template == "lessons/enrolled"
    (row,) = await rows(uow)
    assert (row.kind, row.priority, row.key) == (
        "lesson",
        Priority.INTERACTIVE,
        "lesson:1:guardian-noticing",
    )
    e = await enrolment(uow, 1)
    assert e is not None and e.next_index == 1
    assert e.next_due_at == datetime(2026, 3, 8, 11, 0, tzinfo=UTC)  # Sunday 19:00 Shanghai


async def test_weekly_fan_out_once_per_week_even_after_an_outage(
    lessons: Lessons, uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    await guardian(uow, 1)
    await lessons.set_schedule(Who(1), "6", "19")
    assert (await lessons.queue_due(START)).queued == 0  # not due yet
    sunday = datetime(2026, 3, 8, 11, 0, tzinfo=UTC)
    assert (await lessons.queue_due(sunday)).queued == 1
    assert (await lessons.queue_due(sunday)).queued == 0
    assert (await lessons.queue_due(sunday + timedelta(days=3))).queued == 0
    # The bot was down for a month: one lesson on return, the next a week on, not four.
    back = sunday + timedelta(days=30, hours=2)
    assert (await lessons.queue_due(back)).queued == 1
    e = await enrolment(uow, 1)
    assert e is not None and e.next_index == 3 and e.next_due_at is not None
    assert e.next_due_at > back and e.next_due_at - back <= timedelta(days=7)
    assert [r.key.split(":")[2] for r in await rows(uow, "lesson")] == [
        "guardian-noticing",
        "guardian-close-from-afar",
        "guardian-listening",
    ]


async def test_fan_out_streams_in_pages(lessons: Lessons, uow: SqlUnitOfWorkFactory) -> None:
    sunday = datetime(2026, 3, 8, 11, 0, tzinfo=UTC)
    async with uow() as u:  # seeded in bulk: the fan-out, not the seeding, is under test
        await u.session.execute(
            insert(PersonRow),
            [
                {
                    "telegram_id": tg,
                    "locale": "en",
                    "code": f"P-{tg:06d}",
                    "role": "guardian",
                    "consent": "given",
                    "status": "active" if tg % 10 else "inactive",
                }
                for tg in range(1, 2501)
            ],
        )
        people = list(await u.session.execute(select(PersonRow.id, PersonRow.telegram_id)))
        await u.session.execute(
            insert(EnrolmentRow),
            [
                {
                    "person_id": pid,
                    "programme": "guardian",
                    "status": "active",
                    "weekday": tg % 7,
                    "hour": 19,
                    "timezone": "Asia/Shanghai",
                    "next_index": 0,
                    "next_due_at": sunday,
                    "last_active_at": START,
                }
                for pid, tg in people
            ],
        )
        await u.commit()
    result = await lessons.queue_due(sunday, page=1000)
    assert (result.queued, result.pages) == (2250, 3)  # every tenth person is unreachable
    assert (await lessons.queue_due(sunday, page=1000)).queued == 0
    async with uow() as u:
        n = await u.session.scalar(select(func.count()).select_from(OutboxRow))
        payloads = list(await u.session.scalars(select(OutboxRow.payload).limit(3)))
        slots = set(await u.session.scalars(select(EnrolmentRow.next_due_at).distinct()))
    assert n == 2250  # each reachable guardian's lesson exactly once
    assert all(isinstance(p, dict) and p["i"] == 0 for p in payloads)
    assert len(slots) == 8  # seven weekdays' next slots, plus the unreachable ones untouched


async def test_change_pause_resume(
    lessons: Lessons, uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    chat = LessonChat(lessons)
    await guardian(uow, 1)
    await lessons.set_schedule(Who(1), "6", "19")
    outcome = await lessons.set_schedule(Who(1), "0", "8")
    assert outcome.replies[0].template == "lessons/schedule_changed"
    e = await enrolment(uow, 1)
    assert e is not None and e.next_due_at == datetime(2026, 3, 9, 0, 0, tzinfo=UTC)
    assert len(await rows(uow, "lesson")) == 1  # changing the time sends nothing new

    assert (await chat.pause(Who(1), "14")).replies[0].template == "lessons/paused"
    assert (await lessons.queue_due(START + timedelta(days=10))).queued == 0
    assert await lessons.resume_due(START + timedelta(days=13)) == 0
    assert await lessons.resume_due(START + timedelta(days=14, minutes=1)) == 1
    e = await enrolment(uow, 1)
    assert e is not None and e.status is EnrolmentStatus.ACTIVE
    clock.at = START + timedelta(days=20)
    assert (await chat.pause(Who(1), "0")).replies[0].template == "lessons/paused"
    assert (await chat.resume(Who(1))).replies[0].template == "lessons/resumed"
    assert (await chat.resume(Who(1))).replies[0].template == "lessons/not_paused"
    assert (await chat.pause(Who(1), "5")).toast == "toast.stale"  # not an offered length


async def test_silence_nudge_then_auto_pause_and_coming_back(
    lessons: Lessons, uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    await guardian(uow, 1)
    await lessons.set_schedule(Who(1), "6", "19")
    assert await lessons.review_silence(START + timedelta(days=13)) == {"nudged": 0, "paused": 0}
    assert await lessons.review_silence(START + timedelta(days=14)) == {"nudged": 1, "paused": 0}
    assert await lessons.review_silence(START + timedelta(days=15)) == {"nudged": 0, "paused": 0}
    assert await lessons.review_silence(START + timedelta(days=28)) == {"nudged": 0, "paused": 1}
    assert [r.kind for r in await rows(uow) if r.kind != "lesson"] == ["nudge", "auto_paused"]
    e = await enrolment(uow, 1)
    assert e is not None and e.status is EnrolmentStatus.PAUSED
    # She opens an old lesson: the programme picks up again by itself.
    clock.at = START + timedelta(days=40)
    assert e.id is not None
    outcome = await LessonChat(lessons).reread(Who(1), str(e.id), "0")
    assert outcome.replies[0].template == "lessons/part"
    await LessonChat(lessons).next_part(Who(1), str(e.id), "0", "1")
    e = await enrolment(uow, 1)
    assert e is not None and e.status is EnrolmentStatus.ACTIVE


async def test_inactive_people_are_not_queued(lessons: Lessons, uow: SqlUnitOfWorkFactory) -> None:
    await guardian(uow, 1)
    await lessons.set_schedule(Who(1), "6", "19")
    async with uow() as u:
        p = await u.people.by_telegram_id(1)
        assert p is not None
        p.status = PersonStatus.STOPPED
        await u.people.save(p)
        await u.commit()
    assert (await lessons.queue_due(START + timedelta(days=7))).queued == 0


async def test_programme_completes(lessons: Lessons, uow: SqlUnitOfWorkFactory) -> None:
    await guardian(uow, 1)
    await lessons.set_schedule(Who(1), "6", "19")
    at = START
    for _ in range(len(PROGRAMMES["guardian"]) + 1):
        at += timedelta(days=7)
        await lessons.queue_due(at)
    e = await enrolment(uow, 1)
    assert e is not None and e.status is EnrolmentStatus.COMPLETED
    assert len(await rows(uow, "lesson")) == len(PROGRAMMES["guardian"])
    assert len(await rows(uow, "completed")) == 1


async def test_forged_lesson_buttons_are_refused(
    lessons: Lessons, uow: SqlUnitOfWorkFactory
) -> None:
    chat = LessonChat(lessons)
    await guardian(uow, 1)
    await guardian(uow, 2)
    await lessons.set_schedule(Who(1), "6", "19")
    e = await enrolment(uow, 1)
    assert e is not None and e.id is not None
    mine = str(e.id)
    for outcome in [
        await chat.next_part(Who(2), mine, "0", "1"),  # someone else's enrolment
        await chat.next_part(Who(1), mine, "1", "1"),  # a lesson not sent yet
        await chat.next_part(Who(1), mine, "0", "99"),  # no such part
        await chat.answer(Who(1), mine, "0", "7"),  # no such option
        await chat.answer(Who(1), "x", "0", "0"),
        await chat.checkin(Who(1), mine, "0", "maybe"),
        await chat.reread(Who(1), mine, "-1"),
        await lessons.set_schedule(Who(1), "9", "19"),
        await lessons.set_schedule(Who(1), "6", "3"),
        await lessons.set_schedule(Who(3), "6", "19"),  # a stranger
    ]:
        assert outcome.toast == "toast.stale" and outcome.replies == ()
    # The first answer is the one recorded.
    first = await chat.answer(Who(1), mine, "0", "1")
    again = await chat.answer(Who(1), mine, "0", "2")
    assert [r.template for r in first.replies] == ["lessons/feedback", "lessons/task"]
    assert [r.template for r in again.replies] == ["lessons/feedback"]
    async with uow() as u:
        progress = await u.progress.get(e.id, "guardian-noticing")
    assert progress is not None and progress.answer_index == 1


async def test_a_lesson_sent_but_not_recorded_is_settled_later(
    lessons: Lessons, uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    """A crash between Telegram accepting a lesson and its bookkeeping: the settle job
    records the delivery and books the check-in, once."""
    await guardian(uow, 1)
    await lessons.set_schedule(Who(1), "6", "19")
    (row,) = await rows(uow)
    async with uow() as u:
        await u.outbox.mark_sent_many([(row.id, 77)], clock.now())  # sent, never settled
        await u.commit()
    assert await lessons.settle_pending() == 1
    assert await lessons.settle_pending() == 0
    e = await enrolment(uow, 1)
    async with uow() as u:
        progress = await u.progress.get(e.id, "guardian-noticing")
    assert progress is not None and progress.delivered_at == clock.now()
    assert [r.key for r in await rows(uow, "checkin")] == ["checkin:1:guardian-noticing"]


async def test_half_past_is_kept_and_the_lessons_come_at_half_past(
    lessons: Lessons, uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    """晚上七点半 (issue 19): the slot, the weekly fan-out, the check-in and /progress keep :30,
    and guardians at 19:00 and 19:30 on the same day are two groups, each at its own time."""
    await guardian(uow, 1)
    await guardian(uow, 2)
    await lessons.set_schedule(Who(1), "6", "19", "30")
    await lessons.set_schedule(Who(2), "6", "19")
    e = await enrolment(uow, 1)
    assert e is not None and (e.hour, e.minute) == (19, 30)
    half = datetime(2026, 3, 8, 11, 30, tzinfo=UTC)  # Sunday 19:30 Shanghai
    assert e.next_due_at == half
    assert (await lessons.queue_due(half - timedelta(minutes=30))).queued == 1  # the 19:00 one
    assert (await lessons.queue_due(half - timedelta(minutes=1))).queued == 0
    assert (await lessons.queue_due(half)).queued == 1
    e = await enrolment(uow, 1)
    assert e is not None and e.next_due_at == half + timedelta(days=7)
    progress = await LessonChat(lessons).progress(Who(1))
    assert progress.replies[0].data["minute"] == 30
    assert (await lessons.set_schedule(Who(1), "6", "19", "45")).toast == "toast.stale"
