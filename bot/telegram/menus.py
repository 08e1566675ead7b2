"""Command menus by scope (setMyCommands): strangers' private chats and every staff group per
language, and each known person's own chat by their role, in their language."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    CallbackQuery,
    Message,
    TelegramObject,
)

from bot.domain.locale import Locale
from bot.domain.menus import COMMANDS, Menu, description_key
from bot.ports import Catalog
from bot.services.bundle import Services

log = logging.getLogger(__name__)


def commands_for(catalog: Catalog, menu: Menu, locale: str) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=catalog.text(description_key(menu, name), locale))
        for name in COMMANDS[menu]
    ]


async def set_default_commands(
    bot: Bot,
    catalog: Catalog,
    locales: Sequence[str],
    default_locale: str,
    staff_chats: Iterable[int] = (),
    staff_locale: str | None = None,
) -> None:
    """Telegram shows the list matching the client's language, else the one with no code:
    strangers' private chats, and each staff group (a chat scope, so the children's commands
    never show there and the staff's never show to a child)."""
    private = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands(commands_for(catalog, Menu.STRANGER, default_locale), scope=private)
    for locale in locales:
        await bot.set_my_commands(
            commands_for(catalog, Menu.STRANGER, locale),
            scope=private,
            language_code=Locale(locale).telegram_code,
        )
    for chat_id in staff_chats:
        await set_group_commands(bot, catalog, chat_id, locales, staff_locale or default_locale)


async def set_group_commands(
    bot: Bot, catalog: Catalog, chat_id: int, locales: Sequence[str], default_locale: str
) -> None:
    """Each colleague's client picks the staff menu in its own language."""
    scope = BotCommandScopeChat(chat_id=chat_id)
    try:
        await bot.set_my_commands(
            commands_for(catalog, Menu.STAFF_GROUP, default_locale), scope=scope
        )
        for locale in locales:
            await bot.set_my_commands(
                commands_for(catalog, Menu.STAFF_GROUP, locale),
                scope=scope,
                language_code=Locale(locale).telegram_code,
            )
    except TelegramAPIError as exc:  # a group the bot has left: its menu is moot
        log.warning("could not set a staff group's commands: %s", type(exc).__name__)


async def sync_menu(bot: Bot, services: Services, telegram_id: int) -> tuple[Menu, str] | None:
    """Set the menu of a person's private chat to what their role calls for, in the language
    they chose (so no language code: it is theirs whatever their phone says); a stranger's chat
    scope is removed, leaving the strangers' menu."""
    menu = await services.account.menu_of(telegram_id)
    scope = BotCommandScopeChat(chat_id=telegram_id)
    try:
        if menu is None:
            await bot.delete_my_commands(scope=scope)
        else:
            kind, locale = menu
            await bot.set_my_commands(commands_for(services.catalog, kind, locale), scope=scope)
    except TelegramAPIError as exc:  # the menu is a nicety; whatever changed stands
        log.warning("could not set a person's commands: %s", type(exc).__name__)
    return menu


class FollowRole:
    """Outer middleware: after each private update, the person's menu follows their role and
    language (onboarding finished, /language, a staff invitation accepted, /delete). What
    was last set is remembered per process, so Telegram is asked only when it changes (a
    restart asks once more per person, which is harmless)."""

    def __init__(self, limit: int = 100_000) -> None:
        self.last: dict[int, tuple[Menu, str] | None] = {}
        self.limit = limit

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        result = await handler(event, data)
        services: Services | None = data.get("services")
        bot: Bot | None = data.get("bot")
        user = getattr(event, "from_user", None)
        chat = (
            event.chat
            if isinstance(event, Message)
            else getattr(event.message, "chat", None)
            if isinstance(event, CallbackQuery)
            else None
        )
        if services is None or bot is None or user is None or chat is None:
            return result
        if chat.type != "private" or user.is_bot:
            return result
        try:
            wanted = await services.account.menu_of(user.id)
            if user.id in self.last and self.last[user.id] == wanted:
                return result
            await sync_menu(bot, services, user.id)
            if len(self.last) >= self.limit:
                self.last.clear()
            self.last[user.id] = wanted
        except Exception:
            # Never in the way of the update's own handling.
            log.exception("could not follow a person's role in their menu")
        return result
