"""The counsellor's side, called as the staff handlers call it: one winner of a race, and
every guard that turns a press away leaves the case as it was."""

from __future__ import annotations

import asyncio

import pytest

from bot.domain.cases import CaseStatus, EventKind
from bot.domain.people import Role
from bot.domain.permissions import StaffAction
from bot.services.casework import Place
from bot.services.common import Who
from tests.usecases.desk import CRITICAL, OTHER_CHAT, STAFF_CHAT, Desk

CHILD = 501
LI, WANG, SUPERVISOR, STRANGER = 9001, 9002, 9003, 9999


@pytest.fixture
async def topic(desk: Desk) -> int:
    """A red case (C-0001) whose topic exists, and two counsellors and a supervisor on staff."""
    await desk.staff(LI)
    await desk.staff(WANG)
    await desk.staff(SUPERVISOR, Role.SUPERVISOR)
    await desk.helpline.hear(Who(CHILD), CRITICAL)
    await desk.send_all()
    thread = (await desk.case()).topic_id
    assert thread is not None
    return thread


async def claimed_events(desk: Desk, case_id: int = 1) -> int:
    async with desk.uow() as u:
        return [e[1] for e in await u.cases.events(case_id)].count(EventKind.CLAIMED)


async def test_two_claims_at_once_make_one_winner(desk: Desk, topic: int) -> None:
    here = Place(STAFF_CHAT, topic)
    results = await asyncio.gather(
        desk.casework.claim(LI, here, 1), desk.casework.claim(WANG, here, 1)
    )
    toasts = sorted(r.toast for r in results)
    assert toasts == ["toast.case.claimed", "toast.case.taken"]
    loser = next(r for r in results if r.toast == "toast.case.taken")
    assert loser.alert and loser.toast_data["name"] in ("老师9001", "老师9002")
    assert await claimed_events(desk) == 1
    case = await desk.case()
    assert case.status is CaseStatus.CLAIMED and loser.toast_data["name"] != ""


async def test_the_claim_from_a_private_alert_takes_the_case_and_drops_its_button(
    desk: Desk, topic: int
) -> None:
    result = await desk.casework.claim(LI, Place(LI), 1)
    assert result.toast == "toast.case.claimed" and result.menu == ()
    assert (await desk.case()).status is CaseStatus.CLAIMED


@pytest.mark.parametrize(
    ("who", "where", "toast"),
    [
        (STRANGER, "topic", "toast.case.not_staff"),  # not staff: nobody here
        (STRANGER, "private", "toast.stale"),  # a forged button tells a stranger nothing
        (LI, "general", "toast.case.wrong_place"),  # another thread than the case's topic
    ],
)
async def test_a_claim_from_the_wrong_person_or_place_changes_nothing(
    desk: Desk, topic: int, who: int, where: str, toast: str
) -> None:
    place = {
        "topic": Place(STAFF_CHAT, topic),
        "private": Place(who),
        "general": Place(STAFF_CHAT, None),
    }[where]
    result = await desk.casework.claim(who, place, 1)
    assert result.toast == toast
    assert (await desk.case()).status is CaseStatus.WAITING
    assert await claimed_events(desk) == 0


async def test_another_groups_case_is_gone_from_here(desk: Desk, topic: int) -> None:
    sp = await desk.other_point()
    await desk.person(502, service_point_id=sp)
    await desk.helpline.hear(Who(502), CRITICAL)
    other = await desk.case(2)
    assert other.staff_chat_id == OTHER_CHAT
    result = await desk.casework.claim(LI, Place(STAFF_CHAT, topic), 2)
    assert result.toast == "toast.case.gone"
    assert (await desk.case(2)).status is CaseStatus.WAITING


async def test_claimed_cases_refuse_a_second_claim_and_a_colleagues_release(
    desk: Desk, topic: int
) -> None:
    here = Place(STAFF_CHAT, topic)
    assert (await desk.casework.claim(LI, here, 1)).toast == "toast.case.claimed"
    assert (await desk.casework.claim(LI, here, 1)).toast == "toast.case.yours"
    assert (await desk.casework.release(WANG, here, 1)).toast == "toast.case.not_yours"
    assert (await desk.case()).claimed_by is not None
    # A supervisor may take it back into the queue.
    assert (await desk.casework.release(SUPERVISOR, here, 1)).toast == "toast.case.released"
    case = await desk.case()
    assert case.status is CaseStatus.WAITING and case.claimed_by is None
    # A button from the claimed state, pressed now: it has moved on.
    assert (await desk.casework.release(LI, here, 1)).toast == "toast.case.moved_on"


async def test_the_claim_cap_holds(desk: Desk, topic: int) -> None:
    for n in range(desk.targets.max_claims):
        await desk.helpline.hear(Who(600 + n), CRITICAL)
    await desk.send_all()
    for case_id in range(2, 2 + desk.targets.max_claims):
        thread = (await desk.case(case_id)).topic_id
        result = await desk.casework.claim(LI, Place(STAFF_CHAT, thread), case_id)
        assert result.toast == "toast.case.claimed"
    result = await desk.casework.claim(LI, Place(STAFF_CHAT, topic), 1)
    assert result.toast == "toast.case.cap" and result.alert
    assert (await desk.case()).status is CaseStatus.WAITING


async def test_talking_needs_the_claim_and_then_reaches_the_child(desk: Desk, topic: int) -> None:
    cw = desk.casework
    assert await cw.topic_text(STRANGER, STAFF_CHAT, topic, "你好") == "ignored"
    assert await cw.topic_text(LI, STAFF_CHAT, topic, "你好") == "helpline/staff_claim_first"
    assert await desk.rows("case:1:out:") == []
    await cw.claim(LI, Place(STAFF_CHAT, topic), 1)
    assert await cw.topic_text(WANG, STAFF_CHAT, topic, "你好") == "helpline/staff_claim_first"
    assert await cw.topic_text(LI, STAFF_CHAT, topic, "你好，我在这里。") is None
    (out,) = await desk.rows("case:1:out:")
    assert (out.chat_id, out.kind) == (CHILD, "case_out")
    await desk.send_all()
    said = desk.telegram.to(CHILD)[-1]
    assert said.template == "helpline/relay_out" and said.data["body"] == "你好，我在这里。"
    # A note stays in the record, never with the child.
    assert await cw.topic_text(LI, STAFF_CHAT, topic, "! 孩子很紧张") is None
    assert len(await desk.rows("case:1:out:")) == 1
    assert (await desk.case()).first_response_at is not None


async def test_closing_a_red_case_asks_for_a_note_then_closes_once(desk: Desk, topic: int) -> None:
    here = Place(STAFF_CHAT, topic)
    await desk.casework.claim(LI, here, 1)
    assert (await desk.casework.close(WANG, here, 1, "supported")).toast == "toast.case.not_yours"
    assert (await desk.casework.close(LI, here, 1, "no_such")).toast == "toast.case.gone"
    confirm = await desk.casework.close(LI, here, 1, "supported")
    assert confirm.toast == "toast.case.close_confirm"
    assert (await desk.case()).status is CaseStatus.CLAIMED
    closed = await desk.casework.close(LI, here, 1, "supported", "已联系家长")
    assert closed.toast == "toast.case.closed"
    assert (await desk.case()).status is CaseStatus.CLOSED
    # Everything pressed on a closed case is turned away, and it closes only once.
    assert (await desk.casework.close(LI, here, 1, "supported", "再次")).toast == "toast.case.gone"
    assert (await desk.casework.claim(WANG, here, 1)).toast == "toast.case.gone"
    assert (await desk.casework.release(LI, here, 1)).toast == "toast.case.gone"
    assert (await desk.casework.menu_for(LI, here, 1, "tier")).toast == "toast.case.gone"
    async with desk.uow() as u:
        kinds = [e[1] for e in await u.cases.events(1)]
    assert kinds.count(EventKind.CLOSED) == 1


async def test_reopening_is_only_for_a_closed_case(desk: Desk, topic: int) -> None:
    here = Place(STAFF_CHAT, topic)
    assert (await desk.casework.reopen(LI, here, 1)).toast == "toast.case.moved_on"
    await desk.casework.claim(LI, here, 1)
    await desk.casework.close(LI, here, 1, "supported", "好了")
    assert (await desk.casework.reopen(WANG, here, 1)).toast == "toast.case.reopened"
    case = await desk.case()
    assert case.status is CaseStatus.CLAIMED and case.closed_at is None


async def test_a_role_without_the_action_is_told_so(desk: Desk, topic: int) -> None:
    await desk.staff(9004, Role.TOWNSHIP)
    refusal = await desk.casework.refusal(9004, STAFF_CHAT, StaffAction.CLAIM)
    assert refusal is not None and refusal.toast == "toast.role.township"
    assert await desk.casework.refusal(LI, STAFF_CHAT, StaffAction.CLAIM) is None
    # Anyone who is not staff here is turned away by the action's own checks.
    assert await desk.casework.refusal(STRANGER, STAFF_CHAT, StaffAction.CLAIM) is None


async def test_next_takes_the_top_of_the_queue_until_it_is_empty(desk: Desk, topic: int) -> None:
    assert (await desk.casework.take_next(STRANGER, STAFF_CHAT)).toast == "toast.case.not_staff"
    assert (await desk.casework.take_next(LI, STAFF_CHAT)).toast == "toast.case.claimed"
    assert (await desk.casework.take_next(WANG, STAFF_CHAT)).toast == "toast.case.queue_empty"
