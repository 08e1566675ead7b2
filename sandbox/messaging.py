"""Posting, editing and deleting messages, and fanning them out as updates to bots."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.chats import Chat, MessageMeta, Topic, User, now
from sandbox.errors import bad_request
from sandbox.markup import Markup
from sandbox.state import BotAccount, World

GENERAL_TOPIC_ID = 1


def shallow(message: dict[str, Any]) -> dict[str, Any]:
    """A message as nested in reply_to_message: Telegram never nests a second level."""
    nested = copy.deepcopy(message)
    nested.pop("reply_to_message", None)
    return nested


def resolve_thread(chat: Chat, thread_id: int | None, sender_id: int) -> int | None:
    """The thread a message goes to, enforcing Telegram's topic rules."""
    if thread_id is None:
        return None
    if chat.is_forum:
        if thread_id == GENERAL_TOPIC_ID:
            return None
        topic = chat.topics.get(thread_id)
        if topic is None:
            raise bad_request("message thread not found")
        member = chat.members.get(sender_id)
        may_bypass = member is not None and (
            member.status == "creator" or (member.is_admin and member.can_manage_topics)
        )
        if topic.closed and not may_bypass:
            raise bad_request("TOPIC_CLOSED")
        return thread_id
    if thread_id in chat.messages and chat.type != "private":
        return thread_id
    raise bad_request("message thread not found")


def post(
    world: World,
    chat: Chat,
    sender: User,
    fields: dict[str, Any],
    *,
    thread_id: int | None = None,
    reply_to: dict[str, Any] | None = None,
    markup: Markup | None = None,
    service: bool = False,
) -> dict[str, Any]:
    message_id = chat.next_message_id
    chat.next_message_id += 1
    message: dict[str, Any] = {"message_id": message_id}
    if thread_id is not None:
        message["message_thread_id"] = thread_id
    message.update({"from": sender.api(), "chat": chat.api(), "date": now()})
    if thread_id is not None and chat.is_forum:
        message["is_topic_message"] = True
    if reply_to is None and thread_id is not None:
        # Telegram makes every topic message an implicit reply to the topic's creation message
        reply_to = chat.messages.get(thread_id)
    if reply_to is not None:
        message["reply_to_message"] = shallow(reply_to)
    message.update(fields)
    meta = MessageMeta(sender.id, service=service)
    if markup is not None and markup.kind == "inline":
        message["reply_markup"] = copy.deepcopy(markup.data)
    elif markup is not None and markup.kind in ("reply", "remove"):
        meta.reply_keyboard = markup.data
        chat.reply_keyboard = markup.data if markup.kind == "reply" else None
    chat.messages[message_id] = message
    chat.meta[message_id] = meta
    world.events.emit(
        "message",
        bot_id=chat.bot_id,
        chat_id=chat.id,
        thread_id=message.get("message_thread_id"),
        from_bot=sender.is_bot,
        message=copy.deepcopy(message),
        reply_keyboard=meta.reply_keyboard,
    )
    if not sender.is_bot:
        deliver(world, chat, "message", message, sender.id, service=service)
    return copy.deepcopy(message)


def edit(
    world: World,
    chat: Chat,
    message_id: int,
    changes: dict[str, Any],
    *,
    drop: tuple[str, ...] = (),
    by_user: bool = False,
) -> dict[str, Any]:
    message = chat.messages[message_id]
    for key in drop:
        message.pop(key, None)
    message.update(changes)
    message["edit_date"] = now()
    world.events.emit(
        "edited",
        bot_id=chat.bot_id,
        chat_id=chat.id,
        thread_id=message.get("message_thread_id"),
        from_bot=not by_user,
        message=copy.deepcopy(message),
    )
    if by_user:
        deliver(world, chat, "edited_message", message, message["from"]["id"])
    return copy.deepcopy(message)


def delete(world: World, chat: Chat, message_ids: list[int]) -> None:
    gone = [mid for mid in message_ids if chat.messages.pop(mid, None) is not None]
    for mid in gone:
        chat.meta.pop(mid, None)
    if gone:
        world.events.emit("deleted", bot_id=chat.bot_id, chat_id=chat.id, message_ids=gone)


def deliver(
    world: World,
    chat: Chat,
    kind: str,
    message: dict[str, Any],
    sender_id: int,
    *,
    service: bool = False,
) -> None:
    if chat.type == "private":
        bot = world.bot_by_id(chat.bot_id)
        if chat.id not in bot.blocked_by:
            bot.enqueue(kind, message)
        return
    for bot in world.bots.values():
        member = chat.members.get(bot.id)
        if member is None or not member.active or bot.id == sender_id:
            continue
        sender = chat.members.get(sender_id)
        if sender is not None and sender.user.is_bot:
            continue  # bots never see other bots' messages
        sees_all = service or member.is_admin or bot.can_read_all_group_messages
        if sees_all or _addressed(message, bot):
            bot.enqueue(kind, message)


def _addressed(message: dict[str, Any], bot: BotAccount) -> bool:
    """Privacy mode: what a non-admin bot still sees in a group."""
    text = message.get("text") or message.get("caption") or ""
    handle = f"@{bot.user.username}".lower() if bot.user.username else None
    if text.startswith("/"):
        command = text.split()[0].lower()
        return "@" not in command or (handle is not None and command.endswith(handle))
    if handle is not None and handle in text.lower():
        return True
    reply = message.get("reply_to_message")
    return bool(reply and reply.get("from", {}).get("id") == bot.id)


def create_topic(
    world: World, chat: Chat, creator: User, name: str, *, icon_color: int, emoji: str | None
) -> Topic:
    created: dict[str, Any] = {"name": name, "icon_color": icon_color}
    if emoji:
        created["icon_custom_emoji_id"] = emoji
    # the creation message's id becomes the topic's thread id, as on Telegram
    thread_id = chat.next_message_id
    topic = Topic(thread_id, name, icon_color, emoji, creator_id=creator.id)
    chat.topics[thread_id] = topic
    post(world, chat, creator, {"forum_topic_created": created}, thread_id=thread_id, service=True)
    world.events.emit("topic", action="created", chat_id=chat.id, topic=topic_view(topic))
    return topic


def topic_view(topic: Topic) -> dict[str, Any]:
    return {**topic.api(), "closed": topic.closed}
