"""The staff supergroup. Only registered staff act; anyone else is ignored and logged."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.services.bundle import Services
from handlers.render import deliver

log = logging.getLogger(__name__)


async def create_invite(
    message: Message, command: CommandObject, bot: Bot, services: Services
) -> None:
    """`/invite guardian|child [uses] [days]`: a deep link tied to the service point."""
    if message.from_user is None:
        return
    outcome = await services.staff_invites.from_staff_chat(
        message.from_user.id, message.chat.id, command.args or ""
    )
    if outcome is None:
        log.warning(
            "ignored /invite from non-staff user %s in chat %s",
            message.from_user.id,
            message.chat.id,
        )
        return
    await deliver(
        bot,
        message.chat.id,
        outcome,
        services.catalog,
        services.staff_locale,
        thread_id=message.message_thread_id if message.is_topic_message else None,
    )


async def ignore_group_chatter(message: Message) -> None:
    """Staff talk among themselves here; nothing to do until a case topic exists."""


def build() -> Router:
    """A fresh router: each dispatcher (tests, several instances) needs its own."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type.in_({"group", "supergroup"}))
    router.message.register(create_invite, Command("invite"))
    router.message.register(ignore_group_chatter)
    return router
