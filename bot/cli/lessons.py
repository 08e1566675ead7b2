"""`lessons run-due [--at …]` and `lessons status`: the programme from an operator's seat."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from bot.app import build_app
from bot.cli.database import migrated_uow
from bot.config import load_settings
from bot.domain.clock import parse_instant


async def run_due(args: argparse.Namespace) -> int:
    """Queue every lesson due at that instant and deliver everything due by then.

    `--at` chooses what is due, never when things happened: an operator who names next Sunday
    wants Sunday's lessons sent now, not a record saying they were read on Sunday. So the app
    runs on the real clock: delivery times, check-in times and the dashboard's figures follow
    the real sending. Silence and pause ends are judged at the real now too when `--at` is
    later, or a guardian would be told "we haven't heard from you for two weeks" too early.
    """
    settings = load_settings()
    settings.require_token()
    now = datetime.now(UTC)
    try:
        at = parse_instant(args.at) if args.at else now
    except ValueError:
        print("--at: expected an ISO-8601 instant, like 2026-12-06T19:00+08:00")
        return 2
    lived = min(at, now)
    app = await build_app(settings)
    try:
        queued = await app.services.lessons.queue_due(at, recorded=now)
        silence = await app.services.lessons.review_silence(lived)
        resumed = await app.services.lessons.resume_due(lived)
        claimed = await app.delivery.drain(at)
        stats = app.delivery.stats
        early = " (sent now; recorded at the real time)" if at > now else ""
        print(
            f"at {at.isoformat()}{early}: queued {queued.queued} lesson(s), {queued.completed} "
            f"programme(s) completed, {silence['nudged']} nudge(s), {silence['paused']} "
            f"auto-pause(s), {resumed} resumed; sent {stats.sent} of {claimed} claimed "
            f"({stats.retried} to retry, {stats.rate_limited} rate-limited, "
            f"{stats.blocked} blocked, {stats.failed} failed)"
        )
    finally:
        await app.close()
    return 0


async def status(args: argparse.Namespace) -> int:
    settings = load_settings()
    async with migrated_uow(settings) as uow, uow() as u:
        outbox = await u.outbox.counts()
        enrolments = await u.enrolments.counts()
    queued = outbox.get("pending", 0) + outbox.get("sending", 0)
    print(
        f"outbox: queued {queued}, sent {outbox.get('sent', 0)}, "
        f"failed {outbox.get('failed', 0)}, blocked {outbox.get('blocked', 0)}, "
        f"held {outbox.get('held', 0)}"
    )
    print(
        "enrolments: " + (", ".join(f"{k} {v}" for k, v in sorted(enrolments.items())) or "none")
    )
    return 0
