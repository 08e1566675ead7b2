"""Invitation texts name who invited the person in words they know: a child reads "你的奶奶
（城关镇儿童之家登记）邀请你…", a guardian invited by staff reads the service point's name."""

from __future__ import annotations

import pytest

from bot.domain.people import ServicePointKind
from tests.e2e.chat import has_buttons, press_and_wait, start
from tests.e2e.harness import World

LABELS = {
    "zh-hans": {
        "agree": "✅ 同意",
        "grandma": "奶奶",
        "age": "9–11 岁",
        "day": "周日",
        "hour": "🌙 晚上 7 点",
        "invite": "📨 邀请我的孩子",
        "make": "✅ 同意并生成链接",
        "guardian_reads": "城关镇儿童之家邀请您加入心桥",
        "child_reads": "你的奶奶（城关镇儿童之家登记）邀请你来心桥。",
    },
    "en": {
        "agree": "✅ I agree",
        "grandma": "Grandma (dad's side)",
        "age": "9–11",
        "day": "Sunday",
        "hour": "🌙 Evening, 19:00",
        "invite": "📨 Invite my child",
        "make": "✅ Agree and make the link",
        "guardian_reads": "城关镇儿童之家 invited you to Xinqiao, for the child in your care.",
        "child_reads": "Your grandma (your dad's mother), registered at 城关镇儿童之家, invited "
        "you to Xinqiao.",
    },
}


def code_in(text: str) -> str:
    return text.split("?start=")[1].split(maxsplit=1)[0]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
async def test_invited_people_read_who_invited_them(world: World, language: str) -> None:
    words = LABELS[language]
    async with world.uow() as u:
        await u.service_points.add(
            "SP-9",
            "城关镇儿童之家",
            ServicePointKind.CHILDREN_HOME,
            staff_chat_id=world.staff_chat_id,
        )
        await u.commit()
    await world.sb.send_text(world.admin["id"], "/invite guardian", chat_id=world.staff_chat_id)
    made = await world.sb.wait_for_text(world.staff_chat_id, "?start=")

    grandma = await world.user("张", language)
    await start(world, grandma, code_in(made["text"]))
    welcome = (await world.sb.bot_messages(grandma))[0]["text"]
    assert words["guardian_reads"] in welcome
    assert "SP-9" not in welcome  # the place's name, never its code
    await press_and_wait(world, grandma, words["agree"])
    await press_and_wait(world, grandma, words["grandma"])
    await press_and_wait(world, grandma, words["age"], has_buttons)
    await press_and_wait(world, grandma, words["day"], has_buttons)
    await press_and_wait(world, grandma, words["hour"], has_buttons)
    await press_and_wait(world, grandma, words["invite"], has_buttons)
    link = await press_and_wait(world, grandma, words["make"], lambda m: "?start=" in m["text"])

    child = await world.user("明明", language)
    await start(world, child, code_in(link["text"]))
    welcome = (await world.sb.bot_messages(child))[0]["text"]
    assert words["child_reads"] in welcome
    assert "张" not in welcome  # not a bare name: who they are to the child
