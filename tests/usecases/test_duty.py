"""On and off duty, as /onduty and /offduty call it, and what a child is told because of it."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.cases import CaseStatus
from bot.domain.people import Role
from bot.services.casework import Place
from bot.services.common import Who
from tests.usecases.desk import CRITICAL, STAFF_CHAT, Desk

LI, SUPERVISOR, STRANGER = 9001, 9003, 9999


async def on_duty(desk: Desk) -> list[int]:
    async with desk.uow() as u:
        return [s.telegram_id for s in await u.staff.active() if s.on_duty]


async def test_on_and_off_duty_change_the_roster_and_say_so(desk: Desk) -> None:
    await desk.staff(LI, on_duty=False)
    assert await desk.duty.set_duty(LI, STAFF_CHAT, None, on=True)
    assert await on_duty(desk) == [LI]
    assert await desk.duty.set_duty(LI, STAFF_CHAT, None, on=False)
    assert await on_duty(desk) == []
    await desk.send_all()
    said = [r.data for r in desk.telegram.to(STAFF_CHAT) if r.template == "helpline/staff_duty"]
    assert [(d["on"], d["count"]) for d in said] == [(True, 1), (False, 0)]


async def test_only_staff_in_a_staff_chat_go_on_duty(desk: Desk) -> None:
    await desk.staff(LI, on_duty=False)
    assert not await desk.duty.set_duty(STRANGER, STAFF_CHAT, None, on=True)
    assert not await desk.duty.set_duty(LI, -5555, None, on=True)  # not a staff chat
    assert await on_duty(desk) == []
    assert await desk.rows() == []


async def test_with_nobody_on_duty_the_child_is_told_and_supervisors_are_paged(
    desk: Desk,
) -> None:
    await desk.staff(LI, on_duty=False)
    await desk.staff(SUPERVISOR, Role.SUPERVISOR, on_duty=False)
    heard = await desk.helpline.hear(Who(501), CRITICAL)
    assert heard.outcome.replies[0].data["staffed"] is False
    assert await desk.rows("dm:") == []  # nobody on duty to alert
    (page,) = await desk.rows("page:1:")
    assert page.chat_id == SUPERVISOR


async def test_on_duty_the_counsellor_is_alerted_in_private(desk: Desk) -> None:
    await desk.staff(LI, on_duty=False)
    await desk.duty.set_duty(LI, STAFF_CHAT, None, on=True)
    heard = await desk.helpline.hear(Who(501), CRITICAL)
    assert heard.outcome.replies[0].data["staffed"] is True
    (dm,) = await desk.rows("dm:1:")
    assert dm.chat_id == LI


async def test_timers_realert_a_waiting_red_case_and_return_a_silent_claim(desk: Desk) -> None:
    await desk.staff(LI)
    await desk.helpline.hear(Who(501), CRITICAL)
    await desk.send_all()
    desk.clock.advance(minutes=6)  # past red's five-minute target
    assert (await desk.duty.tick())["realert"] == 1
    assert (await desk.duty.tick())["realert"] == 0  # once
    topic = (await desk.case()).topic_id
    await desk.casework.claim(LI, Place(STAFF_CHAT, topic), 1)
    desk.clock.advance(minutes=desk.targets.claimed_silence / timedelta(minutes=1) + 1)
    assert (await desk.duty.tick())["release"] == 1
    case = await desk.case()
    assert case.status is CaseStatus.WAITING and case.claimed_by is None
