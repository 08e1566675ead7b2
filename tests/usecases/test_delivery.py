"""A lesson that falls due is queued once and sent once, however often the timer runs, and it
waits while its reader talks with a counsellor."""

from __future__ import annotations

from bot.domain.people import Role
from bot.services.casework import Place
from bot.services.common import Who
from tests.usecases.desk import CRITICAL, STAFF_CHAT, Desk

GUARDIAN = 701


async def lessons_sent(desk: Desk) -> list[str]:
    return [r.key for r in await desk.rows("lesson:") if r.kind == "lesson" and r.status == "sent"]


async def next_due(desk: Desk):  # type: ignore[no-untyped-def]
    async with desk.uow() as u:
        person = await u.people.by_telegram_id(GUARDIAN)
        assert person is not None and person.id is not None
        enrolment = await u.enrolments.get(person.id, "guardian")
    assert enrolment is not None and enrolment.next_due_at is not None
    return enrolment.next_due_at


async def test_a_due_lesson_is_sent_once(desk: Desk) -> None:
    await desk.person(GUARDIAN, Role.GUARDIAN)
    enrolled = await desk.lessons.set_schedule(Who(GUARDIAN), "6", "19")
    assert enrolled.replies[0].template == "lessons/enrolled"
    await desk.send_all()
    assert len(await lessons_sent(desk)) == 1  # the first lesson goes at once
    desk.clock.at = await next_due(desk)
    assert (await desk.lessons.queue_due()).queued == 1
    assert (await desk.lessons.queue_due()).queued == 0  # the timer again, before sending
    await desk.send_all()
    assert (await desk.lessons.queue_due()).queued == 0  # and after
    await desk.send_all()
    sent = await lessons_sent(desk)
    assert len(sent) == 2 == len(set(sent))
    # Each row Telegram saw once: no message to the guardian went twice.
    rows = [r for r in await desk.rows() if r.chat_id == GUARDIAN and r.status == "sent"]
    assert len(desk.telegram.to(GUARDIAN)) == len(rows)


async def test_a_lesson_due_during_a_conversation_waits_for_its_end(desk: Desk) -> None:
    await desk.person(GUARDIAN, Role.GUARDIAN)
    await desk.lessons.set_schedule(Who(GUARDIAN), "6", "19")
    await desk.send_all()
    await desk.staff(9001)
    await desk.helpline.hear(Who(GUARDIAN), CRITICAL)
    await desk.send_all()
    before = len(await lessons_sent(desk))
    desk.clock.at = await next_due(desk)
    await desk.lessons.queue_due()
    await desk.send_all()
    assert len(await lessons_sent(desk)) == before  # held while the case is open
    topic = (await desk.case()).topic_id
    here = Place(STAFF_CHAT, topic)
    await desk.casework.claim(9001, here, 1)
    await desk.casework.close(9001, here, 1, "supported", "已联系")
    await desk.send_all()
    assert len(await lessons_sent(desk)) == before + 1
