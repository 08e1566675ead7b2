"""A counsellor calls up a safety plan, a care plan or the home-visit checklist in a case topic."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.crisis import ROOMY, make_staff, open_case
from tests.e2e.harness import World, running_world


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    async with running_world(db_url, **ROOMY) as w:
        yield w


async def test_forms_are_posted_into_the_case_topic_prefilled(world: World) -> None:
    await make_staff(world, world.counsellor)
    _, card = await open_case(world)
    thread = card["message_thread_id"]
    me, chat = world.counsellor["id"], world.staff_chat_id
    await world.sb.send_text(me, "/plan safety", chat, thread)
    safety = await world.sb.wait_for_text(chat, "安全计划", timeout=20, thread_id=thread)
    assert "C-0001" in safety["text"] and "农药" in safety["text"] and "110" in safety["text"]
    await world.sb.send_text(me, "/plan care", chat, thread)
    care = await world.sb.wait_for_text(chat, "分人分类关爱方案", timeout=20, thread_id=thread)
    assert "C-0001" in care["text"] and "/file C-0001" in care["text"]
    await world.sb.send_text(me, "/visit", chat, thread)
    visit = await world.sb.wait_for_text(chat, "家访清单", timeout=20, thread_id=thread)
    for word in ("学业压力", "经济困难", "家庭变故", "权益受侵"):
        assert word in visit["text"]
    await world.sb.send_text(me, "/plan", chat, thread)
    await world.sb.wait_for_text(chat, "/plan safety", timeout=20, thread_id=thread)
    # Outside a case topic it says where to use it; nothing reaches the child.
    await world.sb.send_text(me, "/visit", chat)
    await world.sb.wait_for_text(chat, "个案话题", timeout=20)


async def test_forms_in_the_staff_language_english(db_url: str) -> None:
    async with running_world(db_url, **ROOMY, default_locale="en") as w:
        await make_staff(w, w.counsellor)
        _, card = await open_case(w)
        thread = card["message_thread_id"]
        await w.sb.send_text(w.counsellor["id"], "/visit", w.staff_chat_id, thread)
        visit = await w.sb.wait_for_text(
            w.staff_chat_id, "Home-visit checklist", timeout=20, thread_id=thread
        )
        assert "Study pressure" in visit["text"] and "Rights violated" in visit["text"]
        await w.sb.send_text(w.counsellor["id"], "/plan safety", w.staff_chat_id, thread)
        await w.sb.wait_for_text(w.staff_chat_id, "Safety plan", timeout=20, thread_id=thread)
