"""The helpline end to end: a child's message, the staff chat, claims, relay, close."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.domain.cases import CaseStatus, CloseOutcome, EventKind, Tier
from bot.domain.people import Role
from tests.e2e.chat import buttons
from tests.e2e.crisis import (
    CRITICAL,
    ROOMY,
    ROUND_THE_CLOCK,
    canned_media_and_merging,
    case_card,
    make_staff,
    open_case,
    press_in_staff,
    started,
)
from tests.e2e.harness import World, running_world


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    async with running_world(db_url, **ROOMY) as w:
        yield w


async def the_case(world: World) -> Any:
    async with world.uow() as u:
        return await u.cases.by_id(1)


async def test_critical_message_gets_safety_reply_and_a_case_card_in_a_topic(world: World) -> None:
    await make_staff(world, world.counsellor)
    child = await world.user("小明")
    await world.sb.send_text(child, CRITICAL)
    reply = await world.sb.wait_for(child, lambda m: True)
    # Discreet first line: it never repeats what the child disclosed.
    assert reply["text"].startswith("谢谢你告诉我") and "自杀" not in reply["text"].split("\n")[0]
    assert "110" in reply["text"] and "12356" in reply["text"]
    assert buttons(reply) == ["我现在安全", "我现在不安全"]
    card = await case_card(world)
    topics = await world.sb.topics(world.staff_chat_id)
    assert any("C-0001" in t["name"] and "🔴" in t["name"] for t in topics)
    assert card.get("message_thread_id") == topics[-1]["message_thread_id"]
    assert "✋" in " ".join(buttons(card))
    case = await the_case(world)
    assert case.tier is Tier.RED and case.status is CaseStatus.WAITING
    assert "suicide" in case.categories


async def test_two_counsellors_race_to_claim_and_exactly_one_wins(world: World) -> None:
    other = await world.sb.create_user("Counsellor Wang", "zh-hans")
    await world.sb.join(other["id"], world.staff_chat_id)
    await make_staff(world, world.counsellor)
    await make_staff(world, other)
    _, card = await open_case(world)
    data = next(
        b["callback_data"]
        for row in card["reply_markup"]["inline_keyboard"]
        for b in row
        if b["callback_data"].startswith("case:claim:")
    )
    q1, q2 = await asyncio.gather(
        world.sb.press(world.counsellor["id"], world.staff_chat_id, card["message_id"], data),
        world.sb.press(other["id"], world.staff_chat_id, card["message_id"], data),
    )
    a1, a2 = await asyncio.gather(
        world.sb.wait_callback_answer(q1), world.sb.wait_callback_answer(q2)
    )
    texts = sorted([a1["text"], a2["text"]])
    assert sum("已由" in t for t in texts) == 1, texts  # the loser is told who has it
    assert sum("C-0001" in t and "由" not in t for t in texts) == 1, texts
    async with world.uow() as u:
        events = [e[1] for e in await u.cases.events(1)]
    assert events.count(EventKind.CLAIMED) == 1


async def test_relay_both_ways_under_a_pseudonym_and_notes_stay_private(world: World) -> None:
    number = await make_staff(world, world.counsellor)
    child, card = await open_case(world)
    assert "C-0001" in await press_in_staff(world, world.counsellor, card, "✋")
    thread = card["message_thread_id"]
    await world.sb.send_text(
        world.counsellor["id"], "你好，我在这里。", world.staff_chat_id, thread
    )
    got = await world.sb.wait_for_text(child, "你好，我在这里。")
    assert got["text"].startswith(f"心理老师 {number}") and "Counsellor Li" not in got["text"]
    await world.sb.send_text(world.counsellor["id"], "! 孩子很紧张", world.staff_chat_id, thread)
    await world.sb.send_text(child, "我有点害怕")
    relayed = await world.sb.wait_for_text(world.staff_chat_id, "我有点害怕", thread_id=thread)
    assert relayed["message_thread_id"] == thread
    texts = [m.get("text") or "" for m in await world.sb.messages(child)]
    assert not any("孩子很紧张" in t for t in texts)
    for _ in range(50):  # updates are handled concurrently: the note may land last
        async with world.uow() as u:
            messages = await u.cases.messages(1)
            case = await u.cases.by_id(1)
        if any(m.direction == "note" for m in messages):
            break
        await asyncio.sleep(0.1)
    assert [m.direction for m in messages].count("note") == 1
    assert case is not None and case.first_response_at is not None


async def test_transfer_then_close_with_outcome_tells_the_child(world: World) -> None:
    other = await world.sb.create_user("Counsellor Wang", "zh-hans")
    await world.sb.join(other["id"], world.staff_chat_id)
    await make_staff(world, world.counsellor)
    await make_staff(world, other)
    child, card = await open_case(world)
    await press_in_staff(world, world.counsellor, card, "✋")
    await press_in_staff(world, world.counsellor, card, "转交")
    await press_in_staff(world, world.counsellor, card, "Counsellor Wang")
    await world.sb.wait_for_text(world.staff_chat_id, "转交给 Counsellor Wang")
    case = await the_case(world)
    async with world.uow() as u:
        wang = await u.staff.by_telegram_id(other["id"])
    assert wang is not None and case.claimed_by == wang.person_id
    # The first counsellor may no longer close it; the new one may.
    await press_in_staff(world, world.counsellor, card, "关闭")
    refused = await press_in_staff(world, world.counsellor, card, "已支持")
    assert "同事" in refused
    # A red case is not closed by a tap: the outcome button says how to confirm it...
    confirm = await press_in_staff(world, other, card, "已支持")
    assert "/close supported" in confirm and "说明" in confirm, confirm
    assert (await the_case(world)).status is CaseStatus.CLAIMED
    # ...which is the command, with a note on what happened.
    thread = card["message_thread_id"]
    await world.sb.send_text(other["id"], "/close supported", world.staff_chat_id, thread)
    await world.sb.wait_for_text(world.staff_chat_id, "/close supported", thread_id=thread)
    assert (await the_case(world)).status is CaseStatus.CLAIMED
    note = "已联系家人，孩子今晚有人陪"
    await world.sb.send_text(other["id"], f"/close supported {note}", world.staff_chat_id, thread)
    await world.sb.wait_for_text(child, "对话先到这里")
    closed_post = await world.sb.wait_for_text(world.staff_chat_id, note, thread_id=thread)
    assert "Counsellor Wang" in closed_post["text"]
    case = await the_case(world)
    assert case.status is CaseStatus.CLOSED and case.outcome is CloseOutcome.SUPPORTED
    async with world.uow() as u:
        closing = [d for _, k, _, d in await u.cases.events(1) if k is EventKind.CLOSED]
    assert closing == [{"outcome": "supported", "note": note}]
    texts = [m.get("text") or "" for m in await world.sb.messages(child)]
    assert not any(note in t for t in texts)  # the note is the staff's, never the child's


async def test_non_staff_cannot_claim_or_read(world: World) -> None:
    await make_staff(world, world.counsellor)
    child, card = await open_case(world)
    toast = await press_in_staff(world, world.outsider, card, "✋")
    assert "staff" in toast.lower() or "工作人员" in toast
    await world.sb.send_text(
        world.outsider["id"], "hello child", world.staff_chat_id, card["message_thread_id"]
    )
    await world.sb.send_text(world.outsider["id"], "/queue", world.staff_chat_id)
    await asyncio.sleep(1.0)
    assert not any("hello child" in (m.get("text") or "") for m in await world.sb.messages(child))
    case = await the_case(world)
    assert case.status is CaseStatus.WAITING


async def test_referral_and_follow_up_reminder(world: World) -> None:
    await make_staff(world, world.counsellor)
    _, card = await open_case(world)
    await press_in_staff(world, world.counsellor, card, "✋")
    await press_in_staff(world, world.counsellor, card, "转介")
    await press_in_staff(world, world.counsellor, card, "12356")
    referral = await world.sb.wait_for_text(world.staff_chat_id, "转介")
    assert "对方已接受" in buttons(referral)
    await press_in_staff(world, world.counsellor, referral, "对方已接受")
    await press_in_staff(world, world.counsellor, card, "随访")
    await press_in_staff(world, world.counsellor, card, "3 天后")
    async with world.uow() as u:
        refs = await u.cases.referrals(1)
        fus = await u.cases.follow_ups_open()
    assert refs[0].status.value == "accepted" and len(fus) == 1
    world.clock.advance(days=3, minutes=1)
    done = await world.app.services.duty.tick()
    assert done["follow_up"] == 1
    # The staff group shares 20 messages a minute: this case has used its burst already.
    await world.sb.wait_for_text(world.staff_chat_id, "需要随访", timeout=20)
    assert (await world.app.services.duty.tick())["follow_up"] == 0  # reminded once


async def test_sla_realert_then_supervisor_page(world: World) -> None:
    await make_staff(world, world.counsellor)
    await make_staff(world, world.admin, Role.SUPERVISOR, on_duty=False)
    await started(world, world.admin)
    await open_case(world)
    duty = world.app.services.duty
    assert (await duty.tick())["realert"] == 0
    world.clock.advance(minutes=5, seconds=5)
    assert (await duty.tick())["realert"] == 1
    await world.sb.wait_for_text(world.staff_chat_id, "没有首次回复", timeout=20)
    assert (await duty.tick())["realert"] == 0  # once
    world.clock.advance(minutes=5)
    assert (await duty.tick())["supervisor"] == 1
    await world.sb.wait_for_text(world.admin["id"], "C-0001")


async def test_out_of_hours_the_child_is_told_honestly_and_supervisors_paged(db_url: str) -> None:
    async with running_world(db_url, **ROUND_THE_CLOCK) as world:
        await make_staff(world, world.counsellor, on_duty=False)
        await make_staff(world, world.admin, Role.SUPERVISOR, on_duty=False)
        await started(world, world.admin)
        child, _ = await open_case(world)
        first = (await world.sb.bot_messages(child))[0]["text"]
        assert "此刻没有心理老师值班" in first and "12356" in first
        await world.sb.wait_for_text(world.admin["id"], "C-0001")
        async with world.uow() as u:
            kinds = [e[1] for e in await u.cases.events(1)]
        assert EventKind.OUT_OF_HOURS in kinds


async def test_a_case_raised_to_red_out_of_hours_pages_the_supervisors(db_url: str) -> None:
    """Only a case that opened red paged anyone out of hours: a child whose orange case turned
    red at 3 a.m. (pressing 我现在不安全) reached no one until the morning."""
    from tests.e2e.chat import press_and_wait

    async with running_world(db_url, **ROUND_THE_CLOCK) as world:
        await make_staff(world, world.counsellor, on_duty=False)
        await make_staff(world, world.admin, Role.SUPERVISOR, on_duty=False)
        await started(world, world.admin)
        child = await world.user("小林")
        await world.say(child, "他用皮带抽我 身上好多红印子")  # abuse: an orange case
        person = await world.person(child)
        assert person is not None and person.id is not None
        async with world.uow() as u:
            case = await u.cases.open_for(person.id)
        assert case is not None and case.tier is Tier.ORANGE
        assert not [
            m
            for m in await world.sb.bot_messages(world.admin["id"])
            if "C-0001" in str(m.get("text"))
        ]
        await press_and_wait(world, child, "我现在不安全")
        page = await world.sb.wait_for_text(world.admin["id"], "C-0001")
        assert "C-0001" in page["text"]
        async with world.uow() as u:
            case = await u.cases.open_for(person.id)
        assert case is not None and case.tier is Tier.RED


async def test_staff_commands_roster_queue_and_take_next(world: World) -> None:
    await make_staff(world, world.admin, Role.SUPERVISOR)
    chat = world.staff_chat_id
    # A supervisor registers a colleague by replying to their message.
    hello = await world.sb.send_text(world.counsellor["id"], "大家好", chat)
    await world.sb.send_text(
        world.admin["id"], "/staff add counsellor 李老师", chat, reply_to=hello["message_id"]
    )
    added = await world.sb.wait_for_text(chat, "李老师 现在是 心理老师")
    assert "孩子看到的名字是“心理老师" in added["text"]  # the pseudonym children see
    # A counsellor may not manage staff; a stranger is not answered at all.
    await world.sb.send_text(world.counsellor["id"], "/staff add 999 supervisor X", chat)
    await world.sb.wait_for_text(chat, "只有督导")
    await world.sb.send_text(world.counsellor["id"], "/onduty", chat)
    duty = await world.sb.wait_for_text(chat, "李老师 开始值班")
    assert "当前值班（2 人）" in duty["text"]  # the supervisor and now 李老师
    await world.sb.send_text(world.admin["id"], "/offduty", chat)
    off = await world.sb.wait_for_text(chat, "结束值班")
    assert "当前值班（1 人）： 李老师" in off["text"]
    yellow = await world.user("小红")
    await world.sb.send_text(yellow, "/help")
    await world.sb.wait_for(yellow, lambda m: True)
    red = await world.user("小明")
    await world.sb.send_text(red, CRITICAL)
    await case_card(world, "C-0002")
    await world.sb.send_text(world.counsellor["id"], "/queue", chat)
    queue = await world.sb.wait_for_text(chat, "队列", timeout=20)
    assert queue["text"].index("C-0002") < queue["text"].index("C-0001")  # red before yellow
    await world.sb.send_text(world.counsellor["id"], "/next", chat)
    await world.sb.wait_for_text(chat, "C-0002 归你了", timeout=20)
    async with world.uow() as u:
        red_case = await u.cases.by_id(2)
        lee = await u.staff.by_telegram_id(world.counsellor["id"])
    assert red_case is not None and lee is not None and red_case.claimed_by == lee.person_id
    await world.sb.send_text(world.outsider["id"], "/staff list", chat)
    await world.sb.send_text(world.outsider["id"], "/next", chat)
    await asyncio.sleep(1.0)
    texts = [m.get("text") or "" for m in await world.sb.bot_messages(chat)]
    assert not any("工作人员" in t and "Someone" in t for t in texts)


async def test_canned_reply_media_and_merged_bursts(db_url: str) -> None:
    async with running_world(db_url, **ROUND_THE_CLOCK) as world:
        await canned_media_and_merging(world)


async def test_lessons_wait_while_a_case_is_open(world: World) -> None:
    from tests.e2e.people import enrol, lessons_received

    await make_staff(world, world.counsellor)
    uid = await world.user("李奶奶")
    await enrol(world, uid)
    await world.sb.wait_for(uid, lambda m: (m.get("text") or "").startswith("📖"))
    await world.sb.send_text(uid, "孙子说他不想活了，今晚要跳楼")
    card = await case_card(world)
    before = len(await lessons_received(world, uid))
    world.clock.advance(days=7)
    await world.app.services.lessons.queue_due()
    world.app.delivery.nudge()
    await asyncio.sleep(2.0)
    assert len(await lessons_received(world, uid)) == before  # held during the case
    await world.sb.send_text(
        world.counsellor["id"],
        "/close supported 孙子安全",
        world.staff_chat_id,
        card["message_thread_id"],
    )
    await world.sb.wait_for(uid, lambda m: (m.get("text") or "").startswith("📖"), timeout=20)
    assert len(await lessons_received(world, uid)) == before + 1


async def test_claimed_case_left_silent_returns_to_the_queue(world: World) -> None:
    await make_staff(world, world.counsellor)
    _, card = await open_case(world)
    await press_in_staff(world, world.counsellor, card, "✋")
    world.clock.advance(minutes=11)
    assert (await world.app.services.duty.tick())["release"] == 1
    case = await the_case(world)
    assert case.status is CaseStatus.WAITING and case.claimed_by is None
    await world.sb.wait_for_text(world.staff_chat_id, "已退回队列", timeout=20)


async def test_medium_gets_a_gentle_check_in_and_safe_buttons_reach_staff(world: World) -> None:
    await make_staff(world, world.counsellor)
    uid = await world.user("小华")
    checkin = await world.say(uid, "最近没人在乎我，我好孤单")
    assert "心理老师" in checkin["text"] and len(buttons(checkin)) == 2
    async with world.uow() as u:
        assert await u.cases.by_id(1) is None  # a check-in, not a case
    child, _ = await open_case(world)
    await world.press(child, "我现在不安全")
    urgent = await world.sb.wait_for_text(child, "110")
    assert "120" in urgent["text"]
    await world.sb.wait_for_text(world.staff_chat_id, "现在不安全", timeout=20)


async def test_mandatory_report_and_retier_are_on_the_record(world: World) -> None:
    await make_staff(world, world.counsellor)
    await make_staff(world, world.admin, Role.SUPERVISOR)
    _, card = await open_case(world)
    thread = card["message_thread_id"]
    me, lead = world.counsellor["id"], world.admin["id"]
    await world.sb.send_text(me, "/reported 城关派出所", world.staff_chat_id, thread)
    # Lowering a red case takes a supervisor: the counsellor is told so in the topic.
    await world.sb.send_text(me, "/tier orange 已联系家人，暂时安全", world.staff_chat_id, thread)
    await world.sb.wait_for_text(world.staff_chat_id, "只有督导", timeout=30, thread_id=thread)
    await world.sb.send_text(
        lead, "/tier orange 已联系家人，暂时安全", world.staff_chat_id, thread
    )
    await world.sb.send_text(lead, "/tier purple", world.staff_chat_id, thread)
    await world.sb.wait_for_text(world.staff_chat_id, "用法", timeout=30)
    async with world.uow() as u:
        events = await u.cases.events(1)
        case = await u.cases.by_id(1)
    reported = [d for _, k, _, d in events if k is EventKind.REPORTED]
    assert reported and reported[0]["authority"] == "城关派出所"
    retiered = [d for _, k, _, d in events if k is EventKind.RETIERED]
    assert retiered[0]["reason"] == "已联系家人，暂时安全" and retiered[0]["before"] == "red"
    assert case is not None and case.tier is Tier.ORANGE
    for _ in range(300):  # the rename waits its turn in the group's budget
        topics = await world.sb.topics(world.staff_chat_id)
        if any("🟠 C-0001" in t["name"] for t in topics):
            break
        await asyncio.sleep(0.1)
    assert any(t["name"] == "🟠 C-0001 · 橙" for t in topics), topics  # in the staff's language


async def test_a_guardian_relaying_the_childs_words_reaches_a_counsellor(world: World) -> None:
    """Issue 16, item 15: this came back `none`, and the guardian was told the bot cannot
    answer free text."""
    await make_staff(world, world.counsellor)
    grandma = await world.user("Grandma", "en")
    reply = await world.say(grandma, "My grandson told me he will hang himself tonight")
    assert "110" in reply["text"] and "free text" not in reply["text"]
    card = await case_card(world)
    assert "🔴" in card["text"]
    case = await the_case(world)
    assert case.tier is Tier.RED and "suicide" in case.categories
