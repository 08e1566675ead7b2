"""A child in crisis and the staff who answer: the words that open a red case, staff on
duty, the case card in the staff group and a press on it, the safety reply the child gets."""

from __future__ import annotations

from typing import Any

from bot.domain.cases import Tier
from bot.domain.people import Role
from bot.services.duty import register_staff
from tests.e2e.chat import buttons, replies_to, text_of
from tests.e2e.harness import World

CRITICAL = "我今晚就想自杀，药已经准备好了"
ROUND_THE_CLOCK = {"duty_hours": "00:00-00:00"}
# Most tests are not about the staff group's budget: a roomier one keeps them quick.
# canned_media_and_merging runs with Telegram's real 20 a minute.
ROOMY = {**ROUND_THE_CLOCK, "rate_group_per_min": "60"}
RISKY = {"zh": "我不想活了，今晚就想从楼上跳下去", "en": "I want to kill myself tonight"}
# The first line of the safety reply, per language: discreet, and a question to answer.
SAFE_Q = {"zh": "你现在安全吗", "en": "Are you safe right now"}
SAFE_BUTTONS = {"zh": ["我现在安全", "我现在不安全"], "en": ["I am safe now", "I am not safe"]}


async def started(world: World, user: dict[str, Any]) -> None:
    """A supervisor can be paged only after opening a private chat with the bot."""
    await world.sb.send_text(user["id"], "/start")
    await world.sb.wait_for(user["id"], lambda m: True)


async def make_staff(
    world: World, user: dict[str, Any], role: Role = Role.COUNSELLOR, on_duty: bool = True
) -> int:
    async with world.uow() as u:
        member = await register_staff(u, user["id"], role, user["first_name"], None, "zh_Hans")
        await u.staff.set_duty(member.person_id, on_duty)
        await u.commit()
    return member.pseudonym_no


async def case_card(world: World, code: str = "C-0001") -> dict[str, Any]:
    return await world.sb.wait_for(
        world.staff_chat_id, lambda m: code in (m.get("text") or "") and bool(buttons(m)), 20
    )


async def open_case(world: World) -> tuple[int, dict[str, Any]]:
    child = await world.user("小明")
    await world.sb.send_text(child, CRITICAL)
    await world.sb.wait_for(child, lambda m: True)  # the safety reply comes first
    card = await case_card(world)
    return child, card


async def press_in_staff(
    world: World, user: dict[str, Any], card: dict[str, Any], label: str
) -> str:
    qid = await world.sb.press_button(user["id"], world.staff_chat_id, label, card["message_id"])
    answer = await world.sb.wait_callback_answer(qid)
    return str(answer.get("text") or "")


async def assert_safety_reply(world: World, uid: int, lang: str, sent: dict[str, Any]) -> None:
    said = await replies_to(world, uid, sent)
    assert said, "the risky message met silence"
    first = said[0]
    assert SAFE_Q[lang] in text_of(first), text_of(first)
    assert buttons(first) == SAFE_BUTTONS[lang]
    assert "110" in text_of(first) and "12356" in text_of(first)
    # The safety reply alone: not followed by "please use the buttons" or a fallback.
    assert len(said) == 1, [text_of(m) for m in said]


async def red_case_of(world: World, uid: int) -> Any:
    person = await world.person(uid)
    assert person is not None and person.id is not None
    async with world.uow() as u:
        case = await u.cases.open_for(person.id)
    assert case is not None, "no case was opened"
    assert case.tier is Tier.RED
    return case


async def case_said(world: World, uid: int, lang: str) -> dict[str, Any]:
    counsellor = "心理老师" if lang == "zh" else "counsellor"
    minutes = "分钟" if lang == "zh" else "minutes"
    return await world.sb.wait_for(
        uid, lambda m: counsellor in text_of(m) and minutes in text_of(m) and "110" in text_of(m)
    )


def toast_text(world: World, key: str, **data: object) -> str:
    return world.app.catalog.text(key, world.app.services.staff_locale, **data)


async def canned_media_and_merging(world: World) -> None:
    """A canned reply previewed and sent, a photo copied into the topic (never forwarded), and
    a burst merged under the group's budget, whole and in order. test_helpline.py runs it with
    the bot's own state storage, test_redis.py with Redis."""
    number = await make_staff(world, world.counsellor)
    child, card = await open_case(world)
    thread = card["message_thread_id"]
    await press_in_staff(world, world.counsellor, card, "✋")
    await press_in_staff(world, world.counsellor, card, "常用回复")
    await press_in_staff(world, world.counsellor, card, "你安全吗")
    # The words are shown first; one ✅ sends them.
    preview = await world.sb.wait_for(
        world.staff_chat_id, lambda m: "发送这段话" in " ".join(buttons(m)), 20, thread
    )
    await press_in_staff(world, world.counsellor, preview, "发送这段话")
    canned = await world.sb.wait_for_text(child, "你现在安全吗")
    assert canned["text"].startswith(f"心理老师 {number}")
    # A photo from the child is copied into the topic; nothing is forwarded.
    await world.sb.send_photo(child, caption="看")
    copied = await world.sb.wait_for(
        world.staff_chat_id, lambda m: "photo" in m, timeout=40, thread_id=thread
    )
    assert "forward_origin" not in copied
    # The group's budget is spent: a burst from the child arrives merged, and whole.
    for i in range(6):
        await world.sb.send_text(child, f"第{i}句")
    merged = await world.sb.wait_for_text(world.staff_chat_id, "第5句", timeout=60)
    relays = [
        m
        for m in await world.sb.bot_messages(world.staff_chat_id, thread)
        if "第" in (m.get("text") or "")
    ]
    assert len(relays) < 6 and all(
        any(f"第{i}句" in m["text"] for m in relays) for i in range(6)
    ), [m["text"] for m in relays]
    assert merged["message_thread_id"] == thread
    # ...and in the order the child wrote it (a reordered burst can change its meaning).
    said = "\n".join(m["text"] for m in relays)
    assert [said.index(f"第{i}句") for i in range(6)] == sorted(
        said.index(f"第{i}句") for i in range(6)
    ), said
