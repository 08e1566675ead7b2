"""How many conversations one staff group carries: relay latency both ways, and how soon a new
red case's card appears, while counsellors talk with children in a group Telegram holds to 20
bot posts a minute.

The sandbox runs in its own process enforcing Telegram's limits (20 posts a minute per group,
30 messages a second in all); the bot is the real app (long polling, database, outbox, sender)
with its defaults. N children at one service point, each in a conversation a counsellor has
claimed, spread over G staff groups of that point (new cases go to the group least behind).
Each child writes every --every seconds, and the counsellor answers each as often (jittered).
Halfway through, a new child writes a crisis message.

    python bench/staff_group.py [--conversations 7] [--groups 1] [--every 20] [--seconds 120]

Prints one JSON line last: child_to_staff p50/p95/max (seconds from the child's message to its
words in the case topic), staff_to_child p50/p95, new_card_s (the crisis to its claimable card
in the group), dm_s (to the on-duty counsellor's private chat), lost, http_429.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.broadcast import start_sandbox, wait_up  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.domain.cases import CaseStatus, Tier, Trigger  # noqa: E402
from bot.domain.people import (  # noqa: E402
    ConsentStatus,
    Person,
    Role,
    ServicePointKind,
    new_person_code,
)
from bot.runtime import run_polling  # noqa: E402
from bot.services.duty import register_staff  # noqa: E402
from sandbox import SandboxClient  # noqa: E402

TOKEN = "454545:STAFF-GROUP-TOKEN"
CRITICAL = "我今晚就想自杀，药已经准备好了"


def rank(values: list[float], p: float) -> float | None:
    """Nearest rank: a real observation, never extrapolated."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(p * len(ordered)) - 1)], 2)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    sandbox, base = start_sandbox(
        f"{TOKEN},group_bench_bot,GroupBench", "--group-rate", "20", "--global-rate", "30"
    )
    task: asyncio.Task[None] | None = None
    rnd = random.Random(args.seed)
    said: dict[str, float] = {}  # marker -> when it was written
    heard: dict[str, float] = {}  # marker -> when it arrived on the other side
    card_at: dict[str, float] = {}
    try:
        await wait_up(base)
        async with SandboxClient(base) as sb:
            counsellor = await sb.create_user("Counsellor", "zh-hans")
            groups = [
                await sb.create_group(f"staff {g}", [counsellor["id"]], is_forum=True)
                for g in range(args.groups)
            ]
            children = [
                await sb.create_user(f"child {i}", "zh-hans") for i in range(args.conversations)
            ]
            newcomer = await sb.create_user("newcomer", "zh-hans")
            db = args.db or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/group.db"
            settings = load_settings(
                None,
                bot_token=TOKEN,
                telegram_api_url=base,
                database_url=db,
                staff_chat_id=str(groups[0]["id"]),
                duty_hours="00:00-00:00",
                max_claims=str(args.conversations + 1),
                claimed_silence_min="600",
            )
            app = await build_app(settings)
            if args.group_burst is not None:  # to compare bucket shapes
                limiter = app.delivery.limiter
                limiter.limits = dataclasses.replace(limiter.limits, group_burst=args.group_burst)
            now = app.clock.now()
            topics: list[tuple[int, int]] = []  # (group, thread) per child
            async with app.uow() as u:
                point = await u.service_points.add(
                    "SP", "point", ServicePointKind.CHILDREN_HOME, staff_chat_id=groups[0]["id"]
                )
                for g in groups[1:]:
                    await u.service_points.add_chat(point.id, g["id"])
                member = await register_staff(
                    u, counsellor["id"], Role.COUNSELLOR, "Counsellor", None, "zh_Hans"
                )
                await u.staff.set_duty(member.person_id, True)
                for i, child in enumerate(children):
                    group = groups[i % args.groups]["id"]
                    topic = await app.bot.create_forum_topic(group, f"seed {i}")
                    person = await u.people.add(
                        Person(
                            telegram_id=child["id"],
                            locale="zh_Hans",
                            code=new_person_code(),
                            role=Role.CHILD,
                            consent=ConsentStatus.GIVEN,
                            service_point_id=point.id,
                        )
                    )
                    assert person.id is not None
                    case, _ = await u.cases.open(
                        person.id, group, Tier.YELLOW, Trigger.REQUEST, [], [], now
                    )
                    await u.cases.update(
                        case.id,
                        topic_id=topic.message_thread_id,
                        status=CaseStatus.CLAIMED,
                        claimed_by=member.person_id,
                        claimed_at=now,
                        first_response_at=now,
                    )
                    topics.append((group, topic.message_thread_id))
                await u.people.add(
                    Person(
                        telegram_id=newcomer["id"],
                        locale="zh_Hans",
                        code=new_person_code(),
                        service_point_id=point.id,
                    )
                )
                await u.commit()
            task = asyncio.create_task(run_polling(app, handle_signals=False))
            await asyncio.wait_for(app.ready.wait(), 30)
            await sb.send_text(counsellor["id"], "/start")
            group_ids = {g["id"] for g in groups}
            watcher = asyncio.create_task(watch(sb, group_ids, counsellor["id"], heard, card_at))
            stop = asyncio.Event()

            async def talk(i: int, child: dict[str, Any]) -> None:
                group, thread = topics[i]
                n = 0
                await asyncio.sleep(rnd.uniform(0, args.every))
                while not stop.is_set():
                    n += 1
                    marker = f"c{i}m{n}x"
                    said[marker] = time.perf_counter()
                    await sb.send_text(child["id"], f"孩子说 {marker}")
                    await asyncio.sleep(rnd.uniform(0.3, 0.7) * args.every)
                    answer = f"s{i}m{n}x"
                    said[answer] = time.perf_counter()
                    await sb.send_text(counsellor["id"], f"老师说 {answer}", group, thread)
                    await asyncio.sleep(rnd.uniform(0.3, 0.7) * args.every)

            talkers = [asyncio.create_task(talk(i, c)) for i, c in enumerate(children)]
            await asyncio.sleep(args.seconds / 2)
            crisis_at = time.perf_counter()
            await sb.send_text(newcomer["id"], CRITICAL)
            await asyncio.sleep(args.seconds / 2)
            stop.set()
            await asyncio.gather(*talkers)
            await asyncio.sleep(args.drain)  # let the backlog reach the other side
            watcher.cancel()
            rate_limited = app.delivery.stats.rate_limited
            app.stop()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, 30)
    finally:
        sandbox.terminate()
        sandbox.wait(10)
    code = f"C-{args.conversations + 1:04d}"
    to_staff = [heard[m] - t for m, t in said.items() if m.startswith("c") and m in heard]
    to_child = [heard[m] - t for m, t in said.items() if m.startswith("s") and m in heard]
    return {
        "conversations": args.conversations,
        "groups": args.groups,
        "every_s": args.every,
        "seconds": args.seconds,
        "child_to_staff_p50_s": rank(to_staff, 0.5),
        "child_to_staff_p95_s": rank(to_staff, 0.95),
        "child_to_staff_max_s": rank(to_staff, 1.0),
        "staff_to_child_p50_s": rank(to_child, 0.5),
        "staff_to_child_p95_s": rank(to_child, 0.95),
        "new_card_s": round(card_at[code] - crisis_at, 2) if code in card_at else None,
        "dm_s": round(card_at[f"dm:{code}"] - crisis_at, 2) if f"dm:{code}" in card_at else None,
        "messages": len(said),
        "lost": len(said) - len(to_staff) - len(to_child),
        "http_429": rate_limited,
        "median_of_all_s": round(statistics.median(to_staff + to_child), 2)
        if to_staff or to_child
        else None,
    }


async def watch(
    sb: SandboxClient,
    groups: set[int],
    counsellor: int,
    heard: dict[str, float],
    card_at: dict[str, float],
) -> None:
    """Note when each marked line reaches the other side, and when a case card (a message with
    a claim button naming a case code) reaches a group or the counsellor's private chat."""
    cursor = await sb.mark()
    while True:
        feed = await sb.events(cursor, 5)
        now = time.perf_counter()
        for event in feed["events"]:
            if event.get("type") != "message" or not event.get("from_bot"):
                continue
            message = event.get("message") or {}
            text = message.get("text") or ""
            for word in text.replace("\n", " ").split():
                if word.endswith("x") and word[:1] in "cs" and "m" in word:
                    heard.setdefault(word, now)
            markup = message.get("reply_markup") or {}
            claimable = any(
                (b.get("callback_data") or "").startswith("case:claim:")
                for row in markup.get("inline_keyboard", [])
                for b in row
            )
            if claimable:
                for word in text.replace("（", " ").replace("(", " ").split():
                    if word.startswith("C-") and word[2:6].isdigit():
                        chat = event.get("chat_id")
                        key = word[:6] if chat in groups else f"dm:{word[:6]}"
                        if chat in groups or chat == counsellor:
                            card_at.setdefault(key, now)
        cursor = feed["last_seq"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=7)
    parser.add_argument("--groups", type=int, default=1)
    parser.add_argument(
        "--every", type=float, default=20.0, help="seconds between one side's lines"
    )
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--drain", type=float, default=30.0, help="seconds to wait at the end")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--group-burst", type=int, default=None, help="posts of chat at once")
    parser.add_argument("--db", default="")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
