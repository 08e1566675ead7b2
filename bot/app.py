"""The composition root: settings in, a wired bot out. Nothing else imports this module."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog import ContentCatalog, load_catalog
from bot.catalog.hotlines import load_hotlines
from bot.config import Settings
from bot.db import migrate
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.uow import SqlUnitOfWorkFactory
from bot.domain.clock import SystemClock
from bot.domain.locale import LOCALES
from bot.ports import Clock
from bot.services.account import Account
from bot.services.bundle import Services
from bot.services.family import Family
from bot.services.onboarding import Onboarding, OnboardingPolicy
from bot.services.safety import Safety
from bot.services.staff_invites import StaffInvites
from content import CONTENT_DIR
from handlers import build_router
from handlers.commands import set_default_commands
from handlers.sender import TelegramSender
from scheduler import Job, Ticker

log = logging.getLogger(__name__)


def make_bot(settings: Settings, token: str | None = None) -> Bot:
    """A Bot that talks to TELEGRAM_API_URL: real Telegram, a local Bot API server, or the
    sandbox, unchanged."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    return Bot(
        token or settings.require_token(),
        session=session,
        default=DefaultBotProperties(parse_mode="HTML", link_preview_is_disabled=True),
    )


def make_storage(settings: Settings) -> BaseStorage:
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(settings.redis_url)
    return MemoryStorage()


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    catalog: ContentCatalog
    bot: Bot
    dispatcher: Dispatcher
    services: Services
    uow: SqlUnitOfWorkFactory
    ticker: Ticker
    clock: Clock = field(default_factory=SystemClock)
    # Set once the command menu is in place and polling is about to begin.
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def close(self) -> None:
        self.ticker.stop()
        await self.dispatcher.storage.close()
        await self.bot.session.close()
        await self.engine.dispose()


async def _heartbeat(now: datetime) -> None:
    log.debug("tick %s", now.isoformat())


async def build_app(
    settings: Settings,
    *,
    bot: Bot | None = None,
    clock: Clock | None = None,
    upgrade_db: bool = True,
) -> App:
    """Wire everything. Upgrades the database first, so `run` needs no separate migrate step."""
    clock = clock or SystemClock()
    engine = make_engine(settings.database_url)
    if upgrade_db:
        await migrate.upgrade(engine)
    uow = SqlUnitOfWorkFactory(make_sessionmaker(engine))
    catalog = load_catalog(CONTENT_DIR, LOCALES, settings.default_locale.value)
    bot = bot or make_bot(settings)
    me = await bot.get_me()
    username = me.username or "bot"
    admin_ids = frozenset(settings.admin_ids)
    account = Account(uow, settings.default_locale)
    services = Services(
        catalog=catalog,
        onboarding=Onboarding(
            uow,
            clock,
            OnboardingPolicy(
                default_locale=settings.default_locale,
                admin_ids=admin_ids,
                invite_days=settings.invite_days,
                bot_username=username,
            ),
        ),
        family=Family(uow, clock, settings.invite_days, username),
        account=account,
        safety=Safety(load_hotlines(CONTENT_DIR)),
        staff_invites=StaffInvites(uow, clock, settings.invite_days, username, admin_ids),
        sender=TelegramSender(bot, catalog, account),
        staff_chat_ids=frozenset({settings.staff_chat_id} if settings.staff_chat_id else ()),
        help_labels=frozenset(catalog.text("btn.help", loc) for loc in LOCALES),
        staff_locale=settings.default_locale.value,
    )
    dispatcher = Dispatcher(storage=make_storage(settings), services=services)
    dispatcher.include_router(build_router())
    ticker = Ticker([Job("heartbeat", _heartbeat, every_seconds=60)])
    return App(settings, engine, catalog, bot, dispatcher, services, uow, ticker, clock)


async def run_polling(app: App, *, handle_signals: bool = True) -> None:
    """Long polling until stopped. Commands are set first so the menu is right from the start."""
    await set_default_commands(app.bot, app.catalog, LOCALES, app.settings.default_locale.value)
    app.ticker.start()
    app.ready.set()
    try:
        await app.dispatcher.start_polling(
            app.bot,
            handle_signals=handle_signals,
            allowed_updates=app.dispatcher.resolve_used_update_types(),
            close_bot_session=False,
        )
    finally:
        await app.close()
