"""Escalation latency: a child's critical message -> the case card in the staff chat.

The sandbox runs in its own process, enforcing Telegram's limits (30 messages a second in all,
20 a minute per group); the bot is the real app (long polling, triage, database, outbox,
sender) with its default RATE_GLOBAL_PER_S of 25. Children are spread over several service
points, each with its own staff group, arriving at a steady pace that keeps every group inside
its budget: what a province-wide deployment looks like on a bad evening.

    python bench/escalation_latency.py [--cases 40] [--groups 8] [--interval 1.5] [--db URL]
                                       [--broadcast N]

With --broadcast N, N guardians' lessons are due at the same moment, so the cases arrive while
the sender is busy with a lesson broadcast (the outbox's priorities at work).

Prints one JSON line last: cases, groups, p50_ms, p99_ms, max_ms, broadcast, queued (lessons
the fan-out queued), sent (every message the sender delivered meanwhile), lost, http_429.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.broadcast import DUE, seed, start_sandbox, wait_up  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.domain.people import (  # noqa: E402
    Person,
    PersonStatus,
    Role,
    ServicePointKind,
    new_person_code,
)
from bot.runtime import run_polling  # noqa: E402
from bot.services.duty import register_staff  # noqa: E402
from sandbox import SandboxClient  # noqa: E402

TOKEN = "434343:LATENCY-TOKEN"
CRITICAL = "我今晚就想自杀，药已经准备好了"
TELEGRAM_PER_S = 30
# The bot's default, 5/s under Telegram's: what handlers answer straight away does not pass the
# outbox's limiter and needs that room. A 429 here is a broken promise.
GLOBAL_PER_S = 25


async def run(args: argparse.Namespace) -> dict[str, Any]:
    sandbox, base = start_sandbox(
        f"{TOKEN},latency_bot,Latency", "--group-rate", "20", "--global-rate", str(TELEGRAM_PER_S)
    )
    task: asyncio.Task[None] | None = None
    queued = sent_total = rate_limited = 0
    try:
        await wait_up(base)
        async with SandboxClient(base) as sb:
            counsellor = await sb.create_user("Counsellor", "zh-hans")
            groups = [
                await sb.create_group(f"staff {g}", [counsellor["id"]], is_forum=True)
                for g in range(args.groups)
            ]
            children = [await sb.create_user(f"child {i}", "zh-hans") for i in range(args.cases)]
            db = args.db or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/latency.db"
            settings = load_settings(
                None,
                bot_token=TOKEN,
                telegram_api_url=base,
                database_url=db,
                staff_chat_id=str(groups[0]["id"]),
                duty_hours="00:00-00:00",
                rate_global_per_s=GLOBAL_PER_S,
            )
            started = time.monotonic()

            class FromDue:
                """Real time, but starting when the lessons fall due: on the system clock, a
                run at night in Shanghai has the fan-out defer every lesson past the quiet
                hours, and no broadcast happens at all."""

                def now(self) -> datetime:
                    return DUE + timedelta(seconds=time.monotonic() - started)

            app = await build_app(settings, clock=FromDue())
            if args.broadcast:  # first: the seed numbers its people from 1
                await seed(app, args.broadcast)
            async with app.uow() as u:
                points = [
                    await u.service_points.add(
                        f"SP{g}",
                        f"point {g}",
                        ServicePointKind.CHILDREN_HOME,
                        staff_chat_id=groups[g]["id"],
                    )
                    for g in range(args.groups)
                ]
                member = await register_staff(
                    u, counsellor["id"], Role.COUNSELLOR, "Counsellor", None, "zh_Hans"
                )
                await u.staff.set_duty(member.person_id, True)
                for i, child in enumerate(children):
                    await u.people.add(
                        Person(
                            telegram_id=child["id"],
                            locale="zh_Hans",
                            code=new_person_code(),
                            role=Role.CHILD,
                            status=PersonStatus.ACTIVE,
                            service_point_id=points[i % args.groups].id,
                        )
                    )
                await u.commit()
            task = asyncio.create_task(run_polling(app, handle_signals=False))
            await asyncio.wait_for(app.ready.wait(), 30)
            if args.broadcast:
                queued = (await app.services.lessons.queue_due()).queued
                app.delivery.nudge()
            arrived: dict[str, float] = {}
            watcher = asyncio.create_task(watch(sb, {g["id"] for g in groups}, arrived))
            sent: dict[str, float] = {}
            for i, child in enumerate(children):
                sent[f"C-{i + 1:04d}"] = time.perf_counter()
                await sb.send_text(child["id"], CRITICAL)
                await asyncio.sleep(args.interval)
            deadline = time.perf_counter() + 60
            # Polling a dict the watcher fills; an Event per case would say nothing more.
            while len(arrived.keys() & sent.keys()) < len(sent) and time.perf_counter() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
            watcher.cancel()
            sent_total = app.delivery.stats.sent
            rate_limited = app.delivery.stats.rate_limited
            app.stop()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, 30)
    finally:
        sandbox.terminate()
        sandbox.wait(10)
    # Cases are numbered in the order the bot opened them, which is the order sent here
    # (one at a time, each answered before the next is sent).
    latencies = sorted((arrived[c] - sent[c]) * 1000 for c in sent if c in arrived)

    def rank(p: float) -> float:  # nearest rank: a real observation, never extrapolated
        return latencies[max(0, math.ceil(p * len(latencies)) - 1)]

    return {
        "cases": len(sent),
        "groups": args.groups,
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(rank(0.99), 1) if latencies else None,
        "max_ms": round(latencies[-1], 1) if latencies else None,
        "broadcast": args.broadcast,
        "queued": queued,
        "sent": sent_total,
        "lost": len(sent) - len(latencies),
        "http_429": rate_limited,
    }


async def watch(sb: SandboxClient, chats: set[int], arrived: dict[str, float]) -> None:
    """Note when each case card (the first message naming a case code) reaches a staff chat."""
    cursor = await sb.mark()
    while True:
        feed = await sb.events(cursor, 5)
        now = time.perf_counter()
        for event in feed["events"]:
            text = (event.get("message") or {}).get("text") or ""
            if event.get("type") == "message" and event.get("chat_id") in chats:
                for word in text.split():
                    if word.startswith("C-") and word[2:6].isdigit():
                        arrived.setdefault(word[:6], now)
        cursor = feed["last_seq"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--groups", type=int, default=8)
    parser.add_argument("--interval", type=float, default=1.5, help="seconds between children")
    parser.add_argument("--broadcast", type=int, default=0, help="lessons due at the same time")
    parser.add_argument("--db", default="")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
