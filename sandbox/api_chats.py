"""Chats, members, pins and forum topics."""

from __future__ import annotations

from typing import Any

from sandbox.chats import TOPIC_COLORS, Chat, Member, Topic
from sandbox.errors import CHAT_NOT_FOUND, ApiError, bad_request
from sandbox.members import leave, set_status
from sandbox.messaging import create_topic, delete, post, shallow, topic_view
from sandbox.registry import Call, handles

MAX_TOPIC_NAME = 128


def _chat(call: Call) -> Chat:
    try:
        return call.world.resolve(call.bot, call.params.chat("chat_id"))
    except ApiError as exc:
        # looking a user up is not "initiating a conversation"; Telegram says not found
        if exc.code == 403 and "initiate" in exc.description:
            raise bad_request(CHAT_NOT_FOUND) from exc
        raise


def _group(call: Call, private_error: str) -> Chat:
    chat = _chat(call)
    if chat.type == "private":
        raise bad_request(private_error)
    return chat


def _bot_member(call: Call, chat: Chat) -> Member:
    return chat.members[call.bot.id]


@handles("getChat")
async def get_chat(call: Call) -> dict[str, Any]:
    return _chat(call).full_info()


@handles("getChatMember")
async def get_chat_member(call: Call) -> dict[str, Any]:
    chat = _chat(call)
    user_id = call.params.integer("user_id")
    member = chat.members.get(user_id)
    if member is not None:
        return member.api()
    try:
        user = call.world.user(user_id)
    except KeyError as exc:
        raise bad_request("user not found") from exc
    return Member(user, "left").api()


@handles("getChatAdministrators")
async def get_chat_administrators(call: Call) -> list[dict[str, Any]]:
    chat = _group(call, "there are no administrators in the private chat")
    with_bots = call.params.flag("return_bots")
    return [
        member.api()
        for member in chat.members.values()
        if member.is_admin
        and (not member.user.is_bot or with_bots or member.user.id == call.bot.id)
    ]


@handles("getChatMemberCount")
async def get_chat_member_count(call: Call) -> int:
    return sum(1 for member in _chat(call).members.values() if member.active)


@handles("leaveChat")
async def leave_chat(call: Call) -> bool:
    chat = _group(call, "chat member status can't be changed in private chats")
    leave(call.world, chat, call.bot.user)
    return True


def _restrictable(call: Call, chat: Chat, user_id: int) -> Member | None:
    if not _bot_member(call, chat).is_admin:
        raise bad_request("not enough rights to restrict/unrestrict chat member")
    target = chat.members.get(user_id)
    if target is not None and target.status == "creator":
        raise bad_request("can't remove chat owner")
    if user_id not in call.world.users and target is None:
        raise bad_request("user not found")
    return target


@handles("banChatMember")
async def ban_chat_member(call: Call) -> bool:
    chat = _group(call, "can't ban members in private chats")
    user_id = call.params.integer("user_id")
    target = _restrictable(call, chat, user_id)
    if target is not None and target.status == "administrator":
        # A bot may remove only administrators it promoted itself (can_be_edited); the
        # sandbox's administrators were all promoted by someone else.
        raise bad_request("user is an administrator of the chat")
    user = call.world.user(user_id)
    until = call.params.opt_integer("until_date") or 0
    set_status(call.world, chat, user, "kicked", call.bot.user, until_date=until)
    return True


@handles("unbanChatMember")
async def unban_chat_member(call: Call) -> bool:
    chat = _group(call, "can't unban members in private chats")
    user_id = call.params.integer("user_id")
    target = _restrictable(call, chat, user_id)
    banned = target is not None and target.status == "kicked"
    if call.params.flag("only_if_banned") and not banned:
        return True
    if target is not None and target.status != "left":
        # documented: unbanning a present member removes them from the chat
        set_status(call.world, chat, call.world.user(user_id), "left", call.bot.user)
    return True


@handles("pinChatMessage")
async def pin_chat_message(call: Call) -> bool:
    chat = _chat(call)
    message = chat.message(call.params.integer("message_id"))
    if message is None:
        raise bad_request("message to pin not found")
    chat.pinned.append(message["message_id"])
    post(
        call.world,
        chat,
        call.bot.user,
        {"pinned_message": shallow(message)},
        service=True,
        thread_id=message.get("message_thread_id"),
    )
    return True


@handles("unpinChatMessage")
async def unpin_chat_message(call: Call) -> bool:
    chat = _chat(call)
    message_id = call.params.opt_integer("message_id")
    if message_id is None:
        if chat.pinned:
            chat.pinned.pop()
    elif message_id in chat.pinned:
        chat.pinned.remove(message_id)
    else:
        raise bad_request("message to unpin not found")
    return True


@handles("setChatMenuButton")
async def set_chat_menu_button(call: Call) -> bool:
    button = call.params.obj("menu_button")
    if button is not None and button.get("type") not in ("commands", "web_app", "default"):
        raise bad_request("can't parse menu button JSON object")
    return True


def _forum(call: Call) -> Chat:
    chat = _chat(call)
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    return chat


def _can_manage(call: Call, chat: Chat, topic: Topic | None) -> bool:
    member = _bot_member(call, chat)
    if member.status == "creator" or (member.is_admin and member.can_manage_topics):
        return True
    return topic is not None and topic.creator_id == call.bot.id


def _topic(call: Call, chat: Chat) -> Topic:
    topic = chat.topics.get(call.params.integer("message_thread_id"))
    if topic is None:
        raise bad_request("message thread not found")
    if not _can_manage(call, chat, topic):
        raise bad_request("not enough rights to manage the topic")
    return topic


def _topic_name(name: str) -> str:
    if not name.strip():
        raise bad_request("topic name must be non-empty")
    if len(name) > MAX_TOPIC_NAME:
        raise bad_request("topic name is too long")
    return name


@handles("createForumTopic")
async def create_forum_topic(call: Call) -> dict[str, Any]:
    chat = _forum(call)
    if not _can_manage(call, chat, None):
        raise bad_request("not enough rights to create a topic")
    name = _topic_name(call.params.string("name"))
    color = call.params.opt_integer("icon_color") or TOPIC_COLORS[0]
    if color not in TOPIC_COLORS:
        raise bad_request("invalid icon_color specified")
    emoji = call.params.opt_string("icon_custom_emoji_id")
    topic = create_topic(call.world, chat, call.bot.user, name, icon_color=color, emoji=emoji)
    return topic.api()


def _service(call: Call, chat: Chat, topic: Topic, fields: dict[str, Any], action: str) -> None:
    post(call.world, chat, call.bot.user, fields, thread_id=topic.thread_id, service=True)
    call.world.events.emit("topic", action=action, chat_id=chat.id, topic=topic_view(topic))


@handles("editForumTopic")
async def edit_forum_topic(call: Call) -> bool:
    chat = _forum(call)
    topic = _topic(call, chat)
    changes: dict[str, Any] = {}
    name = call.params.opt_string("name")
    if name is not None and name != topic.name:
        topic.name = changes["name"] = _topic_name(name)
    emoji = call.params.opt_string("icon_custom_emoji_id")
    if emoji is not None and emoji != (topic.icon_custom_emoji_id or ""):
        topic.icon_custom_emoji_id = emoji or None
        changes["icon_custom_emoji_id"] = emoji
    if not changes:
        raise bad_request("TOPIC_NOT_MODIFIED")
    _service(call, chat, topic, {"forum_topic_edited": changes}, "edited")
    return True


async def _set_closed(call: Call, closed: bool) -> bool:
    chat = _forum(call)
    topic = _topic(call, chat)
    if topic.closed == closed:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.closed = closed
    key = "forum_topic_closed" if closed else "forum_topic_reopened"
    _service(call, chat, topic, {key: {}}, "closed" if closed else "reopened")
    return True


@handles("closeForumTopic")
async def close_forum_topic(call: Call) -> bool:
    return await _set_closed(call, True)


@handles("reopenForumTopic")
async def reopen_forum_topic(call: Call) -> bool:
    return await _set_closed(call, False)


@handles("deleteForumTopic")
async def delete_forum_topic(call: Call) -> bool:
    chat = _forum(call)
    topic = _topic(call, chat)
    thread = topic.thread_id
    ids = [mid for mid, m in chat.messages.items() if m.get("message_thread_id") == thread]
    delete(call.world, chat, ids)
    del chat.topics[topic.thread_id]
    call.world.events.emit("topic", action="deleted", chat_id=chat.id, topic=topic_view(topic))
    return True
