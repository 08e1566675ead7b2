"""The composition root: settings in, a wired bot out. Only the entry points (bot.__main__,
bot.cli), the benchmarks and the tests import it.

It only wires: what a setting means is read in bot/policies.py, how Telegram is spoken is
bot/telegram/, and running, health and the stop are bot/runtime.py (whose App this returns).
"""

from __future__ import annotations

import time
from pathlib import Path

from aiogram import Bot

from bot import policies
from bot.catalog import load_catalog
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
from bot.domain.clock import SystemClock
from bot.domain.locale import LOCALES
from bot.domain.ratelimit import RateLimiter
from bot.ports import Clock
from bot.runtime import App
from bot.services import unbutton
from bot.services.account import Account
from bot.services.board import Board
from bot.services.bundle import Services
from bot.services.casework import Casework
from bot.services.child_file import INVITATIONS, INVITE_KIND, ChildFile
from bot.services.dashboard import Dashboard
from bot.services.duty import Duty
from bot.services.family import Family
from bot.services.helpline import Helpline
from bot.services.lesson_chat import LessonChat
from bot.services.lessons import LESSON_KINDS, Lessons
from bot.services.misses import Misses
from bot.services.onboarding import Onboarding
from bot.services.outbox import REPLIES, Cluster, Delivery, OutboxSender
from bot.services.oversight import Oversight
from bot.services.privacy import Privacy, Retention
from bot.services.reports import Reports
from bot.services.roster import Roster
from bot.services.safety import Safety
from bot.services.screening import Screening
from bot.services.staff_invites import StaffInvites
from bot.telegram.chat_admin import TelegramStaffChatAdmin
from bot.telegram.client import ReleaseBeforeRequests, RetryRequests, make_bot
from bot.telegram.dispatcher import make_dispatcher
from bot.telegram.inbox import Inbox
from bot.telegram.transport import TelegramTransport
from bot.web.dashboard import Site as DashboardSite
from content import CONTENT_DIR
from handlers import build_router
from scheduler import Jobs, Ticker

# What a caller needs: the builder and the type of what it builds.
__all__ = ["App", "build_app"]


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
    limiter = RateLimiter(policies.rate_limits(settings), time.monotonic())
    bot.session.middleware(ReleaseBeforeRequests(uow.release))
    # Replies sent straight from handlers retry too, and a 429 they meet pauses the outbox.
    bot.session.middleware(
        RetryRequests(on_retry_after=lambda s, chat: limiter.pause(s, time.monotonic(), chat))
    )
    transport = TelegramTransport(bot, catalog)

    account = Account(uow, settings.default_locale)
    lessons = Lessons(uow, clock, load_programmes(CONTENT_DIR), policies.lesson_policy(settings))
    board = Board(settings.default_locale.value)
    targets = policies.response_targets(settings)
    hotlines = load_hotlines(CONTENT_DIR, settings.timezone)
    net = load_safety_net(CONTENT_DIR)
    helpline = Helpline(
        uow,
        clock,
        net,
        hotlines,
        board,
        policies.helpline_policy(settings, targets),
        hold_kinds=(*LESSON_KINDS, INVITE_KIND),
        # The ask band and signal floors (model.json, signals.yaml), the context window.
        net=load_net_policy(CONTENT_DIR),
        answers=load_answers(CONTENT_DIR),
    )
    staff_chats = policies.staff_chats(settings)
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
        policies.quiet_hours(settings),
        settings.timezone,
        school=policies.school_hours(settings),
    )
    oversight = Oversight(
        uow,
        clock,
        PillowCharts(catalog, settings.timezone),
        access,
        board,
        targets,
        policies.digest_policy(settings),
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
        onboarding=Onboarding(uow, clock, policies.onboarding_policy(settings, username)),
        family=Family(uow, clock, settings.invite_days, username),
        account=account,
        safety=Safety(hotlines, clock),
        staff_invites=StaffInvites(uow, clock, settings.invite_days, username, admin_ids),
        sender=OutboxSender(uow, clock),
        staff_chat_ids=staff_chats,
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
            locales=policies.locales_default_first(settings),
        ),
    )

    dispatcher = make_dispatcher(build_router(), services, settings.redis_url)
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
        name=policies.instance_name(settings),
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
