"""Webhook delivery: the secret header, ordering, retries and methods in the response."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiohttp import web

from bot.sandbox import SandboxClient


@dataclass
class Receiver:
    url: str = ""
    failures_left: int = 0
    answer: dict[str, Any] | None = None
    received: list[tuple[str | None, dict[str, Any]]] = field(default_factory=list)
    attempts: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        if self.failures_left > 0:
            self.failures_left -= 1
            return web.Response(status=500, text="boom")
        self.received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        self.arrived.set()
        if self.answer is not None:
            return web.json_response(self.answer)
        return web.Response(text="")

    async def wait(self, count: int, within_s: float = 3.0) -> None:
        async with asyncio.timeout(within_s):
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield hook
    await runner.cleanup()


async def test_delivery_with_secret_in_order(
    bot: Bot, sb: SandboxClient, receiver: Receiver
) -> None:
    user = (await sb.create_user("Ann"))["id"]
    assert await bot.set_webhook(receiver.url, secret_token="s3cret_TOKEN-1")
    for text in ("one", "two", "three"):
        await sb.send_text(user, text)
    await receiver.wait(3)
    assert [secret for secret, _ in receiver.received] == ["s3cret_TOKEN-1"] * 3
    assert [update["message"]["text"] for _, update in receiver.received] == [
        "one",
        "two",
        "three",
    ]
    ids = [update["update_id"] for _, update in receiver.received]
    assert ids == list(range(ids[0], ids[0] + 3))
    info = await bot.get_webhook_info()
    assert info.url == receiver.url and info.pending_update_count == 0
    assert info.last_error_date is None


async def test_retries_after_failures(bot: Bot, sb: SandboxClient, receiver: Receiver) -> None:
    user = (await sb.create_user("Ann"))["id"]
    receiver.failures_left = 2
    await bot.set_webhook(receiver.url)
    await sb.send_text(user, "first")
    await sb.send_text(user, "second")
    await receiver.wait(2)
    assert receiver.attempts == 4
    assert [u["message"]["text"] for _, u in receiver.received] == ["first", "second"]
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    assert info.pending_update_count == 0


async def test_method_in_webhook_response_is_executed(
    bot: Bot, sb: SandboxClient, receiver: Receiver
) -> None:
    user = (await sb.create_user("Ann"))["id"]
    receiver.answer = {"method": "sendMessage", "chat_id": user, "text": "answered inline"}
    await bot.set_webhook(receiver.url)
    await sb.send_text(user, "hi")
    reply = await sb.wait_for_text(user, "answered inline")
    assert reply["from"]["is_bot"] is True


async def test_webhook_settings(bot: Bot, sb: SandboxClient, receiver: Receiver) -> None:
    with pytest.raises(TelegramBadRequest, match="secret token"):
        await bot.set_webhook(receiver.url, secret_token="has space")
    with pytest.raises(TelegramBadRequest, match="HTTPS URL must be provided"):
        await bot.set_webhook("ftp://example.org/hook")
    user = (await sb.create_user("Ann"))["id"]
    await sb.send_text(user, "queued")
    await bot.set_webhook("http://127.0.0.1:9/unreachable", drop_pending_updates=True)
    assert (await bot.get_webhook_info()).pending_update_count == 0
    await sb.send_text(user, "stuck")
    await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.get_updates() == []
