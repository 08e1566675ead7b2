"""The composition root: settings in, a wired bot out. Nothing else imports this module."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog import ContentCatalog, load_catalog
from bot.catalog.answers import load_answers
from bot.catalog.charts import PillowCharts
from bot.catalog.fonts import FONT as CJK_FONT
from bot.catalog.helpline import load_canned, load_directory
from bot.catalog.hotlines import load_hotlines
from bot.catalog.lessons import load_programmes
from bot.catalog.pages import HtmlPages
from bot.catalog.questionnaires import load_instruments
from bot.catalog.triage import load_net_policy, load_safety_net
from bot.catalog.typed import load_typed
from bot.config import Settings
from bot.db import migrate
from bot.db.crypto import Keyring, install
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.instances import SqlInstanceRegistry
from bot.db.leader import leadership_for
from bot.db.uow import SqlUnitOfWorkFactory
from bot.domain.cases import DutyHours, Targets, Tier, parse_duty_hours
from bot.domain.clock import SystemClock
from bot.domain.lessons import QuietHours
from bot.domain.locale import LOCALES
from bot.domain.ratelimit import Limits, RateLimiter
from bot.ports import Clock
from bot.services import unbutton
from bot.services.account import Account
from bot.services.board import Board
from bot.services.bundle import Services
from bot.services.casework import Casework
from bot.services.child_file import INVITATIONS, INVITE_KIND, ChildFile
from bot.services.dashboard import Dashboard
from bot.services.duty import Duty
from bot.services.family import Family
from bot.services.helpline import Helpline, HelplinePolicy
from bot.services.lesson_chat import LessonChat
from bot.services.lessons import LESSON_KINDS, LessonPolicy, Lessons
from bot.services.misses import Misses
from bot.services.onboarding import Onboarding, OnboardingPolicy
from bot.services.outbox import REPLIES, Cluster, Delivery, OutboxSender
from bot.services.oversight import DigestPolicy, Oversight
from bot.services.privacy import Privacy, Retention
from bot.services.reports import Reports
from bot.services.roster import Roster
from bot.services.safety import Safety
from bot.services.screening import Screening
from bot.services.staff_invites import StaffInvites
from content import CONTENT_DIR
from handlers import build_router
from handlers.chat_admin import TelegramStaffChatAdmin
from handlers.dashboard.site import Site as DashboardSite
from handlers.inbox import Inbox
from handlers.isolation import OrderedIsolation
from handlers.retry import ReleaseBeforeRequests, RetryRequests
from handlers.transport import TelegramTransport
from scheduler import Jobs, Ticker

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


async def build_app(
    settings: Settings,
    *,
    bot: Bot | None = None,
    clock: Clock | None = None,
    upgrade_db: bool = True,
) -> App:
    """Wire everything. Upgrades the database first, so `run` needs no separate migrate step."""
    clock = clock or SystemClock()
    install(Keyring.from_settings(settings))  # people's words encrypted at rest
    engine = make_engine(settings.database_url, pool_size=settings.database_pool_size)
    if upgrade_db:
        await migrate.upgrade(engine)
    sessionmaker = make_sessionmaker(engine)
    uow = SqlUnitOfWorkFactory(sessionmaker)
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
    bot.session.middleware(ReleaseBeforeRequests(uow.release))
    # Replies sent straight from handlers retry too, and a 429 they meet pauses the outbox.
    bot.session.middleware(
        RetryRequests(on_retry_after=lambda s, chat: limiter.pause(s, time.monotonic(), chat))
    )
    transport = TelegramTransport(bot, catalog)
    board = Board(settings.default_locale.value)

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
    hotlines = load_hotlines(CONTENT_DIR, settings.timezone)
    net = load_safety_net(CONTENT_DIR)
    helpline = Helpline(
        uow,
        clock,
        net,
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
        # The ask band and signal floors (model.json, signals.yaml), the context window.
        net=load_net_policy(CONTENT_DIR),
        answers=load_answers(CONTENT_DIR),
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
    )
    roster = Roster(uow, clock, TelegramStaffChatAdmin(bot), lambda: staff_chats, bot_id=me.id)
    access = casework.access
    duty = Duty(uow, clock, board, access, casework.claims, roster)
    instruments = load_instruments(CONTENT_DIR)
    child_file = ChildFile(
        uow,
        clock,
        access,
        board,
        casework.directory,
        instruments,
        QuietHours.parse(settings.quiet_hours),
        settings.timezone,
        school=parse_duty_hours(settings.school_hours),
    )
    oversight = Oversight(
        uow,
        clock,
        PillowCharts(catalog, settings.timezone),
        access,
        board,
        targets,
        DigestPolicy(
            weekday=settings.digest_weekday,
            hour=settings.digest_hour,
            timezone=settings.timezone,
            main_chat=settings.staff_chat_id,
        ),
    )
    # Every kind of outbox row, declared beside the code that queues it.
    delivery = Delivery(
        uow,
        clock,
        transport,
        limiter,
        [
            lessons.row_kinds(),
            board.row_kinds(uow),
            REPLIES,
            INVITATIONS,
            oversight.row_kinds(),
            unbutton.row_kinds(uow),
        ],
        after_refused=board.refused(uow),
        batch=max(10, int(settings.rate_global_per_s)),
        concurrency=settings.sender_concurrency,
        serialize_writes=engine.dialect.name == "sqlite",
    )
    uow.on_outbox_commit(delivery.nudge)  # a commit that made rows due wakes the sender
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
        safety=Safety(hotlines, clock),
        staff_invites=StaffInvites(uow, clock, settings.invite_days, username, admin_ids),
        sender=OutboxSender(uow, clock),
        staff_chat_ids=frozenset({settings.staff_chat_id} if settings.staff_chat_id else ()),
        help_labels=frozenset(catalog.text("btn.help", loc) for loc in LOCALES),
        staff_locale=settings.default_locale.value,
        lessons=lessons,
        lesson_chat=LessonChat(lessons),
        helpline=helpline,
        casework=casework,
        duty=duty,
        screening=Screening(uow, clock, instruments, helpline),
        child_file=child_file,
        oversight=oversight,
        privacy=Privacy(uow, clock, board, access, catalog, settings.timezone),
        misses=Misses(uow, clock, access, net, settings.timezone),
        typed=load_typed(CONTENT_DIR),
        dashboard=Dashboard(
            uow,
            clock,
            child_file,
            casework.directory,
            base_url=settings.dashboard_url,
            session_hours=settings.dashboard_session_hours,
            timezone=settings.timezone,
            locales=(
                settings.default_locale.value,
                *(x for x in LOCALES if x != settings.default_locale.value),
            ),
        ),
    )
    dispatcher = Dispatcher(
        storage=make_storage(settings),
        events_isolation=make_isolation(settings),
        services=services,
    )
    dispatcher.include_router(build_router())
    inbox = Inbox(uow, clock, dispatcher, bot, scope=uow.scope)

    def joined(instance_id: int) -> None:
        inbox.owner = delivery.owner = instance_id

    def requeued() -> None:
        inbox.wake.set()  # the outbox's rows wake the sender as their requeue commits

    cluster = Cluster(
        uow,
        clock,
        SqlInstanceRegistry(engine, sessionmaker),
        limiter,
        settings.rate_global_per_s,
        name=settings.instance_name or f"{socket.gethostname()}:{os.getpid()}",
        on_requeued=requeued,
        on_joined=joined,
    )
    ticker = Ticker(
        Jobs(
            prune_inbox=inbox.prune,
            queue_lessons=lessons.queue_due,
            review_silence=lessons.review_silence,
            resume_lessons=lessons.resume_due,
            settle_lessons=lessons.settle_pending,
            case_timers=duty.tick,
            net_timers=helpline.tick,
            screening_invitations=child_file.invite_due,
            weekly_digest=oversight.queue_weekly,
            retention=Retention(uow, settings.transcript_retention_days).purge,
        ).table(),
        # With several instances only one runs the jobs (an advisory or file lock).
        leadership_for(engine),
        clock=clock.now,
    )
    built = App(
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
        inbox,
        cluster,
        clock,
    )
    if settings.dashboard_url and services.dashboard is not None:
        built.dashboard = DashboardSite(
            dashboard=services.dashboard,
            pages=HtmlPages(catalog),
            base_url=settings.dashboard_url,
            session_seconds=settings.dashboard_session_hours * 3600,
            locales=services.dashboard.locales,
            static_dir=CONTENT_DIR / "web",
            font=_cjk_font(),
            reports=Reports(uow, clock, oversight, oversight.charts, settings.timezone),
        )
    return built


def _cjk_font() -> Path | None:
    """The bundled CJK subset font, so dashboards show Chinese on machines without one."""
    return CJK_FONT if CJK_FONT.is_file() else None
