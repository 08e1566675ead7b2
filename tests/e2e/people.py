"""The people a test needs, made the way the bot makes them (onboarding pressed through)
or written straight into the database (registered), and what they see of forms and lessons."""

from __future__ import annotations

from typing import Any

from bot.domain.lessons import Progress
from bot.domain.people import (
    AgeBand,
    ChildAgeBand,
    ConsentStatus,
    Person,
    PersonStatus,
    Relation,
    Role,
    new_person_code,
)
from tests.e2e.chat import buttons, has, has_buttons, press_and_wait, press_first, start, text_of
from tests.e2e.harness import World

PHONE = {"zh": "zh-hans", "en": "en-GB"}
LOCALE = {"zh": "zh_Hans", "en": "en"}
# What a grandmother presses to onboard, in each language: her role, consent, who she is to
# the child, the child's age; then words of the question that follows (the lesson day).
GUARDIAN = {
    "zh": ("👵 我照顾孩子（父母 / 祖父母）", "✅ 同意", "奶奶", "9–11 岁", "每周"),
    "en": (
        "👵 I look after a child (parent / grandparent)",
        "✅ I agree",
        "Grandma (dad's side)",
        "9–11",
        "Which day of the week",
    ),
}


async def to_english(world: World, uid: int) -> None:
    async with world.uow() as u:
        person = await u.people.by_telegram_id(uid)
        assert person is not None
        person.locale = "en"
        await u.people.save(person)
        await u.commit()


async def start_form(world: World, uid: int, form: str) -> dict[str, Any]:
    """/check, then the form's button by its callback data (any language); its first item."""
    await world.sb.send_text(uid, "/check")
    data = f"sc:start:{form}"
    menu = await world.sb.wait_for(
        uid,
        lambda m: any(
            b.get("callback_data") == data
            for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row
        ),
    )
    await world.sb.press(uid, uid, menu["message_id"], data)
    return await world.sb.wait_for(uid, lambda m: text_of(m).startswith("1/"))


async def enrol_guardian(
    world: World, uid: int, payload: str = "", lang: str = "zh"
) -> dict[str, Any]:
    """A grandmother of a child of 9–11, onboarded by pressing through; returns the question
    of the lesson day that follows. An invitation (payload) brings the role with it."""
    role, agree, relation, age, next_words = GUARDIAN[lang]
    await start(world, uid, payload)
    if not payload:
        await press_and_wait(world, uid, role)
    await press_and_wait(world, uid, agree)
    await press_and_wait(world, uid, relation)
    return await press_and_wait(world, uid, age, lambda m: next_words in text_of(m))


async def enrol(world: World, uid: int, day: str = "周日", hour: str = "🌙 晚上 7 点") -> None:
    """Onboarded as enrol_guardian, and the lesson day and hour chosen: lesson 1 is due."""
    await enrol_guardian(world, uid)
    await press_and_wait(world, uid, day, has(hour))
    qid = await world.sb.press_button(uid, uid, hour)
    await world.sb.wait_callback_answer(qid)


async def guardian_onboarding_in_chinese(world: World) -> None:
    """Every step of a grandmother's onboarding in Chinese, each question's buttons checked
    (tests/e2e/test_onboarding.py; test_redis.py runs it with the state kept in Redis)."""
    uid = await world.user("奶奶")
    ask = await start(world, uid)
    assert buttons(ask) == [
        "👵 我照顾孩子（父母 / 祖父母）",
        "🧒 我是孩子或青少年",
        "🧑‍💼 我是工作人员",
    ]
    welcome = (await world.sb.bot_messages(uid))[0]
    assert "心桥" in welcome["text"]
    keyboard = await world.sb.reply_keyboard(uid)
    assert keyboard is not None and keyboard["keyboard"][0][0]["text"] == "💬 找心理老师"
    privacy = await press_and_wait(world, uid, "👵 我照顾孩子（父母 / 祖父母）")
    assert buttons(privacy) == ["✅ 同意", "不同意", "了解更多"]
    assert (await world.person(uid)).role is None  # type: ignore[union-attr]
    more = await press_and_wait(world, uid, "了解更多")
    assert "删除" in more["text"]
    relation = await press_and_wait(world, uid, "✅ 同意", has_buttons)
    assert buttons(relation) == [
        "妈妈",
        "爸爸",
        "奶奶",
        "爷爷",
        "外婆",
        "外公",
        "其他亲属",
        "其他",
    ]
    await press_and_wait(world, uid, "奶奶")
    await press_and_wait(world, uid, "9–11 岁")
    p = await world.person(uid)
    assert p is not None
    assert (p.role, p.consent, p.relation, p.child_age_band, p.locale) == (
        Role.GUARDIAN,
        ConsentStatus.GIVEN,
        Relation.GRANDMA_PATERNAL,
        ChildAgeBand.A9_11,
        "zh_Hans",
    )


async def lessons_received(world: World, uid: int) -> list[dict[str, Any]]:
    return [m for m in await world.sb.bot_messages(uid) if (m.get("text") or "").startswith("📖")]


async def registered(
    world: World, name: str, role: Role, age: AgeBand | None = None, locale: str = "zh_Hans"
) -> tuple[int, Person]:
    uid = await world.user(name)
    async with world.uow() as u:
        person = await u.people.add(
            Person(
                telegram_id=uid,
                locale=locale,
                code=new_person_code(),
                role=role,
                status=PersonStatus.ACTIVE,
                consent=ConsentStatus.GIVEN,
                age_band=age,
            )
        )
        await u.commit()
    await world.sb.send_text(uid, "/start")  # opens the private chat
    await world.sb.wait_for(uid, lambda m: True)
    return uid, person


async def first_item(world: World, uid: int, form_label: str) -> dict[str, Any]:
    await world.sb.send_text(uid, "/check")
    await world.sb.wait_for(uid, lambda m: form_label in " ".join(buttons(m)))
    await world.sb.mark()
    await world.press(uid, form_label)
    return await world.sb.wait_for(uid, lambda m: (m.get("text") or "").startswith("1/"))


async def to_the_question(world: World, uid: int) -> dict[str, Any]:
    msg = await world.sb.wait_for(uid, lambda m: text_of(m).startswith("📖"), timeout=10)
    for _ in range(12):
        if text_of(msg).startswith("❓"):
            break
        await press_first(world, uid, msg)
        msg = await world.sb.wait_for(uid, lambda m: bool(buttons(m)))
    assert text_of(msg).startswith("❓"), text_of(msg)
    return msg


async def lesson_progress(world: World, uid: int) -> Progress:
    person = await world.person(uid)
    assert person is not None and person.id is not None
    async with world.uow() as u:
        enrolment = await u.enrolments.get(person.id, "guardian")
        assert enrolment is not None and enrolment.id is not None
        rows = await u.progress.for_enrolment(enrolment.id)
    return rows[0]
