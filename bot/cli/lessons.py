"""`lessons run-due [--at …]` and `lessons status`: the programme from an operator's seat."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from bot.app import build_app
from bot.cli.database import migrated_uow
from bot.config import load_settings
from bot.domain.clock import parse_instant


class _At:
    """A clock stopped at the instant the operator named."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


async def run_due(args: argparse.Namespace) -> int:
    """Queue every lesson due at that instant and deliver everything due by then."""
    settings = load_settings()
    settings.require_token()
    try:
        at = parse_instant(args.at) if args.at else datetime.now(UTC)
    except ValueError:
        print("--at: expected an ISO-8601 instant, like 2026-12-06T19:00+08:00")
        return 2
    app = await build_app(settings, clock=_At(at))
    try:
        queued = await app.services.lessons.queue_due(at)
        silence = await app.services.lessons.review_silence(at)
        resumed = await app.services.lessons.resume_due(at)
        claimed = await app.delivery.drain(at)
        stats = app.delivery.stats
        print(
            f"at {at.isoformat()}: queued {queued.queued} lesson(s), {queued.completed} "
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
