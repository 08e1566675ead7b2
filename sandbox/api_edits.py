"""Editing and deleting messages, answering callback queries, chat actions."""

from __future__ import annotations

import time
from typing import Any

from sandbox.api_messages import caption_fields, ensure_reachable, target
from sandbox.chats import Chat
from sandbox.errors import MESSAGE_NOT_MODIFIED, QUERY_TOO_OLD, bad_request
from sandbox.markup import parse_markup
from sandbox.messaging import delete, edit
from sandbox.registry import Call, handles
from sandbox.text import MAX_TEXT, render_text

CHAT_ACTIONS = (
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
)


def _editable(call: Call) -> tuple[Chat, dict[str, Any]]:
    p = call.params
    if p.has("inline_message_id"):
        # the sandbox has no inline mode, so no inline message can exist
        raise bad_request("MESSAGE_ID_INVALID")
    if not p.has("chat_id"):
        raise bad_request('parameter "chat_id" is required')
    if not p.has("message_id"):
        raise bad_request("message identifier is not specified")
    chat = call.world.resolve(call.bot, p.chat("chat_id"))
    ensure_reachable(call.bot, chat)
    message = chat.message(p.integer("message_id"))
    if message is None:
        raise bad_request("message to edit not found")
    meta = chat.meta.get(message["message_id"])
    if meta is None or meta.sender_id != call.bot.id or meta.service:
        raise bad_request("message can't be edited")
    return chat, message


def _apply(
    call: Call, chat: Chat, message: dict[str, Any], changes: dict[str, Any], drop: tuple[str, ...]
) -> dict[str, Any]:
    markup = parse_markup(call.params.obj("reply_markup"), inline_only=True)
    if markup is not None:
        changes["reply_markup"] = markup.data
    else:
        # omitting reply_markup in an edit removes the inline keyboard, as on Telegram
        drop = (*drop, "reply_markup")
    before = {key: message.get(key) for key in (*changes, *drop)}
    after = {key: changes.get(key) for key in before}
    if before == after:
        raise bad_request(MESSAGE_NOT_MODIFIED)
    return edit(call.world, chat, message["message_id"], changes, drop=drop)


@handles("editMessageText")
async def edit_message_text(call: Call) -> dict[str, Any]:
    chat, message = _editable(call)
    if "text" not in message:
        raise bad_request("there is no text in the message to edit")
    if not call.params.has("text"):
        raise bad_request("message text is empty")
    text, entities = render_text(
        call.params.string("text"),
        parse_mode=call.params.opt_string("parse_mode"),
        explicit=call.params.arr("entities"),
        limit=MAX_TEXT,
        empty_error="message text is empty",
        too_long_error="message is too long",
    )
    changes: dict[str, Any] = {"text": text}
    drop: tuple[str, ...] = ()
    if entities:
        changes["entities"] = entities
    else:
        drop = ("entities",)
    return _apply(call, chat, message, changes, drop)


@handles("editMessageCaption")
async def edit_message_caption(call: Call) -> dict[str, Any]:
    chat, message = _editable(call)
    if "text" in message:
        raise bad_request("there is no caption in the message to edit")
    changes = caption_fields(call)
    drop = tuple(key for key in ("caption", "caption_entities") if key not in changes)
    return _apply(call, chat, message, changes, drop)


@handles("editMessageReplyMarkup")
async def edit_message_reply_markup(call: Call) -> dict[str, Any]:
    chat, message = _editable(call)
    return _apply(call, chat, message, {}, ())


def _may_delete(call: Call, chat: Chat, message_id: int) -> bool:
    meta = chat.meta.get(message_id)
    if meta is not None and meta.sender_id == call.bot.id:
        return True
    if chat.type == "private":
        return True
    member = chat.members.get(call.bot.id)
    return (
        member is not None
        and member.is_admin
        and (member.status == "creator" or member.can_delete_messages)
    )


@handles("deleteMessage")
async def delete_message(call: Call) -> bool:
    chat = call.world.resolve(call.bot, call.params.chat("chat_id"))
    message_id = call.params.integer("message_id")
    if chat.message(message_id) is None:
        raise bad_request("message to delete not found")
    if not _may_delete(call, chat, message_id):
        raise bad_request("message can't be deleted")
    delete(call.world, chat, [message_id])
    return True


@handles("deleteMessages")
async def delete_messages(call: Call) -> bool:
    chat = call.world.resolve(call.bot, call.params.chat("chat_id"))
    ids = call.params.arr("message_ids") or []
    if not 1 <= len(ids) <= 100 or not all(isinstance(i, int) for i in ids):
        raise bad_request("message_ids must be a list of 1-100 message identifiers")
    # messages that can't be found or deleted are skipped, as documented
    allowed = [i for i in ids if chat.message(i) is not None and _may_delete(call, chat, i)]
    delete(call.world, chat, allowed)
    return True


@handles("answerCallbackQuery")
async def answer_callback_query(call: Call) -> bool:
    record = call.world.callbacks.get(call.params.string("callback_query_id"))
    too_old = record is not None and (
        time.monotonic() - record.created > call.options.callback_answer_timeout_s
    )
    if record is None or record.bot_id != call.bot.id or record.answered or too_old:
        raise bad_request(QUERY_TOO_OLD)
    text = call.params.opt_string("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    url = call.params.opt_string("url")
    if url is not None and not url.startswith(("https://t.me/", "t.me/", "tg://")):
        raise bad_request("URL_INVALID")
    record.answered = True
    record.text = text
    record.show_alert = call.params.flag("show_alert")
    record.url = url
    call.world.events.emit(
        "callback_answer",
        bot_id=call.bot.id,
        chat_id=record.chat_id,
        callback_query_id=record.id,
        user_id=record.user_id,
        text=text,
        show_alert=record.show_alert,
    )
    return True


@handles("sendChatAction")
async def send_chat_action(call: Call) -> bool:
    action = call.params.string("action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat, thread = target(call)
    call.world.events.emit(
        "chat_action", bot_id=chat.bot_id, chat_id=chat.id, thread_id=thread, action=action
    )
    return True
