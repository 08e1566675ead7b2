"""Issue 19 items 4 and 5 end to end, with the staff chat in Chinese and in English: staff read
their own language (no codes from the database), and a case's buttons tell the truth."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import pytest

from bot.catalog.helpline import load_canned
from bot.domain.cases import CaseStatus, Tier
from bot.domain.outbox import OutboxStatus
from bot.domain.people import AgeBand, Role
from content import CONTENT_DIR
from tests.e2e.chat import answer, buttons, is_photo
from tests.e2e.crisis import CRITICAL, ROOMY, case_card, make_staff, press_in_staff, started
from tests.e2e.harness import World, running_world
from tests.e2e.people import first_item, registered
from tests.oversight_seed import TZ, seeded_week

T = TypeVar("T")
SAFE = next(c for c in load_canned(CONTENT_DIR) if c.id == "safe")


@pytest.fixture(params=["zh_Hans", "en"])
async def world(request: pytest.FixtureRequest, db_url: str) -> AsyncIterator[World]:
    """The staff chat in this language (the service's default locale)."""
    async with running_world(db_url, default_locale=request.param, **ROOMY) as w:
        yield w


def zh(world: World) -> bool:
    return world.app.services.staff_locale == "zh_Hans"


def said(world: World, key: str, **data: Any) -> str:
    """A button label or toast in the staff's language."""
    return world.app.catalog.text(key, world.app.services.staff_locale, **data)


def words(world: World, text: str, locale: str) -> str:
    return world.app.catalog.translations[locale].gettext(text)


async def settle(check: Callable[[], Awaitable[T]], timeout: float = 20.0) -> T:
    """The check's value once its assertions hold (edits follow the toast)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def open_case(world: World) -> tuple[int, str, dict[str, Any]]:
    """A child who writes in Chinese, whose Telegram is in the staff's language."""
    locale = world.app.services.staff_locale
    child = await world.user("小明", "zh-hans" if locale == "zh_Hans" else "en")
    await world.sb.send_text(child, CRITICAL)
    await world.sb.wait_for(child, lambda m: True)
    return child, locale, await case_card(world)


# -- item 4: staff read their own language ------------------------------------------------


async def test_tier_is_typed_and_read_in_the_staffs_words(world: World) -> None:
    await make_staff(world, world.admin, Role.SUPERVISOR)
    _, _, card = await open_case(world)
    thread = card["message_thread_id"]
    # The tier menu's button asks for a reason, naming the tier as staff would type it.
    await press_in_staff(world, world.admin, card, said(world, "btn.case.tier"))
    toast = await press_in_staff(world, world.admin, card, said(world, "btn.tier.orange"))
    assert ("/tier 橙" if zh(world) else "/tier orange") in toast, toast
    # 红/橙/黄/绿 (and 橙色) work as well as the English words, in either staff language.
    await world.sb.send_text(
        world.admin["id"], "/tier 橙色 孩子已经安全", world.staff_chat_id, thread
    )

    async def lowered() -> None:
        async with world.uow() as u:
            case = await u.cases.by_id(1)
        assert case is not None and case.tier is Tier.ORANGE

    await settle(lowered)
    posted = await world.sb.wait_for_text(world.staff_chat_id, "孩子已经安全", 20, thread)
    assert ("橙" if zh(world) else "orange") in posted["text"]
    if zh(world):
        assert "orange" not in posted["text"]


async def test_the_relay_uses_the_colon_of_the_childs_language(world: World) -> None:
    number = await make_staff(world, world.counsellor)
    child, locale, card = await open_case(world)
    await press_in_staff(world, world.counsellor, card, "✋")
    await world.sb.send_text(
        world.counsellor["id"], "我在这里", world.staff_chat_id, card["message_thread_id"]
    )
    got = await world.sb.wait_for_text(child, "我在这里", timeout=20)
    head = f"心理老师 {number}：" if locale == "zh_Hans" else f"Counsellor {number}: "
    assert got["text"].startswith(head + "我在这里"), got["text"]


async def test_stats_counts_cases_still_waiting_apart_from_misses(world: World) -> None:
    """The seeded week: 4 cases, 3 answered (2 within target), 1 not answered yet. It said
    "50% 达标", as if the case still waiting had been missed."""
    await make_staff(world, world.counsellor)
    _, period = await seeded_week(world)
    first, last = period.first_day(TZ).isoformat(), period.last_day(TZ).isoformat()
    await world.sb.send_text(
        world.counsellor["id"], f"/stats {first}..{last}", world.staff_chat_id
    )
    message = await world.sb.wait_for(world.staff_chat_id, is_photo, timeout=20)
    caption = message["caption"]
    if zh(world):
        assert "已回应 3 个，其中 2 个按时（67%） · 尚未回应 1 个" in caption, caption
        assert "50%" not in caption
    else:
        assert "2 of 3 answered on time (67%) · 1 not answered yet" in caption, caption


async def test_the_childs_file_names_forms_results_and_referrals_in_words(world: World) -> None:
    await make_staff(world, world.counsellor)
    chat = world.staff_chat_id
    uid, child = await registered(world, "小丽", Role.CHILD, AgeBand.A12_13)
    item = await first_item(world, uid, "GAD-7")
    for _ in range(7):
        item = await answer(world, uid, item, 1)
    # A case for the same child, referred to the 12356 line.
    await world.sb.send_text(uid, CRITICAL)
    card = await case_card(world)
    await press_in_staff(world, world.counsellor, card, "✋")
    await press_in_staff(world, world.counsellor, card, said(world, "btn.case.refer"))
    await press_in_staff(world, world.counsellor, card, "12356")

    async def referred() -> None:
        async with world.uow() as u:
            assert await u.cases.referrals(1)

    await settle(referred)
    await world.sb.send_text(world.counsellor["id"], f"/file {child.code}", chat)
    shown = (await world.sb.wait_for_text(chat, "📁", timeout=20))["text"]
    for code in ("gad-7", "l12356", ":suggested"):
        assert code not in shown, (code, shown)
    if zh(world):
        assert "GAD-7（焦虑）" in shown and "12356 全国心理援助热线" in shown, shown
    else:
        assert (
            "GAD-7 (worry)" in shown and "12356 national psychological assistance line (" in shown
        )
    assert ("(已建议)" if zh(world) else "(Suggested)") in shown.replace("（", "(").replace(
        "）", ")"
    ), shown


# -- item 5: case keyboards that tell the truth -------------------------------------------


async def with_buttons(world: World, chat: int, thread: int | None = None) -> dict[int, list[str]]:
    return {
        m["message_id"]: buttons(m)
        for m in await world.sb.bot_messages(chat, thread)
        if buttons(m)
    }


async def test_after_every_claim_release_and_close_only_the_card_and_the_newest_post_have_buttons(
    world: World,
) -> None:
    lee = world.counsellor
    await make_staff(world, lee)
    await started(world, lee)
    _, _, card = await open_case(world)
    chat, thread, card_id = world.staff_chat_id, card["message_thread_id"], card["message_id"]
    claim, release = said(world, "btn.case.claim"), said(world, "btn.case.release")
    reopen = said(world, "btn.case.reopen")
    # The red case's direct message to the on-duty counsellor offers ✋ while the case waits.
    direct = await world.sb.wait_for(lee["id"], lambda m: claim in buttons(m), timeout=20)

    baseline = len(await world.sb.bot_messages(chat, thread))

    async def shown(first: str, posts: int) -> dict[int, list[str]]:
        """The card and the newest post carry the buttons for the case as it is; no other
        message of the topic carries any."""
        async with world.uow() as u:  # every post about it is out, its message id noted
            rows = await u.holds.keyboarded((f"case:{1}:",))
        assert all(r.status is OutboxStatus.SENT and r.message_id for r in rows), rows
        messages = await world.sb.bot_messages(chat, thread)
        assert len(messages) >= baseline + posts, [m.get("text") for m in messages]
        now = await with_buttons(world, chat, thread)
        newest = max(m["message_id"] for m in messages)
        assert set(now) == {card_id, newest} and newest != card_id, now
        assert all(b[0] == first for b in now.values()), now
        return now

    async def direct_buttons() -> list[str]:
        found = next(
            m
            for m in await world.sb.bot_messages(lee["id"])
            if m["message_id"] == direct["message_id"]
        )
        return buttons(found)

    async def dm_is(expected: list[str]) -> None:
        assert await direct_buttons() == expected

    # Claim on the card: its post says so and carries the buttons; the direct message's ✋ goes.
    await press_in_staff(world, lee, card, claim)
    after_claim = await settle(lambda: shown(release, 1))
    await settle(lambda: dm_is([]))
    # Release on the newest post: the claim post loses its buttons, the card offers ✋ again,
    # and so does the direct message.
    newest = max(after_claim)
    await world.sb.press_button(lee["id"], chat, release, newest)
    after_release = await settle(lambda: shown(claim, 2))
    assert newest not in after_release
    await settle(lambda: dm_is([claim]))
    # Re-claim from the direct message: every message of the case follows.
    await world.sb.press_button(lee["id"], lee["id"], claim, direct["message_id"])
    await settle(lambda: shown(release, 3))
    await settle(lambda: dm_is([]))
    # Close: the buttons left are the card's and the newest post's, and they offer to reopen.
    await world.sb.send_text(lee["id"], "/close supported 孩子已安全，转介了", chat, thread)

    async def closed() -> None:
        async with world.uow() as u:
            case = await u.cases.by_id(1)
        assert case is not None and case.status is CaseStatus.CLOSED

    await settle(closed)
    await settle(lambda: shown(reopen, 4))


async def test_a_ready_reply_shows_its_words_and_waits_for_one_tap(world: World) -> None:
    lee = world.counsellor
    number = await make_staff(world, lee)
    child, locale, card = await open_case(world)
    chat, thread = world.staff_chat_id, card["message_thread_id"]
    await press_in_staff(world, lee, card, "✋")
    await press_in_staff(world, lee, card, said(world, "btn.case.canned"))
    staff_locale = world.app.services.staff_locale
    toast = await press_in_staff(world, lee, card, words(world, SAFE.label, staff_locale))
    assert toast == said(world, "toast.canned.check")
    # The topic shows the exact words, in the language the child will read them in.
    exact = words(world, SAFE.text, locale)
    preview = await world.sb.wait_for(
        chat,
        lambda m: exact in (m.get("text") or "") and bool(buttons(m)),
        timeout=20,
        thread_id=thread,
    )
    assert buttons(preview) == [said(world, "btn.canned.send"), said(world, "btn.canned.cancel")]
    await asyncio.sleep(1.0)
    assert not any(exact in (m.get("text") or "") for m in await world.sb.bot_messages(child))
    send = preview["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    qid = await world.sb.press(lee["id"], chat, preview["message_id"], send)
    assert (await world.sb.wait_callback_answer(qid)).get("text") == said(world, "toast.case.sent")
    got = await world.sb.wait_for_text(child, exact, timeout=20)
    head = f"心理老师 {number}：" if locale == "zh_Hans" else f"Counsellor {number}: "
    assert got["text"] == head + exact
    # The topic says what was sent, in the child's words, not only the label.
    sent = await world.sb.wait_for(
        chat,
        lambda m: exact in (m.get("text") or "") and m["message_id"] != preview["message_id"],
        timeout=20,
        thread_id=thread,
    )
    assert sent["text"].startswith("📤") and words(world, SAFE.label, staff_locale) in sent["text"]
    # ✅ again (a double tap, an old copy of the button): the child gets it once.
    qid = await world.sb.press(lee["id"], chat, preview["message_id"], send)
    assert (await world.sb.wait_callback_answer(qid)).get("text") == said(
        world, "toast.canned.already"
    )
    await asyncio.sleep(1.0)
    received = [m for m in await world.sb.bot_messages(child) if exact in (m.get("text") or "")]
    assert len(received) == 1
    # ✖ on another preview: nothing goes.
    await press_in_staff(world, lee, card, said(world, "btn.case.canned"))
    await press_in_staff(world, lee, card, words(world, SAFE.label, staff_locale))
    second = await world.sb.wait_for(
        chat,
        lambda m: (
            exact in (m.get("text") or "")
            and bool(buttons(m))
            and m["message_id"] != preview["message_id"]
        ),
        timeout=20,
        thread_id=thread,
    )
    cancel = second["reply_markup"]["inline_keyboard"][0][1]["callback_data"]
    qid = await world.sb.press(lee["id"], chat, second["message_id"], cancel)
    assert (await world.sb.wait_callback_answer(qid)).get("text") == said(
        world, "toast.canned.cancelled"
    )
    await asyncio.sleep(1.0)
    received = [m for m in await world.sb.bot_messages(child) if exact in (m.get("text") or "")]
    assert len(received) == 1
