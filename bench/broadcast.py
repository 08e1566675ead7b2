"""Broadcast benchmark: N guardians due in the same minute, through the real sender and the
sandbox enforcing a global rate (in its own process, so the figures are the bot's alone).

    python bench/broadcast.py [--recipients 100000] [--limit 500] [--db URL]

The bot is configured with the sandbox's own limit (RATE_GLOBAL_PER_S = --limit), as an
operator would configure Telegram's: the sender keeps its headroom inside it (Limits).

Prints one JSON line last: recipients, limit_per_s, achieved_per_s, ratio, duplicates, lost,
http_429, enqueue_s, peak_rss_mb (this process: the bot's database work, sender and client).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from sqlalchemy import insert, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import build_app  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.db.models import EnrolmentRow, PersonRow  # noqa: E402

TOKEN = "424242:BENCH-TOKEN"
DUE = datetime(2026, 3, 8, 11, 0, tzinfo=UTC)  # a Sunday, 19:00 in Shanghai


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_up(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(200):
            try:
                async with http.get(f"{url}/sandbox/bots") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("sandbox did not start")


def start_sandbox(bot: str, *options: str) -> tuple[subprocess.Popen[bytes], str]:
    """The sandbox in a process of its own (so the figures are the bot's alone), with private
    chats open to the bot; returns the process and its base URL (wait_up before use)."""
    port = free_port()
    command = [sys.executable, "-m", "sandbox", "--port", str(port), "--open-chats"]
    process = subprocess.Popen(
        [*command, *options, "--bot", bot],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process, f"http://127.0.0.1:{port}"


async def seed(app, n: int, chunk: int = 20_000) -> None:  # type: ignore[no-untyped-def]
    for start in range(0, n, chunk):
        ids = range(start + 1, min(n, start + chunk) + 1)
        async with app.uow() as u:
            await u.session.execute(
                insert(PersonRow),
                [
                    {
                        "id": i,
                        "telegram_id": 10_000_000 + i,
                        "code": f"B-{i:07d}",
                        "role": "guardian",
                        "locale": "zh_Hans",
                        "status": "active",
                        "consent": "given",
                    }
                    for i in ids
                ],
            )
            await u.session.execute(
                insert(EnrolmentRow),
                [
                    {
                        "person_id": i,
                        "programme": "guardian",
                        "status": "active",
                        "weekday": 6,
                        "hour": 19,
                        "timezone": "Asia/Shanghai",
                        "next_index": 1,
                        "next_due_at": DUE,
                        "last_active_at": DUE,
                    }
                    for i in ids
                ],
            )
            await u.commit()
    async with app.uow() as u:
        if u.session.get_bind().dialect.name == "postgresql":
            # The people above were numbered here, not by the sequence: move it past them, or
            # the next person added (a counsellor, a child) collides with guardian 1.
            await u.session.execute(
                text("SELECT setval(pg_get_serial_sequence('people', 'id'), :n)"), {"n": n}
            )
            await u.commit()


async def main(args: argparse.Namespace) -> dict[str, object]:
    sandbox, base = start_sandbox(f"{TOKEN},bench_bot,Bench", "--global-rate", str(args.limit))
    tmp = tempfile.TemporaryDirectory()
    try:
        await wait_up(base)
        db = args.db or f"sqlite+aiosqlite:///{tmp.name}/bench.db"
        settings = load_settings(
            None,
            bot_token=TOKEN,
            telegram_api_url=base,
            database_url=db,
            rate_global_per_s=args.limit * args.headroom,
            rate_private_per_s=1.0,
            sender_concurrency=args.concurrency,
            log_level="WARNING",
        )

        started = time.monotonic()

        class FromDue:
            """Real time, but starting at the moment the lessons fall due."""

            def now(self) -> datetime:
                return DUE + timedelta(seconds=time.monotonic() - started)

        app = await build_app(settings, clock=FromDue())
        if args.gc_freeze:
            # What is loaded at start (aiogram's models, the catalogue: ~250 000 objects) is
            # never garbage; left in the collector, every full collection walks it, a pause of
            # ~0.35 s here every few seconds of a broadcast. The bot's startup should do this too.
            gc.collect()
            gc.freeze()
        try:
            await seed(app, args.recipients)
            t0 = time.perf_counter()
            fan = await app.services.lessons.queue_due(DUE)
            enqueue_s = time.perf_counter() - t0
            app.delivery.batch = max(50, int(args.limit))
            t1 = time.perf_counter()
            await app.delivery.drain()
            drain_s = time.perf_counter() - t1
            stats = app.delivery.stats
            async with app.uow() as u:
                counts = await u.outbox.counts()
        finally:
            await app.close()
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/sandbox/stats") as resp:
                sandbox_stats = await resp.json()
            sample = random.Random(7).sample(
                range(1, args.recipients + 1), min(200, args.recipients)
            )
            per_chat = []
            for i in sample:
                async with http.get(f"{base}/sandbox/chats/{10_000_000 + i}/messages") as resp:
                    per_chat.append(len((await resp.json())["messages"]))
    finally:
        sandbox.terminate()
        sandbox.wait(10)
        tmp.cleanup()
    faults = sandbox_stats.get("faults", sandbox_stats)
    http_429 = int(json.dumps(faults).count('"429"') and _find(faults, "rate_limited"))
    accepted = _find(sandbox_stats, "sent") or stats.sent
    return {
        "recipients": args.recipients,
        "queued": fan.queued,
        "limit_per_s": args.limit,
        "achieved_per_s": round(stats.sent / drain_s, 1),
        "ratio": round(stats.sent / drain_s / args.limit, 3),
        "duplicates": max(0, accepted - stats.sent) + sum(max(0, c - 1) for c in per_chat),
        "lost": args.recipients - counts.get("sent", 0),
        "http_429": http_429 or stats.rate_limited,
        "enqueue_s": round(enqueue_s, 2),
        "drain_s": round(drain_s, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "concurrency": args.concurrency,
        "gc_freeze": args.gc_freeze,
    }


def _find(data: object, key: str) -> int:
    """Sum every integer under `key` anywhere in the sandbox's stats."""
    if isinstance(data, dict):
        total = 0
        for k, v in data.items():
            if k == key and isinstance(v, int):
                total += v
            elif k == key and isinstance(v, dict):
                total += sum(x for x in v.values() if isinstance(x, int))
            else:
                total += _find(v, key)
        return total
    if isinstance(data, list):
        return sum(_find(x, key) for x in data)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--limit", type=float, default=500.0, help="sandbox global messages/s")
    parser.add_argument(
        "--headroom",
        type=float,
        default=1.0,
        help="the bot's configured rate as a share of the limit (its own margin is inside)",
    )
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--gc-freeze",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="move the objects loaded at startup out of the garbage collector's way",
    )
    parser.add_argument("--db", default="", help="database URL (default: a temporary SQLite)")
    result = asyncio.run(main(parser.parse_args()))
    print(json.dumps(result))
