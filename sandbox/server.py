"""The sandbox HTTP server: Bot API routes, file downloads, the control API and the page."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiohttp
from aiohttp import web

from sandbox import api_bot, api_chats, api_edits, api_messages  # noqa: F401  (registers)
from sandbox.control import ControlApi
from sandbox.errors import ApiError, too_many_requests
from sandbox.faults import FaultInjector, FaultRule
from sandbox.files import content_type
from sandbox.methods import METHODS, Method, lookup
from sandbox.params import read_raw, validate
from sandbox.registry import HANDLERS, Call, Options
from sandbox.state import BotAccount, World
from sandbox.webhook import WebhookPusher, WebhookUpstreams

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
DEFAULT_BOTS = (("123456:TEST-TOKEN", "xinqiao_demo_bot", "心桥 Xinqiao"),)
_NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)

_UNHANDLED = set(METHODS) - set(HANDLERS)
if _UNHANDLED:  # pragma: no cover - guards the table and the code drifting apart
    raise RuntimeError(f"methods without a handler: {sorted(_UNHANDLED)}")


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


class SandboxServer:
    """A local Telegram Bot API emulator.

    ``async with SandboxServer() as server:`` binds (port 0 picks a free one); point aiogram at
    ``server.base_url`` and drive people through `SandboxClient` or ``server.world``.
    ``webhook_upstreams`` maps a webhook URL bots set to the addresses of the instances behind
    it, which then share its updates round-robin (see `sandbox.webhook`).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        bots: Iterable[tuple[str, str, str]] = DEFAULT_BOTS,
        *,
        serve_page: bool = True,
        global_rate_per_s: float | None = None,
        group_rate_per_min: int | None = None,
        fault_seed: int = 0,
        callback_answer_timeout_s: float = 15.0,
        webhook_backoff_s: tuple[float, float] = (0.2, 10.0),
        webhook_timeout_s: float = 10.0,
        open_private_chats: bool = False,
        webhook_upstreams: Mapping[str, Iterable[str]] | None = None,
        font: Path | None = None,
        routes: Iterable[web.RouteDef] = (),
    ) -> None:
        self.host = host
        # Extra routes served beside the page (the demo's controls), so the page can call them
        # without a second origin; the sandbox itself knows nothing of what they do.
        self.routes = list(routes)
        # A CJK font for the page, for browsers on machines that have none (CI, servers).
        self.font = font
        self.port = port
        self.world = World(bots)
        self.world.open_private_chats = open_private_chats
        if not self.world.bots:
            raise ValueError("a sandbox needs at least one bot")
        self.faults = FaultInjector(fault_seed, global_rate_per_s, group_rate_per_min)
        self.options = Options(callback_answer_timeout_s=callback_answer_timeout_s)
        self.serve_page = serve_page
        self.webhook_backoff_s = webhook_backoff_s
        self.webhook_timeout_s = webhook_timeout_s
        self.webhook_upstreams = WebhookUpstreams(webhook_upstreams)
        self.stats: defaultdict[str, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.stopping = asyncio.Event()
        self.control = ControlApi(self)
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def app(self) -> web.Application:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self.handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self.handle_file)
        self.control.register(app.router)
        if self.serve_page:
            app.router.add_get("/", self.handle_index)
            app.router.add_get("/font/cjk", self.handle_font)
            app.router.add_static("/static/", STATIC_DIR)
        app.router.add_routes(self.routes)
        return app

    async def start(self) -> None:
        # a fresh event binds to the loop that runs this server
        self.stopping = asyncio.Event()
        # no pool-wide cap: each bot's max_connections (up to 100) is the limit, as at Telegram
        self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:
            self.port = int(self._runner.addresses[0][1])
        for bot in self.world.bots.values():
            pusher = WebhookPusher(
                self.world,
                bot,
                self._http,
                dispatch=self.dispatch,
                stopping=self.stopping,
                backoff=self.webhook_backoff_s,
                timeout_s=self.webhook_timeout_s,
                upstreams=self.webhook_upstreams,
            )
            self._tasks.append(asyncio.create_task(pusher.run()))
        log.info("Telegram sandbox listening on %s", self.base_url)

    async def stop(self) -> None:
        self.stopping.set()
        for bot in self.world.bots.values():
            bot.notifier.notify()
        self.world.events.notifier.notify()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def _respond(self, name: str, status: int, payload: dict[str, Any]) -> web.Response:
        self.stats[name]["calls"] += 1
        self.stats[name]["ok" if status == 200 else str(status)] += 1
        return web.Response(text=dumps(payload), status=status, content_type="application/json")

    async def handle_api(self, request: web.Request) -> web.StreamResponse:
        if request.method not in ("GET", "POST"):
            return self._respond("?", 405, ApiError(405, "Method Not Allowed").payload())
        bot = self.world.bots.get(request.match_info["token"])
        if bot is None:
            return self._respond("?", 401, ApiError(401, "Unauthorized").payload())
        method = lookup(request.match_info["method"])
        if method is None:
            return self._respond("?", 404, ApiError(404, "Not Found").payload())
        try:
            raw = await read_raw(request)
        except ApiError as exc:
            return self._respond(method.name, exc.code, exc.payload())
        rule = self.faults.pick(method.name, _chat_id(raw), bot.id)
        if rule is not None:
            return await self._inject(request, rule, bot, method, raw)
        status, payload = await self._execute(bot, method, raw)
        return self._respond(method.name, status, payload)

    async def dispatch(
        self, bot: BotAccount, name: str, raw: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """Run a method outside HTTP (used for methods returned in webhook responses)."""
        method = lookup(name)
        if method is None:
            return 404, ApiError(404, "Not Found").payload()
        status, payload = await self._execute(bot, method, raw)
        self.stats[method.name]["calls"] += 1
        self.stats[method.name]["ok" if status == 200 else str(status)] += 1
        return status, payload

    async def _execute(
        self, bot: BotAccount, method: Method, raw: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        chat_id = _chat_id(raw)
        try:
            params = validate(method, raw)
            self._flood_control(method, bot, chat_id)
            call = Call(self.world, bot, params, self.options, self.stopping, self._http)
            result = await HANDLERS[method.name](call)
        except ApiError as exc:
            log.debug("%s -> %s %s", method.name, exc.code, exc.description)
            return exc.code, exc.payload()
        self.faults.record_success(method.name, bot.id, chat_id)
        return 200, {"ok": True, "result": result}

    def _flood_control(self, method: Method, bot: BotAccount, chat_id: int | None) -> None:
        wait = self.faults.rate_check(method.name, bot.id, chat_id)
        if wait is not None:
            raise too_many_requests(wait)

    async def _inject(
        self,
        request: web.Request,
        rule: FaultRule,
        bot: BotAccount,
        method: Method,
        raw: dict[str, Any],
    ) -> web.StreamResponse:
        log.info("injecting %s into %s", rule.kind, method.name)
        if rule.process:
            await self._execute(bot, method, raw)
        if rule.kind == "drop":
            if request.transport is not None:
                request.transport.close()
            self.stats[method.name]["calls"] += 1
            self.stats[method.name]["dropped"] += 1
            # the connection is already gone, so this response is never written
            return web.Response(status=204)
        if rule.kind == "timeout":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), rule.delay)
        if rule.html_body:
            self.stats[method.name]["calls"] += 1
            self.stats[method.name][str(rule.status)] += 1
            return web.Response(text=_NGINX_502, status=rule.status, content_type="text/html")
        error = ApiError(
            rule.status, rule.error_description, rule.retry_after if rule.kind == "429" else None
        )
        return self._respond(method.name, rule.status, error.payload())

    async def handle_file(self, request: web.Request) -> web.StreamResponse:
        bot = self.world.bots.get(request.match_info["token"])
        stored = self.world.files.by_path.get(request.match_info["path"])
        if bot is None:
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        if stored is None:
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        return web.Response(body=stored.data, content_type=content_type(stored))

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC_DIR / "index.html")

    async def handle_font(self, request: web.Request) -> web.StreamResponse:
        if self.font is None or not self.font.is_file():
            return web.Response(status=404, text="no font configured")
        return web.FileResponse(self.font, headers={"Cache-Control": "max-age=3600"})


def _chat_id(raw: dict[str, Any]) -> int | None:
    value = raw.get("chat_id")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(value)
    return None
