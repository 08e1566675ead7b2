"""The command menu per language (setMyCommands with language_code), and per chat."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat

from bot.domain.locale import Locale
from bot.ports import Catalog

log = logging.getLogger(__name__)

PRIVATE_COMMANDS = (
    "start",
    "help",
    "check",
    "hotlines",
    "progress",
    "lessons",
    "schedule",
    "pause",
    "resume",
    "language",
    "privacy",
    "mydata",
    "delete",
    "invite",
    "stop",
)


def commands_for(catalog: Catalog, locale: str) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=catalog.text(f"cmd.{name}", locale))
        for name in PRIVATE_COMMANDS
    ]


async def set_default_commands(
    bot: Bot, catalog: Catalog, locales: Sequence[str], default_locale: str
) -> None:
    """Telegram shows the list matching the client's language, else the one with no code."""
    scope = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands(commands_for(catalog, default_locale), scope=scope)
    for locale in locales:
        await bot.set_my_commands(
            commands_for(catalog, locale),
            scope=scope,
            language_code=Locale(locale).telegram_code,
        )


async def set_chat_commands(bot: Bot, catalog: Catalog, chat_id: int, locale: str) -> None:
    """After /language, the menu follows the person's choice rather than their phone's."""
    try:
        await bot.set_my_commands(
            commands_for(catalog, locale), scope=BotCommandScopeChat(chat_id=chat_id)
        )
    except TelegramAPIError as exc:  # the menu is a nicety; the language change stands
        log.warning("could not set chat commands: %s", type(exc).__name__)
