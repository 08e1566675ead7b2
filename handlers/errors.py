"""One handler's failure must never silence the bot: log it, apologise, carry on."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.types import ErrorEvent

from bot.domain.replies import Reply
from bot.services.bundle import Services
from bot.telegram.replies import send_reply

log = logging.getLogger(__name__)


def _chat_of(event: ErrorEvent) -> tuple[int | None, int | None]:
    update = event.update
    if update.message is not None:
        user = update.message.from_user
        return update.message.chat.id, user.id if user else None
    if update.callback_query is not None:
        msg = update.callback_query.message
        return (msg.chat.id if msg else None), update.callback_query.from_user.id
    return None, None


async def handle_error(event: ErrorEvent, bot: Bot, services: Services) -> bool:
    """Log without message text; mark blocked users; tell a private chat we stumbled."""
    chat_id, user_id = _chat_of(event)
    if isinstance(event.exception, TelegramForbiddenError):
        if chat_id is not None and chat_id > 0:
            await services.account.mark_unreachable(chat_id)
        log.info("chat %s unreachable (%s)", chat_id, event.exception.message)
        return True
    log.error(
        "update %s failed: %s",
        event.update.update_id,
        type(event.exception).__name__,
        exc_info=event.exception,
    )
    if event.update.callback_query is not None:
        # Stop the button's spinner, in a group (the staff chat) too. On its own: the handler
        # may have answered it already, and that refusal must not cost the apology.
        try:
            await event.update.callback_query.answer()
        except (TelegramAPIError, OSError) as exc:
            log.info("could not answer a failed button: %s", type(exc).__name__)
    if chat_id is not None and chat_id > 0 and user_id is not None:
        try:
            locale = await services.account.locale_of_id(user_id)
            await send_reply(bot, chat_id, Reply("errors/oops"), services.catalog, locale)
        except (TelegramAPIError, OSError) as exc:
            log.warning("could not apologise to chat %s: %s", chat_id, type(exc).__name__)
        except Exception:  # the apology itself failed (database down?): already logged above
            log.exception("apology failed for chat %s", chat_id)
    return True


def build() -> Router:
    """A fresh router: each dispatcher (tests, several instances) needs its own."""
    router = Router(name=__name__)
    router.errors.register(handle_error)
    return router
