"""The safety net end to end (issue 17 items 2-4): context across messages, the direct question
and its answers, the unanswered question, never silent inside a case, requests for a person,
and a message after a case closed. Both languages, SQLite and PostgreSQL.

Which wording the lexicon and the model flag is another layer's business (and changes as the
lexicon grows): most tests here script the classifier's verdict for their own sentences and
leave every other message to the shipped one, so they test this flow, not a word list."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.domain.cases import CaseStatus, EventKind, Tier, Trigger
from bot.domain.safety_net import Signal
from bot.domain.triage import Category, RiskLevel, Triage
from tests.e2e.chat import buttons
from tests.e2e.crisis import ROOMY, case_card, make_staff, press_in_staff
from tests.e2e.harness import World, running_world
from tests.e2e.net import ASK, LANGS, MEANS, asked, script

THEN = "今天晚上就用"
CRITICAL_LATER = "我不想活了，今晚就想从楼上跳下去"


CRITICAL = Triage(
    RiskLevel.CRITICAL, categories=(Category.SUICIDE,), matched=("药", "今天晚上就用")
)
REQUEST = Triage(RiskLevel.NONE, signals=(Signal.REQUEST.value,))


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    async with running_world(db_url, **ROOMY) as w:
        yield w


async def cases(world: World) -> list[Any]:
    async with world.uow() as u:
        found = [await u.cases.by_id(i) for i in range(1, 5)]
    return [c for c in found if c is not None]


@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
async def test_yes_to_the_direct_question_is_a_red_case_at_once(world: World, lang: str) -> None:
    await make_staff(world, world.counsellor)
    child, question = await asked(world, lang)
    assert await cases(world) == []  # a question, not yet a case
    qid = await world.sb.press_button(
        child, child, "有" if lang == "zh_Hans" else "Yes", question["message_id"]
    )
    await world.sb.wait_callback_answer(qid)
    reply = await world.sb.wait_for(child, lambda m: "110" in (m.get("text") or ""))
    assert len(buttons(reply)) == 2  # the safety reply: "are you safe right now?"
    card = await case_card(world)
    assert "🔴" in card["text"] and MEANS in card["text"]
    assert "回答“有”" in card["text"]  # in the staff's language, whatever the child's
    (case,) = await cases(world)
    assert case.tier is Tier.RED and case.trigger is Trigger.ASKED
    assert "suicide" in case.categories
    # The same button again (a double tap, or later): thanked, and still one case.
    again = await world.press(child, "有" if lang == "zh_Hans" else "Yes")
    thanked = ("谢谢，你已经回答过了。", "Thank you, I already have your answer.")
    assert again.get("text") in thanked
    assert len(await cases(world)) == 1


@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
async def test_a_typed_yes_is_the_same_answer(world: World, lang: str) -> None:
    """A child who writes 有 instead of pressing it is not told the bot cannot read them."""
    await make_staff(world, world.counsellor)
    child, _ = await asked(world, lang)
    reply = await world.say(child, "有" if lang == "zh_Hans" else "yes")
    assert "110" in reply["text"] and len(buttons(reply)) == 2
    await case_card(world)
    (case,) = await cases(world)
    assert case.tier is Tier.RED and case.trigger is Trigger.ASKED


@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
async def test_rather_not_say_is_a_yellow_case_possible_risk(world: World, lang: str) -> None:
    await make_staff(world, world.counsellor)
    child, _ = await asked(world, lang)
    await world.press(child, "不想说" if lang == "zh_Hans" else "rather not")
    reply = await world.sb.wait_for(child, lambda m: "110" in (m.get("text") or ""))
    assert ("没关系" if lang == "zh_Hans" else "That is okay") in reply["text"]
    card = await case_card(world)
    assert "🟡" in card["text"] and "未确认" in card["text"]
    (case,) = await cases(world)
    assert case.tier is Tier.YELLOW and case.trigger is Trigger.UNCONFIRMED


@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
async def test_no_gets_a_warm_reply_and_the_offer_of_a_counsellor(world: World, lang: str) -> None:
    child, _ = await asked(world, lang)
    await world.press(child, "没有" if lang == "zh_Hans" else "No")
    warm = await world.sb.wait_for(child, lambda m: bool(buttons(m)))
    assert ("谢谢你认真回答我" if lang == "zh_Hans" else "Thank you for answering") in warm["text"]
    assert any("💬" in b for b in buttons(warm))
    assert await cases(world) == []
    # Asked again and again, a child stops answering: the next such message gets the offer.
    offer = await world.say(child, MEANS)
    assert ASK[lang][0] not in offer["text"] and len(buttons(offer)) == 2
    assert await cases(world) == []


async def test_a_question_nobody_answers_becomes_a_yellow_case_after_ten_minutes(
    world: World,
) -> None:
    await make_staff(world, world.counsellor)
    child, _ = await asked(world, "zh_Hans")
    helpline = world.app.services.helpline
    world.clock.advance(minutes=9)
    assert (await helpline.tick(world.clock.now()))["unanswered"] == 0
    world.clock.advance(minutes=1, seconds=1)
    assert (await helpline.tick(world.clock.now()))["unanswered"] == 1
    card = await case_card(world)
    assert "🟡" in card["text"] and "未确认" in card["text"] and MEANS in card["text"]
    assert (await helpline.tick(world.clock.now()))["unanswered"] == 0  # once
    # A press after the timer settled it changes nothing and is answered politely.
    late = await world.press(child, "有")
    assert late.get("text") == "谢谢，你已经回答过了。"
    (case,) = await cases(world)
    assert case.tier is Tier.YELLOW and case.trigger is Trigger.UNCONFIRMED


async def test_two_messages_a_minute_apart_are_read_together(world: World) -> None:
    # Neither half alone is anything here; together they are danger now.
    scripted = script(
        world, lines={MEANS: Triage(RiskLevel.NONE)}, pairs={(MEANS, THEN): CRITICAL}
    )
    await make_staff(world, world.counsellor)
    child = await world.user("小明")
    await world.say(child, "/start")  # context is kept for people the bot knows
    await world.say(child, MEANS)  # the welcome's next step, or the fallback: no case
    world.clock.advance(minutes=1)
    reply = await world.say(child, THEN)
    assert reply["text"].startswith("谢谢你告诉我") and "110" in reply["text"]
    card = await case_card(world)
    assert "🔴" in card["text"]
    (case,) = await cases(world)
    assert case.tier is Tier.RED
    assert (THEN, (MEANS,)) in scripted.seen  # the earlier message came from the database
    # The words are kept only for the context window: the net's job deletes them.
    world.clock.advance(minutes=11)
    assert (await world.app.services.helpline.tick(world.clock.now()))["forgotten"] == 2


async def test_context_is_erased_with_the_person(world: World) -> None:
    child = await world.user("小明")
    await world.say(child, "/start")
    await world.sb.send_text(child, "今天好累")
    await asyncio.sleep(1.0)
    person = await world.person(child)
    assert person is not None and person.id is not None
    async with world.uow() as u:
        assert await u.net.earlier(person.id, world.clock.now().replace(year=2000), 9)
        counts = await u.privacy.erase([person.id])
        await u.commit()
    assert counts["net_context"] >= 1


async def test_means_then_time_with_the_shipped_classifier(world: World) -> None:
    child = await world.user("小明")
    await world.say(child, "/start")
    await world.say(child, MEANS)
    world.clock.advance(minutes=1)
    await world.say(child, THEN)
    await case_card(world)
    for _ in range(50):  # the second message raises the case the first one opened
        (case,) = await cases(world)
        if case.tier is Tier.RED:
            break
        await asyncio.sleep(0.1)
    assert case.tier is Tier.RED


@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
async def test_a_question_then_the_rest_of_the_statement_is_red(world: World, lang: str) -> None:
    """Neither half alone is more than a question; read together they are danger now."""
    first, second = (
        ("我在楼顶", "今晚就跳") if lang == "zh_Hans" else ("I'm on the roof", "tonight I jump")
    )
    await make_staff(world, world.counsellor)
    child = await world.user("小明", LANGS[lang])
    await world.say(child, "/start")
    question = await world.say(child, first)
    if lang == "zh_Hans":
        assert ASK[lang][0] in question["text"]
    world.clock.advance(minutes=1)
    reply = await world.say(child, second)
    assert "110" in reply["text"] and len(buttons(reply)) == 2
    await case_card(world)
    (case,) = await cases(world)
    assert case.tier is Tier.RED


async def _waiting_case(world: World, user: int) -> None:
    await world.sb.send_text(user, "/help")
    await world.sb.wait_for(user, lambda m: True)
    await case_card(world)


@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
async def test_a_risky_message_in_a_waiting_case_gets_the_safety_reply(
    world: World, lang: str
) -> None:
    """Issue 17: a child with a waiting, unclaimed case got no reply at all."""
    await make_staff(world, world.counsellor)
    child = await world.user("小明", LANGS[lang])
    await _waiting_case(world, child)
    text = CRITICAL_LATER if lang == "zh_Hans" else "I want to die, tonight I jump off the roof"
    reply = await world.say(child, text)
    assert "110" in reply["text"] and len(buttons(reply)) == 2
    assert ("谢谢你告诉我" if lang == "zh_Hans" else "Thank you for telling me") in reply["text"]
    (case,) = await cases(world)
    assert case.tier is Tier.RED and case.status is CaseStatus.WAITING
    await world.sb.wait_for_text(world.staff_chat_id, text, timeout=20)  # still relayed


async def test_after_a_counsellor_answered_a_risky_message_gets_one_quiet_line(
    world: World,
) -> None:
    await make_staff(world, world.counsellor)
    child = await world.user("小明")
    await _waiting_case(world, child)
    card = await case_card(world)
    await press_in_staff(world, world.counsellor, card, "✋")
    thread = card["message_thread_id"]
    await world.sb.send_text(world.counsellor["id"], "我在这里。", world.staff_chat_id, thread)
    await world.sb.wait_for_text(child, "我在这里。")
    quiet = await world.say(child, CRITICAL_LATER)
    assert quiet["text"].startswith("☎️") and "110" in quiet["text"]
    assert "\n" not in quiet["text"] and not buttons(quiet)
    await world.sb.wait_for_text(world.staff_chat_id, CRITICAL_LATER, timeout=20, thread_id=thread)
    (case,) = await cases(world)
    assert case.tier is Tier.RED and case.status is CaseStatus.CLAIMED


@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
async def test_a_request_for_a_person_is_the_counsellor_button(world: World, lang: str) -> None:
    words = "救命" if lang == "zh_Hans" else "help"
    script(world, lines={words: REQUEST})
    await make_staff(world, world.counsellor)
    child = await world.user("小明", LANGS[lang])
    reply = await world.say(child, words)
    assert "110" in reply["text"]
    card = await case_card(world)
    assert words in card["text"]
    (case,) = await cases(world)
    assert case.tier is Tier.YELLOW and case.trigger is Trigger.REQUEST


@pytest.mark.parametrize(
    ("lang", "words"), [("zh_Hans", "我想找老师聊聊"), ("zh_Hans", "帮帮我"), ("en", "help")]
)
async def test_requests_with_the_shipped_classifier(world: World, lang: str, words: str) -> None:
    child = await world.user("小明", LANGS[lang])
    reply = await world.say(child, words)
    assert "110" in reply["text"]
    await case_card(world)
    (case,) = await cases(world)
    assert case.trigger is Trigger.REQUEST and case.tier is Tier.YELLOW


async def test_a_message_after_closing_reaches_that_topic_with_a_reopen_button(
    world: World,
) -> None:
    await make_staff(world, world.counsellor)
    child = await world.user("小明")
    await _waiting_case(world, child)
    card = await case_card(world)
    thread = card["message_thread_id"]
    await press_in_staff(world, world.counsellor, card, "✋")
    await press_in_staff(world, world.counsellor, card, "关闭")
    await press_in_staff(world, world.counsellor, card, "已支持")
    await world.sb.wait_for_text(child, "对话先到这里")
    reply = await world.say(child, "老师你还在吗")
    assert "转给了" in reply["text"] and "小助手" not in reply["text"]
    await world.sb.wait_for_text(world.staff_chat_id, "老师你还在吗", timeout=20, thread_id=thread)
    post = await world.sb.wait_for(
        world.staff_chat_id, lambda m: "↩️" in (m.get("text") or ""), 20, thread_id=thread
    )
    # Only staff may reopen; then it is the presser's again; a second press is stale.
    refused = await press_in_staff(world, world.outsider, post, "重新打开")
    assert "工作人员" in refused or "staff" in refused.lower()
    await press_in_staff(world, world.counsellor, post, "重新打开")
    (case,) = await cases(world)
    assert case.status is CaseStatus.CLAIMED
    # The pressed post now shows the case's buttons; an old copy of the button is stale.
    qid = await world.sb.press(
        world.counsellor["id"], world.staff_chat_id, post["message_id"], "case:reopen:1"
    )
    assert (await world.sb.wait_callback_answer(qid)).get("text")
    assert len(await cases(world)) == 1


async def test_a_risky_message_after_closing_still_escalates(world: World) -> None:
    await make_staff(world, world.counsellor)
    child = await world.user("小明")
    await _waiting_case(world, child)
    card = await case_card(world)
    await press_in_staff(world, world.counsellor, card, "✋")
    await press_in_staff(world, world.counsellor, card, "关闭")
    await press_in_staff(world, world.counsellor, card, "已支持")
    await world.sb.wait_for_text(child, "对话先到这里")
    reply = await world.say(child, CRITICAL_LATER)
    assert reply["text"].startswith("谢谢你告诉我")
    await case_card(world, "C-0002")
    found = await cases(world)
    assert [c.status for c in found] == [CaseStatus.CLOSED, CaseStatus.WAITING]
    assert found[1].tier is Tier.RED


async def test_a_risky_caption_in_a_waiting_case_is_answered_too(world: World) -> None:
    await make_staff(world, world.counsellor)
    child = await world.user("小明")
    await _waiting_case(world, child)
    await world.sb.send_photo(child, caption=CRITICAL_LATER)
    reply = await world.sb.wait_for(child, lambda m: "110" in (m.get("text") or ""), 10)
    assert len(buttons(reply)) == 2
    (case,) = await cases(world)
    assert case.tier is Tier.RED


async def test_words_after_an_escalation_are_not_raised_again_by_their_context(
    world: World,
) -> None:
    """The context window must not make every "好的" after a disclosure a new alarm: the
    case already exists for those words."""
    await make_staff(world, world.counsellor)
    child = await world.user("小明")
    await world.say(child, "/start")
    await world.say(child, CRITICAL_LATER)
    card = await case_card(world)
    world.clock.advance(seconds=30)
    await world.sb.send_text(child, "好的")
    await world.sb.wait_for_text(
        world.staff_chat_id, "好的", timeout=20, thread_id=card["message_thread_id"]
    )
    async with world.uow() as u:
        kinds = [k for _, k, _, _ in await u.cases.events(1)]
    assert EventKind.RAISED not in kinds, kinds


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh_Hans", "我坐在水库边上，脚已经放进水里了"),
        ("en", "wrote letters to everyone and left them on my desk, tonight is the night"),
    ],
)
async def test_what_the_model_is_sure_of_opens_a_case_though_no_rule_matched(
    world: World, lang: str, words: str
) -> None:
    """The shipped lexicon has no rule for these; the shipped model's escalation band does."""
    net = world.app.services.helpline.triager
    verdict = net.classify(words)
    assert not verdict.level.at_least(RiskLevel.MEDIUM), verdict  # no rule: the model's call
    await make_staff(world, world.counsellor)
    child = await world.user("小明", LANGS[lang])
    reply = await world.say(child, words)
    assert "110" in reply["text"] and len(buttons(reply)) == 2  # the safety reply, at once
    card = await case_card(world)
    assert "🟠" in card["text"] and words in card["text"]
    (case,) = await cases(world)
    assert case.tier is Tier.ORANGE and case.trigger is Trigger.TRIAGE
