"""Case buttons and commands guarded against what outlives a card (issue 16, items 1 and 5).

- An id is never reused: after a /delete, the next child's case is not C-0001 again, so an
  old button in the first child's topic cannot act on it.
- A button acts only where its case is: its own topic (the general thread while it has none),
  or, for ✋, the presser's own chat with the bot.
- Re-tier: the holder or a supervisor, with a reason; lowering red, a supervisor.
- A red or orange case closes only by `/close <outcome> <note>`.
- A supervisor's release is theirs on the record; the card's buttons follow the case.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.domain.cases import Case, CaseStatus, CloseOutcome, EventKind, Tier
from bot.domain.people import (
    ConsentStatus,
    Person,
    PersonStatus,
    Role,
    ServicePointKind,
    new_person_code,
)
from tests.e2e.chat import buttons, last_message_id, press
from tests.e2e.crisis import CRITICAL, ROOMY, case_card, make_staff, started, toast_text
from tests.e2e.harness import World, running_world
from tests.e2e.people import registered
from tests.e2e.watch import ANSWER_WITHIN, quiet, snapshot, unchanged_by


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    async with running_world(db_url, **ROOMY) as w:
        yield w


async def case_of(world: World, case_id: int) -> Case:
    async with world.uow() as u:
        case = await u.cases.by_id(case_id)
    assert case is not None
    return case


async def until(world: World, case_id: int, check: Any) -> Case:
    """The case once `check(case)` holds: commands are handled a moment after they are sent."""
    for _ in range(200):
        case = await case_of(world, case_id)
        if check(case):
            return case
        await asyncio.sleep(0.05)
    raise AssertionError(f"case {case_id} never got there: {case}")


async def events(world: World, case_id: int) -> list[tuple[EventKind, int | None, Any]]:
    async with world.uow() as u:
        return [(k, actor, data) for _, k, actor, data in await u.cases.events(case_id)]


async def crisis(world: World, uid: int, code: str) -> dict[str, Any]:
    await world.sb.send_text(uid, CRITICAL)
    await world.sb.wait_for(uid, lambda m: True, ANSWER_WITHIN)
    return await case_card(world, code)


async def keyboard(world: World, message: dict[str, Any]) -> list[str]:
    """The buttons a message shows now (edits included)."""
    for found in await world.sb.messages(message["chat"]["id"]):
        if found["message_id"] == message["message_id"]:
            return buttons(found)
    return []


async def shows(world: World, message: dict[str, Any], label: str, present: bool) -> None:
    """Wait until the message's buttons do (or do not) include `label`: edits land a moment
    after the toast."""
    for _ in range(100):
        if (any(label in b for b in await keyboard(world, message))) == present:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{label!r} {'missing from' if present else 'still on'} the message")


async def test_an_old_button_never_acts_on_the_next_childs_case(world: World) -> None:
    """Child A's case is closed and A is deleted; child B's crisis opens a new case. The
    buttons still in A's topic refer to A's case, which is gone: B's red case is untouched.
    Before, B's case got id 1 and code C-0001 again, and "close as no contact" ended it."""
    await make_staff(world, world.counsellor)
    lee, chat = world.counsellor["id"], world.staff_chat_id
    a_uid, _ = await registered(world, "小红", Role.CHILD)
    await world.sb.send_text(a_uid, "/help")  # asks for a counsellor: a yellow case
    card_a = await case_card(world, "C-0001")
    await press(world, lee, chat, card_a["message_id"], "case:closeas:1:supported")
    await until(world, 1, lambda c: c.status is CaseStatus.CLOSED)
    await world.sb.mark()
    await world.sb.send_text(a_uid, "/delete")
    await world.sb.wait_for(a_uid, lambda m: bool(buttons(m)))
    await world.press(a_uid, "🗑 是的，删除我的数据")
    await world.sb.wait_for(a_uid, lambda m: "删掉了" in (m.get("text") or ""))

    b_uid = await world.user("小明")
    await world.sb.send_text(b_uid, CRITICAL)
    await world.sb.wait_for(b_uid, lambda m: True, ANSWER_WITHIN)
    b = await world.person(b_uid)
    async with world.uow() as u:
        b_case = await u.cases.open_for(b.id or 0) if b else None
    assert b_case is not None and b_case.tier is Tier.RED
    await quiet(world)
    before = await snapshot(world)
    # The old buttons in A's topic, as a counsellor who scrolled up would press them.
    toasts = [
        await press(world, lee, chat, card_a["message_id"], data)
        for data in (
            "case:claim:1",
            "case:settier:1:green",
            "case:reopen:1",
            "case:close:1",
            "case:closeas:1:no_contact",
        )
    ]
    assert (await case_of(world, b_case.id)).status is CaseStatus.WAITING
    assert b_case.code == "C-0002"
    assert toasts == [toast_text(world, "toast.case.gone")] * 5, toasts
    await unchanged_by(world, before)


async def test_a_button_acts_only_in_its_own_cases_topic(world: World) -> None:
    await make_staff(world, world.counsellor)
    await make_staff(world, world.admin, Role.SUPERVISOR)
    lee, chat = world.counsellor["id"], world.staff_chat_id
    card1 = await crisis(world, await world.user("小红"), "C-0001")
    card2 = await crisis(world, await world.user("小明"), "C-0002")
    await press(world, lee, chat, card1["message_id"], "case:claim:1")
    resource = world.app.services.casework.directory.for_region(None)[0].id
    await press(world, lee, chat, card1["message_id"], f"case:referto:1:{resource}")
    await world.sb.send_text(lee, "/queue", chat)
    queue = await world.sb.wait_for_text(chat, "队列", timeout=ANSWER_WITHIN)
    assert "message_thread_id" not in queue  # the general thread
    async with world.uow() as u:
        (referral,) = await u.cases.referrals(1)
        admin = await u.staff.by_telegram_id(world.admin["id"])
    assert admin is not None
    canned = next(iter(world.app.services.casework.canned))
    await quiet(world)
    before = await snapshot(world)
    wrong = toast_text(world, "toast.case.wrong_place", code="C-0001")
    for elsewhere in (card2, queue):
        for data in (
            "case:release:1",
            "case:closeas:1:supported",
            "case:settier:1:orange",
            f"case:xferto:1:{admin.person_id}",
            "case:card:1",
            "case:tier:1",
            "case:close:1",
            "case:refer:1",
            f"case:referto:1:{resource}",
            "case:fuin:1:3",
            f"canned:1:{canned}",
            f"ref:{referral.id}:accepted",
        ):
            toast = await press(world, lee, chat, elsewhere["message_id"], data)
            assert toast == wrong, (data, toast)
    await unchanged_by(world, before)
    # In its own topic the same button works, and ⏭ works anywhere in the chat.
    assert await press(world, lee, chat, card1["message_id"], "case:card:1") == ""
    assert "C-0002" in await press(
        world, world.admin["id"], chat, queue["message_id"], "case:next"
    )


async def test_claim_from_the_direct_message_in_ones_own_chat(world: World) -> None:
    """An on-duty counsellor gets a direct message about a new red case with ✋: pressed in
    their own chat with the bot, it claims; nothing else does."""
    await make_staff(world, world.counsellor)
    lee = world.counsellor["id"]
    await started(world, world.counsellor)
    child = await world.user("小红")
    card = await crisis(world, child, "C-0001")
    await quiet(world)
    (direct,) = [m for m in await world.sb.bot_messages(lee) if "C-0001" in (m.get("text") or "")]
    assert "✋ 认领" in buttons(direct)
    dm = direct["message_id"]
    before = await snapshot(world)
    stale = toast_text(world, "toast.stale")
    # Not the case's other buttons, and not by anyone else in their own chat.
    assert await press(world, lee, lee, dm, "case:release:1") == stale
    assert await press(world, lee, lee, dm, "case:closeas:1:no_contact") == stale
    mine = await last_message_id(world, child)
    assert await press(world, child, child, mine, "case:claim:1") == stale
    await unchanged_by(world, before)
    claimed = await press(world, lee, lee, dm, "case:claim:1")
    assert "C-0001" in claimed, claimed
    async with world.uow() as u:
        me = await u.staff.by_telegram_id(lee)
    case = await case_of(world, 1)
    assert me is not None and case.claimed_by == me.person_id
    # The card in the topic now offers ↩, not ✋.
    await shows(world, card, "✋", present=False)
    assert any("↩" in b for b in await keyboard(world, card))


async def test_retier_needs_the_holder_or_a_supervisor_and_a_reason(world: World) -> None:
    wang = await world.sb.create_user("Counsellor Wang", "zh-hans")
    chat = world.staff_chat_id
    await world.sb.join(wang["id"], chat)
    await make_staff(world, world.counsellor)
    await make_staff(world, wang)
    await make_staff(world, world.admin, Role.SUPERVISOR)
    lee, w, lead = world.counsellor["id"], wang["id"], world.admin["id"]
    card1 = await crisis(world, await world.user("小红"), "C-0001")
    card2 = await crisis(world, await world.user("小明"), "C-0002")
    asker = await world.user("小华")
    await world.sb.send_text(asker, "/help")
    card3 = await case_card(world, "C-0003")
    assert (await case_of(world, 3)).tier is Tier.YELLOW
    await press(world, lee, chat, card1["message_id"], "case:claim:1")
    await quiet(world)
    before = await snapshot(world)
    not_yours = toast_text(world, "toast.case.not_yours")
    lower_red = toast_text(world, "toast.case.lower_red")
    # A colleague's claimed case: not Wang's to re-tier, by button or command.
    assert await press(world, w, chat, card1["message_id"], "case:settier:1:yellow") == not_yours
    await world.sb.send_text(w, "/tier yellow 我觉得没事", chat, card1["message_thread_id"])
    await world.sb.wait_for_text(chat, not_yours, ANSWER_WITHIN, card1["message_thread_id"])
    # A red case, held or waiting, is lowered only by a supervisor.
    assert await press(world, lee, chat, card1["message_id"], "case:settier:1:green") == lower_red
    assert await press(world, w, chat, card2["message_id"], "case:settier:2:green") == lower_red
    await world.sb.send_text(w, "/tier green 打错了", chat, card2["message_thread_id"])
    await world.sb.wait_for_text(chat, lower_red, ANSWER_WITHIN, card2["message_thread_id"])
    # Raising is anyone's on a waiting case, but never without a reason.
    asked = await press(world, w, chat, card3["message_id"], "case:settier:3:orange")
    assert "/tier 橙" in asked, asked  # as a Chinese counsellor types it (issue 19)
    await unchanged_by(world, before)
    assert [(await case_of(world, n)).tier for n in (1, 2, 3)] == [Tier.RED, Tier.RED, Tier.YELLOW]

    await world.sb.send_text(w, "/tier orange 提到家里有暴力", chat, card3["message_thread_id"])
    await until(world, 3, lambda c: c.tier is Tier.ORANGE)
    await world.sb.send_text(
        lead, "/tier orange 已联系家人，有人陪", chat, card1["message_thread_id"]
    )
    await until(world, 1, lambda c: c.tier is Tier.ORANGE)
    async with world.uow() as u:
        wang_staff = await u.staff.by_telegram_id(w)
        lead_staff = await u.staff.by_telegram_id(lead)
    assert wang_staff is not None and lead_staff is not None
    retiered = [(actor, d) for k, actor, d in await events(world, 3) if k is EventKind.RETIERED]
    assert retiered == [
        (
            wang_staff.person_id,
            {"before": "yellow", "after": "orange", "reason": "提到家里有暴力"},
        )
    ]
    lowered = [(actor, d) for k, actor, d in await events(world, 1) if k is EventKind.RETIERED]
    assert lowered == [
        (
            lead_staff.person_id,
            {"before": "red", "after": "orange", "reason": "已联系家人，有人陪"},
        )
    ]


async def test_closing_red_or_orange_takes_a_confirmation_and_a_note(world: World) -> None:
    await make_staff(world, world.counsellor)
    lee, chat = world.counsellor["id"], world.staff_chat_id
    child = await world.user("小红")
    card = await crisis(world, child, "C-0001")
    thread = card["message_thread_id"]
    await quiet(world)
    before = await snapshot(world)
    for outcome in CloseOutcome:
        toast = await press(world, lee, chat, card["message_id"], f"case:closeas:1:{outcome}")
        assert f"/close {outcome.value}" in toast, toast
    await world.sb.send_text(lee, "/close no_contact", chat, thread)
    await world.sb.wait_for_text(chat, "/close no_contact", ANSWER_WITHIN, thread)
    await world.sb.send_text(lee, "/close 关闭 说明", chat, thread)
    await world.sb.wait_for_text(chat, "用法", ANSWER_WITHIN, thread)
    await unchanged_by(world, before)
    assert (await case_of(world, 1)).status is CaseStatus.WAITING

    await world.sb.send_text(lee, "/close no-contact 三次联系不上，已转给社工上门", chat, thread)
    case = await until(world, 1, lambda c: c.status is CaseStatus.CLOSED)
    assert case.outcome is CloseOutcome.NO_CONTACT
    closed = [d for k, _, d in await events(world, 1) if k is EventKind.CLOSED]
    assert closed == [{"outcome": "no_contact", "note": "三次联系不上，已转给社工上门"}]
    await shows(world, card, "🔁", present=True)  # the card follows: reopen, nothing else


async def test_a_supervisors_release_is_theirs_and_the_card_keeps_up(world: World) -> None:
    await make_staff(world, world.counsellor)
    await make_staff(world, world.admin, Role.SUPERVISOR)
    lee, lead, chat = world.counsellor["id"], world.admin["id"], world.staff_chat_id
    card = await crisis(world, await world.user("小红"), "C-0001")
    thread = card["message_thread_id"]
    await press(world, lee, chat, card["message_id"], "case:claim:1")
    assert await press(world, lead, chat, card["message_id"], "case:release:1") == toast_text(
        world, "toast.case.released"
    )
    released = await world.sb.wait_for_text(chat, "督导 Admin", ANSWER_WITHIN, thread)
    assert "退回队列" in released["text"]
    async with world.uow() as u:
        admin = await u.staff.by_telegram_id(lead)
    assert admin is not None
    back = [(actor, d) for k, actor, d in await events(world, 1) if k is EventKind.RELEASED]
    assert back == [(admin.person_id, {"why": "by_supervisor"})]

    # Re-claimed from the release notice: the card, further up, shows ↩ again, not ✋.
    await shows(world, card, "✋", present=True)
    assert "C-0001" in await press(world, lee, chat, released["message_id"], "case:claim:1")
    await shows(world, card, "✋", present=False)
    # Taken back by the counsellor herself, then by /next: the same.
    await press(world, lee, chat, card["message_id"], "case:release:1")
    await shows(world, card, "✋", present=True)
    await world.sb.send_text(lee, "/next", chat)
    await until(world, 1, lambda c: c.status is CaseStatus.CLAIMED)
    await shows(world, card, "✋", present=False)
    # Put back by the timer, which edits nothing: the next press on ↩ brings the card up
    # to date instead of doing what the case no longer allows.
    world.clock.advance(minutes=11)
    assert (await world.app.services.duty.tick())["release"] == 1
    moved_on = toast_text(world, "toast.case.moved_on")
    assert await press(world, lee, chat, card["message_id"], "case:release:1") == moved_on
    await shows(world, card, "✋", present=True)


async def test_a_case_without_a_topic_is_worked_in_the_general_thread(world: World) -> None:
    """Topic creation failed (the group is no forum): the card is in the general thread, which
    is then the case's place, for buttons and for commands naming the case."""
    await make_staff(world, world.counsellor)
    lee = world.counsellor["id"]
    plain = await world.sb.create_group("站点", [lee], is_forum=False, admin_ids=[lee])
    chat = int(plain["id"])
    uid = await world.user("小红")
    async with world.uow() as u:
        sp = await u.service_points.add("SP-P", "站点", ServicePointKind.OTHER, staff_chat_id=chat)
        await u.people.add(
            Person(
                telegram_id=uid,
                locale="zh_Hans",
                code=new_person_code(),
                role=Role.CHILD,
                status=PersonStatus.ACTIVE,
                consent=ConsentStatus.GIVEN,
                service_point_id=sp.id,
            )
        )
        await u.commit()
    await world.sb.send_text(uid, CRITICAL)
    await world.sb.wait_for(uid, lambda m: True, ANSWER_WITHIN)
    for _ in range(100):
        await world.app.services.duty.tick()
        found = [m for m in await world.sb.bot_messages(chat) if "C-0001" in (m.get("text") or "")]
        if found and buttons(found[0]):
            break
        await asyncio.sleep(0.1)
    card = found[0]
    assert "message_thread_id" not in card and (await case_of(world, 1)).topic_id is None
    assert "C-0001" in await press(world, lee, chat, card["message_id"], "case:claim:1")
    await world.sb.mark()
    await world.sb.send_text(lee, "/close supported 已联系家人", chat)  # which case?
    await world.sb.wait_for(chat, lambda m: "/close" not in (m.get("text") or ""), ANSWER_WITHIN)
    assert (await case_of(world, 1)).status is CaseStatus.CLAIMED
    await world.sb.send_text(lee, "/close C-0001 supported 已联系家人", chat)
    case = await until(world, 1, lambda c: c.status is CaseStatus.CLOSED)
    assert case.outcome is CloseOutcome.SUPPORTED
