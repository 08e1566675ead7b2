"""Who is in the staff groups, as the bot sees it: joins and leaves (chat_member updates, which
Telegram sends only to administrators, and the join and leave service messages) and everyone
who writes there. bot/services/roster.py keeps the record; `/staff list` names those who are
not staff."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import F, Router
from aiogram.enums import ChatMemberStatus
from aiogram.types import ChatMemberUpdated, Message, TelegramObject, Update

from bot.services.bundle import Services

log = logging.getLogger(__name__)

GROUPS = ("group", "supergroup")
ADMINS = (ChatMemberStatus.CREATOR, ChatMemberStatus.ADMINISTRATOR)


async def note_member(event: ChatMemberUpdated, event_update: Update, services: Services) -> None:
    """Someone joined, left, was removed or promoted in a group."""
    new = event.new_chat_member
    if new.user.is_bot:
        return
    present = new.status in (*ADMINS, ChatMemberStatus.MEMBER) or bool(
        getattr(new, "is_member", False)  # restricted, yet still in the group
    )
    await services.duty.roster.note(
        event.chat.id,
        new.user.id,
        present,
        admin=present and new.status in ADMINS,
        update_id=event_update.update_id,
    )


async def note_group_message(
    handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
    event: TelegramObject,
    data: dict[str, Any],
) -> Any:
    """Outer middleware: whoever writes in a group is in it; a join or leave message says
    who came or went. Recorded first, and never in the way of the message's own handling."""
    services = data.get("services")
    update = data.get("event_update")
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(event, Message) and event.chat.type in GROUPS and services is not None:
        seen: dict[int, bool] = {}
        if event.from_user is not None and not event.from_user.is_bot:
            seen[event.from_user.id] = True
        seen.update((u.id, True) for u in event.new_chat_members or () if not u.is_bot)
        gone = event.left_chat_member
        if gone is not None and not gone.is_bot:
            seen[gone.id] = False  # the message of someone leaving comes from them
        for telegram_id, present in seen.items():
            try:
                await services.duty.roster.note(
                    event.chat.id, telegram_id, present, update_id=update_id
                )
            except Exception:
                log.exception("could not record a member of chat %s", event.chat.id)
    return await handler(event, data)


def build() -> Router:
    """A fresh router: each dispatcher (tests, several instances) needs its own."""
    router = Router(name=__name__)
    router.chat_member.register(note_member, F.chat.type.in_(set(GROUPS)))
    return router
