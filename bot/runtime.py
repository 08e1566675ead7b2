"""Running a wired bot: what bot/app.py builds (App) and how it runs: long polling or a
webhook, the health and metrics endpoints, the dashboard's server, start-up and a graceful
stop. bot/app.py builds the App; this runs it and stops it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog import ContentCatalog
from bot.config import Settings
from bot.db.uow import SqlUnitOfWorkFactory
from bot.domain.clock import SystemClock
from bot.domain.locale import LOCALES
from bot.ports import Clock
from bot.services.bundle import Services
from bot.services.outbox import Cluster, Delivery
from bot.telegram.inbox import Inbox
from bot.telegram.menus import set_default_commands
from bot.telegram.transport import TelegramTransport
from bot.web.dashboard import Site as DashboardSite
from bot.web.dashboard import mount as mount_dashboard
from bot.web.metrics import exposition
from bot.web.server import WebLimits, serve
from scheduler import Ticker

log = logging.getLogger(__name__)


@dataclass
class App:
    """A wired bot (bot/app.py builds it): its parts, what runs while it serves, and its stop."""

    settings: Settings
    engine: AsyncEngine
    catalog: ContentCatalog
    bot: Bot
    dispatcher: Dispatcher
    services: Services
    uow: SqlUnitOfWorkFactory
    ticker: Ticker
    delivery: Delivery
    transport: TelegramTransport
    inbox: Inbox
    cluster: Cluster
    clock: Clock = field(default_factory=SystemClock)
    # Set once the command menu is in place and polling is about to begin.
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    sender_task: asyncio.Task[None] | None = None
    inbox_task: asyncio.Task[None] | None = None
    cluster_task: asyncio.Task[None] | None = None
    # The supervisors' web dashboard, when DASHBOARD_URL is set.
    dashboard: DashboardSite | None = None

    def stop(self) -> None:
        """Ask everything to finish: polling or the webhook, handling, sending."""
        self.stopping.set()
        self.inbox.wake.set()

    async def close(self) -> None:
        await self.ticker.close()  # stop ticking and hand leadership to a standby at once
        self.stopping.set()
        if self.sender_task is not None:
            try:
                # What the last handled updates queued goes out first (it is the most urgent).
                await asyncio.wait_for(asyncio.shield(self.sender_task), timeout=5)
            except TimeoutError:  # a backlog (a broadcast): finish what is in flight, no more
                log.warning("the sender was still busy at shutdown; unsent rows stay queued")
                self.delivery.halt()
                with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(self.sender_task, timeout=10)
            except asyncio.CancelledError:
                pass
        if self.cluster_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.cluster_task
        if self.cluster.me is not None:
            await self.cluster.leave()  # the others take over the whole budget
        await self.transport.close()
        await self.dispatcher.storage.close()
        await self.bot.session.close()
        await self.engine.dispose()


def _web_limits(settings: Settings) -> WebLimits:
    return WebLimits(
        head_timeout=settings.web_header_timeout_s,
        body_timeout=settings.web_body_timeout_s,
        max_connections=settings.web_max_connections,
    )


async def _serve(web_app: web.Application, listen: str, settings: Settings) -> web.AppRunner:
    """Serve on `host:port` within the WEB_* limits (bot/web/server.py). Listening on every
    interface takes saying so: 0.0.0.0."""
    host, _, port = listen.rpartition(":")
    return await serve(web_app, host.strip("[]") or "127.0.0.1", int(port), _web_limits(settings))


async def start_dashboard(app: App) -> web.AppRunner | None:
    """Polling mode: the dashboard on a small server of its own, on DASHBOARD_LISTEN. (In
    webhook mode it shares the webhook's server.)"""
    if app.dashboard is None:
        return None
    root = web.Application(client_max_size=64 * 1024)
    mount_dashboard(root, app.dashboard)
    runner = await _serve(root, app.settings.dashboard_listen, app.settings)
    log.info("dashboard listening on %s", app.settings.dashboard_listen)
    return runner


async def run_polling(app: App, *, handle_signals: bool = True) -> None:
    """Long polling until stopped, every update stored before it is confirmed
    (bot/telegram/inbox.py). Commands are set first so the menu is right from the start."""
    await app.bot.delete_webhook(drop_pending_updates=False)  # polling and a webhook exclude
    dashboard = await start_dashboard(app)
    await _start(app, handle_signals)
    try:
        await app.inbox.poll(app.stopping, app.dispatcher.resolve_used_update_types())
    finally:
        if dashboard is not None:
            await dashboard.cleanup()
        await _finish(app)


async def run_webhook(app: App, *, handle_signals: bool = True) -> None:
    """Webhook mode: Telegram posts each update to WEBHOOK_URL with WEBHOOK_SECRET in a header;
    it is stored before the answer, so an answered update is never lost
    (bot/telegram/inbox.py)."""
    settings = app.settings
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    if not settings.webhook_url or len(secret) < 16:
        raise ValueError("webhook mode needs WEBHOOK_URL and a WEBHOOK_SECRET of 16+ characters")
    path = urlsplit(settings.webhook_url).path or "/"

    async def update(request: web.Request) -> web.Response:
        return await app.inbox.webhook(request, secret)

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")  # the process answers

    async def readyz(_: web.Request) -> web.Response:
        # Ready once started and the database takes writes: a load balancer sends updates
        # here, and each must be stored before it is answered. Reading is not enough (a
        # standby after a failover, a file system remounted read-only answer reads).
        if not app.ready.is_set() or app.stopping.is_set():
            return web.Response(status=503, text="not ready")
        try:
            async with app.uow() as u:
                await u.inbox.try_write(app.inbox.owner)  # rolled back: never committed
        except Exception:  # noqa: BLE001 - any failure means "not ready", said plainly
            return web.Response(status=503, text="database unavailable")
        return web.Response(text="ready")

    async def metrics(_: web.Request) -> web.Response:
        page = await exposition(
            app.uow,
            app.inbox.metrics,
            app.delivery.stats.by_outcome,
            app.ticker.leading,
            app.clock.now(),
            instances=len(app.cluster.live),
            budget_per_s=app.cluster.share_per_s,
        )
        return web.Response(text=page, content_type="text/plain", charset="utf-8")

    web_app = web.Application(client_max_size=1 << 20)
    web_app.router.add_post(path, update)
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/readyz", readyz)
    web_app.router.add_get("/metrics", metrics)
    if app.dashboard is not None:
        mount_dashboard(web_app, app.dashboard)
    runner = await _serve(web_app, settings.webhook_listen, settings)
    try:
        await app.bot.set_webhook(
            settings.webhook_url,
            secret_token=secret,
            allowed_updates=app.dispatcher.resolve_used_update_types(),
            drop_pending_updates=False,
        )
        await _start(app, handle_signals)
        await app.stopping.wait()
    finally:
        # Stop taking updates first (Telegram keeps them and retries), then finish the rest.
        await runner.cleanup()
        await _finish(app)


async def _staff_chats(app: App) -> list[int]:
    """Every staff group, to give each the staff's command menu."""
    chats = [app.settings.staff_chat_id] if app.settings.staff_chat_id else []
    async with app.uow() as u:
        for sp in await u.service_points.all():
            chats.extend(c for c in sp.staff_chat_ids if c not in chats)
    return chats


async def _start(app: App, handle_signals: bool) -> None:
    await set_default_commands(
        app.bot,
        app.catalog,
        LOCALES,
        app.settings.default_locale.value,
        await _staff_chats(app),
    )
    # Before anything is claimed (claims carry this instance's id); takes over what a dead
    # process was handling or sending.
    await app.cluster.join()
    if len(app.cluster.live) > 1 and not app.settings.redis_url:
        log.warning(
            "%d instances share this database but REDIS_URL is not set: one person's updates "
            "may be handled by two instances at once and conversation state is not shared",
            len(app.cluster.live),
        )
    app.ticker.start()
    app.sender_task = asyncio.create_task(app.delivery.run_forever(app.stopping))
    app.inbox_task = asyncio.create_task(app.inbox.run(app.stopping))
    app.cluster_task = asyncio.create_task(app.cluster.run(app.stopping))
    if handle_signals:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, app.stop)
    app.ready.set()


async def _finish(app: App) -> None:
    """Graceful: updates in hand are finished (up to a limit) before the database closes."""
    app.stop()
    if app.inbox_task is not None:
        try:
            await asyncio.wait_for(app.inbox_task, timeout=15)
        except TimeoutError:
            log.warning("updates still in hand at shutdown are handled at the next start")
    await app.close()
