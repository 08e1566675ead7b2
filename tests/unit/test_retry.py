"""Replies from handlers: what is retried, how long a 429 is waited out, what is final."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import GetUpdates, SendMessage

from bot.telegram.client import RetryRequests

# aiogram costs seconds to import: the fast layer does not even collect this file.
pytestmark = pytest.mark.slow

SEND = SendMessage(chat_id=1, text="hi")


class Script:
    """make_request that raises the scripted errors in turn, then answers."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self, bot: Any, method: Any) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "sent"


def retry_after(seconds: int) -> TelegramRetryAfter:
    return TelegramRetryAfter(method=SEND, message="Too Many Requests", retry_after=seconds)


async def run(
    script: Script, method: Any = SEND
) -> tuple[Any, list[float], list[tuple[float, int | None]]]:
    slept: list[float] = []
    paused: list[tuple[float, int | None]] = []

    async def sleep(s: float) -> None:
        slept.append(s)

    middleware = RetryRequests(
        on_retry_after=lambda s, chat: paused.append((s, chat)), sleep=sleep
    )
    result = await middleware(script, None, method)  # type: ignore[arg-type]
    return result, slept, paused


async def test_a_429_is_waited_out_for_exactly_retry_after_and_pauses_that_chat() -> None:
    result, slept, paused = await run(Script(retry_after(7)))
    assert result == "sent" and slept == [7] and paused == [(7.0, SEND.chat_id)]


async def test_server_network_and_undecodable_errors_back_off_then_succeed() -> None:
    script = Script(
        TelegramServerError(method=SEND, message="Bad Gateway"),
        TelegramNetworkError(method=SEND, message="dropped"),
        ClientDecodeError("nginx page", ValueError("html"), "<html>"),
    )
    result, slept, _ = await run(script)
    assert result == "sent" and script.calls == 4 and slept == [0.5, 1.0, 2.0]


async def test_gives_up_after_five_attempts() -> None:
    script = Script(*(TelegramServerError(method=SEND, message="down") for _ in range(6)))
    with pytest.raises(TelegramServerError):
        await run(script)
    assert script.calls == 5


async def test_a_403_is_final_and_polling_is_left_alone() -> None:
    blocked = Script(TelegramForbiddenError(method=SEND, message="blocked"))
    with pytest.raises(TelegramForbiddenError):
        await run(blocked)
    assert blocked.calls == 1
    polling = Script(TelegramServerError(method=SEND, message="down"))
    with pytest.raises(TelegramServerError):
        await run(polling, GetUpdates())
    assert polling.calls == 1


@pytest.mark.slow
async def test_the_answer_model_outlives_garbage_collection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """aiogram asks pydantic for Response[Message] on every call; pydantic holds it weakly, so
    a full collection used to free it and the next reply rebuilt its schema from scratch."""
    import gc

    from aiogram.methods import SendPhoto
    from aiogram.methods.base import Response
    from pydantic._internal import _generics

    built: list[str] = []
    original = _generics.create_generic_submodel

    def counting(name: str, *args: Any, **kwargs: Any) -> Any:
        built.append(name)
        return original(name, *args, **kwargs)

    monkeypatch.setattr(_generics, "create_generic_submodel", counting)
    await run(Script(), SendPhoto(chat_id=1, photo="file-id"))
    for _ in range(3):
        gc.collect()
        assert Response[SendPhoto.__returning__] is not None  # type: ignore[name-defined]
    assert len(built) <= 1  # built at most once (the middleware's own first use), then kept
