"""Turn a service Outcome into Telegram messages."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.domain.replies import Choice, Keyboard, Outcome, Reply, verbatim
from bot.ports import Catalog
from bot.services.bundle import Services
from bot.telegram.client import RETRYABLE

log = logging.getLogger(__name__)

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | None

# What RetryRequests gives up on only after several tries: Telegram may well take it later.
TRANSIENT = (*RETRYABLE, TelegramRetryAfter)


def markup_for(reply: Reply, catalog: Catalog, locale: str) -> tuple[str, Markup]:
    rendered = catalog.render(reply, locale)
    if rendered.buttons:
        keyboard = [
            [
                InlineKeyboardButton(text=label, url=url)
                if url
                else InlineKeyboardButton(text=label, callback_data=action)
                for label, action, url in row
            ]
            for row in rendered.buttons
        ]
        return rendered.text, InlineKeyboardMarkup(inline_keyboard=keyboard)
    if reply.keyboard is Keyboard.HELP:
        # A persistent button: the way to a person never scrolls out of reach.
        help_button = KeyboardButton(text=catalog.text("btn.help", locale))
        return rendered.text, ReplyKeyboardMarkup(
            keyboard=[[help_button]], resize_keyboard=True, is_persistent=True
        )
    return rendered.text, None


def keyboard_for(
    choices: tuple[tuple[Choice, ...], ...], catalog: Catalog, locale: str
) -> InlineKeyboardMarkup | None:
    """Just the buttons, to change a message's keyboard in place."""
    _, markup = markup_for(Reply("helpline/menu", choices=choices), catalog, locale)
    return markup if isinstance(markup, InlineKeyboardMarkup) else None


async def send_reply(
    bot: Bot,
    chat_id: int,
    reply: Reply,
    catalog: Catalog,
    locale: str,
    thread_id: int | None = None,
) -> None:
    text, markup = markup_for(reply, catalog, locale)
    await bot.send_message(
        chat_id,
        text,
        reply_markup=markup,
        message_thread_id=thread_id,
        parse_mode="HTML",
        disable_web_page_preview=True,
    )


def _as_sent(reply: Reply, catalog: Catalog, locale: str) -> Reply:
    rendered = catalog.render(reply, locale)
    return verbatim(rendered.text, rendered.buttons, reply.keyboard)


async def deliver(
    bot: Bot,
    chat_id: int,
    outcome: Outcome,
    services: Services,
    locale: str,
    *,
    callback: CallbackQuery | None = None,
    thread_id: int | None = None,
) -> None:
    """Answer the button (always, so the client stops spinning), then say each reply.

    Replies Telegram still refuses after the request retries (bot/telegram/client.py) are queued,
    with those after them, for the outbox to deliver: the person asked, and the update is
    already done, so dropping them would lose the answer for good.
    """
    catalog = services.catalog
    if callback is not None:
        toast = catalog.text(outcome.toast, locale) if outcome.toast else None
        try:
            await callback.answer(toast, show_alert=False)
        except TelegramBadRequest as exc:
            # Too late (Telegram waits about 15 s; a backlog can take longer): the toast is
            # lost, but the replies below (the next question, say) must not be.
            log.info("could not answer a button: %s", exc.message)
        except TRANSIENT as exc:  # a toast is worth no retry later; the replies are
            log.info("could not answer a button: %s", type(exc).__name__)
    for n, reply in enumerate(outcome.replies):
        try:
            await send_reply(bot, chat_id, reply, catalog, locale, thread_id)
        except TRANSIENT as exc:
            log.warning(
                "chat %s: %s; queueing %d replies for the outbox",
                chat_id,
                type(exc).__name__,
                len(outcome.replies) - n,
            )
            later = [_as_sent(r, catalog, locale) for r in outcome.replies[n:]]
            await services.sender.send_later(chat_id, locale, later, thread_id)
            break
    for notice in outcome.notices:
        await services.sender.send(notice.telegram_id, notice.locale, notice.reply)
