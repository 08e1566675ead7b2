"""The Telegram side of the Transport port: one message out, its fate as a SendResult."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiohttp import ClientError

from bot.domain.outbox import SendOutcome, SendResult
from bot.domain.replies import Reply
from bot.ports import Catalog
from handlers.render import markup_for


class TelegramTransport:
    def __init__(self, bot: Bot, catalog: Catalog) -> None:
        self.bot = bot
        self.catalog = catalog

    async def deliver(
        self, chat_id: int, thread_id: int | None, reply: Reply, locale: str
    ) -> SendResult:
        text, markup = markup_for(reply, self.catalog, locale)
        try:
            message = await self.bot.send_message(
                chat_id,
                text,
                reply_markup=markup,
                message_thread_id=thread_id,
                parse_mode="HTML",
                disable_web_page_preview=True,
            )
        except TelegramRetryAfter as exc:
            return SendResult(
                SendOutcome.RETRY_AFTER, retry_after=float(exc.retry_after), error=exc.message
            )
        except TelegramForbiddenError as exc:
            return SendResult(SendOutcome.FORBIDDEN, error=exc.message)
        except TelegramBadRequest as exc:
            return SendResult(SendOutcome.BAD_REQUEST, error=exc.message)
        except (
            TelegramServerError,
            TelegramNetworkError,
            ClientError,
            TimeoutError,
            OSError,
        ) as exc:
            return SendResult(SendOutcome.TRANSIENT, error=type(exc).__name__)
        except TelegramAPIError as exc:  # anything else Telegram refuses is not worth retrying
            return SendResult(SendOutcome.BAD_REQUEST, error=exc.message)
        return SendResult(SendOutcome.SENT, message_id=message.message_id)
