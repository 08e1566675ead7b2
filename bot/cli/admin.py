"""Operator commands: invitations, service points, translation catalogs."""

from __future__ import annotations

import argparse
import logging

from bot.catalog import load_catalog
from bot.catalog.maintain import update_catalogs
from bot.cli.database import migrated_uow
from bot.config import Settings, load_settings
from bot.db import migrate as migrations
from bot.db.engine import make_engine
from bot.domain.clock import SystemClock
from bot.domain.locale import LOCALES
from bot.domain.people import Role, ServicePointKind
from bot.services.staff_invites import StaffInvites
from content import CONTENT_DIR

log = logging.getLogger(__name__)


async def _bot_username(settings: Settings) -> str:
    if settings.bot_token is None:
        return "YOUR_BOT"
    from aiogram.exceptions import TelegramAPIError
    from aiohttp import ClientError

    from bot.telegram.client import make_bot

    bot = make_bot(settings)
    try:
        me = await bot.get_me()
        return me.username or "YOUR_BOT"
    except (TelegramAPIError, ClientError, TimeoutError) as exc:
        log.warning("could not ask Telegram for the bot's name: %s", type(exc).__name__)
        return "YOUR_BOT"
    finally:
        await bot.session.close()


async def migrate(args: argparse.Namespace) -> int:
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        if args.down:
            await migrations.downgrade(engine, args.revision)
        else:
            await migrations.upgrade(engine, args.revision)
        print(f"database at revision {await migrations.current_revision(engine) or 'base'}")
    finally:
        await engine.dispose()
    return 0


async def invite(args: argparse.Namespace) -> int:
    settings = load_settings()
    async with migrated_uow(settings) as uow:
        service = StaffInvites(
            uow,
            SystemClock(),
            settings.invite_days,
            await _bot_username(settings),
            frozenset(settings.admin_ids),
        )
        outcome = await service.from_cli(
            Role(args.role), args.service_point, max(1, args.uses), max(0, args.days)
        )
    catalog = load_catalog(CONTENT_DIR, LOCALES, settings.default_locale.value)
    reply = outcome.replies[0]
    print(catalog.render(reply, settings.default_locale.value).text)
    return 0 if reply.template == "staff/invite_link" else 1


async def service_point(args: argparse.Namespace) -> int:
    settings = load_settings()
    async with migrated_uow(settings) as uow, uow() as u:
        if args.action == "add":
            if await u.service_points.by_code(args.code):
                print(f"a service point with code {args.code} exists already")
                return 1
            sp = await u.service_points.add(
                args.code,
                args.name,
                ServicePointKind(args.kind),
                args.region,
                args.director,
                args.staff_chat_id,
            )
            await u.commit()
            print(f"added {sp.code}: {sp.name}")
        elif args.action == "add-chat":
            found = await u.service_points.by_code(args.code)
            if found is None:
                print(f"no service point with code {args.code}")
                return 1
            if not await u.service_points.add_chat(found.id, args.staff_chat_id):
                print(f"the group {args.staff_chat_id} is a staff group already")
                return 1
            await u.commit()
            found = await u.service_points.by_code(args.code)
            chats = ", ".join(str(c) for c in found.staff_chat_ids) if found else ""
            print(f"{args.code}: staff groups {chats}")
        else:
            for sp in await u.service_points.all():
                chat = ", ".join(str(c) for c in sp.staff_chat_ids) or "-"
                print(f"{sp.code}\t{sp.kind.value}\t{sp.name}\tstaff chat {chat}")
    return 0


async def i18n(args: argparse.Namespace) -> int:
    if args.action == "update":
        missing = update_catalogs(CONTENT_DIR, list(LOCALES))
        for locale, count in missing.items():
            print(f"{locale}: {count} message(s) need a translation")
        return 0
    from bot.catalog.checks import catalog_problems

    problems = catalog_problems(CONTENT_DIR, list(LOCALES))
    for line in problems:
        print(line)
    print("catalogs ok" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0
