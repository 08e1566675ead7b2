"""Webhook delivery: the secret header, ordering, retries, methods in the response, parallel
connections and round-robin over several upstreams."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiohttp import web

from sandbox import SandboxClient, SandboxServer
from sandbox.__main__ import parse_upstreams
from tests.sandbox.harness import TOKEN, make_bot

OTHER_TOKEN = "654321:OTHER-TOKEN"


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


# Parallel delivery and the sandbox as the load balancer in front of several bot instances.

PUBLIC_URL = "https://bot.example/tg"


@dataclass
class Sink:
    """A bot instance on a real port: what it acknowledged and how many requests overlapped."""

    fail_rate: float = 0.0
    status: int | None = None
    delay_s: float = 0.0
    hold: asyncio.Event | None = None
    seed: int = 0
    port: int = 0
    # shared by the instances behind one URL: acknowledgements in the order they happened
    journal: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    acknowledged: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    active: int = 0
    peak: int = 0
    chat_overlaps: int = 0
    _chats_active: set[int] = field(default_factory=set)
    _runner: web.AppRunner | None = None

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/tg", self.handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self.port = int(self._runner.addresses[0][1])
        self.url = f"http://127.0.0.1:{self.port}/tg"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def handle(self, request: web.Request) -> web.Response:
        update = await request.json()
        chat = update["message"]["chat"]["id"]
        self.attempts += 1
        self.active += 1
        self.peak = max(self.peak, self.active)
        if chat in self._chats_active:
            self.chat_overlaps += 1
        self._chats_active.add(chat)
        try:
            if self.hold is not None:
                await self.hold.wait()
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            if self.status is not None:
                return web.Response(status=self.status)
            if self._rng.random() < self.fail_rate:
                return web.Response(status=500, text="boom")
            self.acknowledged.append(update)
            self.journal.append(update)
            return web.Response(text="")
        finally:
            self.active -= 1
            self._chats_active.discard(chat)

    @property
    def ids(self) -> list[int]:
        return [update["update_id"] for update in self.acknowledged]


SinkFactory = Callable[..., Awaitable[Sink]]


@pytest.fixture
async def sinks() -> AsyncIterator[SinkFactory]:
    started: list[Sink] = []

    async def start(**options: Any) -> Sink:
        sink = Sink(**options)
        await sink.start()
        started.append(sink)
        return sink

    yield start
    for sink in started:
        await sink.stop()


@contextlib.asynccontextmanager
async def sandbox(**options: Any) -> AsyncIterator[tuple[SandboxServer, Bot]]:
    options.setdefault("webhook_backoff_s", (0.05, 0.2))
    async with SandboxServer(
        bots=[(TOKEN, "hook_bot", "Hook"), (OTHER_TOKEN, "other_bot", "Other")],
        webhook_timeout_s=2.0,
        **options,
    ) as server:
        bot = make_bot(server.base_url)
        try:
            yield server, bot
        finally:
            await bot.session.close()


def enqueue(server: SandboxServer, count: int, chats: int) -> list[int]:
    """``count`` messages from ``chats`` people taking turns; answers the update ids."""
    account = server.world.default_bot
    ids = []
    for n in range(count):
        person = {"id": 7001 + n % chats, "is_bot": False, "first_name": f"P{n % chats}"}
        message = {
            "message_id": n + 1,
            "date": 0,
            "chat": {**person, "type": "private"},
            "from": person,
            "text": str(n),
        }
        update = account.enqueue("message", message)
        assert update is not None
        ids.append(update["update_id"])
    return ids


async def until(condition: Callable[[], bool], within_s: float = 30.0) -> None:
    """Wait for sandbox or sink state; the deadline only keeps a broken run from hanging."""
    async with asyncio.timeout(within_s):
        while True:
            if condition():
                return
            await asyncio.sleep(0.01)


async def control(
    server: SandboxServer, verb: str, body: Any = None, *, raw: str | None = None
) -> tuple[int, Any]:
    url = f"{server.base_url}/sandbox/webhook-upstreams"
    async with (
        aiohttp.ClientSession() as http,
        http.request(verb, url, json=body if raw is None else None, data=raw) as resp,
    ):
        return resp.status, await resp.json()


def in_chat_order(updates: list[dict[str, Any]]) -> bool:
    by_chat: dict[int, list[int]] = {}
    for update in updates:
        by_chat.setdefault(update["message"]["chat"]["id"], []).append(update["update_id"])
    return all(ids == sorted(ids) for ids in by_chat.values())


async def test_parallel_delivery_up_to_max_connections(sinks: SinkFactory) -> None:
    release = asyncio.Event()
    sink = await sinks(hold=release)
    async with sandbox() as (server, bot):
        await bot.set_webhook(sink.url, max_connections=10)
        ids = enqueue(server, 30, chats=30)
        await until(lambda: sink.active == 10)
        # in-flight updates are still pending, as Telegram counts them
        assert (await bot.get_webhook_info()).pending_update_count == 30
        release.set()
        await until(lambda: not server.world.default_bot.updates)
        assert sink.peak == 10
        assert sorted(sink.ids) == ids
        assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_one_connection_delivers_one_at_a_time_oldest_first(sinks: SinkFactory) -> None:
    sink = await sinks(delay_s=0.01)
    async with sandbox() as (server, bot):
        await bot.set_webhook(sink.url, max_connections=1)
        ids = enqueue(server, 20, chats=20)
        await until(lambda: not server.world.default_bot.updates)
        assert sink.peak == 1
        assert sink.ids == ids


async def test_a_chat_is_delivered_in_order_one_update_at_a_time(sinks: SinkFactory) -> None:
    sink = await sinks(delay_s=0.01, fail_rate=0.2, seed=3)
    async with sandbox() as (server, bot):
        await bot.set_webhook(sink.url, max_connections=20)
        ids = enqueue(server, 45, chats=3)
        await until(lambda: not server.world.default_bot.updates)
        assert sink.peak > 1
        assert sink.chat_overlaps == 0
        assert sorted(sink.ids) == ids
        assert in_chat_order(sink.acknowledged)


@pytest.mark.parametrize("upstreams", [1, 2])
async def test_no_duplicates_or_losses_when_a_fifth_of_requests_fail(
    sinks: SinkFactory, upstreams: int
) -> None:
    journal: list[dict[str, Any]] = []
    flaky = [await sinks(fail_rate=0.2, seed=n, journal=journal) for n in range(upstreams)]
    async with sandbox() as (server, bot):
        if upstreams > 1:
            body = {"url": PUBLIC_URL, "upstreams": [sink.url for sink in flaky]}
            assert await control(server, "POST", body) == (200, body)
            await bot.set_webhook(PUBLIC_URL, max_connections=10)
        else:
            await bot.set_webhook(flaky[0].url, max_connections=10)
        ids = enqueue(server, 500, chats=25)
        await until(lambda: not server.world.default_bot.updates, within_s=60)
        assert sorted(update["update_id"] for update in journal) == ids
        assert in_chat_order(journal)
        assert sum(sink.attempts for sink in flaky) > 500
        assert (await bot.get_webhook_info()).pending_update_count == 0
        if upstreams > 1:
            stats = (await SandboxClient(server.base_url).stats())["webhook_upstreams"]
            assert sum(stats[sink.url]["delivered"] for sink in flaky) == 500
            assert all(stats[sink.url]["failed"] > 0 for sink in flaky)


async def test_round_robin_over_upstreams(sinks: SinkFactory) -> None:
    instances = [await sinks() for _ in range(3)]
    async with sandbox() as (server, bot), SandboxClient(server.base_url) as sb:
        body = {"url": PUBLIC_URL, "upstreams": [sink.url for sink in instances]}
        assert await control(server, "POST", body) == (200, body)
        assert await control(server, "GET") == (200, {PUBLIC_URL: body["upstreams"]})
        await bot.set_webhook(PUBLIC_URL, secret_token="shared_SECRET")
        ids = enqueue(server, 30, chats=7)
        await until(lambda: not server.world.default_bot.updates)
        assert [len(sink.ids) for sink in instances] == [10, 10, 10]
        assert sorted(i for sink in instances for i in sink.ids) == ids
        stats = (await sb.stats())["webhook_upstreams"]
        assert stats == {sink.url: {"delivered": 10, "failed": 0} for sink in instances}


async def test_failover_when_an_upstream_stops(sinks: SinkFactory) -> None:
    first, second = await sinks(), await sinks()
    upstreams = {PUBLIC_URL: [first.url, second.url]}
    async with (
        sandbox(webhook_upstreams=upstreams) as (server, bot),
        SandboxClient(server.base_url) as sb,
    ):
        await bot.set_webhook(PUBLIC_URL)
        before = enqueue(server, 20, chats=5)
        await until(lambda: not server.world.default_bot.updates)
        assert len(first.ids) == len(second.ids) == 10
        await second.stop()
        after = enqueue(server, 20, chats=5)
        await until(lambda: not server.world.default_bot.updates)
        assert sorted(first.ids + second.ids) == before + after
        assert set(after) <= set(first.ids)
        stats = (await sb.stats())["webhook_upstreams"]
        assert stats[first.url] == {"delivered": 30, "failed": 0}
        assert stats[second.url]["delivered"] == 10
        assert stats[second.url]["failed"] > 0
        # the proxy hid the dead instance: no delivery failed as far as Telegram knows
        assert (await bot.get_webhook_info()).last_error_date is None


async def test_every_upstream_down_is_a_failed_delivery_until_one_returns(
    sinks: SinkFactory,
) -> None:
    first, second = await sinks(), await sinks()
    async with sandbox(webhook_upstreams={PUBLIC_URL: [first.url, second.url]}) as (server, bot):
        await first.stop()
        await second.stop()
        await bot.set_webhook(PUBLIC_URL)
        ids = enqueue(server, 3, chats=1)
        hook = server.world.default_bot.webhook
        assert hook is not None
        await until(lambda: hook.last_error_message is not None)
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 3
        assert info.last_error_message == "Connection refused"
        back = await sinks(port=first.port)
        await until(lambda: not server.world.default_bot.updates)
        assert back.ids == ids


@pytest.mark.parametrize(
    ("status", "next_upstream_tried"), [(401, False), (403, False), (500, True), (503, True)]
)
async def test_only_server_errors_move_on_to_the_next_upstream(
    sinks: SinkFactory, status: int, next_upstream_tried: bool
) -> None:
    refusing, healthy = await sinks(status=status), await sinks()
    # a long backoff: a failed delivery is not retried while the test looks
    async with sandbox(
        webhook_upstreams={PUBLIC_URL: [refusing.url, healthy.url]},
        webhook_backoff_s=(30.0, 30.0),
    ) as (server, bot):
        await bot.set_webhook(PUBLIC_URL, secret_token="wrong_secret")
        ids = enqueue(server, 1, chats=1)
        hook = server.world.default_bot.webhook
        assert hook is not None
        if next_upstream_tried:
            await until(lambda: not server.world.default_bot.updates)
            assert healthy.ids == ids
            assert hook.last_error_message is None
        else:
            await until(lambda: hook.last_error_message is not None)
            assert hook.last_error_message.startswith(f"Wrong response from the webhook: {status}")
            assert healthy.attempts == 0
            assert server.world.default_bot.updates[0]["update_id"] == ids[0]
        assert refusing.attempts == 1
        assert server.webhook_upstreams.stats()[refusing.url] == {"delivered": 0, "failed": 1}


async def test_upstreams_only_apply_to_their_url(sinks: SinkFactory) -> None:
    mapped, direct = await sinks(), await sinks()
    async with sandbox(webhook_upstreams={PUBLIC_URL: [mapped.url]}) as (server, bot):
        other = make_bot(server.base_url, OTHER_TOKEN)
        try:
            await bot.set_webhook(PUBLIC_URL)
            await other.set_webhook(direct.url)
            ids = enqueue(server, 2, chats=2)
            other_update = server.world.bots[OTHER_TOKEN].enqueue("message", {"chat": {"id": 1}})
            assert other_update is not None
            await until(lambda: not any(b.updates for b in server.world.bots.values()))
        finally:
            await other.session.close()
        assert mapped.ids == ids
        assert direct.ids == [other_update["update_id"]]
        assert list(server.webhook_upstreams.stats()) == [mapped.url]


async def test_upstream_control_validation(server: SandboxServer) -> None:
    bad: list[tuple[Any, str]] = [
        ({"upstreams": ["http://127.0.0.1:1/tg"]}, '"url" must be a non-empty string'),
        ({"url": "ftp://x/tg", "upstreams": ["http://a/tg"]}, '"url" must be an http(s) URL'),
        ({"url": PUBLIC_URL}, '"upstreams" must be a non-empty list'),
        ({"url": PUBLIC_URL, "upstreams": "http://a/tg"}, '"upstreams" must be a non-empty'),
        ({"url": PUBLIC_URL, "upstreams": {"http://a/tg": 1}}, '"upstreams" must be a non-'),
        ({"url": PUBLIC_URL, "upstreams": []}, '"upstreams" must be a non-empty list'),
        ({"url": PUBLIC_URL, "upstreams": ["http://a/tg", 5]}, "each upstream must be"),
        ({"url": PUBLIC_URL, "upstreams": ["localhost:8081"]}, "each upstream must be an"),
        ({"url": PUBLIC_URL, "upstreams": ["http://a/tg"] * 2}, "must not repeat a URL"),
        (["not", "an", "object"], "the body must be a JSON object"),
    ]
    for body, error in bad:
        status, answer = await control(server, "POST", body)
        assert status == 400, body
        assert error in answer["error"], answer
    assert await control(server, "POST", raw="{nope") == (400, {"error": "the body must be JSON"})
    assert await control(server, "GET") == (200, {})
    assert await control(server, "DELETE", {}) == (
        400,
        {"error": '"url" must be a non-empty string'},
    )
    status, answer = await control(server, "DELETE", {"url": PUBLIC_URL})
    assert status == 404 and "no upstreams" in answer["error"]
    body = {"url": PUBLIC_URL, "upstreams": ["http://127.0.0.1:1/tg"]}
    assert await control(server, "POST", body) == (200, body)
    replaced = {"url": PUBLIC_URL, "upstreams": ["http://127.0.0.1:2/tg", "http://[::1]:3/tg"]}
    assert await control(server, "POST", replaced) == (200, replaced)
    assert await control(server, "GET") == (200, {PUBLIC_URL: replaced["upstreams"]})
    assert await control(server, "DELETE", {"url": PUBLIC_URL}) == (200, {})


def test_upstreams_from_the_command_line_and_the_constructor() -> None:
    assert parse_upstreams(f"{PUBLIC_URL}?a=b=http://127.0.0.1:1/tg,https://h:2/tg") == (
        f"{PUBLIC_URL}?a=b",
        ["http://127.0.0.1:1/tg", "https://h:2/tg"],
    )
    for wrong in (PUBLIC_URL, f"{PUBLIC_URL}=", f"{PUBLIC_URL}=http://a/tg,,", "x=http://a/tg"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_upstreams(wrong)
    with pytest.raises(ValueError, match="non-empty list"):
        SandboxServer(webhook_upstreams={PUBLIC_URL: []})
    server = SandboxServer(webhook_upstreams={PUBLIC_URL: ("http://a/tg", "http://b/tg")})
    assert server.webhook_upstreams.snapshot() == {PUBLIC_URL: ["http://a/tg", "http://b/tg"]}
