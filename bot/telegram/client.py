"""The Bot that speaks to the Bot API, and what every call it makes passes through.

`make_bot` points aiogram at TELEGRAM_API_URL: real Telegram, a local Bot API server or the
sandbox, with nothing else changed.

A reply from a handler survives a flaky Telegram: 429s, 5xx and network errors are retried.
The outbox sender has its own retries; replies sent straight from a handler (the answer to a
button, the safety reply) had none, so one 502 left a person without their answer. Here each
API call is retried a few times with backoff, and a 429 is waited out for exactly the time
Telegram asked (and the outbox is told to pause that chat too).
A network error may hide a message Telegram did accept: a person may then get an answer
twice, which beats not at all. getUpdates is left alone: polling has its own loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import Response, TelegramType

from bot.config import Settings

log = logging.getLogger(__name__)


def make_bot(settings: Settings, token: str | None = None) -> Bot:
    """A Bot that talks to TELEGRAM_API_URL, every message HTML without link previews."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    return Bot(
        token or settings.require_token(),
        session=session,
        default=DefaultBotProperties(parse_mode="HTML", link_preview_is_disabled=True),
    )


# aiogram parses every answer as Response[<the method's result type>]. pydantic keeps such
# parametrized models only weakly, so each full garbage collection frees Response[Message] and
# the next call rebuilds its whole schema (tens of milliseconds; about 4% of the bot's CPU
# under load in bench/inbound.py). Holding each one here makes that a dictionary lookup.
_RESPONSE_TYPES: dict[Any, Any] = {}

# Failures a later try may cure. A 502 from Telegram's front end is nginx's HTML page: aiogram
# cannot decode it. (A 429 is transient too, but is waited out for the time Telegram gave.)
RETRYABLE = (TelegramServerError, TelegramNetworkError, ClientDecodeError)


def _keep_response_type(method: TelegramMethod[Any]) -> None:
    returning = method.__returning__
    if returning not in _RESPONSE_TYPES:
        _RESPONSE_TYPES[returning] = Response[returning]  # type: ignore[valid-type]


def _chat_of(method: TelegramMethod[Any]) -> int | None:
    """The chat a call writes to, if it names one by number: its 429 pauses that chat only."""
    chat = getattr(method, "chat_id", None)
    return chat if isinstance(chat, int) else None


class ReleaseBeforeRequests(BaseRequestMiddleware):
    """A handler's database connection goes back to the pool before each call to Telegram
    (bot/db/uow.py scope): an API call can take seconds, a pooled connection is scarce."""

    def __init__(self, release: Callable[[], Awaitable[None]]) -> None:
        self.release = release

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        await self.release()
        return await make_request(bot, method)


class RetryRequests(BaseRequestMiddleware):
    def __init__(
        self,
        attempts: int = 5,
        first_delay: float = 0.5,
        max_delay: float = 8.0,
        on_retry_after: Callable[[float, int | None], None] | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.attempts = attempts
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.on_retry_after = on_retry_after
        self.sleep = sleep

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        _keep_response_type(method)
        if method.__api_method__ == GetUpdates.__api_method__:
            return await make_request(bot, method)
        delay = self.first_delay
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == self.attempts:
                    raise
                if self.on_retry_after is not None:
                    self.on_retry_after(float(exc.retry_after), _chat_of(method))
                log.info("%s: 429, waiting %s s", type(method).__name__, exc.retry_after)
                await self.sleep(exc.retry_after)
            except RETRYABLE as exc:
                if attempt == self.attempts:
                    raise
                log.info(
                    "%s: %s, retrying in %.1f s", type(method).__name__, type(exc).__name__, delay
                )
                await self.sleep(delay)
                delay = min(delay * 2, self.max_delay)
        raise AssertionError("unreachable")  # the loop returns or raises
