"""Typed answers to the pickers that had only buttons (issue 19 item 2, the rest): how long to
/pause, which language, which child, and the safety net's direct question. Each understood
answer does what its button does; anything else gets "choose a button" and the question again,
never the generic reply; risky words are heard by the safety net first. Both languages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bot.domain.people import AgeBand, Relation, Role
from bot.domain.triage import RiskLevel, Triage
from tests.e2e.chat import CHOOSE, asked_again, buttons, say, text_of
from tests.e2e.crisis import RISKY, ROOMY, assert_safety_reply, make_staff
from tests.e2e.harness import World, eventually, running_world
from tests.e2e.net import ASK, asked, script
from tests.e2e.people import enrol, registered, to_english, to_the_question


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    async with running_world(db_url, **ROOMY) as w:
        yield w


async def paused_until(world: World, uid: int) -> Any:
    person = await world.person(uid)
    assert person is not None and person.id is not None
    async with world.uow() as u:
        enrolment = await u.enrolments.get(person.id, "guardian")
    assert enrolment is not None
    return enrolment.paused_until


async def ask_pause(world: World, uid: int, lang: str) -> None:
    await enrol(world, uid)
    if lang == "en":
        await to_english(world, uid)
    await to_the_question(world, uid)
    await say(world, uid, "1")  # the lesson's question answered: nothing else waits
    said = await say(world, uid, "/pause")
    assert len(said) == 1 and len(buttons(said[0])) == 4, [text_of(m) for m in said]


@pytest.mark.parametrize(("lang", "weeks"), [("zh", "两周"), ("en", "2 weeks")])
async def test_pause_answered_by_typing(world: World, lang: str, weeks: str) -> None:
    uid = await world.user("孙奶奶")
    await ask_pause(world, uid, lang)
    # Not a length on offer ("3 weeks"), or not a length at all: the question again.
    said = await say(world, uid, "三周" if lang == "zh" else "3 weeks")
    asked_again(said, lang, "")
    assert len(buttons(said[1])) == 4
    if lang == "zh":
        assert "您" in text_of(said[0])
    asked_again(await say(world, uid, "随便" if lang == "zh" else "whatever"), lang, "")
    assert await paused_until(world, uid) is None
    said = await say(world, uid, weeks)
    assert len(said) == 1 and not buttons(said[0]), [text_of(m) for m in said]
    until = await eventually(lambda: paused_until(world, uid), lambda p: p is not None)
    assert timedelta(days=13) < until - world.clock.now() <= timedelta(days=15)
    # Answered: a later word is not read against the pause any more.
    said = await say(world, uid, "谢谢" if lang == "zh" else "thanks")
    assert not any(CHOOSE[lang] in text_of(m) for m in said), [text_of(m) for m in said]


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_risky_words_while_the_pause_waits_are_heard_first(world: World, lang: str) -> None:
    await make_staff(world, world.counsellor)
    uid = await world.user("钱奶奶")
    await ask_pause(world, uid, lang)
    sent = await world.sb.send_text(uid, RISKY[lang])
    await assert_safety_reply(world, uid, lang, sent)
    assert await paused_until(world, uid) is None


@pytest.mark.parametrize(
    ("lang", "other", "done"),
    [("zh", "英文", "I will speak English"), ("en", "中文", "用中文")],
)
async def test_language_chosen_by_typing(world: World, lang: str, other: str, done: str) -> None:
    uid, _ = await registered(world, "小林", Role.CHILD, AgeBand.A12_13)
    if lang == "en":
        await to_english(world, uid)
    said = await say(world, uid, "/language")
    assert len(buttons(said[0])) == 2
    said = await say(world, uid, "火星文" if lang == "zh" else "Martian")
    asked_again(said, lang, "")
    assert buttons(said[1]) == ["中文", "English"]
    said = await say(world, uid, other)
    assert len(said) == 1 and done in text_of(said[0]), [text_of(m) for m in said]
    person = await world.person(uid)
    assert person is not None and person.locale == ("en" if lang == "zh" else "zh_Hans")


@pytest.mark.parametrize(("lang", "second"), [("zh", "第二个"), ("en", "2")])
async def test_which_child_answered_by_typing(world: World, lang: str, second: str) -> None:
    gid, guardian = await registered(world, "周奶奶", Role.GUARDIAN)
    kids = [await registered(world, n, Role.CHILD, AgeBand.A8_11) for n in ("小明", "小红")]
    async with world.uow() as u:
        for _, child in kids:
            await u.families.link(guardian.id or 0, child.id or 0, Relation.GRANDPARENT)
        await u.commit()
    if lang == "en":
        await to_english(world, gid)
    await world.sb.send_text(gid, "/check")
    menu = await world.sb.wait_for(gid, lambda m: "sc:start:psc-17" in str(m.get("reply_markup")))
    await world.sb.press(gid, gid, menu["message_id"], "sc:start:psc-17")
    which = await world.sb.wait_for(gid, lambda m: "sc:child:" in str(m.get("reply_markup")))
    assert len(buttons(which)) == 2
    said = await say(world, gid, "不知道" if lang == "zh" else "dunno")
    asked_again(said, lang, text_of(which)[:4])
    if lang == "zh":
        assert "您" in text_of(said[0])
    said = await say(world, gid, second)
    assert said and text_of(said[-1]).startswith("1/"), [text_of(m) for m in said]
    async with world.uow() as u:
        session = await u.screening.active_for(guardian.id or 0)
    assert session is not None and session.subject_id == kids[1][1].id


@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
async def test_the_direct_question_asked_again_after_a_word_that_answers_nothing(
    world: World, lang: str
) -> None:
    """有 / 没有 / 不想说 typed were answers already; anything else got the generic reply."""
    short = "zh" if lang == "zh_Hans" else "en"
    child, question = await asked(world, lang)
    word = "随便" if lang == "zh_Hans" else "whatever"
    # Read with the words before it, the model may hear risk in anything: here it hears none.
    script(world, lines={word: Triage(RiskLevel.NONE), "2": Triage(RiskLevel.NONE)})
    said = await say(world, child, word)
    asked_again(said, short, "")
    assert ASK[lang][0] in text_of(said[1]) and buttons(said[1]) == buttons(question)
    assert "110" in text_of(said[1])
    # A number is not an answer to this question.
    asked_again(await say(world, child, "2"), short, "")
    reply = await world.say(child, "没有" if lang == "zh_Hans" else "no")
    assert CHOOSE[short] not in reply["text"] and len(buttons(reply)) == 1
