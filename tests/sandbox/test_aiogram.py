"""The real aiogram client against the sandbox: calls, shapes and error mapping."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.methods import TelegramMethod
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)

from sandbox import SandboxClient, SandboxServer
from sandbox.files import sample_png
from tests.sandbox.harness import BOT_ID, make_bot

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[
        [
            InlineKeyboardButton(text="好的 OK", callback_data="ok"),
            InlineKeyboardButton(text="Help", url="https://example.org/help"),
        ]
    ]
)


async def test_get_me(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (BOT_ID, True, "xinqiao_demo_bot")
    assert me.first_name == "心桥 Xinqiao"


async def test_send_plain_html_and_keyboards(
    bot: Bot, sb: SandboxClient, family: dict[str, Any]
) -> None:
    chat = family["guardian"]["id"]
    plain = await bot.send_message(chat, "你好 👋 world")
    assert plain.text == "你好 👋 world" and plain.entities is None
    assert plain.from_user is not None and plain.from_user.id == BOT_ID
    assert plain.chat.id == chat and plain.chat.type == "private"

    html = await bot.send_message(
        chat,
        '👋 <b>粗体</b> <i>it</i> <code>x&lt;y</code> <a href="https://a.b/c">链接</a>',
        parse_mode="HTML",
    )
    assert html.text == "👋 粗体 it x<y 链接"
    entities = [(e.type, e.offset, e.length, e.url) for e in html.entities or []]
    # offsets count UTF-16 code units: the emoji takes two
    assert entities == [
        ("bold", 3, 2, None),
        ("italic", 6, 2, None),
        ("code", 9, 3, None),
        ("text_link", 13, 2, "https://a.b/c"),
    ]
    assert html.message_id == plain.message_id + 1

    with_inline = await bot.send_message(chat, "choose", reply_markup=KEYBOARD)
    assert with_inline.reply_markup is not None
    assert with_inline.reply_markup.model_dump(exclude_none=True) == KEYBOARD.model_dump(
        exclude_none=True
    )

    reply_kb = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="📅 今天")]], resize_keyboard=True
    )
    with_reply = await bot.send_message(chat, "menu", reply_markup=reply_kb)
    assert with_reply.reply_markup is None  # Message.reply_markup holds inline keyboards only
    assert (await sb.reply_keyboard(chat)) == {
        "keyboard": [[{"text": "📅 今天"}]],
        "resize_keyboard": True,
    }
    await bot.send_message(chat, "bye", reply_markup=ReplyKeyboardRemove())
    assert await sb.reply_keyboard(chat) is None


async def test_edit_delete_and_not_modified(
    bot: Bot, sb: SandboxClient, family: dict[str, Any]
) -> None:
    chat = family["guardian"]["id"]
    sent = await bot.send_message(chat, "v1", reply_markup=KEYBOARD)
    edited = await bot.edit_message_text(
        "v2", chat_id=chat, message_id=sent.message_id, reply_markup=KEYBOARD
    )
    assert not isinstance(edited, bool)
    assert edited.text == "v2" and edited.edit_date is not None
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "v2", chat_id=chat, message_id=sent.message_id, reply_markup=KEYBOARD
        )
    # an edit without reply_markup drops the keyboard, as Telegram does
    await bot.edit_message_text("v2", chat_id=chat, message_id=sent.message_id)
    assert "reply_markup" not in (await sb.messages(chat))[-1]
    await bot.edit_message_reply_markup(
        chat_id=chat, message_id=sent.message_id, reply_markup=KEYBOARD
    )
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=chat, message_id=9999)
    assert await bot.delete_message(chat, sent.message_id)
    assert sent.message_id not in [m["message_id"] for m in await sb.messages(chat)]
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(chat, sent.message_id)


async def test_callback_answer_once(bot: Bot, sb: SandboxClient, family: dict[str, Any]) -> None:
    chat = family["guardian"]["id"]
    await bot.send_message(chat, "choose", reply_markup=KEYBOARD)
    query_id = await sb.press_button(chat, chat, "OK")
    assert await bot.answer_callback_query(query_id, text="已记录", show_alert=True)
    answer = await sb.callback_answer(query_id)
    assert answer == {
        "answered": True,
        "text": "已记录",
        "show_alert": True,
        "url": None,
        "data": "ok",
    }
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query("nonsense")


async def test_commands_per_scope_and_language(bot: Bot, sb: SandboxClient) -> None:
    await bot.set_my_commands([BotCommand(command="start", description="Start")])
    await bot.set_my_commands(
        [BotCommand(command="start", description="开始")], language_code="zh"
    )
    await bot.set_my_commands(
        [BotCommand(command="help", description="帮助")],
        scope=BotCommandScopeAllPrivateChats(),
        language_code="zh",
    )
    assert [c.description for c in await bot.get_my_commands()] == ["Start"]
    assert [c.description for c in await bot.get_my_commands(language_code="zh")] == ["开始"]
    scoped = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="zh")
    assert [c.command for c in scoped] == ["help"]
    assert await bot.get_my_commands(language_code="en") == []
    assert await sb.bot_commands("zh") == [{"command": "start", "description": "开始"}]
    # Telegram accepts only two-letter ISO 639-1 codes here, not IETF tags like zh-hans
    with pytest.raises(TelegramBadRequest, match="invalid language code"):
        await bot.set_my_commands(
            [BotCommand(command="a", description="b")], language_code="zh-hans"
        )
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Start!", description="b")])
    # the menu a client shows: Telegram's scope order, then language before no language
    ann = (await sb.create_user("Ann", language_code="zh-hans"))["id"]
    bob = (await sb.create_user("Bob", language_code="en"))["id"]
    assert [c["command"] for c in await sb.menu_for(ann)] == ["help"]
    assert [c["description"] for c in await sb.menu_for(bob)] == ["Start"]
    await sb.send_text(ann, "/start")  # a chat's own menu needs a chat the bot can reach
    await bot.set_my_commands(
        [BotCommand(command="lang", description="语言")], scope=BotCommandScopeChat(chat_id=ann)
    )
    assert [c["command"] for c in await sb.menu_for(ann)] == ["lang"]
    await bot.delete_my_commands(language_code="zh")
    assert await bot.get_my_commands(language_code="zh") == []


async def test_chat_scope_menus_per_language_and_unreachable_chats(
    bot: Bot, sb: SandboxClient, family: dict[str, Any]
) -> None:
    """A group's own menu per language, a private chat's own menu, deleting one (recorded as
    an event, the client falls back), and Telegram's "chat not found" for chats the bot cannot
    reach."""
    staff = family["staff"]["id"]
    counsellor = family["counsellor"]["id"]  # an English client
    child = family["child"]["id"]  # a Chinese client
    colleague = (await sb.create_user("同事", language_code="zh-hans"))["id"]
    await sb.join(colleague, staff)
    group = BotCommandScopeChat(chat_id=staff)
    await bot.set_my_commands([BotCommand(command="queue", description="队列")], scope=group)
    await bot.set_my_commands(
        [BotCommand(command="queue", description="Queue")], scope=group, language_code="en"
    )
    assert [c["description"] for c in await sb.menu_for(counsellor, staff)] == ["Queue"]
    assert [c["description"] for c in await sb.menu_for(colleague, staff)] == ["队列"]
    assert await sb.menu_for(child) == []  # a group's menu is no private chat's

    mark = await sb.mark()
    own = BotCommandScopeChat(chat_id=child)
    await bot.set_my_commands([BotCommand(command="help", description="求助")], scope=own)
    await bot.set_my_commands([BotCommand(command="start", description="开始")])
    assert [c["command"] for c in await sb.menu_for(child)] == ["help"]
    assert await bot.delete_my_commands(scope=own)
    assert [c["command"] for c in await sb.menu_for(child)] == ["start"]
    scopes = [e["scope"] for e in (await sb.events(mark, 0))["events"] if e["type"] == "commands"]
    assert scopes == [f"chat:{child}", "default", f"chat:{child}"]

    stranger = (await sb.create_user("Never started"))["id"]
    for chat_id in (stranger, -1009999, 424242):
        with pytest.raises(TelegramBadRequest, match="chat not found"):
            await bot.set_my_commands(
                [BotCommand(command="a", description="b")],
                scope=BotCommandScopeChat(chat_id=chat_id),
            )


async def test_forum_topic_and_copy(bot: Bot, sb: SandboxClient, family: dict[str, Any]) -> None:
    staff = family["staff"]["id"]
    child = family["child"]["id"]
    topic = await bot.create_forum_topic(staff, "小明 · 个案")
    assert topic.name == "小明 · 个案" and topic.icon_color == 7322096
    created = (await sb.messages(staff, topic.message_thread_id))[0]
    assert created["message_id"] == topic.message_thread_id
    assert created["forum_topic_created"]["name"] == "小明 · 个案"

    note = await bot.send_message(staff, "new case", message_thread_id=topic.message_thread_id)
    assert note.message_thread_id == topic.message_thread_id and note.is_topic_message
    general = await bot.send_message(staff, "general")
    assert general.message_thread_id is None and general.is_topic_message is None

    said = await sb.send_text(child, "我今天不开心")
    copy = await bot.copy_message(
        staff, child, said["message_id"], message_thread_id=topic.message_thread_id
    )
    copied = (await sb.messages(staff, topic.message_thread_id))[-1]
    assert copied["message_id"] == copy.message_id
    assert copied["text"] == "我今天不开心" and copied["from"]["id"] == BOT_ID
    assert "forward_origin" not in copied

    reply = await bot.send_message(
        staff, "reply", reply_parameters=ReplyParameters(message_id=note.message_id)
    )
    assert reply.message_thread_id == topic.message_thread_id  # replies land in the topic
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.message_id == note.message_id


async def test_send_photo_upload_and_reuse(bot: Bot, family: dict[str, Any]) -> None:
    chat = family["guardian"]["id"]
    photo = await bot.send_photo(
        chat,
        BufferedInputFile(sample_png(1000, 500), "d.png"),
        caption="<b>图</b>",
        parse_mode="HTML",
    )
    assert photo.photo is not None
    assert [(p.width, p.height) for p in photo.photo] == [
        (90, 45),
        (320, 160),
        (800, 400),
        (1000, 500),
    ]
    assert photo.caption == "图" and photo.caption_entities is not None
    again = await bot.send_photo(chat, photo.photo[-1].file_id)
    assert (
        again.photo is not None
        and again.photo[-1].file_unique_id == photo.photo[-1].file_unique_id
    )
    file = await bot.get_file(photo.photo[-1].file_id)
    assert file.file_path is not None
    data = await bot.download_file(file.file_path)
    assert data is not None and data.read() == sample_png(1000, 500)
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(chat, BufferedInputFile(b"not an image", "x.png"))
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(chat, "AgACAgIAAxkBAAI-unknown")


async def test_get_updates_long_poll_with_offset(bot: Bot, sb: SandboxClient) -> None:
    user = await sb.create_user("Ann")
    assert await bot.get_updates(timeout=0) == []
    started = asyncio.get_running_loop().time()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    await sb.send_text(user["id"], "ping")
    updates = await poll
    assert asyncio.get_running_loop().time() - started < 2
    assert [u.message.text for u in updates if u.message] == ["ping"]
    await sb.send_text(user["id"], "pong")
    again = await bot.get_updates()
    assert [u.update_id for u in again] == [updates[0].update_id, updates[0].update_id + 1]
    confirmed = await bot.get_updates(offset=again[-1].update_id)
    assert [u.update_id for u in confirmed] == [again[-1].update_id]
    assert await bot.get_updates(offset=again[-1].update_id + 1) == []
    # confirmed updates are gone for good, even with an older offset
    assert await bot.get_updates(offset=1) == []


async def test_error_mapping(
    bot: Bot, sb: SandboxClient, server: SandboxServer, family: dict[str, Any]
) -> None:
    chat = family["guardian"]["id"]
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(chat, "字" * 4097)
    assert (await bot.send_message(chat, "字" * 4096)).text == "字" * 4096
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(
            chat,
            "x",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="a" * 65)]]
            ),
        )
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(424242, "x")
    stranger = await sb.create_user("Stranger")
    with pytest.raises(TelegramForbiddenError, match="can't initiate conversation"):
        await bot.send_message(stranger["id"], "x")
    await sb.block(chat)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(chat, "x")
    await sb.add_fault("429", "sendMessage", retry_after=7, times=1)
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot.send_message(family["child"]["id"], "x")
    assert retry.value.retry_after == 7

    wrong = make_bot(server.base_url, token="999:WRONG")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await wrong.get_me()
    finally:
        await wrong.session.close()

    await bot.set_webhook("http://127.0.0.1:9/hook")
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()

    class Unknown(TelegramMethod[bool]):
        __returning__ = bool
        __api_method__ = "noSuchMethod"

    with pytest.raises(TelegramNotFound, match="Not Found"):
        await bot(Unknown())
