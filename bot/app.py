"""The composition root: settings in, a wired bot out. Nothing else imports this module."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog import ContentCatalog, load_catalog
from bot.catalog.helpline import load_canned, load_directory
from bot.catalog.hotlines import load_hotlines
from bot.catalog.lessons import load_programmes
from bot.catalog.questionnaires import load_instruments
from bot.catalog.triage import load_triager
from bot.config import Settings
from bot.db import migrate
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.uow import SqlUnitOfWorkFactory
from bot.domain.cases import DutyHours, Targets, Tier, parse_duty_hours
from bot.domain.clock import SystemClock
from bot.domain.lessons import QuietHours
from bot.domain.locale import LOCALES
from bot.domain.outbox import OutboxItem
from bot.domain.ratelimit import Limits, RateLimiter
from bot.ports import Clock
from bot.services.account import Account
from bot.services.board import KINDS as CASE_KINDS
from bot.services.board import Board
from bot.services.bundle import Services
from bot.services.casework import Casework
from bot.services.child_file import INVITE_KIND, ChildFile
from bot.services.delivery import Delivery
from bot.services.duty import Duty
from bot.services.family import Family
from bot.services.helpline import Helpline, HelplinePolicy
from bot.services.lesson_chat import LessonChat
from bot.services.lessons import LESSON_KINDS, LessonPolicy, Lessons
from bot.services.notify import REPLY_KIND, OutboxSender, compose_reply
from bot.services.onboarding import Onboarding, OnboardingPolicy
from bot.services.safety import Safety
from bot.services.screening import Screening
from bot.services.staff_invites import StaffInvites
from content import CONTENT_DIR
from handlers import build_router
from handlers.commands import set_default_commands
from handlers.isolation import OrderedIsolation
from handlers.transport import TelegramTransport
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


def make_isolation(settings: Settings) -> OrderedIsolation:
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisEventIsolation

        return OrderedIsolation(RedisEventIsolation.from_url(settings.redis_url))
    return OrderedIsolation()


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
    delivery: Delivery
    transport: TelegramTransport
    clock: Clock = field(default_factory=SystemClock)
    # Set once the command menu is in place and polling is about to begin.
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    sender_task: asyncio.Task[None] | None = None

    async def close(self) -> None:
        self.ticker.stop()
        self.stopping.set()
        if self.sender_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self.sender_task, timeout=10)
        await self.transport.close()
        await self.dispatcher.storage.close()
        await self.bot.session.close()
        await self.engine.dispose()


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
    lessons = Lessons(
        uow,
        clock,
        load_programmes(CONTENT_DIR),
        LessonPolicy(
            timezone=settings.timezone,
            default_weekday=settings.lesson_weekday,
            default_hour=settings.lesson_hour,
            quiet=QuietHours.parse(settings.quiet_hours),
        ),
    )
    limiter = RateLimiter(
        Limits(
            global_per_s=settings.rate_global_per_s,
            private_per_s=settings.rate_private_per_s,
            group_per_min=settings.rate_group_per_min,
        ),
        time.monotonic(),
    )
    transport = TelegramTransport(bot, catalog)
    board = Board(settings.default_locale.value)

    async def after_batch(items: Sequence[OutboxItem], now: datetime) -> None:
        if await board.after_sent(uow, items, now):
            delivery.nudge()  # a case card waited for its topic: do not let it idle
        await lessons.settle_sent(items, now)

    delivery = Delivery(
        uow,
        clock,
        transport,
        limiter,
        composers={
            **dict.fromkeys(LESSON_KINDS, lessons.compose),
            **dict.fromkeys(CASE_KINDS, board.compose),
            REPLY_KIND: compose_reply,
            INVITE_KIND: compose_reply,
        },
        after_batch=after_batch,
        batch=max(10, int(settings.rate_global_per_s)),
        concurrency=settings.sender_concurrency,
        serialize_writes=engine.dialect.name == "sqlite",
    )
    start, end = parse_duty_hours(settings.duty_hours)
    targets = Targets(
        first_response={
            Tier.RED: timedelta(minutes=settings.target_red_min),
            Tier.ORANGE: timedelta(minutes=settings.target_orange_min),
            Tier.YELLOW: timedelta(minutes=settings.target_yellow_min),
            Tier.GREEN: timedelta(minutes=settings.target_green_min),
        },
        claimed_silence=timedelta(minutes=settings.claimed_silence_min),
        max_claims=settings.max_claims,
    )
    hotlines = load_hotlines(CONTENT_DIR)
    helpline = Helpline(
        uow,
        clock,
        load_triager(CONTENT_DIR),
        hotlines,
        board,
        HelplinePolicy(
            targets=targets,
            duty=DutyHours(
                start=start,
                end=end,
                weekdays=frozenset(settings.duty_days),
                holidays=frozenset(settings.holidays),
                timezone=settings.timezone,
            ),
            staff_chat_id=settings.staff_chat_id,
            default_locale=settings.default_locale,
        ),
        hold_kinds=(*LESSON_KINDS, INVITE_KIND),
        nudge=delivery.nudge,
    )
    staff_chats = frozenset({settings.staff_chat_id} if settings.staff_chat_id else ())
    casework = Casework(
        uow,
        clock,
        board,
        targets,
        load_directory(CONTENT_DIR),
        load_canned(CONTENT_DIR),
        lambda: staff_chats,
        hold_kinds=(*LESSON_KINDS, INVITE_KIND),
        nudge=delivery.nudge,
    )
    duty = Duty(uow, clock, board, casework, nudge=delivery.nudge)
    instruments = load_instruments(CONTENT_DIR)
    child_file = ChildFile(
        uow,
        clock,
        casework,
        board,
        instruments,
        QuietHours.parse(settings.quiet_hours),
        settings.timezone,
        nudge=delivery.nudge,
        school=parse_duty_hours(settings.school_hours),
    )
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
        safety=Safety(hotlines),
        staff_invites=StaffInvites(uow, clock, settings.invite_days, username, admin_ids),
        sender=OutboxSender(uow, clock, delivery.nudge),
        staff_chat_ids=frozenset({settings.staff_chat_id} if settings.staff_chat_id else ()),
        help_labels=frozenset(catalog.text("btn.help", loc) for loc in LOCALES),
        staff_locale=settings.default_locale.value,
        lessons=lessons,
        lesson_chat=LessonChat(lessons),
        nudge_sender=delivery.nudge,
        helpline=helpline,
        casework=casework,
        duty=duty,
        screening=Screening(uow, clock, instruments, helpline, nudge=delivery.nudge),
        child_file=child_file,
    )
    dispatcher = Dispatcher(
        storage=make_storage(settings),
        events_isolation=make_isolation(settings),
        services=services,
    )
    dispatcher.include_router(build_router())
    ticker = Ticker(
        [
            Job("lessons.queue_due", _after_queue(lessons, delivery), every_seconds=30),
            Job("lessons.silence", lessons.review_silence, every_seconds=3600),
            Job("lessons.resume", lessons.resume_due, every_seconds=600),
            Job("lessons.settle", lessons.settle_pending, every_seconds=60),
            Job("helpline.timers", duty.tick, every_seconds=15),
            Job("screening.invitations", child_file.invite_due, every_seconds=300),
        ]
    )
    return App(
        settings,
        engine,
        catalog,
        bot,
        dispatcher,
        services,
        uow,
        ticker,
        delivery,
        transport,
        clock,
    )


def _after_queue(lessons: Lessons, delivery: Delivery) -> Callable[[datetime], Awaitable[object]]:
    async def queue(now: datetime) -> object:
        result = await lessons.queue_due(now)
        if result.queued or result.completed:
            delivery.nudge()
        return result

    return queue


async def run_polling(app: App, *, handle_signals: bool = True) -> None:
    """Long polling until stopped. Commands are set first so the menu is right from the start."""
    await set_default_commands(app.bot, app.catalog, LOCALES, app.settings.default_locale.value)
    app.ticker.start()
    app.sender_task = asyncio.create_task(app.delivery.run_forever(app.stopping))
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
