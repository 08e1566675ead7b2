"""What people were told holds for what is already queued, and what Telegram refuses is told
to someone who can act: /stop, a case's end, a child who blocks the bot, a post refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.db.models import OutboxRow
from bot.domain.outbox import NewMessage, Priority
from bot.domain.people import PersonStatus
from tests.e2e.chat import buttons, press_and_wait
from tests.e2e.crisis import CRITICAL, ROOMY, make_staff, open_case, press_in_staff
from tests.e2e.harness import World, running_world
from tests.e2e.people import enrol

CHECK_IN = "这周的小任务是"


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    async with running_world(db_url, **ROOMY) as w:
        yield w


async def read_to_the_task(world: World, uid: int) -> None:
    """Lesson one, read to its question and answered: the week's task is shown and its
    check-in is queued for three days later."""
    msg = await world.sb.wait_for(uid, lambda m: (m.get("text") or "").startswith("📖"))
    for _ in range(10):
        if buttons(msg)[0] != "下一条 ▶":
            break
        msg = await press_and_wait(world, uid, "下一条 ▶")
    question = await press_and_wait(world, uid, "回答一个小问题 ▶")
    data = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await world.sb.press(uid, uid, question["message_id"], data)
    await world.sb.wait_for_text(uid, "这周的小任务")
    for _ in range(100):
        if await rows_to(world, uid, "checkin"):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no check-in was queued")


async def rows_to(world: World, uid: int, kind: str) -> list[tuple[str, Any]]:
    async with world.uow() as u:
        rows = await u.session.execute(
            select(OutboxRow.status, OutboxRow.due_at).where(
                OutboxRow.chat_id == uid, OutboxRow.kind == kind
            )
        )
        return [(status, due) for status, due in rows]


async def quiet_for(world: World, uid: int, seconds: float, text: str) -> bool:
    """True if nothing containing `text` reached the chat within `seconds`."""
    try:
        await world.sb.wait_for_text(uid, text, timeout=seconds)
    except TimeoutError:
        return True
    return False


async def test_stop_cancels_what_is_queued_and_whatever_is_queued_later(world: World) -> None:
    uid = await world.user("李奶奶")
    await enrol(world, uid)
    await read_to_the_task(world, uid)
    ask = await world.say(uid, "/stop")
    assert buttons(ask) == ["是的，停止", "不，继续接收"]
    told = await press_and_wait(world, uid, "是的，停止")
    assert "不会再给你发" in told["text"]
    # The check-in falls due: it does not come.
    world.clock.advance(days=3, hours=1)
    await world.app.services.lessons.queue_due(world.clock.now())
    world.app.delivery.nudge()
    assert await quiet_for(world, uid, 2.0, CHECK_IN)
    assert [s for s, _ in await rows_to(world, uid, "checkin")] == ["cancelled"]
    # A job that read her enrolment before she stopped queues a lesson after: the sender
    # checks at sending time and cancels it.
    async with world.uow() as u:
        person = await u.people.by_telegram_id(uid)
        assert person is not None and person.status is PersonStatus.STOPPED
        await u.outbox.enqueue(
            [
                NewMessage(
                    "late-lesson",
                    uid,
                    "reply",
                    Priority.LESSON,
                    "zh_Hans",
                    world.clock.now(),
                    {"template": "errors/oops"},
                    person_id=person.id,
                )
            ]
        )
        await u.commit()
    world.app.delivery.nudge()
    for _ in range(100):
        async with world.uow() as u:
            status = await u.session.scalar(
                select(OutboxRow.status).where(OutboxRow.key == "late-lesson")
            )
        if status != "pending":
            break
        await asyncio.sleep(0.05)
    assert status == "cancelled"
    # What she asks for herself is still answered.
    hotlines = await world.say(uid, "/hotlines")
    assert "12356" in hotlines["text"]


async def test_a_case_ending_lets_held_messages_go_at_their_own_time(world: World) -> None:
    """Closing a case released held rows with due_at=now: a check-in due days later went at
    once to a person who had just been through a crisis conversation."""
    await make_staff(world, world.counsellor)
    uid = await world.user("王爷爷")
    await enrol(world, uid)
    await read_to_the_task(world, uid)
    [(_, due)] = await rows_to(world, uid, "checkin")
    await world.sb.send_text(uid, "/help")  # she asks for a counsellor
    await world.sb.wait_for(uid, lambda m: True)
    card = await world.sb.wait_for(
        world.staff_chat_id, lambda m: "C-0001" in (m.get("text") or "") and bool(buttons(m)), 20
    )
    assert [s for s, _ in await rows_to(world, uid, "checkin")] == ["held"]
    await press_in_staff(world, world.counsellor, card, "✋")
    await press_in_staff(world, world.counsellor, card, "关闭")
    await press_in_staff(world, world.counsellor, card, "已支持")  # a yellow case: one tap
    await world.sb.wait_for_text(uid, "对话先到这里", timeout=10)
    assert await quiet_for(world, uid, 1.5, CHECK_IN)
    assert await rows_to(world, uid, "checkin") == [("pending", due)]
    world.clock.advance(seconds=(due - world.clock.now()).total_seconds() + 1)
    world.app.delivery.nudge()
    await world.sb.wait_for_text(uid, CHECK_IN, timeout=10)


async def test_staff_are_told_when_the_child_blocks_the_bot(world: World) -> None:
    await make_staff(world, world.counsellor)
    child, card = await open_case(world)
    await press_in_staff(world, world.counsellor, card, "✋")
    thread = card["message_thread_id"]
    await world.sb.block(child)
    await world.sb.send_text(world.counsellor["id"], "你还在吗？", world.staff_chat_id, thread)
    note = await world.sb.wait_for_text(world.staff_chat_id, "屏蔽", timeout=10, thread_id=thread)
    assert "C-0001" in note["text"] and "监护人" in note["text"]
    assert buttons(note)  # the case's actions are at hand beside it
    assert (await world.person(child)).status is PersonStatus.INACTIVE  # type: ignore[union-attr]


async def test_a_refused_case_post_is_told_in_the_staff_chat(world: World) -> None:
    await make_staff(world, world.counsellor)
    # Telegram refuses the case's first post for good (a 400): nothing retries it.
    await world.sb.add_fault("400", "sendMessage", chat_id=world.staff_chat_id, times=1)
    child = await world.user("小红")
    await world.sb.send_text(child, CRITICAL)
    await world.sb.wait_for(child, lambda m: True)
    alert = await world.sb.wait_for_text(world.staff_chat_id, "C-0001", timeout=10)
    assert "没能发到工作群" in alert["text"] and "message is too long" in alert["text"]
    assert alert.get("message_thread_id") is None  # the general thread, not the topic
    assert "✋ 认领" in buttons(alert)
