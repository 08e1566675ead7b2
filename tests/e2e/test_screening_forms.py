"""Guardian forms, the skip rule and the case asked before it opens, end to end (issue 18
item 5), in both languages: a guardian's /check offers PSC-17, WHO-5 and the adult GAD-7
(never a child's self-report) and their answers land with the person they describe; 跳过 is
offered only where the form's published rule scores a blank, and the intro says so first; an
orange or red result without a safety answer asks before a case opens, and a no is respected;
a safety answer opens the case without asking."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.domain.cases import Tier
from bot.domain.people import AgeBand, Relation, Role
from tests.e2e.chat import answer, buttons, text_of
from tests.e2e.crisis import ROOMY, case_card, case_said, make_staff
from tests.e2e.harness import World, running_world
from tests.e2e.people import registered, to_english

STALE = {"zh": "最新", "en": "newest"}
SKIP = {"zh": "跳过", "en": "Skip"}
STOP = {"zh": "停", "en": "Stop"}
# The intro, before the first item: every answer needed (child, guardian), or up to 3 blanks.
EVERY = {"zh": "每一题都要回答", "en": "Please answer every one"}
EVERY_FORMAL = {"zh": "每一题都需要您回答", "en": "Each question needs an answer"}
UP_TO_3 = {"zh": "最多跳过 3 题", "en": "no more than 3"}
ADULT_PROMPT = {"zh": "您受到以下任何问题所困扰", "en": "any of the following problems"}
OFFER = {"zh": "可以请一位心理老师在这里联系", "en": "May we ask a counsellor to contact you"}
DECLINED = {"zh": "不会因为这次测评请人联系", "en": "nobody is asked to contact you"}
TRUSTED_ADULT = re.compile(r"adult you trust|grown-up|信任的大人|信任的成年人")


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    # Round-the-clock duty: what the person is told about timing does not hang on the hour.
    async with running_world(db_url, **ROOMY) as w:
        yield w


def callbacks(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


async def press_data(
    world: World, uid: int, message: dict[str, Any], data: str
) -> tuple[dict[str, Any] | None, str]:
    """Press a button by its callback data: the bot's next message (None if it sent none)
    and the toast."""
    await world.sb.mark()
    qid = await world.sb.press(uid, uid, message["message_id"], data)
    toast = str((await world.sb.wait_callback_answer(qid)).get("text") or "")
    try:
        reply = await world.sb.wait_for(uid, lambda m: True, timeout=1.5)
    except (AssertionError, TimeoutError):
        reply = None
    return reply, toast


async def person_of(world: World, role: Role, lang: str, age: AgeBand | None = None) -> Any:
    uid, person = await registered(world, "王奶奶" if role is Role.GUARDIAN else "小兰", role, age)
    if lang == "en":
        await to_english(world, uid)
    return uid, person


async def open_menu(world: World, uid: int) -> dict[str, Any]:
    await world.sb.send_text(uid, "/check")
    return await world.sb.wait_for(
        uid, lambda m: any(d.startswith("sc:start:") for d in callbacks(m))
    )


async def start_form(world: World, uid: int, form: str) -> tuple[str, dict[str, Any]]:
    """The form's intro and its first item."""
    menu = await open_menu(world, uid)
    await world.sb.mark()
    await world.sb.press(uid, uid, menu["message_id"], f"sc:start:{form}")
    item = await world.sb.wait_for(uid, lambda m: text_of(m).startswith("1/"))
    intro = next(
        text_of(m)
        for m in reversed(await world.sb.bot_messages(uid))
        if m["message_id"] < item["message_id"]
    )
    return intro, item


def label_of(message: dict[str, Any], word: str) -> str | None:
    markup = message.get("reply_markup") or {}
    return next(
        (
            b["callback_data"]
            for row in markup.get("inline_keyboard", [])
            for b in row
            if word in b["text"]
        ),
        None,
    )


async def said_since(world: World, uid: int, message_id: int) -> list[dict[str, Any]]:
    return [m for m in await world.sb.bot_messages(uid) if m["message_id"] > message_id]


# -- a guardian's /check -------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_guardians_check_offers_guardian_forms_and_her_answers_are_hers(
    world: World, lang: str
) -> None:
    gid, guardian = await person_of(world, Role.GUARDIAN, lang)
    _, child = await registered(world, "小明", Role.CHILD, AgeBand.A14_15)
    async with world.uow() as u:
        await u.families.link(guardian.id or 0, child.id or 0, Relation.GRANDPARENT)
        await u.commit()
    menu = await open_menu(world, gid)
    assert set(callbacks(menu)) == {
        "sc:start:psc-17",
        "sc:start:who-5",
        "sc:start:gad-7-guardian",
    }, buttons(menu)
    assert not any("PHQ-A" in b or "teen" in b or "青少年" in b for b in buttons(menu))
    # A teen self-report cannot be started by a forged or old button either.
    for teen in ("phq-a", "gad-7", "mood-kids", "asq"):
        reply, toast = await press_data(world, gid, menu, f"sc:start:{teen}")
        assert STALE[lang] in toast and reply is None, (teen, toast)
    # The adult GAD-7: the published adult instruction (您), every answer needed, no skip.
    intro, item = await start_form(world, gid, "gad-7-guardian")
    assert ADULT_PROMPT[lang] in intro and EVERY_FORMAL[lang] in intro, intro
    for n in range(7):
        assert text_of(item).startswith(f"{n + 1}/7"), text_of(item)
        assert not label_of(item, SKIP[lang]) and label_of(item, STOP[lang]), buttons(item)
        if n < 6:
            item = await answer(world, gid, item, 0)
    last = item["message_id"]
    await answer(world, gid, item, 0)
    # The summary is the first new message (it names the form in its credit line).
    summary = await world.sb.wait_for(gid, lambda m: m["message_id"] > last)
    said = " ".join(text_of(m) for m in await said_since(world, gid, last))
    assert not TRUSTED_ADULT.search(said), said
    assert ("您" in said) if lang == "zh" else ("Thank you for your answers" in said), said
    assert summary
    async with world.uow() as u:
        mine = await u.screening.results_for(guardian.id or 0)
        childs = await u.screening.results_for(child.id or 0)
    # About herself: her result, not the child's.
    assert [(r.instrument, r.respondent_id, r.total) for r in mine] == [
        ("gad-7-guardian", guardian.id, 0)
    ]
    assert childs == []


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_psc_17_offers_skip_on_three_items_and_its_result_is_the_childs(
    world: World, lang: str
) -> None:
    gid, guardian = await person_of(world, Role.GUARDIAN, lang)
    _, child = await registered(world, "小明", Role.CHILD, AgeBand.A8_11)
    async with world.uow() as u:
        await u.families.link(guardian.id or 0, child.id or 0, Relation.GRANDPARENT)
        await u.commit()
    intro, item = await start_form(world, gid, "psc-17")
    assert UP_TO_3[lang] in intro, intro
    for n in range(3):
        skip = label_of(item, SKIP[lang])
        assert skip, buttons(item)
        reply, _ = await press_data(world, gid, item, skip)
        assert reply is not None and text_of(reply).startswith(f"{n + 2}/17")
        item = reply
    # A fourth blank would void the result: no skip now, and a forged one changes nothing.
    assert not label_of(item, SKIP[lang]), buttons(item)
    session = callbacks(item)[0].split(":")[2]
    reply, toast = await press_data(world, gid, item, f"sc:s:{session}:3")
    assert STALE[lang] in toast and reply is None
    # Back to a skipped item: it may stay skipped.
    back = label_of(item, "◀")
    assert back
    reply, _ = await press_data(world, gid, item, back)
    assert reply is not None and label_of(reply, SKIP[lang])
    item = await answer(world, gid, reply, 0)
    for _ in range(14):
        item = await answer(world, gid, item, 0)
    async with world.uow() as u:
        results = await u.screening.results_for(child.id or 0)
        assert await u.screening.results_for(guardian.id or 0) == []
    assert len(results) == 1
    result = results[0]
    assert result.respondent_id == guardian.id and result.total == 0
    assert [result.answers[i] for i in (1, 2, 3)] == [None, None, 0]
    assert "missing_as_zero" in result.flags and "incomplete" not in result.flags


# -- a child's form that allows no blank ---------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_phq_a_offers_no_skip_says_so_first_and_can_be_stopped(
    world: World, lang: str
) -> None:
    uid, child = await person_of(world, Role.CHILD, lang, AgeBand.A14_15)
    intro, item = await start_form(world, uid, "phq-a")
    assert EVERY[lang] in intro, intro
    assert SKIP[lang] not in intro and "跳过" not in intro
    assert not label_of(item, SKIP[lang]), buttons(item)
    session = callbacks(item)[0].split(":")[2]
    reply, toast = await press_data(world, uid, item, f"sc:s:{session}:0")
    assert STALE[lang] in toast and reply is None  # a forged skip changes nothing
    item = await answer(world, uid, item, 1)
    assert text_of(item).startswith("2/9") and not label_of(item, SKIP[lang])
    stop = label_of(item, STOP[lang])
    assert stop
    reply, _ = await press_data(world, uid, item, stop)
    assert reply is not None and "/check" in text_of(reply)
    async with world.uow() as u:
        assert await u.screening.active_for(child.id or 0) is None
        assert await u.screening.results_for(child.id or 0) == []


# -- a case is asked before it opens -------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_childs_orange_result_asks_first_and_a_no_opens_nothing(
    world: World, lang: str
) -> None:
    await make_staff(world, world.counsellor)
    uid, child = await person_of(world, Role.CHILD, lang, AgeBand.A14_15)
    _, item = await start_form(world, uid, "phq-a")
    # "More than half the days" on six items, "not at all" on the rest, item 9 included: 12.
    for n in range(9):
        item = await answer(world, uid, item, 2 if n < 6 else 0)
    offer = await world.sb.wait_for(
        uid, lambda m: any(d.startswith("sc:case:") for d in callbacks(m))
    )
    assert OFFER[lang] in text_of(offer), text_of(offer)
    async with world.uow() as u:
        assert await u.cases.open_for(child.id or 0) is None  # nothing opened behind her back
    no = next(d for d in callbacks(offer) if d.startswith("sc:nocase:"))
    reply, _ = await press_data(world, uid, offer, no)
    assert reply is not None and DECLINED[lang] in text_of(reply), reply
    # The offer's other button is old now: nothing opens.
    yes = next(d for d in callbacks(offer) if d.startswith("sc:case:"))
    reply, toast = await press_data(world, uid, offer, yes)
    assert STALE[lang] in toast and reply is None
    async with world.uow() as u:
        assert await u.cases.open_for(child.id or 0) is None
        results = await u.screening.results_for(child.id or 0)
    assert [r.tier for r in results] == [Tier.ORANGE]  # the result is kept all the same


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_guardians_yes_opens_the_case_and_tells_her_when(world: World, lang: str) -> None:
    await make_staff(world, world.counsellor)
    gid, guardian = await person_of(world, Role.GUARDIAN, lang)
    _, child = await registered(world, "小明", Role.CHILD, AgeBand.A8_11)
    async with world.uow() as u:
        await u.families.link(guardian.id or 0, child.id or 0, Relation.GRANDPARENT)
        await u.commit()
    _, item = await start_form(world, gid, "psc-17")
    for n in range(17):
        item = await answer(world, gid, item, 2 if n < 8 else 0)  # "often" for 8 items: 16
    offer = await world.sb.wait_for(
        gid, lambda m: any(d.startswith("sc:case:") for d in callbacks(m))
    )
    assert "您" in text_of(offer) if lang == "zh" else OFFER[lang] in text_of(offer)
    async with world.uow() as u:
        assert await u.cases.open_for(guardian.id or 0) is None
    yes = next(d for d in callbacks(offer) if d.startswith("sc:case:"))
    await press_data(world, gid, offer, yes)
    told = await case_said(world, gid, lang)
    assert "12356" in text_of(told)
    async with world.uow() as u:
        case = await u.cases.open_for(guardian.id or 0)
    assert case is not None and case.tier is Tier.ORANGE
    # The counsellor's card says whose file holds the answers.
    card = await case_card(world)
    quoted = f"PSC-17（监护人填写的孩子情况）：阳性（超过临界值） ({child.code})"
    assert quoted in text_of(card), text_of(card)
    # Pressed twice: one case, one notice.
    _, toast = await press_data(world, gid, offer, yes)
    assert STALE[lang] in toast


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_safety_answer_opens_the_case_without_asking(world: World, lang: str) -> None:
    await make_staff(world, world.counsellor)
    uid, child = await person_of(world, Role.CHILD, lang, AgeBand.A14_15)
    _, item = await start_form(world, uid, "phq-a")
    first = item["message_id"]
    for n in range(9):
        item = await answer(world, uid, item, 3 if n in (0, 1, 2, 3, 8) else 0)
    await world.sb.wait_for(
        uid, lambda m: "ASQ" in " ".join(buttons(m)) or "sc:start:asq" in callbacks(m)
    )
    said = await said_since(world, uid, first)
    assert not any(d.startswith("sc:case:") for m in said for d in callbacks(m))
    async with world.uow() as u:
        case = await u.cases.open_for(child.id or 0)
    assert case is not None and case.tier is Tier.RED


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_screen_sends_a_guardian_only_a_guardians_form(world: World, lang: str) -> None:
    """A counsellor's /screen never invites a guardian to a child's self-report."""
    await make_staff(world, world.counsellor)
    gid, guardian = await person_of(world, Role.GUARDIAN, lang)
    chat = world.staff_chat_id
    await world.sb.send_text(world.counsellor["id"], f"/screen {guardian.code} gad-7", chat)
    await world.sb.wait_for_text(chat, "无法请此人填写", timeout=10)
    await world.sb.mark()
    await world.sb.send_text(
        world.counsellor["id"], f"/screen {guardian.code} gad-7-guardian", chat
    )
    invite = await world.sb.wait_for(gid, lambda m: bool(callbacks(m)), timeout=10)
    assert callbacks(invite) == ["sc:start:gad-7-guardian"]
    reply, _ = await press_data(world, gid, invite, "sc:start:gad-7-guardian")
    assert reply is not None and ADULT_PROMPT[lang] in text_of(reply), reply
