"""Never silent, end to end (issue 17 items 4 and 5): a risky message gets the safety reply in
the same update whatever the person is in the middle of (onboarding before consent, a
questionnaire, a lesson), a photo's caption is heard like text, a screening result that opens
a case says so at once with when and whom to call, and free text that needs nothing gets a
warm answer (never "I cannot read you"), one per message, in both languages.

Every test runs on SQLite and, where a server answers, PostgreSQL (the `db_url` fixture)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.domain.cases import Tier
from bot.domain.people import AgeBand, Relation, Role
from tests.e2e.chat import (
    CANNOT_READ,
    answer,
    buttons,
    press_and_wait,
    press_first,
    replies_to,
    start,
    text_of,
)
from tests.e2e.crisis import (
    RISKY,
    ROOMY,
    SAFE_BUTTONS,
    SAFE_Q,
    assert_safety_reply,
    case_said,
    make_staff,
    red_case_of,
)
from tests.e2e.harness import World, running_world
from tests.e2e.people import PHONE, enrol, registered, start_form, to_english


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    # Round-the-clock duty: what the person is told about timing does not hang on the hour.
    async with running_world(db_url, **ROOMY) as w:
        yield w


# -- never silent, in every state ---------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_risky_message_before_consent_mid_onboarding(world: World, lang: str) -> None:
    await make_staff(world, world.counsellor)
    uid = await world.user("小华" if lang == "zh" else "Amy", PHONE[lang])
    await start(world, uid)
    role = "🧒 我是孩子或青少年" if lang == "zh" else "🧒 I am a child or teenager"
    age = await press_and_wait(world, uid, role)
    assert buttons(age)  # the age question waits for a button: consent is not given yet
    sent = await world.sb.send_text(uid, RISKY[lang])
    await assert_safety_reply(world, uid, lang, sent)
    await red_case_of(world, uid)
    # Onboarding carries on where it was.
    label = "12–13" if lang == "en" else "12–13 岁"
    privacy = await press_and_wait(world, uid, label)
    assert buttons(privacy)


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_risky_message_mid_questionnaire(world: World, lang: str) -> None:
    await make_staff(world, world.counsellor)
    uid, _ = await registered(world, "小红", Role.CHILD, AgeBand.A14_15)
    if lang == "en":
        await to_english(world, uid)
    item = await start_form(world, uid, "phq-a")
    item = await answer(world, uid, item, 1)
    assert text_of(item).startswith("2/")
    sent = await world.sb.send_text(uid, RISKY[lang])
    await assert_safety_reply(world, uid, lang, sent)
    await red_case_of(world, uid)
    # The form waits where it was: the next answer is still taken.
    nxt = await answer(world, uid, item, 0)
    assert text_of(nxt).startswith("3/")


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_risky_message_mid_lesson(world: World, lang: str) -> None:
    """A grandparent reading a lesson, at its quiz, writes that they want to die."""
    await make_staff(world, world.counsellor)
    uid = await world.user("李奶奶")
    await enrol(world, uid)
    if lang == "en":
        await to_english(world, uid)
    # The lesson, read on button by button (pressed by callback data, any language) to its
    # quiz question.
    msg = await world.sb.wait_for(uid, lambda m: text_of(m).startswith("📖"), timeout=10)
    for _ in range(12):
        if text_of(msg).startswith("❓"):
            break
        await press_first(world, uid, msg)
        msg = await world.sb.wait_for(uid, lambda m: bool(buttons(m)))
    assert text_of(msg).startswith("❓"), text_of(msg)
    sent = await world.sb.send_text(uid, RISKY[lang])
    await assert_safety_reply(world, uid, lang, sent)
    await red_case_of(world, uid)


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_photo_caption_is_heard_for_risk(world: World, lang: str) -> None:
    """Outside a case a photo reaches only the fallback: its caption used to be ignored, and
    the child read "I can't reply" under a picture of what they meant to do."""
    await make_staff(world, world.counsellor)
    uid, _ = await registered(world, "小东", Role.CHILD, AgeBand.A12_13)
    if lang == "en":
        await to_english(world, uid)
    sent = await world.sb.send_photo(uid, caption=RISKY[lang])
    await assert_safety_reply(world, uid, lang, sent)
    await red_case_of(world, uid)


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_risky_words_after_a_slash_or_after_help_are_heard(world: World, lang: str) -> None:
    """ "/我不想活了" is no command and used to reach only the fallback; "/help 我不想活了…"
    asked for a counsellor at the calm yellow tier. Both are heard for risk now."""
    await make_staff(world, world.counsellor)
    uid, _ = await registered(world, "小亮", Role.CHILD, AgeBand.A14_15)
    if lang == "en":
        await to_english(world, uid)
    sent = await world.sb.send_text(uid, "/" + RISKY[lang])
    await assert_safety_reply(world, uid, lang, sent)
    await red_case_of(world, uid)

    other, _ = await registered(world, "小静", Role.CHILD, AgeBand.A12_13)
    if lang == "en":
        await to_english(world, other)
    sent = await world.sb.send_text(other, "/help " + RISKY[lang])
    await assert_safety_reply(world, other, lang, sent)
    await red_case_of(world, other)

    # A staff command's words typed in a private chat are relayed to nobody, but risk in them
    # is still acted on.
    third, _ = await registered(world, "小雨", Role.CHILD, AgeBand.A12_13)
    if lang == "en":
        await to_english(world, third)
    sent = await world.sb.send_text(third, "/note " + RISKY[lang])
    await assert_safety_reply(world, third, lang, sent)
    await red_case_of(world, third)


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_risky_words_after_any_command_are_heard_and_the_command_still_answers(
    world: World, lang: str
) -> None:
    """ "/check 我不想活了…" went to the questionnaire menu alone: the command had no ear for
    the words after it. The safety reply and a case come first now, then what was asked."""
    await make_staff(world, world.counsellor)
    uid, _ = await registered(world, "小北", Role.CHILD, AgeBand.A12_13)
    if lang == "en":
        await to_english(world, uid)
    sent = await world.sb.send_text(uid, "/check " + RISKY[lang])
    said = await replies_to(world, uid, sent)
    assert said and SAFE_Q[lang] in text_of(said[0]), [text_of(m) for m in said]
    assert buttons(said[0]) == SAFE_BUTTONS[lang]
    assert len(said) == 2, [text_of(m) for m in said]  # and the menu of checks, as asked
    assert SAFE_Q[lang] not in text_of(said[1]) and buttons(said[1])
    await red_case_of(world, uid)

    # Ordinary words after a command are the command's business: no case, no safety reply.
    calm, _ = await registered(world, "小南", Role.CHILD, AgeBand.A12_13)
    if lang == "en":
        await to_english(world, calm)
    sent = await world.sb.send_text(calm, "/check " + ("今天好开心" if lang == "zh" else "hello"))
    said = await replies_to(world, calm, sent)
    assert all(SAFE_Q[lang] not in text_of(m) for m in said), [text_of(m) for m in said]
    person = await world.person(calm)
    assert person is not None and person.id is not None
    async with world.uow() as u:
        assert await u.cases.open_for(person.id) is None


# -- a screening result that opens a case is said at once -----------------------------------


async def accept_case(world: World, uid: int) -> None:
    """Say yes to the case a result offers (it never opens unasked)."""
    offer = await world.sb.wait_for(
        uid,
        lambda m: any(
            b.get("callback_data", "").startswith("sc:case:")
            for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row
        ),
    )
    data = next(
        b["callback_data"]
        for row in offer["reply_markup"]["inline_keyboard"]
        for b in row
        if b["callback_data"].startswith("sc:case:")
    )
    await world.sb.mark()
    await world.sb.press(uid, uid, offer["message_id"], data)


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_guardians_questionnaire_that_opens_a_case_tells_her_when_and_whom_to_call(
    world: World, lang: str
) -> None:
    await make_staff(world, world.counsellor)
    gid, guardian = await registered(world, "王奶奶", Role.GUARDIAN)
    _, child = await registered(world, "小明", Role.CHILD, AgeBand.A8_11)
    async with world.uow() as u:
        await u.families.link(guardian.id or 0, child.id or 0, Relation.GRANDPARENT)
        await u.commit()
    if lang == "en":
        await to_english(world, gid)
    item = await start_form(world, gid, "psc-17")
    for n in range(17):
        assert text_of(item).startswith(f"{n + 1}/17"), text_of(item)
        if n < 16:
            item = await answer(world, gid, item, 2 if n < 8 else 0)  # "often" for 8 items
    # The last answer: the summary and the question whether a counsellor may get in touch;
    # her yes opens the case and, in the same update, she is told what happens now.
    await answer(world, gid, item, 0)
    await accept_case(world, gid)
    told = await case_said(world, gid, lang)
    assert "12356" in text_of(told)
    person = await world.person(gid)
    async with world.uow() as u:
        case = await u.cases.open_for(person.id or 0)  # type: ignore[union-attr]
    assert case is not None and case.tier is Tier.ORANGE


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_childs_questionnaire_that_opens_a_case_tells_them_at_once(
    world: World, lang: str
) -> None:
    await make_staff(world, world.counsellor)
    uid, _ = await registered(world, "小兰", Role.CHILD, AgeBand.A14_15)
    if lang == "en":
        await to_english(world, uid)
    item = await start_form(world, uid, "phq-a")
    # "More than half the days" for six items and "not at all" for the rest (item 9, the
    # safety item, included): 12, orange, with no safety answer.
    for n in range(30):
        if not text_of(item)[:1].isdigit():
            break
        item = await answer(world, uid, item, 2 if n < 6 else 0)
    await accept_case(world, uid)
    told = await case_said(world, uid, lang)
    assert "12356" in text_of(told)
    case = await world.app.services.helpline.open_case_of(uid)
    assert case is not None and case.tier is Tier.ORANGE


# -- the warm fallback -------------------------------------------------------------------


CHILD_LINES = {
    "zh": ["今天吃了面条", "我喜欢画画", "今天天气很好"],
    "en": ["I like football", "we had noodles today", "the weather is nice"],
}


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_childs_free_text_gets_a_warm_answer_and_a_counsellor_button(
    world: World, lang: str
) -> None:
    await make_staff(world, world.counsellor)
    uid, _ = await registered(world, "小芳", Role.CHILD, AgeBand.A12_13)
    if lang == "en":
        await to_english(world, uid)
    talk = "💬 找心理老师" if lang == "zh" else "💬 Talk to a counsellor"
    sent = []
    for line in CHILD_LINES[lang]:
        sent.append(await world.sb.send_text(uid, line))
        await world.sb.wait_for(uid, lambda m: True)  # its answer before the next line
    said = await replies_to(world, uid, sent[0])
    # One answer per line, no more.
    assert len(said) == len(CHILD_LINES[lang]), [text_of(m) for m in said]
    for m in said:
        assert not any(phrase in text_of(m) for phrase in CANNOT_READ), text_of(m)
        assert buttons(m) == [talk]
    # Not the identical sentence three times in a row.
    assert len({text_of(m) for m in said}) == len(said)
    # The button is the way to a person: a case is asked for.
    await world.sb.mark()
    await world.sb.press(uid, uid, said[-1]["message_id"], "help:counsellor")
    requested = await world.sb.wait_for(uid, lambda m: True)
    assert ("心理老师" if lang == "zh" else "counsellor") in text_of(requested)
    case = await world.app.services.helpline.open_case_of(uid)
    assert case is not None


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_guardians_free_text_hears_what_the_bot_can_do(world: World, lang: str) -> None:
    gid, _ = await registered(world, "张爷爷", Role.GUARDIAN)
    if lang == "en":
        await to_english(world, gid)
    question = "孩子最近不爱说话，怎么办" if lang == "zh" else "what can you do?"
    sent = await world.sb.send_text(gid, question)
    said = await replies_to(world, gid, sent)
    assert len(said) == 1, [text_of(m) for m in said]
    reply = text_of(said[0])
    assert not any(phrase in reply for phrase in CANNOT_READ), reply
    for command in ("/lessons", "/check", "/help", "/hotlines"):
        assert command in reply, (command, reply)
    assert ("您" in reply) if lang == "zh" else ("counsellor" in reply)


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_someone_new_and_staff_get_their_own_answers(world: World, lang: str) -> None:
    stranger = await world.user("路人" if lang == "zh" else "Sam", PHONE[lang])
    sent = await world.sb.send_text(stranger, "你好" if lang == "zh" else "hello")
    said = await replies_to(world, stranger, sent)
    assert len(said) == 1, [text_of(m) for m in said]
    reply = text_of(said[0])
    assert "/start" in reply and "/help" in reply
    assert not any(phrase in reply for phrase in CANNOT_READ), reply
    assert ("心理老师" in reply) if lang == "zh" else ("counsellor" in reply)

    await make_staff(world, world.counsellor)
    cid = world.counsellor["id"]
    if lang == "en":
        await to_english(world, cid)
    sent = await world.sb.send_text(cid, "测试一下" if lang == "zh" else "testing")
    said = await replies_to(world, cid, sent)
    assert len(said) == 1, [text_of(m) for m in said]
    assert "/queue" in text_of(said[0]), text_of(said[0])
