"""The longest messages people can send, through the real bot: every post composed from them
fits Telegram's limits (the sandbox counts as Telegram does), keeps its buttons, and loses no
word (issue 16, item 2)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.domain.lengths import MARK, TEXT_LIMIT, units
from tests.e2e.chat import buttons
from tests.e2e.crisis import CRITICAL, ROOMY, make_staff, press_in_staff
from tests.e2e.harness import World, running_world

# Two units each for the emoji and the rare character, and <&> that HTML-escape into entities
# five times as long in the bot's markup.
FILL = "<&>😀𠀀好 "


def longest(prefix: str, limit: int = TEXT_LIMIT) -> str:
    """`prefix` padded to exactly `limit` UTF-16 units: the most a person can send."""
    out = prefix
    while True:
        for char in FILL:
            if units(out + char) > limit:
                return out + "a" * (limit - units(out))
            out += char


def bare(text: str) -> str:
    """The words without the marks the bot adds where it cuts, and without spaces (a message's
    leading and trailing spaces are trimmed, by the bot and by Telegram)."""
    return "".join(text.replace(MARK, "").split())


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    async with running_world(db_url, **ROOMY) as w:
        yield w


async def thread_texts(world: World, thread: int, after: int = 0) -> list[dict[str, Any]]:
    return [
        m
        for m in await world.sb.bot_messages(world.staff_chat_id, thread)
        if m["message_id"] > after and m.get("text")
    ]


async def relayed_words(world: World, thread: int, after: int, want: str) -> str:
    """The child's words as relayed into the topic after message `after`, once all arrived."""
    for _ in range(300):
        said = "".join(
            line.removeprefix("💬 ")
            for m in await thread_texts(world, thread, after)
            for line in m["text"].split("\n")
            if line.startswith("💬 ")
        )
        if bare(said) == bare(want):
            return said
        await asyncio.sleep(0.1)
    return said


async def test_a_longest_first_message_gets_its_card_and_every_word(world: World) -> None:
    await make_staff(world, world.counsellor)
    child = await world.user("小明")
    text = longest(CRITICAL)
    assert units(text) == TEXT_LIMIT and len(text) < TEXT_LIMIT
    await world.sb.send_text(child, text)
    await world.sb.wait_for(child, lambda m: True)  # the safety reply
    card = await world.sb.wait_for(
        world.staff_chat_id, lambda m: "C-0001" in (m.get("text") or "") and bool(buttons(m)), 20
    )
    assert "✋ 认领" in buttons(card)
    assert units(card["text"]) <= TEXT_LIMIT
    head = card["text"].split("💬 ", 1)[1]
    assert head.startswith(CRITICAL) and head.endswith(MARK)
    rest = await relayed_words(world, card["message_thread_id"], card["message_id"], text)
    assert bare(head + rest) == bare(text)
    async with world.uow() as u:
        assert (await u.outbox.counts()).get("failed", 0) == 0


async def test_a_long_conversation_every_way_and_its_transfer_summary(world: World) -> None:
    other = await world.sb.create_user("Counsellor Wang", "zh-hans")
    await world.sb.join(other["id"], world.staff_chat_id)
    number = await make_staff(world, world.counsellor)
    await make_staff(world, other)
    child = await world.user("小明")
    await world.sb.send_text(child, CRITICAL)
    await world.sb.wait_for(child, lambda m: True)
    card = await world.sb.wait_for(
        world.staff_chat_id, lambda m: "C-0001" in (m.get("text") or "") and bool(buttons(m)), 20
    )
    thread = card["message_thread_id"]
    await press_in_staff(world, world.counsellor, card, "✋")
    me, chat = world.counsellor["id"], world.staff_chat_id
    # The child's words, each the longest a message can be, reach the topic whole.
    for i in range(3):
        mark = (await world.sb.bot_messages(chat, thread))[-1]["message_id"]
        said = longest(f"第{i}段")
        await world.sb.send_text(child, said)
        assert bare(await relayed_words(world, thread, mark, said)) == bare(said)
    # The counsellor's longest line reaches the child under the pseudonym, in pieces.
    line = longest("你好，")
    await world.sb.send_text(me, line, chat, thread)
    for _ in range(300):
        got = [
            m["text"]
            for m in await world.sb.bot_messages(child)
            if m["text"].startswith(f"心理老师 {number}")
        ]
        if bare("".join(t.split("：", 1)[1] for t in got)) == bare(line):
            break
        await asyncio.sleep(0.1)
    assert bare("".join(t.split("：", 1)[1] for t in got)) == bare(line), got
    assert all(units(t) <= TEXT_LIMIT for t in got) and len(got) == 2
    for i in range(3):  # private notes as long as a message can be
        await world.sb.send_text(me, longest(f"! 笔记{i}"), chat, thread)
    for _ in range(50):
        async with world.uow() as u:
            notes = [m for m in await u.cases.messages(1) if m.direction == "note"]
        if len(notes) == 3:
            break
        await asyncio.sleep(0.1)
    await press_in_staff(world, world.counsellor, card, "转交")
    await press_in_staff(world, world.counsellor, card, "Counsellor Wang")
    summary = await world.sb.wait_for_text(chat, "转交给 Counsellor Wang", timeout=30)
    assert units(summary["text"]) <= TEXT_LIMIT
    assert "✋ 认领" not in buttons(summary) and "↩️ 退回队列" in buttons(summary)
    assert "第2段" in summary["text"] and "笔记2" in summary["text"]
    async with world.uow() as u:
        assert (await u.outbox.counts()).get("failed", 0) == 0


async def test_a_longest_edit_reaches_the_topic(db_url: str) -> None:
    """An edit is heard again with ✏️ in front: four units more than the person typed."""
    async with running_world(db_url, **ROOMY) as world:
        await make_staff(world, world.counsellor)
        child = await world.user("小明")
        sent = await world.sb.send_text(child, "你好")
        text = longest(CRITICAL)
        await world.sb.edit_text(child, sent["message_id"], text)
        card = await world.sb.wait_for(
            world.staff_chat_id,
            lambda m: "C-0001" in (m.get("text") or "") and bool(buttons(m)),
            20,
        )
        rest = await relayed_words(world, card["message_thread_id"], card["message_id"], text)
        assert bare(card["text"].split("💬 ", 1)[1] + rest) == bare("✏️" + text)
