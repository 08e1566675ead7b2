"""Sending messages: text, media, copies and forwards."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.chats import Chat
from sandbox.errors import bad_request, forbidden
from sandbox.markup import parse_markup
from sandbox.media import MEDIA_KINDS
from sandbox.messaging import post, resolve_thread
from sandbox.registry import Call, handles
from sandbox.state import BotAccount
from sandbox.text import MAX_CAPTION, MAX_TEXT, render_text

CONTENT_KEYS = (
    "text",
    "entities",
    *MEDIA_KINDS,
    "location",
    "caption",
    "caption_entities",
    "has_media_spoiler",
    "show_caption_above_media",
)


def ensure_reachable(bot: BotAccount, chat: Chat) -> None:
    if chat.type == "private" and chat.id in bot.blocked_by:
        raise forbidden("bot was blocked by the user")


def target(call: Call) -> tuple[Chat, int | None]:
    chat = call.world.resolve(call.bot, call.params.chat("chat_id"))
    ensure_reachable(call.bot, chat)
    thread = resolve_thread(chat, call.params.opt_integer("message_thread_id"), call.bot.id)
    return chat, thread


def reply_target(call: Call, chat: Chat) -> dict[str, Any] | None:
    reply = call.params.obj("reply_parameters")
    if reply is None:
        return None
    source = chat
    if reply.get("chat_id") not in (None, chat.id):
        source = call.world.resolve(call.bot, reply["chat_id"])
    message_id = reply.get("message_id")
    if isinstance(message_id, str) and message_id.lstrip("-").isdigit():
        message_id = int(message_id)
    found = source.message(message_id) if isinstance(message_id, int) else None
    if found is None and not reply.get("allow_sending_without_reply"):
        raise bad_request("message to be replied not found")
    return found


def caption_fields(call: Call) -> dict[str, Any]:
    caption = call.params.opt_string("caption")
    if not caption:
        return {}
    text, entities = render_text(
        caption,
        parse_mode=call.params.opt_string("parse_mode"),
        explicit=call.params.arr("caption_entities"),
        limit=MAX_CAPTION,
        empty_error="message caption is empty",
        too_long_error="message caption is too long",
    )
    fields: dict[str, Any] = {"caption": text}
    if entities:
        fields["caption_entities"] = entities
    return fields


def deliver_fields(call: Call, chat: Chat, thread: int | None, fields: dict[str, Any]) -> Any:
    markup = parse_markup(call.params.obj("reply_markup"))
    reply_to = reply_target(call, chat)
    if thread is None and chat.is_forum and reply_to is not None:
        # a reply lands in the topic of the message it answers
        thread = reply_to.get("message_thread_id")
    if call.params.flag("protect_content"):
        fields["has_protected_content"] = True
    return post(
        call.world, chat, call.bot.user, fields, thread_id=thread, reply_to=reply_to, markup=markup
    )


@handles("sendMessage")
async def send_message(call: Call) -> dict[str, Any]:
    chat, thread = target(call)
    text, entities = render_text(
        call.params.string("text"),
        parse_mode=call.params.opt_string("parse_mode"),
        explicit=call.params.arr("entities"),
        limit=MAX_TEXT,
        empty_error="message text is empty",
        too_long_error="message is too long",
    )
    fields: dict[str, Any] = {"text": text}
    if entities:
        fields["entities"] = entities
    preview = call.params.obj("link_preview_options")
    if preview:
        fields["link_preview_options"] = preview
    result: dict[str, Any] = deliver_fields(call, chat, thread, fields)
    return result


async def _send_media(call: Call, kind: str) -> dict[str, Any]:
    chat, thread = target(call)
    ref = call.params.file(kind)
    assert ref is not None
    extra = {
        "duration": call.params.opt_integer("duration"),
        "emoji": call.params.opt_string("emoji"),
    }
    media = await call.world.media.resolve(
        kind, ref, call.http, call.options.url_fetch_timeout_s, extra
    )
    fields: dict[str, Any] = {kind: media}
    if kind != "sticker":
        fields.update(caption_fields(call))
    if call.params.flag("has_spoiler"):
        fields["has_media_spoiler"] = True
    result: dict[str, Any] = deliver_fields(call, chat, thread, fields)
    return result


@handles("sendPhoto")
async def send_photo(call: Call) -> dict[str, Any]:
    return await _send_media(call, "photo")


@handles("sendDocument")
async def send_document(call: Call) -> dict[str, Any]:
    return await _send_media(call, "document")


@handles("sendVoice")
async def send_voice(call: Call) -> dict[str, Any]:
    return await _send_media(call, "voice")


@handles("sendSticker")
async def send_sticker(call: Call) -> dict[str, Any]:
    return await _send_media(call, "sticker")


def _source(call: Call, verb: str, past: str) -> dict[str, Any]:
    source_chat = call.world.resolve(call.bot, call.params.chat("from_chat_id"))
    message = source_chat.message(call.params.integer("message_id"))
    if message is None:
        raise bad_request(f"message to {verb} not found")
    meta = source_chat.meta.get(message["message_id"])
    if meta is not None and meta.service:
        raise bad_request(f"message can't be {past}")
    if message.get("has_protected_content"):
        raise bad_request("message has protected content and can't be forwarded")
    return message


@handles("copyMessage")
async def copy_message(call: Call) -> dict[str, Any]:
    source = _source(call, "copy", "copied")
    chat, thread = target(call)
    fields = {key: copy.deepcopy(source[key]) for key in CONTENT_KEYS if key in source}
    if call.params.has("caption") and "text" not in fields:
        fields.pop("caption", None)
        fields.pop("caption_entities", None)
        fields.update(caption_fields(call))
    message = deliver_fields(call, chat, thread, fields)
    return {"message_id": message["message_id"]}


@handles("forwardMessage")
async def forward_message(call: Call) -> dict[str, Any]:
    source = _source(call, "forward", "forwarded")
    chat, thread = target(call)
    fields = {key: copy.deepcopy(source[key]) for key in CONTENT_KEYS if key in source}
    fields["forward_origin"] = {
        "type": "user",
        "date": source["date"],
        "sender_user": copy.deepcopy(source["from"]),
    }
    if call.params.flag("protect_content"):
        fields["has_protected_content"] = True
    result: dict[str, Any] = post(call.world, chat, call.bot.user, fields, thread_id=thread)
    return result
