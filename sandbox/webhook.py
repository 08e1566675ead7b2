"""Pushing updates to bots' webhooks as Telegram does, and as a load balancer in front of them.

Telegram keeps up to ``max_connections`` (a setWebhook parameter, default 40) requests to a
webhook in flight, so a bot on a webhook handles its updates concurrently. A sandbox that posted
one update at a time would hide exactly what a deployment meets: races between updates, a slow
handler holding up nobody else, throughput that grows with connections. What Telegram does keep in
order is each chat: updates wait in one queue per chat and only a queue's head is ever in flight,
so one person's messages arrive in the order they were sent while many people are served at once.
A failed update is retried with doubling backoff and only its own chat waits for it. Like
Telegram, the pusher looks at the oldest ``2 * max_connections`` pending updates at a time, which
bounds the work per delivery however long the queue grows.

An update leaves the bot's pending list only when its POST got a 2xx: getWebhookInfo's
pending_update_count counts the ones in flight (as Telegram's does), an update is never sent
again once acknowledged, and a sandbox stopped mid-request loses nothing.

The sandbox also plays the reverse proxy in front of several bot instances. They all call
setWebhook with one public URL, and `WebhookUpstreams` maps that URL to the instances' real
addresses. Each update goes to the next upstream in turn; one that refuses the connection, times
out or answers 5xx is passed over for the next at once, like nginx's ``proxy_next_upstream error
timeout http_500 http_502 http_503 non_idempotent`` (webhooks are POSTs, which nginx would not
retry otherwise). Only when every upstream failed does the delivery fail and back off. A 4xx is
the bot's own answer (a wrong secret, say), so it fails the delivery without trying elsewhere.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from sandbox.chats import now
from sandbox.state import BotAccount, Webhook, World

log = logging.getLogger(__name__)

Dispatch = Callable[[BotAccount, str, dict[str, Any]], Awaitable[tuple[int, dict[str, Any]]]]


def check_url(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{what} must be an http(s) URL, not {value!r}")
    return value


@dataclass
class UpstreamCounts:
    delivered: int = 0
    failed: int = 0


class WebhookUpstreams:
    """Which real addresses stand behind a public webhook URL, and how each has fared."""

    def __init__(self, routes: Mapping[str, Iterable[str]] | None = None) -> None:
        self._routes: dict[str, list[str]] = {}
        self._turns: dict[str, int] = {}
        self.counts: dict[str, UpstreamCounts] = {}
        for url, upstreams in (routes or {}).items():
            self.set(url, upstreams)

    def set(self, url: Any, upstreams: Any) -> tuple[str, list[str]]:
        url = check_url(url, '"url"')
        listed = isinstance(upstreams, Iterable) and not isinstance(upstreams, str | Mapping)
        checked = [check_url(item, "each upstream") for item in upstreams] if listed else []
        if not checked:
            raise ValueError('"upstreams" must be a non-empty list of URLs')
        if len(set(checked)) != len(checked):
            raise ValueError('"upstreams" must not repeat a URL')
        self._routes[url] = checked
        self._turns.setdefault(url, 0)
        return url, list(checked)

    def remove(self, url: str) -> bool:
        self._turns.pop(url, None)
        return self._routes.pop(url, None) is not None

    def snapshot(self) -> dict[str, list[str]]:
        return {url: list(upstreams) for url, upstreams in self._routes.items()}

    def stats(self) -> dict[str, dict[str, int]]:
        return {
            upstream: {"delivered": c.delivered, "failed": c.failed}
            for upstream, c in self.counts.items()
        }

    def route(self, url: str) -> list[str] | None:
        """The order to try upstreams in for one update, or None when ``url`` is not proxied.

        The turn advances per update, not per attempt, so concurrent deliveries spread evenly and
        a failover does not make the next update skip an upstream.
        """
        upstreams = self._routes.get(url)
        if upstreams is None:
            return None
        turn = self._turns[url] % len(upstreams)
        self._turns[url] = turn + 1
        return upstreams[turn:] + upstreams[:turn]

    def record(self, upstream: str, *, ok: bool) -> None:
        counts = self.counts.setdefault(upstream, UpstreamCounts())
        if ok:
            counts.delivered += 1
        else:
            counts.failed += 1


def queue_of(update: dict[str, Any]) -> Hashable:
    """Telegram's delivery queue for an update: its chat, else its sender, else its own."""
    for kind, payload in update.items():
        if kind == "update_id" or not isinstance(payload, dict):
            continue
        chat = payload.get("chat")
        message = payload.get("message")
        if chat is None and isinstance(message, dict):
            chat = message.get("chat")
        if isinstance(chat, dict) and "id" in chat:
            return ("chat", chat["id"])
        sender = payload.get("from")
        if isinstance(sender, dict) and "id" in sender:
            return ("user", sender["id"])
    return ("update", update.get("update_id"))


@dataclass
class _Attempt:
    error: str | None
    body: bytes = b""
    try_next: bool = False


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
        upstreams: WebhookUpstreams | None = None,
    ) -> None:
        self.world = world
        self.bot = bot
        self.http = http
        self.dispatch = dispatch
        self.stopping = stopping
        self.backoff = backoff
        self.timeout_s = timeout_s
        self.upstreams = upstreams if upstreams is not None else WebhookUpstreams()
        self.delivered = 0
        self.failures = 0
        self._hook: Webhook | None = None
        self._in_flight: set[int] = set()
        # deliveries, including a method answered in a response that still runs after them
        self._tasks: set[asyncio.Task[None]] = set()
        self._busy_queues: set[Hashable] = set()
        # update_id -> (loop time it may go again, the backoff its next failure earns)
        self._retry: dict[int, tuple[float, float]] = {}

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while not self.stopping.is_set():
                hook = self.bot.webhook
                if hook is not self._hook:
                    # a new setWebhook starts afresh, as Telegram's new webhook connection does
                    self._hook = hook
                    self._retry.clear()
                wait = 1.0
                if hook is not None and self.bot.updates:
                    wait = self._start_ready(hook, loop.time())
                # nothing awaits between looking at the queue and here, so no wake-up is missed
                await self.bot.notifier.wait(wait)
        finally:
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _start_ready(self, hook: Webhook, at: float) -> float:
        """Start what may go now; answer how long until a backed-off update may go."""
        limit = hook.max_connections
        wait = 1.0
        if len(self._in_flight) >= limit:
            return wait
        window = self.bot.updates[: 2 * limit]
        if len(self._retry) > len(window):
            # updates dropped while backing off (drop_pending_updates, a reset)
            pending = {update["update_id"] for update in window}
            self._retry = {uid: r for uid, r in self._retry.items() if uid in pending}
        passed: set[Hashable] = set()
        for update in window:
            queue = queue_of(update)
            if queue in passed:
                continue
            # whatever happens to a queue's head, the rest of that queue waits behind it
            passed.add(queue)
            if queue in self._busy_queues:
                continue
            retry = self._retry.get(update["update_id"])
            if retry is not None and retry[0] > at:
                wait = min(wait, retry[0] - at)
                continue
            self._busy_queues.add(queue)
            self._in_flight.add(update["update_id"])
            task = asyncio.create_task(self._deliver(hook, update, queue))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            if len(self._in_flight) >= limit:
                break
        return wait

    async def _deliver(self, hook: Webhook, update: dict[str, Any], queue: Hashable) -> None:
        update_id = update["update_id"]
        try:
            attempt = await self._post_routed(hook, update)
        finally:
            self._in_flight.discard(update_id)
            self._busy_queues.discard(queue)
            self.bot.notifier.notify()
        if attempt.error is None:
            self._retry.pop(update_id, None)
            self._forget(update)
            self.delivered += 1
            try:
                await self._answer_in_response(attempt.body)
            except Exception:
                log.exception("a method returned by the webhook crashed the sandbox")
            return
        self.failures += 1
        delay = self._retry.get(update_id, (0.0, self.backoff[0]))[1]
        if any(pending is update for pending in self.bot.updates):
            retry_at = asyncio.get_running_loop().time() + delay
            self._retry[update_id] = (retry_at, min(delay * 2, self.backoff[1]))
        if self.bot.webhook is hook:
            hook.last_error_date = now()
            hook.last_error_message = attempt.error
        self.world.events.emit("webhook_error", bot_id=self.bot.id, error=attempt.error)
        log.info(
            "webhook delivery of update %s to %s failed: %s; retrying in %.2fs",
            update_id,
            hook.url,
            attempt.error,
            delay,
        )

    def _forget(self, update: dict[str, Any]) -> None:
        """Drop a delivered update; getUpdates' offset or a reset may have dropped it already."""
        updates = self.bot.updates
        for index, pending in enumerate(updates):
            if pending is update:
                del updates[index]
                return

    async def _post_routed(self, hook: Webhook, update: dict[str, Any]) -> _Attempt:
        data = json.dumps(update, ensure_ascii=False)
        upstreams = self.upstreams.route(hook.url)
        if upstreams is None:
            return await self._post(hook.url, hook.secret_token, data)
        attempt = _Attempt("no upstream")
        for upstream in upstreams:
            attempt = await self._post(upstream, hook.secret_token, data)
            self.upstreams.record(upstream, ok=attempt.error is None)
            if not attempt.try_next:
                break
            log.debug("upstream %s failed (%s); trying the next", upstream, attempt.error)
        return attempt

    async def _post(self, url: str, secret: str | None, data: str) -> _Attempt:
        headers = {"Content-Type": "application/json"}
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        try:
            async with self.http.post(url, data=data, headers=headers, timeout=timeout) as resp:
                body = await resp.read()
                if not 200 <= resp.status < 300:
                    error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
                    return _Attempt(error, try_next=resp.status >= 500)
        except TimeoutError:
            return _Attempt("Read timeout expired", try_next=True)
        except aiohttp.ClientConnectorError:
            return _Attempt("Connection refused", try_next=True)
        except aiohttp.ClientError as exc:
            return _Attempt(f"Connection error: {type(exc).__name__}", try_next=True)
        return _Attempt(None, body)

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
