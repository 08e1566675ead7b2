"""A real aiogram Dispatcher long-polling the sandbox, driven through the control client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from sandbox import SandboxClient
from sandbox.client import SandboxError

START_KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[
        [
            InlineKeyboardButton(text="开始 Go", callback_data="go"),
            InlineKeyboardButton(text="Later", callback_data="later"),
        ]
    ]
)


def build_router() -> Router:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("<b>欢迎</b>", parse_mode="HTML", reply_markup=START_KEYBOARD)

    @router.message(Command("topic"))
    async def topic(message: Message, bot: Bot) -> None:
        created = await bot.create_forum_topic(message.chat.id, "Case")
        await bot.send_message(
            message.chat.id, "topic ready", message_thread_id=created.message_thread_id
        )

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"echo: {message.text}")

    @router.message(F.sticker)
    async def sticker(message: Message) -> None:
        await message.answer("nice sticker")

    @router.callback_query(F.data == "go")
    async def go(query: CallbackQuery) -> None:
        await query.answer("收到")
        if isinstance(query.message, Message):
            await query.message.edit_text("已开始")

    return router


@pytest.fixture
async def polling(bot: Bot) -> AsyncIterator[Dispatcher]:
    dispatcher = Dispatcher()
    dispatcher.include_router(build_router())
    task = asyncio.create_task(
        dispatcher.start_polling(
            bot, handle_signals=False, close_bot_session=False, polling_timeout=1
        )
    )
    yield dispatcher
    await dispatcher.stop_polling()
    await asyncio.wait_for(task, 5)


async def test_conversation_through_polling(polling: Dispatcher, sb: SandboxClient) -> None:
    user = (await sb.create_user("小明"))["id"]
    await sb.send_text(user, "/start")
    welcome = await sb.wait_for_text(user, "欢迎")
    assert welcome["entities"] == [{"type": "bold", "offset": 0, "length": 2}]

    await sb.send_text(user, "hello 世界")
    assert (await sb.wait_for_text(user, "echo:"))["text"] == "echo: hello 世界"
    await sb.send_sticker(user)
    await sb.wait_for_text(user, "nice sticker")

    query_id = await sb.press_button(user, user, "Go", message_id=welcome["message_id"])
    edited = await sb.wait_for(user, lambda m: m.get("text") == "已开始")
    assert edited["message_id"] == welcome["message_id"] and "edit_date" in edited
    assert "reply_markup" not in edited
    answer = await sb.wait_callback_answer(query_id)
    assert answer["answered"] and answer["text"] == "收到"

    # a button the handler ignores leaves the query unanswered
    with pytest.raises(LookupError, match="no inline button matching 'Nope'"):
        await sb.press_button(user, user, "Nope")
    await sb.send_text(user, "/start")
    again = await sb.wait_for_text(user, "欢迎")
    ignored = await sb.press_button(user, user, "Later", message_id=again["message_id"])
    await sb.send_text(user, "ping")
    await sb.wait_for_text(user, "echo: ping")
    assert not (await sb.callback_answer(ignored))["answered"]


async def test_forum_topics_through_polling(polling: Dispatcher, sb: SandboxClient) -> None:
    counsellor = (await sb.create_user("Counsellor"))["id"]
    staff = (await sb.create_group("Staff", [counsellor], is_forum=True))["id"]
    await sb.send_text(counsellor, "/topic", chat_id=staff)
    ready = await sb.wait_for_text(staff, "topic ready")
    thread = ready["message_thread_id"]
    assert ready["is_topic_message"] is True
    assert [t["name"] for t in await sb.topics(staff)] == ["Case"]

    await sb.send_text(counsellor, "note", chat_id=staff, thread_id=thread)
    echo = await sb.wait_for_text(staff, "echo: note", thread_id=thread)
    assert echo["message_thread_id"] == thread  # message.answer() stays in the topic

    with pytest.raises(SandboxError, match="message thread not found"):
        await sb.send_text(counsellor, "lost", chat_id=staff, thread_id=thread + 100)


async def test_wait_for_times_out_with_context(polling: Dispatcher, sb: SandboxClient) -> None:
    user = (await sb.create_user("Ann"))["id"]
    await sb.send_text(user, "hi")
    with pytest.raises(TimeoutError, match=r"last messages:[\s\S]*echo: hi"):
        await sb.wait_for_text(user, "never said", timeout=0.5)


async def test_wait_for_ignores_what_happened_before(
    polling: Dispatcher, sb: SandboxClient
) -> None:
    user = (await sb.create_user("Ann"))["id"]
    await sb.send_text(user, "same")
    await sb.wait_for_text(user, "echo: same")
    other = (await sb.create_user("Bob"))["id"]
    await sb.send_text(other, "different")
    # the earlier "echo: same" in Ann's chat must not satisfy a wait after Bob acted
    with pytest.raises(TimeoutError):
        await sb.wait_for_text(user, "echo: same", timeout=0.3)
    assert await sb.wait_for(user, lambda m: m.get("text") == "echo: same", since=0)
