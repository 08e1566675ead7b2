"""What people do in the sandbox world: users write, edit, press buttons, block, join groups."""

from __future__ import annotations

import base64
import binascii
import time
from functools import cache
from typing import Any

from sandbox.chats import Chat, User
from sandbox.errors import ApiError
from sandbox.files import SAMPLE_VOICE, sample_png
from sandbox.members import block, join, leave, set_status
from sandbox.messaging import edit, post, resolve_thread
from sandbox.state import BotAccount, CallbackRecord, World
from sandbox.text import MAX_CAPTION, MAX_TEXT, auto_entities, utf16_len


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _int(data: dict[str, Any], key: str, default: int | None = None) -> int:
    value = data.get(key, default)
    if value is None:
        raise ControlError(400, f'"{key}" is required')
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ControlError(400, f'"{key}" must be an integer') from exc


def user_of(world: World, user_id: int) -> User:
    try:
        return world.user(user_id)
    except KeyError as exc:
        raise ControlError(404, f"no user {user_id}") from exc


def bot_of(world: World, data: dict[str, Any]) -> BotAccount:
    try:
        return world.bot_by_id(int(data["bot_id"]) if data.get("bot_id") else None)
    except KeyError as exc:
        raise ControlError(404, f"no bot {data.get('bot_id')}") from exc


def create_user(world: World, data: dict[str, Any]) -> User:
    first_name = data.get("first_name")
    if not isinstance(first_name, str) or not first_name:
        raise ControlError(400, '"first_name" is required')
    user_id = _int(data, "id", world.next_user_id)
    if user_id <= 0 or user_id in world.users:
        raise ControlError(409, f"user id {user_id} is invalid or taken")
    world.next_user_id = max(world.next_user_id, user_id + 1)
    user = User(
        user_id, first_name, data.get("last_name"), data.get("username"), data.get("language_code")
    )
    world.users[user_id] = user
    world.events.emit("user", user=user.api())
    return user


def create_group(world: World, data: dict[str, Any]) -> Chat:
    title = data.get("title")
    if not isinstance(title, str) or not title:
        raise ControlError(400, '"title" is required')
    member_ids = [int(i) for i in data.get("member_ids") or []]
    admin_ids = [int(i) for i in data.get("admin_ids") or []]
    people = [user_of(world, uid) for uid in dict.fromkeys([*admin_ids, *member_ids])]
    if not people:
        raise ControlError(400, "a group needs at least one member")
    chat = Chat(
        world.next_group_id,
        "supergroup",
        title=title,
        is_forum=bool(data.get("is_forum", False)),
        username=data.get("username"),
    )
    world.next_group_id -= 1
    world.groups[chat.id] = chat
    creator = people[0]
    for person in people:
        status = (
            "creator"
            if person is creator
            else ("administrator" if person.id in admin_ids else "member")
        )
        set_status(
            world, chat, person, status, creator, can_manage_topics=True, can_delete_messages=True
        )
    bot_ids = data.get("bot_ids") or [world.default_bot.id]
    bot_admin = bool(data.get("bot_admin", True))
    for bot_id in bot_ids:
        # the usual way: the owner adds the bot, then promotes it (two my_chat_member updates)
        bot = bot_of(world, {"bot_id": bot_id})
        set_status(world, chat, bot.user, "member", creator)
        post(world, chat, creator, {"new_chat_members": [bot.user.api()]}, service=True)
        if bot_admin:
            set_status(
                world,
                chat,
                bot.user,
                "administrator",
                creator,
                can_manage_topics=True,
                can_delete_messages=True,
            )
    world.events.emit("chat", chat=chat.api())
    return chat


def chat_for(world: World, user: User, data: dict[str, Any]) -> tuple[BotAccount, Chat]:
    bot = bot_of(world, data)
    chat_id = data.get("chat_id")
    if chat_id is None or int(chat_id) == user.id:
        return bot, world.private_chat(bot, user)
    chat = world.groups.get(int(chat_id))
    if chat is None:
        raise ControlError(404, f"no group {chat_id}")
    member = chat.members.get(user.id)
    if member is None or not member.active:
        raise ControlError(403, f"user {user.id} is not a member of {chat.id}")
    return bot, chat


@cache
def _sample(kind: str) -> bytes:
    if kind == "sticker":
        return sample_png(512, 512, (250, 200, 60))
    if kind == "voice":
        return SAMPLE_VOICE
    return sample_png(640, 480)


def _media(world: World, kind: str, value: Any) -> Any:
    data = _sample(kind)
    if isinstance(value, str):
        try:
            data = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ControlError(400, f'"{kind}" must be true or base64 data') from exc
    extra = {"emoji": "🙂"} if kind == "sticker" else {"duration": 2}
    try:
        return world.media.store(kind, data, f"{kind}.bin", None, extra)
    except ApiError as exc:
        raise ControlError(400, exc.description) from exc


def _location(value: Any) -> dict[str, float]:
    """A point on the map as a Telegram client shares it (Location: latitude, longitude)."""
    if not isinstance(value, dict):
        raise ControlError(400, '"location" must be an object with latitude and longitude')
    try:
        latitude, longitude = float(value["latitude"]), float(value["longitude"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ControlError(400, '"location" needs numeric latitude and longitude') from exc
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ControlError(400, '"location" is not a point on the map')
    return {"latitude": latitude, "longitude": longitude}


def _text(value: Any, limit: int, what: str) -> tuple[str, list[dict[str, Any]]]:
    if not isinstance(value, str) or value == "":
        raise ControlError(400, f'"{what}" must be a non-empty string')
    if utf16_len(value) > limit:  # a Telegram client counts as the Bot API does
        raise ControlError(400, f'"{what}" is longer than {limit} characters')
    return value, auto_entities(value, [])


def _written(fields: dict[str, Any], data: dict[str, Any], key: str, limit: int) -> None:
    """Text or a caption as a client sends it, with the entities a client finds in it."""
    fields[key], entities = _text(data[key], limit, key)
    if entities:
        fields["entities" if key == "text" else "caption_entities"] = entities


def _content(world: World, data: dict[str, Any]) -> dict[str, Any]:
    """What the person's message holds: text, media, a location, a caption."""
    fields: dict[str, Any] = {}
    if "text" in data:
        _written(fields, data, "text", MAX_TEXT)
    for kind in ("photo", "sticker", "voice"):
        if data.get(kind):
            fields[kind] = _media(world, kind, data[kind])
    if data.get("location") is not None:
        fields["location"] = _location(data["location"])
    # Telegram has no caption on text, stickers or locations; a client offers none there.
    if data.get("caption") and not {"text", "sticker", "location"} & set(fields):
        _written(fields, data, "caption", MAX_CAPTION)
    if not fields:
        raise ControlError(400, "nothing to send: give text, photo, sticker, voice or location")
    return fields


def _placement(
    chat: Chat, user: User, data: dict[str, Any]
) -> tuple[int | None, dict[str, Any] | None]:
    """The topic the message goes to and the message it answers, if any."""
    thread = data.get("message_thread_id")
    reply_to = None
    if data.get("reply_to_message_id") is not None:
        reply_to = chat.message(_int(data, "reply_to_message_id"))
        if reply_to is None:
            raise ControlError(404, "message to reply to not found")
        if thread is None and chat.is_forum:
            # a reply in a forum stays in the topic of the message it answers
            thread = reply_to.get("message_thread_id")
    try:
        thread_id = resolve_thread(chat, int(thread) if thread is not None else None, user.id)
    except ApiError as exc:
        raise ControlError(400, exc.description.removeprefix("Bad Request: ")) from exc
    return thread_id, reply_to


def send(world: World, data: dict[str, Any]) -> dict[str, Any]:
    user = user_of(world, _int(data, "user_id"))
    bot, chat = chat_for(world, user, data)
    if chat.type == "private" and user.id in bot.blocked_by:
        # writing to a blocked bot in a Telegram client means pressing "Restart"
        block(world, bot, user, blocked=False)
    fields = _content(world, data)
    thread_id, reply_to = _placement(chat, user, data)
    return post(world, chat, user, fields, thread_id=thread_id, reply_to=reply_to)


def edit_text(world: World, data: dict[str, Any]) -> dict[str, Any]:
    user = user_of(world, _int(data, "user_id"))
    _, chat = chat_for(world, user, data)
    message = chat.message(_int(data, "message_id"))
    if message is None or message.get("from", {}).get("id") != user.id:
        raise ControlError(404, "no such message from this user")
    text, entities = _text(data.get("text"), MAX_TEXT, "text")
    if text == message.get("text"):
        raise ControlError(400, "message is not modified")
    changes: dict[str, Any] = {"text": text}
    if entities:
        changes["entities"] = entities
    drop = () if entities else ("entities",)
    return edit(world, chat, message["message_id"], changes, drop=drop, by_user=True)


def press(world: World, data: dict[str, Any]) -> CallbackRecord:
    user = user_of(world, _int(data, "user_id"))
    bot, chat = chat_for(world, user, data)
    message = chat.message(_int(data, "message_id"))
    if message is None:
        raise ControlError(404, "message not found")
    payload = data.get("data")
    if not isinstance(payload, str):
        raise ControlError(400, '"data" must be a string')
    sender = chat.meta[message["message_id"]].sender_id
    if chat.type != "private" and sender != bot.id:
        bot = next((b for b in world.bots.values() if b.id == sender), bot)
    if chat.type == "private" and user.id in bot.blocked_by:
        raise ControlError(409, "the user has blocked the bot")
    world.callback_counter += 1
    record = CallbackRecord(
        id=str(bot.id * 10**9 + world.callback_counter),
        bot_id=bot.id,
        user_id=user.id,
        chat_id=chat.id,
        message_id=message["message_id"],
        data=payload,
        created=time.monotonic(),
    )
    world.callbacks[record.id] = record
    bot.enqueue(
        "callback_query",
        {
            "id": record.id,
            "from": user.api(),
            "message": message,
            "chat_instance": chat.instance(bot.id),
            "data": payload,
        },
    )
    world.events.emit(
        "callback",
        bot_id=bot.id,
        chat_id=chat.id,
        user_id=user.id,
        message_id=record.message_id,
        callback_query_id=record.id,
        data=payload,
    )
    return record


def set_blocked(world: World, data: dict[str, Any]) -> None:
    user = user_of(world, _int(data, "user_id"))
    block(world, bot_of(world, data), user, bool(data.get("blocked", True)))


def membership(world: World, data: dict[str, Any], joining: bool) -> dict[str, Any]:
    user = user_of(world, _int(data, "user_id"))
    chat = world.groups.get(_int(data, "chat_id"))
    if chat is None:
        raise ControlError(404, f"no group {data.get('chat_id')}")
    member = chat.members.get(user.id)
    present = member is not None and member.active
    if joining == present:
        raise ControlError(409, "already a member" if joining else "not a member")
    return join(world, chat, user) if joining else leave(world, chat, user)
