"""`privacy purge [--at …]`: transcript retention from an operator's seat (the bot's ticker
does the same every hour). `privacy erasures [--since …]`: the record of what was deleted, when
and why, for whoever must show that deletion requests and the retention period were honoured."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from bot.cli.database import migrated_uow
from bot.config import load_settings
from bot.domain.clock import parse_instant
from bot.services.privacy import Retention


async def purge(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        at = parse_instant(args.at) if args.at else datetime.now(UTC)
    except ValueError:
        print("--at: expected an ISO-8601 instant, like 2026-12-06T19:00+08:00")
        return 2
    days = settings.transcript_retention_days
    async with migrated_uow(settings) as uow:
        done = await Retention(uow, days).purge(at)
    cutoff = at - timedelta(days=days)
    print(
        f"at {at.isoformat()}: purged {done.messages} message(s), {done.outbox} outbox "
        f"row(s), {done.events} re-tier reason(s), {done.misses} missed-risk report(s) and "
        f"the triage evidence of {done.cases} "
        f"case(s) closed before {cutoff.isoformat()}, and {done.notes} note(s) of follow-ups "
        f"done before then (TRANSCRIPT_RETENTION_DAYS={days})"
    )
    return 0


async def erasures(args: argparse.Namespace) -> int:
    settings = load_settings()
    ninety_days_ago = datetime.now(UTC) - timedelta(days=90)
    try:
        since = (
            parse_instant(args.since)
            if args.since
            else ninety_days_ago.replace(hour=0, minute=0, second=0, microsecond=0)
        )
    except ValueError:
        print("--since: expected an ISO-8601 date or instant, like 2026-09-01")
        return 2
    async with migrated_uow(settings) as factory, factory() as uow:
        found = await uow.privacy.erasures(since, 10_000)
    print(f"{len(found)} erasure(s) since {since.isoformat()}")
    for e in found:
        counts = ", ".join(f"{k}={v}" for k, v in sorted(e.counts.items()))
        print(f"{e.at.isoformat(timespec='seconds')}  {e.reason:<9}  {counts}")
    return 0
