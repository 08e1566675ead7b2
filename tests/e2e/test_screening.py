"""Self-checks end to end: a guardian's PSC-17, a child's safety answers, resume after a
restart, stale and forged buttons, and a counsellor reading the child's file."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from bot.app import build_app
from bot.catalog.catalog import load_catalog
from bot.catalog.questionnaires import load_instruments
from bot.domain.cases import Tier, Trigger
from bot.domain.people import (
    AgeBand,
    Relation,
    Role,
)
from bot.runtime import run_polling
from content import CONTENT_DIR
from tests.e2e.chat import answer, buttons
from tests.e2e.crisis import case_card, make_staff
from tests.e2e.harness import World
from tests.e2e.people import first_item, registered

CATALOG = load_catalog(CONTENT_DIR, ["zh_Hans", "en"], "zh_Hans")
BANDS = load_instruments(CONTENT_DIR)["phq-a"].bands
MOOD = load_instruments(CONTENT_DIR)["mood-kids"]


async def test_guardian_completes_psc_17_about_their_child(world: World) -> None:
    gid, guardian = await registered(world, "李奶奶", Role.GUARDIAN)
    _, child = await registered(world, "小明", Role.CHILD, AgeBand.A8_11)
    async with world.uow() as u:
        await u.families.link(guardian.id or 0, child.id or 0, Relation.GRANDPARENT)
        await u.commit()
    item = await first_item(world, gid, "PSC-17")
    for n in range(17):
        assert item["text"].startswith(f"{n + 1}/17"), item["text"]
        item = await answer(world, gid, item, 2 if n < 8 else 0)  # "often" for 8 items
    assert "筛查" in item["text"] and "诊断" not in item["text"]
    assert "谢谢您的回答" in item["text"]  # a grandparent is addressed with 您
    async with world.uow() as u:
        results = await u.screening.results_for(child.id or 0)
    assert len(results) == 1 and results[0].total == 16 and results[0].respondent_id == guardian.id


async def test_guardian_answers_about_a_child_without_telegram(world: World) -> None:
    """Most 8-year-olds have no phone: the guardian's answers go to a record of the child's
    own, which staff can open and plan re-screening for (the invitation reaches the guardian)."""
    await make_staff(world, world.counsellor)
    gid, guardian = await registered(world, "王爷爷", Role.GUARDIAN)
    await world.sb.send_text(gid, "/check")
    await world.sb.wait_for(gid, lambda m: "PSC-17" in " ".join(buttons(m)))
    await world.sb.mark()
    await world.press(gid, "PSC-17")
    offer = await world.sb.wait_for(gid, lambda m: bool(buttons(m)))
    assert "不需要使用 Telegram" in offer["text"], offer["text"]
    await world.sb.mark()
    await world.press(gid, "替孩子回答")
    item = await world.sb.wait_for(gid, lambda m: (m.get("text") or "").startswith("1/17"))
    # Pressing the old button again makes no second child (it starts the form afresh).
    await world.sb.mark()
    await world.press(gid, "替孩子回答")
    item = await world.sb.wait_for(gid, lambda m: (m.get("text") or "").startswith("1/17"))
    for _ in range(17):
        item = await answer(world, gid, item, 0)  # "never" throughout: green, no case
    assert "筛查" in item["text"]
    async with world.uow() as u:
        children = await u.families.children_of(guardian.id or 0)
        assert len(children) == 1
        child = children[0]
        assert child.telegram_id is None and child.role is Role.CHILD
        results = await u.screening.results_for(child.id or 0)
        assert [r.total for r in results] == [0]
        assert await u.screening.results_for(guardian.id or 0) == []
    chat = world.staff_chat_id
    await world.sb.send_text(world.counsellor["id"], f"/file {child.code}", chat)
    shown = await world.sb.wait_for_text(chat, child.code, timeout=10)
    assert "PSC-17（监护人填写的孩子情况）" in shown["text"], shown["text"]
    assert "psc-17" not in shown["text"]  # the staff's language, not the database's
    # A form the child would fill in cannot reach a child without Telegram: said, not lost.
    await world.sb.send_text(world.counsellor["id"], f"/screen {child.code} phq-a", chat)
    await world.sb.wait_for_text(chat, "无法请此人填写", timeout=10)
    # The guardian's form reaches the guardian, with a button for this child.
    await world.sb.mark()
    await world.sb.send_text(world.counsellor["id"], f"/screen {child.code} psc-17 90", chat)
    invite = await world.sb.wait_for(gid, lambda m: bool(buttons(m)), timeout=10)
    data = invite["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert data == f"sc:child:psc-17:{child.id}"
    await world.sb.mark()
    await world.sb.press(gid, gid, invite["message_id"], data)
    again = await world.sb.wait_for(gid, lambda m: bool(buttons(m)))
    assert "再做一次" in " ".join(buttons(again)) or again["text"].startswith("1/17")


async def test_child_safety_answer_opens_a_case_before_the_form_ends(world: World) -> None:
    await make_staff(world, world.counsellor)
    uid, child = await registered(world, "小红", Role.CHILD, AgeBand.A14_15)
    chat = world.staff_chat_id
    await world.sb.send_text(world.counsellor["id"], f"/screen {child.code} asq", chat)
    invite = await world.sb.wait_for(uid, lambda m: bool(buttons(m)), timeout=10)
    await world.sb.mark()
    await world.sb.press(
        uid,
        uid,
        invite["message_id"],
        invite["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
    )
    item = await world.sb.wait_for(uid, lambda m: (m.get("text") or "").startswith("1/"))
    # "Yes" to the first question: the safety reply and a case, while question 2 waits.
    assert buttons(item)[0].startswith("有")  # the first answer is "yes"
    nxt = await answer(world, uid, item, 0)
    card = await case_card(world)
    assert "ASQ（自杀风险筛查）" in card["text"] and "asq" not in card["text"]
    texts = [m.get("text") or "" for m in await world.sb.bot_messages(uid)]
    assert any("你现在安全吗" in t for t in texts)
    assert any(t.startswith("2/") for t in texts) or nxt["text"].startswith("2/")
    async with world.uow() as u:
        case = await u.cases.by_id(1)
        session = await u.screening.active_for(child.id or 0)
    assert case is not None and case.trigger is Trigger.SCREENING
    assert session is not None and session.safety_fired
    # Stopping now does not undo the case.
    async with world.uow() as u:
        await u.screening.close(session.id, "abandoned", world.clock.now())
        await u.commit()
    async with world.uow() as u:
        assert await u.cases.open_for(child.id or 0) is not None


async def test_resume_after_restart_and_stale_or_forged_buttons(world: World) -> None:
    uid, _ = await registered(world, "小刚", Role.CHILD, AgeBand.A12_13)
    item1 = await first_item(world, uid, "PHQ-A")
    item2 = await answer(world, uid, item1, 0)
    assert item2["text"].startswith("2/")
    # An old message's button, and a forged one, are refused politely.
    data = item1["reply_markup"]["inline_keyboard"][1][0]["callback_data"]
    stale = await world.sb.wait_callback_answer(
        await world.sb.press(uid, uid, item1["message_id"], data)
    )
    assert "较早" in stale["text"] or "最新" in stale["text"]
    forged = await world.sb.wait_callback_answer(
        await world.sb.press(uid, uid, item2["message_id"], "sc:a:999:0:1")
    )
    assert forged["text"] == stale["text"]
    # Restart the bot on the same database: the questionnaire is where it was.
    world.app.stop()
    await asyncio.sleep(0.5)
    app = await build_app(world.app.settings, clock=world.clock)
    task = asyncio.create_task(run_polling(app, handle_signals=False))
    await asyncio.wait_for(app.ready.wait(), 10)
    try:
        await world.sb.send_text(uid, "/check")
        menu = await world.sb.wait_for(uid, lambda m: "继续" in " ".join(buttons(m)))
        await world.sb.mark()
        await world.sb.press(
            uid,
            uid,
            menu["message_id"],
            menu["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
        )
        again = await world.sb.wait_for(uid, lambda m: (m.get("text") or "").startswith("2/"))
        assert again["text"] == item2["text"]
    finally:
        app.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 15)


async def test_counsellor_opens_the_childs_file_and_the_view_is_logged(world: World) -> None:
    await make_staff(world, world.counsellor)
    uid, child = await registered(world, "小丽", Role.CHILD, AgeBand.A12_13)
    item = await first_item(world, uid, "GAD-7")
    for _ in range(7):
        item = await answer(world, uid, item, 1)
    chat = world.staff_chat_id
    await world.sb.send_text(world.counsellor["id"], f"/file {child.code}", chat)
    shown = await world.sb.wait_for_text(chat, child.code or "", timeout=20)
    assert "GAD-7（焦虑）" in shown["text"] and "gad-7" not in shown["text"]
    async with world.uow() as u:
        views = await u.screening.accesses(child.id or 0)
        lee = await u.staff.by_telegram_id(world.counsellor["id"])
    assert len(views) == 1 and lee is not None and views[0][0] == lee.person_id
    # Someone outside staff cannot read it.
    await world.sb.send_text(world.outsider["id"], f"/file {child.code}", chat)
    await asyncio.sleep(1.0)
    async with world.uow() as u:
        assert len(await u.screening.accesses(child.id or 0)) == 1


async def test_back_and_retake_within_the_recall_period_asks_first(world: World) -> None:
    uid, child = await registered(world, "小军", Role.CHILD, AgeBand.A8_11)
    item = await first_item(world, uid, "📋")  # the mood check is the only form at 8-11
    total = int(item["text"].split("/")[1].split()[0])
    second = await answer(world, uid, item, 1)
    back = await press_label(world, uid, second, "上一题")
    assert back["text"].startswith("1/")
    item = back
    for _ in range(total):
        # The mood check allows no blank answer: no skip button (test_screening_forms.py).
        assert "跳过" not in " ".join(buttons(item))
        item = await answer(world, uid, item, 0)
    async with world.uow() as u:
        results = await u.screening.results_for(child.id or 0)
    assert len(results) == 1 and results[0].answers[1] == 0  # the answer given after going back
    await world.sb.send_text(uid, "/check")
    menu = await world.sb.wait_for(uid, lambda m: bool(buttons(m)))
    await world.sb.mark()
    await world.sb.press(
        uid,
        uid,
        menu["message_id"],
        menu["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
    )
    ask = await world.sb.wait_for(uid, lambda m: "天内" in (m.get("text") or ""))
    await press_label(world, uid, ask, "再做一次")  # the intro, then item 1
    await world.sb.wait_for(uid, lambda m: (m.get("text") or "").startswith("1/"))


async def press_label(
    world: World, uid: int, message: dict[str, Any], label: str
) -> dict[str, Any]:
    data = next(
        b["callback_data"]
        for row in message["reply_markup"]["inline_keyboard"]
        for b in row
        if label in b["text"]
    )
    await world.sb.mark()
    qid = await world.sb.press(uid, uid, message["message_id"], data)
    reply = await world.sb.wait_for(uid, lambda m: True)
    await world.sb.wait_callback_answer(qid)
    return reply


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
async def test_phq_a_item_9_acts_before_the_summary(world: World, locale: str) -> None:
    """Issue 18's reproduction: 0 on items 1-8 and "nearly every day" on item 9. The summary
    said the last two weeks had gone mostly okay; now it acknowledges the safety answer, says
    a counsellor will write, and the counsellor reads the flag in the child's file."""
    await make_staff(world, world.counsellor)
    uid, child = await registered(world, "小华", Role.CHILD, AgeBand.A14_15, locale)
    zh = locale == "zh_Hans"
    item = await first_item(world, uid, "PHQ-A")
    for _ in range(8):
        item = await answer(world, uid, item, 0)
    assert item["text"].startswith("9/9")
    await answer(world, uid, item, 3)  # "nearly every day"
    card = await case_card(world)
    assert "PHQ-A（情绪低落）：第 9 题 = 3" in card["text"], card["text"]
    await world.sb.wait_for(
        uid, lambda m: ("几个简短的问题" if zh else "short questions") in (m.get("text") or "")
    )
    texts = [m.get("text") or "" for m in await world.sb.bot_messages(uid)]
    safety = next(
        i for i, t in enumerate(texts) if ("你现在安全吗" if zh else "safe right now") in t
    )
    ack = "你有一个回答和你的安全有关" if zh else "One of your answers was about your safety"
    summary = next(i for i, t in enumerate(texts) if ack in t)
    assert safety < summary  # the safety reply came first, then the end of the form
    low = [CATALOG.translations[locale].gettext(w) for w in (BANDS[0].summary, BANDS[0].advice)]
    assert not any(w in t for w in low for t in texts[summary:]), texts[summary]
    assert "Johnson" in texts[summary]  # the credit
    assert any(("几个简短的问题" if zh else "short questions") in t for t in texts[summary:])
    async with world.uow() as u:
        result = (await u.screening.results_for(child.id or 0))[0]
        events = await u.cases.events(1)
    assert "safety_item_9" in result.flags
    assert events[0][0] <= result.taken_at
    chat = world.staff_chat_id
    await world.sb.send_text(world.counsellor["id"], f"/file {child.code}", chat)
    shown = await world.sb.wait_for_text(chat, "📁", timeout=20)
    assert "安全题（第 9 题）答 3" in shown["text"], shown["text"]


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
async def test_mood_kids_feeling_unsafe_opens_an_orange_case_for_abuse_or_neglect(
    world: World, locale: str
) -> None:
    """Issue 18 item 4: "Sometimes" to 我在家里或学校觉得害怕、不安全 was a yellow result and no
    case; now it opens an orange case marked possible abuse or neglect, shown in /file."""
    await make_staff(world, world.counsellor)
    uid, child = await registered(world, "小军", Role.CHILD, AgeBand.A8_11, locale)
    zh = locale == "zh_Hans"
    item = await first_item(world, uid, "📋")
    for _ in range(5):
        item = await answer(world, uid, item, 0)
    assert item["text"].startswith("6/6"), item["text"]
    await answer(world, uid, item, 1)  # "Sometimes": 4
    card = await case_card(world)
    assert "🟠" in card["text"] and "可能涉及：虐待, 忽视" in card["text"], card["text"]
    assert "（儿童心情小测） · 感到不安全：第 6 题 = 4" in card["text"], card["text"]
    async with world.uow() as u:
        case = await u.cases.open_for(child.id or 0)
    assert case is not None and case.tier is Tier.ORANGE and case.trigger is Trigger.SCREENING
    assert {"abuse", "neglect"} <= set(case.categories)
    said = CATALOG.translations[locale].gettext
    unsafe = MOOD.subscales[0]
    await world.sb.wait_for(uid, lambda m: said(unsafe.summary) in (m.get("text") or ""))
    texts = "\n".join(m.get("text") or "" for m in await world.sb.bot_messages(uid))
    yellow = next(b for b in MOOD.bands if b.tier is Tier.YELLOW)
    assert said(yellow.summary) not in texts and said(yellow.advice) not in texts
    assert ("未经验证" if zh else "not validated") not in texts.split(said(unsafe.summary))[1]
    chat = world.staff_chat_id
    await world.sb.send_text(world.counsellor["id"], f"/file {child.code}", chat)
    shown = await world.sb.wait_for_text(chat, "📁", timeout=20)
    assert "在家里或学校感到害怕、不安全 4 ≥ 4 · 可能涉及：虐待, 忽视" in shown["text"]
    assert "（儿童心情小测） · 本项目自编，未经验证" in shown["text"]  # for staff, not the child


async def test_feeling_unsafe_reaches_the_counsellor_of_an_already_open_case(
    world: World,
) -> None:
    """A child whose red case is already open answers "unsafe at home or at school": the case
    tier does not change, so nothing was posted; now the topic hears of it."""
    await make_staff(world, world.counsellor)
    uid, child = await registered(world, "小兰", Role.CHILD, AgeBand.A8_11)
    await world.sb.send_text(uid, "我今晚就想自杀，药已经准备好了")
    await case_card(world)
    item = await first_item(world, uid, "📋")
    for _ in range(5):
        item = await answer(world, uid, item, 0)
    await answer(world, uid, item, 2)  # "A lot": 7
    posted = await world.sb.wait_for_text(world.staff_chat_id, "新的筛查结果", timeout=20)
    assert "C-0001" in posted["text"] and "可能涉及：虐待, 忽视" in posted["text"]
    assert "感到不安全：第 6 题 = 7" in posted["text"], posted["text"]
    async with world.uow() as u:
        case = await u.cases.open_for(child.id or 0)
    assert case is not None and case.tier is Tier.RED and case.code == "C-0001"
