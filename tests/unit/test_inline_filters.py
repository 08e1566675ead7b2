"""Synchronous filters run on the event loop (bot/telegram/inline_filters.py), not in a thread
each."""

from __future__ import annotations

import datetime as dt

import pytest
from aiogram import F, Router
from aiogram.types import Chat, Message

from bot.telegram.inline_filters import run_filters_inline
from handlers import build_router

# aiogram costs seconds to import: the fast layer does not even collect this file.
pytestmark = pytest.mark.slow


def _message(text: str) -> Message:
    return Message(
        message_id=1,
        date=dt.datetime(2026, 11, 29, tzinfo=dt.UTC),
        chat=Chat(id=5, type="private"),
        text=text,
    )


async def test_every_filter_of_the_bot_is_awaited_in_place() -> None:
    root = build_router()
    filters = [
        flt
        for router in root.chain_tail
        for observer in router.observers.values()
        for handler in (observer._handler, *observer.handlers)
        for flt in handler.filters or ()
    ]
    assert filters
    assert all(flt.awaitable for flt in filters)


async def test_an_inlined_filter_still_decides_the_same() -> None:
    router = Router()

    @router.message(F.text == "hi", F.chat.type == "private")
    async def hello(message: Message) -> None:  # pragma: no cover - never dispatched here
        return None

    (handler,) = router.message.handlers
    assert not any(flt.awaitable for flt in handler.filters or ())
    assert run_filters_inline(router) == 2
    first, second = handler.filters or ()
    assert await first.call(_message("hi")) is True
    assert await first.call(_message("bye")) is False
    assert await second.call(_message("hi")) is True
    assert run_filters_inline(router) == 0  # idempotent
