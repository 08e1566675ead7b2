"""Pushing updates to a bot's webhook, one at a time and in order, retrying with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bot.sandbox.chats import now
from bot.sandbox.state import BotAccount, World

log = logging.getLogger(__name__)

Dispatch = Callable[[BotAccount, str, dict[str, Any]], Awaitable[tuple[int, dict[str, Any]]]]


class WebhookPusher:
    def __init__(
        self,
        world: World,
        bot: BotAccount,
        http: aiohttp.ClientSession,
        *,
        dispatch: Dispatch,
        stopping: asyncio.Event,
        backoff: tuple[float, float],
        timeout_s: float,
    ) -> None:
        self.world = world
        self.bot = bot
        self.http = http
        self.dispatch = dispatch
        self.stopping = stopping
        self.backoff = backoff
        self.timeout_s = timeout_s
        self.delivered = 0
        self.failures = 0

    async def run(self) -> None:
        delay = self.backoff[0]
        while not self.stopping.is_set():
            hook = self.bot.webhook
            if hook is None or not self.bot.updates:
                await self.bot.notifier.wait(1.0)
                continue
            update = self.bot.updates[0]
            error = await self._post(hook.url, hook.secret_token, update)
            if error is None:
                if self.bot.updates and self.bot.updates[0] is update:
                    self.bot.updates.pop(0)
                self.delivered += 1
                delay = self.backoff[0]
                continue
            self.failures += 1
            if self.bot.webhook is hook:
                hook.last_error_date = now()
                hook.last_error_message = error
            self.world.events.emit("webhook_error", bot_id=self.bot.id, error=error)
            log.info(
                "webhook delivery to %s failed: %s; retrying in %.2fs", hook.url, error, delay
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), delay)
            delay = min(delay * 2, self.backoff[1])

    async def _post(self, url: str, secret: str | None, update: dict[str, Any]) -> str | None:
        headers = {"Content-Type": "application/json"}
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        try:
            async with self.http.post(
                url, data=json.dumps(update, ensure_ascii=False), headers=headers, timeout=timeout
            ) as resp:
                body = await resp.read()
                if not 200 <= resp.status < 300:
                    return f"Wrong response from the webhook: {resp.status} {resp.reason}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except aiohttp.ClientError as exc:
            return f"Connection error: {type(exc).__name__}"
        await self._answer_in_response(body)
        return None

    async def _answer_in_response(self, body: bytes) -> None:
        """Telegram executes a method a webhook returns in its response body."""
        try:
            payload = json.loads(body) if body.strip() else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            return
        if isinstance(payload, dict) and isinstance(payload.get("method"), str):
            method = payload.pop("method")
            status, result = await self.dispatch(self.bot, method, payload)
            if status != 200:
                log.info(
                    "method %s from a webhook response failed: %s",
                    method,
                    result.get("description"),
                )
