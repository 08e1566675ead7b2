"""Membership changes and the my_chat_member / chat_member updates they cause."""

from __future__ import annotations

from typing import Any

from sandbox.chats import Chat, Member, User, now
from sandbox.messaging import post
from sandbox.state import BotAccount, World


def member_update(chat: Chat, actor: User, old: Member, new: Member) -> dict[str, Any]:
    return {
        "chat": chat.api(),
        "from": actor.api(),
        "date": now(),
        "old_chat_member": old.api(),
        "new_chat_member": new.api(),
    }


def set_status(
    world: World,
    chat: Chat,
    user: User,
    status: str,
    actor: User,
    *,
    can_manage_topics: bool = False,
    can_delete_messages: bool = False,
    until_date: int = 0,
) -> Member:
    old = chat.members.get(user.id) or Member(user, "left")
    new = Member(user, status, can_manage_topics, can_delete_messages, until_date)
    chat.members[user.id] = new
    update = member_update(chat, actor, old, new)
    for bot in world.bots.values():
        if bot.id == user.id:
            bot.enqueue("my_chat_member", update)
        elif _sees_members(chat, bot) and not user.is_bot:
            bot.enqueue("chat_member", update)
    world.events.emit(
        "member", chat_id=chat.id, user_id=user.id, status=status, old_status=old.status
    )
    return new


def _sees_members(chat: Chat, bot: BotAccount) -> bool:
    """Only administrators receive chat_member updates."""
    member = chat.members.get(bot.id)
    return member is not None and member.is_admin


def join(world: World, chat: Chat, user: User, actor: User | None = None) -> dict[str, Any]:
    """A user or bot enters a group: status update plus the new_chat_members service message."""
    set_status(world, chat, user, "member", actor or user)
    return post(world, chat, actor or user, {"new_chat_members": [user.api()]}, service=True)


def leave(world: World, chat: Chat, user: User, actor: User | None = None) -> dict[str, Any]:
    set_status(world, chat, user, "left", actor or user)
    return post(world, chat, actor or user, {"left_chat_member": user.api()}, service=True)


def block(world: World, bot: BotAccount, user: User, blocked: bool) -> None:
    """A user blocking a bot is reported to the bot as being kicked from the private chat."""
    chat = world.private_chat(bot, user)
    if blocked == (user.id in bot.blocked_by):
        return
    old = Member(bot.user, "kicked" if not blocked else "member")
    new = Member(bot.user, "kicked" if blocked else "member")
    if blocked:
        bot.enqueue("my_chat_member", member_update(chat, user, old, new))
        bot.blocked_by.add(user.id)
    else:
        bot.blocked_by.discard(user.id)
        bot.enqueue("my_chat_member", member_update(chat, user, old, new))
    world.events.emit("blocked", bot_id=bot.id, user_id=user.id, chat_id=chat.id, blocked=blocked)
