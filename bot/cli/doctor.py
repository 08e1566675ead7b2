"""`doctor`: check each thing the bot needs and say what is wrong in plain words."""

from __future__ import annotations

import argparse
import asyncio

from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramUnauthorizedError,
)
from aiohttp import ClientError
from sqlalchemy.exc import SQLAlchemyError

from bot.catalog import load_catalog
from bot.catalog.checks import catalog_problems
from bot.config import ConfigError, Settings, load_settings
from bot.db import migrate
from bot.db.crypto import Keyring
from bot.db.engine import make_engine
from bot.domain.locale import LOCALES
from bot.telegram.client import make_bot
from content import CONTENT_DIR

OK, BAD, WARN = "✓", "✗", "!"


class Report:
    def __init__(self) -> None:
        self.failures = 0

    def line(self, mark: str, text: str) -> None:
        if mark == BAD:
            self.failures += 1
        print(f"{mark} {text}")


async def _check_api(settings: Settings, report: Report) -> None:
    try:
        settings.require_token()
    except ConfigError as exc:
        report.line(BAD, str(exc))
        return
    bot = make_bot(settings)
    try:
        me = await asyncio.wait_for(bot.get_me(), timeout=15)
        report.line(OK, f"Telegram API at {settings.telegram_api_url} answers: @{me.username}")
        await _check_staff_chat(settings, report, bot, me.id)
    except TelegramUnauthorizedError:
        report.line(BAD, "the Bot API rejected BOT_TOKEN: copy it again from @BotFather")
    except (TelegramNetworkError, ClientError, TimeoutError, OSError) as exc:
        report.line(
            BAD,
            f"cannot reach {settings.telegram_api_url} ({type(exc).__name__}): check the "
            "network, a proxy, or TELEGRAM_API_URL",
        )
    except TelegramAPIError as exc:
        report.line(BAD, f"the Bot API answered with an error: {exc.message}")
    finally:
        await bot.session.close()


async def _check_staff_chat(settings: Settings, report: Report, bot: object, bot_id: int) -> None:
    from aiogram import Bot

    assert isinstance(bot, Bot)
    if settings.staff_chat_id is None:
        report.line(WARN, "STAFF_CHAT_ID is not set: counsellors will get no alerts")
        return
    try:
        chat = await bot.get_chat(settings.staff_chat_id)
        member = await bot.get_chat_member(settings.staff_chat_id, bot_id)
    except (TelegramBadRequest, TelegramForbiddenError):
        report.line(
            BAD,
            f"the bot cannot see the staff chat {settings.staff_chat_id}: add the bot to the "
            "group, or fix STAFF_CHAT_ID",
        )
        return
    if chat.type != "supergroup" or not chat.is_forum:
        report.line(BAD, "the staff chat must be a supergroup with Topics switched on")
    elif member.status not in ("administrator", "creator") or not getattr(
        member, "can_manage_topics", False
    ):
        report.line(BAD, "make the bot an admin of the staff chat with the right to manage topics")
    else:
        report.line(OK, f"staff chat {chat.title!r}: a forum, and the bot can manage topics")


async def _check_database(settings: Settings, report: Report) -> None:
    engine = make_engine(settings.database_url)
    try:
        current = await migrate.current_revision(engine)
        head = migrate.head_revision()
        if current == head:
            report.line(OK, f"database reachable, schema up to date ({head})")
        else:
            report.line(
                WARN,
                f"database schema at {current or 'empty'}, code expects {head}: "
                "`python -m bot run` upgrades it, or run `python -m bot migrate`",
            )
    except (SQLAlchemyError, OSError) as exc:
        report.line(BAD, f"cannot open the database ({type(exc).__name__}): check DATABASE_URL")
    finally:
        await engine.dispose()


def _check_encryption(settings: Settings, report: Report) -> None:
    try:
        keyring = Keyring.from_settings(settings)
    except ConfigError as exc:
        report.line(BAD, str(exc))
        return
    if not keyring.enabled:
        report.line(
            WARN,
            "DATA_KEY is not set: messages and notes are stored unencrypted "
            "(`python -m bot keys new` makes a key)",
        )
        return
    old = len(keyring.keys) - 1
    also = f"; {old} old key(s) still decrypt" if old else ""
    report.line(OK, f"messages and notes encrypted at rest under key {keyring.current_id}{also}")


async def _check_redis(settings: Settings, report: Report) -> None:
    if not settings.redis_url:
        return
    try:
        from redis.asyncio import Redis
    except ImportError:
        report.line(BAD, "REDIS_URL is set but the redis package is missing: pip install redis")
        return
    client = Redis.from_url(settings.redis_url)
    try:
        await asyncio.wait_for(client.ping(), timeout=5)
        report.line(OK, "Redis answers")
    except (OSError, TimeoutError, ConnectionError) as exc:
        report.line(BAD, f"cannot reach Redis at REDIS_URL ({type(exc).__name__})")
    finally:
        await client.aclose()


def _check_locales(settings: Settings, report: Report) -> None:
    try:
        load_catalog(CONTENT_DIR, LOCALES, settings.default_locale.value)
    except (OSError, ValueError) as exc:
        report.line(BAD, f"content could not be loaded: {exc}")
        return
    problems = catalog_problems(CONTENT_DIR, list(LOCALES))
    if problems:
        report.line(BAD, f"{len(problems)} translation problem(s), e.g. {problems[0]}")
    else:
        report.line(OK, f"content and catalogs complete for {', '.join(LOCALES)}")


async def doctor(args: argparse.Namespace) -> int:
    report = Report()
    try:
        settings = load_settings()
    except ConfigError as exc:
        report.line(BAD, f"configuration: {exc}")
        return 1
    report.line(OK, "configuration read")
    await _check_api(settings, report)
    await _check_database(settings, report)
    _check_encryption(settings, report)
    await _check_redis(settings, report)
    _check_locales(settings, report)
    print("all good" if not report.failures else f"{report.failures} problem(s) to fix")
    return 1 if report.failures else 0
