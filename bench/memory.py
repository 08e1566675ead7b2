"""Memory benchmark: one instance with N enrolled guardians (default 100 000) and a full week.

    python bench/memory.py [--guardians 100000] [--limit 2000] [--db URL]

The guardians' lesson slots are spread over the week the way people choose them (mostly
evenings, some mornings, every weekday). The bot then lives through the week hour by hour on
a simulated clock: at each hour the ticker's fan-out queues what is due and the real sender
delivers it to the sandbox (in its own process, at --limit messages a second). Memory is the
process's peak resident set (ru_maxrss), sampled at start, after seeding and at the end.

Prints one JSON line last: guardians, messages_sent (lessons, check-ins, nudges), hours,
rss_start_mb, rss_seeded_mb, peak_rss_mb, wall_s.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.broadcast import DUE, TOKEN, start_sandbox, wait_up  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.db.models import EnrolmentRow, PersonRow  # noqa: E402
from bot.domain.clock import as_utc  # noqa: E402

# Evenings most, then mornings and noon (Shanghai local time).
HOURS = [19] * 5 + [20] * 4 + [18] * 2 + [7, 8, 12, 21]


def rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


async def seed(app, n: int, week_start: datetime, chunk: int = 20_000) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(3)
    for start in range(0, n, chunk):
        ids = range(start + 1, min(n, start + chunk) + 1)
        slots = {i: (rng.randrange(7), rng.choice(HOURS)) for i in ids}
        async with app.uow() as u:
            await u.session.execute(
                insert(PersonRow),
                [
                    {
                        "id": i,
                        "telegram_id": 10_000_000 + i,
                        "code": f"M-{i:07d}",
                        "role": "guardian",
                        "locale": "zh_Hans" if i % 5 else "en",
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
                        "weekday": slots[i][0],
                        "hour": slots[i][1],
                        "timezone": "Asia/Shanghai",
                        "next_index": 1,
                        # Local slot → UTC (Shanghai is UTC+8, no DST).
                        "next_due_at": week_start
                        + timedelta(days=slots[i][0], hours=slots[i][1] - 8),
                        "last_active_at": week_start,
                    }
                    for i in ids
                ],
            )
            await u.commit()


async def main(args: argparse.Namespace) -> dict[str, object]:
    started_wall = time.perf_counter()
    rss_start = rss_mb()
    sandbox, base = start_sandbox(f"{TOKEN},bench_bot,Bench", "--global-rate", str(args.limit))
    tmp = tempfile.TemporaryDirectory()
    # The Monday of the week DUE falls in, at 00:00 Shanghai (16:00 UTC the day before).
    week_start = as_utc(DUE - timedelta(days=DUE.weekday(), hours=DUE.hour + 8))
    clock_at = [week_start]

    class Simulated:
        def now(self) -> datetime:
            return clock_at[0]

    try:
        await wait_up(base)
        settings = load_settings(
            None,
            bot_token=TOKEN,
            telegram_api_url=base,
            database_url=args.db or f"sqlite+aiosqlite:///{tmp.name}/memory.db",
            rate_global_per_s=args.limit,
            sender_concurrency=32,
            quiet_hours="00:00-00:00",
            log_level="WARNING",
        )
        app = await build_app(settings, clock=Simulated())
        gc.collect()
        gc.freeze()  # as `python -m bot run` does after start-up
        sent = 0
        hours = 0
        try:
            await seed(app, args.guardians, week_start)
            rss_seeded = rss_mb()
            app.delivery.batch = 500
            for hour in range(7 * 24):
                clock_at[0] = week_start + timedelta(hours=hour, minutes=1)
                await app.services.lessons.queue_due(clock_at[0])
                before = app.delivery.stats.sent
                await app.delivery.drain()
                sent += app.delivery.stats.sent - before
                hours += 1
        finally:
            await app.close()
    finally:
        sandbox.terminate()
        sandbox.wait(10)
        tmp.cleanup()
    return {
        "guardians": args.guardians,
        "messages_sent": sent,
        "hours": hours,
        "rss_start_mb": rss_start,
        "rss_seeded_mb": rss_seeded,
        "peak_rss_mb": rss_mb(),
        "wall_s": round(time.perf_counter() - started_wall, 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guardians", type=int, default=100_000)
    parser.add_argument("--limit", type=float, default=2000.0, help="sandbox messages/s")
    parser.add_argument("--db", default="", help="database URL (default: a temporary SQLite)")
    print(json.dumps(asyncio.run(main(parser.parse_args()))))
