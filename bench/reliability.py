"""Reliability benchmark: the crash scenario and the fault scenario, with their figures.

    python bench/reliability.py [--crashes 20] [--guardians 300] [--children 12]
                                [--fault-seconds 60] [--db URL] [--thorough]

Crashes: the bot runs as its own process (`python -m bot run`) and is killed with SIGKILL at
random moments (during start-up, the lesson broadcast, right after a child's crisis message,
right after a counsellor's claim), then restarted; the last run finishes. Faults: the sandbox
fails one call in five (429, 500, 502, timeouts, dropped connections) while people write and
children send crisis messages; the figures count what was injected and what was answered.

Prints one JSON line last: crashes, lessons_expected, lessons_delivered, duplicates, lost,
escalations_expected, escalations_made, faults_injected.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.harness import running_world  # noqa: E402
from tests.reliability import CRISIS, Scenario, crash_run, injected, one_in_five  # noqa: E402


async def fault_run(db_url: str, seconds: float) -> dict[str, int]:
    """People ask every second, children send crisis messages, one call in five fails."""
    from sqlalchemy import func, select

    from bot.db.models import CaseRow
    from tests.e2e.crisis import make_staff

    async with running_world(db_url, duty_hours="00:00-00:00", rate_group_per_min="60") as w:
        await make_staff(w, w.counsellor)
        people = [await w.user(f"用户{n}") for n in range(8)]
        children = [await w.user(f"孩子{n}") for n in range(5)]
        for uid in people:
            await w.say(uid, "/hotlines")
        await w.sb.set_faults(one_in_five(), seed=5)
        asked = len(people)
        loop = asyncio.get_running_loop()
        start = loop.time()
        tick = 0
        while loop.time() - start < seconds:
            for uid in people:
                await w.sb.send_text(uid, "/hotlines")
                asked += 1
            if tick % 5 == 0 and tick // 5 < len(children):
                await w.sb.send_text(children[tick // 5], CRISIS)
            tick += 1
            await asyncio.sleep(1.0)
        deadline = loop.time() + 90
        while True:
            got = 0
            for uid in people:
                got += sum(
                    1 for m in await w.sb.bot_messages(uid) if "12356" in str(m.get("text") or "")
                )
            async with w.uow() as u:
                cases = int(
                    await u.session.scalar(select(func.count()).select_from(CaseRow)) or 0  # type: ignore[attr-defined]
                )
            if (got >= asked and cases >= len(children)) or loop.time() > deadline:
                break
            await asyncio.sleep(1.0)
        snapshot = await w.sb.faults()
        return {
            "asked": asked,
            "answered": min(got, asked),
            "unanswered": max(0, asked - got),
            "escalations_expected": len(children),
            "escalations_made": cases,
            "faults_injected": injected(snapshot),
            "sends_inside_429_pause": sum(
                snapshot["counters"].get("early_after_429", {}).values()
            ),
        }


async def main(args: argparse.Namespace) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        crash_db = args.db or f"sqlite+aiosqlite:///{tmp}/crash.db"
        report = await crash_run(
            Scenario(
                db_url=crash_db,
                guardians=args.guardians,
                children=args.children,
                crashes=args.crashes,
                seed=args.seed,
            )
        )
        # Always a fresh SQLite: the crash run's rows are in --db.
        faults = await fault_run(f"sqlite+aiosqlite:///{tmp}/faults.db", args.fault_seconds)
    figures = report.figures()
    figures["escalations_expected"] = (
        int(figures["escalations_expected"]) + faults["escalations_expected"]
    )
    figures["escalations_made"] = int(figures["escalations_made"]) + faults["escalations_made"]
    figures["faults_injected"] = faults["faults_injected"]
    detail = {
        "kills": report.kills,
        "in_hand_at_kills": report.in_hand_at_kills,
        "unexplained_duplicates": report.unexplained_duplicates,
        "inconsistencies": len(report.inconsistencies),
        "fault_run": faults,
    }
    print(json.dumps(detail, ensure_ascii=False))
    return figures


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--crashes", type=int, default=20)
    parser.add_argument("--guardians", type=int, default=300)
    parser.add_argument("--children", type=int, default=12)
    parser.add_argument("--fault-seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", default="", help="crash run database (default: temporary SQLite)")
    parser.add_argument("--thorough", action="store_true", help="100 kills, 1000 guardians")
    args = parser.parse_args()
    if args.thorough:
        args.crashes, args.guardians = 100, 1000
    return args


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(parse()))))
