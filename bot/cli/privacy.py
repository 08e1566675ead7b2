"""`privacy purge [--at …]`: transcript retention from an operator's seat (the bot's ticker
does the same every hour)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from bot.cli.database import migrated_uow
from bot.config import load_settings
from bot.services.privacy import Retention


async def purge(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        at = datetime.fromisoformat(args.at) if args.at else datetime.now(UTC)
    except ValueError:
        print("--at: expected an ISO-8601 instant, like 2026-12-06T19:00+08:00")
        return 2
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    days = settings.transcript_retention_days
    async with migrated_uow(settings) as uow:
        done = await Retention(uow, days).purge(at)
    cutoff = at - timedelta(days=days)
    print(
        f"at {at.isoformat()}: purged {done.messages} message(s) and {done.outbox} outbox "
        f"row(s) of {done.cases} case(s) closed before {cutoff.isoformat()} "
        f"(TRANSCRIPT_RETENTION_DAYS={days})"
    )
    return 0
