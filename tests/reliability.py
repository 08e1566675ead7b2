"""Crash and fault scenarios against the real bot process, shared by tests/e2e/test_crash.py
and bench/reliability.py.

The crash scenario runs `python -m bot run` as a child process against an in-process sandbox,
with a few hundred or thousand guardians' lessons queued and children writing crisis messages,
and kills it with SIGKILL at random moments (while it starts, during the broadcast, right after
a child's message arrives, right after a counsellor presses "claim"), again and again. Then it
lets the bot finish and counts, from what the sandbox saw:

- every lesson delivered, and duplicates: a duplicate is allowed only for a row the sender had
  in hand ('sending') at a kill, i.e. Telegram accepted it and the process died before its
  commit; each one is counted;
- every child's crisis message escalated: a case for the child, its card in the staff chat;
- every case consistent: one open case per person at most, claims by staff, events present.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from bot.app import build_app
from bot.config import load_settings
from bot.db import migrate
from bot.db.engine import make_engine
from bot.db.models import CaseEventRow, CaseRow, EnrolmentRow, InboxRow, OutboxRow, PersonRow
from bot.domain.clock import utcnow
from sandbox import SandboxClient, SandboxServer
from sandbox.client import SandboxError

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "777001:CRASH-TEST-TOKEN"
# `python3 dev.py test --thorough`: the crash and fault runs long.
THOROUGH = os.environ.get("XINQIAO_THOROUGH") == "1"
CRISIS = "我不想活了，药都准备好了，今晚就吃"
LESSON_MARK = "📖"
# One call in five failing, spread evenly over the ways Telegram fails (the fault scenario).
FAULT_KINDS: list[dict[str, Any]] = [
    {"kind": "429", "retry_after": 1},
    {"kind": "500"},
    {"kind": "502"},
    {"kind": "timeout", "delay": 1.5},
    {"kind": "drop"},
]


def one_in_five() -> list[dict[str, Any]]:
    """Sandbox fault rules failing 20% of all calls, of every kind in FAULT_KINDS."""
    return [{**k, "method": "*", "rate": 0.2 / len(FAULT_KINDS)} for k in FAULT_KINDS]


@dataclass
class Scenario:
    db_url: str
    guardians: int = 300
    children: int = 10
    crashes: int = 20
    seed: int = 1
    concurrency: int = 8
    rate_per_s: float = 60.0  # slow enough that the broadcast spans several kills
    # How long each run lives before the kill: long enough, sometimes, to start and send.
    life_s: tuple[float, float] = (0.3, 2.5)
    finish_timeout_s: float = 120.0


@dataclass
class Report:
    crashes: int = 0
    lessons_expected: int = 0
    lessons_delivered: int = 0
    duplicates: int = 0
    lost: int = 0
    escalations_expected: int = 0
    escalations_made: int = 0
    faults_injected: int = 0
    unexplained_duplicates: int = 0
    # Rows the sender had in hand at some kill, and lessons out before the last start: the
    # proof that kills fell in the middle of the broadcast, not around it.
    in_hand_at_kills: int = 0
    delivered_before_finish: int = 0
    inconsistencies: list[str] = field(default_factory=list)
    kills: dict[str, int] = field(default_factory=dict)

    def figures(self) -> dict[str, Any]:
        return {
            "crashes": self.crashes,
            "lessons_expected": self.lessons_expected,
            "lessons_delivered": self.lessons_delivered,
            "duplicates": self.duplicates,
            "lost": self.lost,
            "escalations_expected": self.escalations_expected,
            "escalations_made": self.escalations_made,
            "faults_injected": self.faults_injected,
        }


def _env(s: Scenario, api: str, staff_chat: int, admin: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WEBHOOK_", "DATA_KEY"))}
    env.update(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=api,
        DATABASE_URL=s.db_url,
        STAFF_CHAT_ID=str(staff_chat),
        ADMIN_IDS=str(admin),
        QUIET_HOURS="00:00-00:00",
        SCHOOL_HOURS="00:00-00:00",
        DUTY_HOURS="00:00-00:00",
        RATE_GLOBAL_PER_S=str(s.rate_per_s),
        RATE_GROUP_PER_MIN="60",
        SENDER_CONCURRENCY=str(s.concurrency),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


def _start(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def _seed(s: Scenario, guardian_ids: list[int], child_ids: list[int]) -> None:
    engine = make_engine(s.db_url)
    try:
        await migrate.upgrade(engine)
        now = utcnow()
        async with engine.begin() as conn:
            people = [
                {
                    "telegram_id": tg,
                    "code": f"G-{n:05d}",
                    "role": "guardian",
                    "locale": "zh_Hans",
                    "status": "active",
                    "consent": "given",
                    "consent_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for n, tg in enumerate(guardian_ids)
            ] + [
                {
                    "telegram_id": tg,
                    "code": f"K-{n:05d}",
                    "role": "child",
                    "locale": "zh_Hans",
                    "status": "active",
                    "consent": "given",
                    "consent_at": now,
                    "age_band": "14-15",
                    "created_at": now,
                    "updated_at": now,
                }
                for n, tg in enumerate(child_ids)
            ]
            await conn.execute(insert(PersonRow), people)
            ids = (
                await conn.execute(
                    select(PersonRow.id).where(PersonRow.telegram_id.in_(guardian_ids))
                )
            ).scalars()
            await conn.execute(
                insert(EnrolmentRow),
                [
                    {
                        "person_id": pid,
                        "programme": "guardian",
                        "status": "active",
                        "weekday": 6,
                        "hour": 19,
                        "timezone": "Asia/Shanghai",
                        "next_index": 1,
                        "next_due_at": now - timedelta(minutes=1),
                        "last_active_at": now,
                    }
                    for pid in ids
                ],
            )
    finally:
        await engine.dispose()


async def _queue_lessons(s: Scenario, env: dict[str, str]) -> None:
    """The weekly fan-out, as the ticker would run it: the broadcast is then the sender's."""
    settings = load_settings(
        None,
        bot_token=env["BOT_TOKEN"],
        telegram_api_url=env["TELEGRAM_API_URL"],
        database_url=s.db_url,
        staff_chat_id=env["STAFF_CHAT_ID"],
        quiet_hours="00:00-00:00",
    )
    app = await build_app(settings)
    try:
        await app.services.lessons.queue_due(utcnow())
    finally:
        await app.close()


async def _in_hand(s: Scenario) -> set[str]:
    """Rows the sender had claimed when the process died: the only ones that may be sent
    twice (Telegram may have accepted them before the kill)."""
    engine = make_engine(s.db_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(select(OutboxRow.key).where(OutboxRow.status == "sending"))
            return {str(k) for k in rows.scalars()}
    finally:
        await engine.dispose()


@dataclass
class Cast:
    """The people of a scenario, in the sandbox and in the database, lessons queued."""

    counsellor: dict[str, Any]
    group: dict[str, Any]
    guardians: list[int]
    children: list[int]
    env: dict[str, str]  # the bot process's environment


async def stage(s: Scenario, sb: SandboxClient, api: str) -> Cast:
    """A staff forum (a supervisor, a counsellor), guardians with a lesson due, children; the
    weekly fan-out already run, so the broadcast is the sender's to make."""
    admin = await sb.create_user("督导 Admin", "zh-hans")
    counsellor = await sb.create_user("Counsellor Wang", "zh-hans")
    group = await sb.create_group(
        "心桥 staff", [admin["id"], counsellor["id"]], is_forum=True, admin_ids=[admin["id"]]
    )
    guardians = [
        int((await sb.create_user(f"监护人{n}", "zh-hans"))["id"]) for n in range(s.guardians)
    ]
    children = [
        int((await sb.create_user(f"孩子{n}", "zh-hans"))["id"]) for n in range(s.children)
    ]
    env = _env(s, api, int(group["id"]), int(admin["id"]))
    await _seed(s, guardians, children)
    await _register_staff(s, counsellor)
    await _queue_lessons(s, env)
    return Cast(counsellor, group, guardians, children, env)


async def crash_run(s: Scenario) -> Report:
    rng = random.Random(s.seed)
    report = Report()
    async with (
        SandboxServer(
            bots=[(TOKEN, "xinqiao_crash_bot", "心桥 Xinqiao")],
            open_private_chats=True,
            global_rate_per_s=s.rate_per_s,
        ) as sandbox,
        SandboxClient(sandbox.base_url) as sb,
    ):
        cast = await stage(s, sb, sandbox.base_url)
        counsellor, group, guardians, children, env = (
            cast.counsellor,
            cast.group,
            cast.guardians,
            cast.children,
            cast.env,
        )
        report.lessons_expected = len(guardians)
        report.escalations_expected = len(children)

        waiting = list(children)
        rng.shuffle(waiting)
        in_hand: set[str] = set()
        polls = await _polls(sb)
        for _ in range(s.crashes):
            proc = _start(env)
            try:
                what = rng.choice(("start", "broadcast", "child", "claim"))
                life = rng.uniform(*s.life_s)
                if what == "start":  # somewhere in start-up: imports, migrations, recovery
                    await asyncio.sleep(life)
                else:
                    await _polling(sb, polls)
                    polls = await _polls(sb)
                    await asyncio.sleep(life / 2)
                    if what == "child" and waiting:
                        await sb.send_text(waiting.pop(), CRISIS)
                    elif what == "claim":
                        await _press_a_claim(sb, int(group["id"]), counsellor)
                    await asyncio.sleep(rng.uniform(0.0, 0.3) if what != "broadcast" else life)
            finally:
                proc.send_signal(signal.SIGKILL)
                await asyncio.to_thread(proc.wait)
            report.crashes += 1
            report.kills[what] = report.kills.get(what, 0) + 1
            in_hand |= await _in_hand(s)
        for child in waiting:  # those not yet sent write now, while the bot is down
            await sb.send_text(child, CRISIS)
        report.in_hand_at_kills = len(in_hand)
        report.delivered_before_finish = await _lessons_out(sb, guardians)

        # The last run is allowed to finish.
        proc = _start(env)
        try:
            await _until_done(s, children, s.finish_timeout_s)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(asyncio.to_thread(proc.wait), 20)
            except TimeoutError:
                proc.kill()
        await _count(s, sb, report, guardians, children, int(group["id"]), in_hand)
        report.faults_injected = injected(await sb.faults())
    return report


def injected(snapshot: dict[str, Any]) -> int:
    """How many faults the sandbox injected, of every kind and method."""
    counts = snapshot.get("counters", {}).get("injected", {})
    return sum(int(n) for kinds in counts.values() for n in kinds.values())


async def _register_staff(s: Scenario, counsellor: dict[str, Any]) -> None:
    from bot.db.engine import make_sessionmaker
    from bot.db.uow import SqlUnitOfWorkFactory
    from bot.domain.people import Role
    from bot.services.duty import register_staff

    engine = make_engine(s.db_url)
    try:
        uow = SqlUnitOfWorkFactory(make_sessionmaker(engine))
        async with uow() as u:
            member = await register_staff(
                u, int(counsellor["id"]), Role.COUNSELLOR, "Wang", None, "zh_Hans"
            )
            await u.staff.set_duty(member.person_id, True)
            await u.commit()
    finally:
        await engine.dispose()


async def _press_a_claim(sb: SandboxClient, staff_chat: int, counsellor: dict[str, Any]) -> None:
    """The counsellor presses ✋ on the newest case card there is, if any."""
    for message in reversed(await sb.bot_messages(staff_chat)):
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if str(button.get("text", "")).startswith("✋"):
                    with contextlib.suppress(Exception):
                        await sb.press(
                            int(counsellor["id"]),
                            staff_chat,
                            int(message["message_id"]),
                            str(button["callback_data"]),
                        )
                    return


async def _polls(sb: SandboxClient) -> int:
    """How many times the bot has set its command menu: once per start, just before it
    begins to poll and send (bot/app.py run_polling)."""
    counts = (await sb.stats())["methods"].get("setMyCommands", {})
    return int(counts.get("calls", 0))


async def _polling(sb: SandboxClient, before: int, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    # A counter in another process: there is no event to wait on.
    while await _polls(sb) <= before and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)


async def _lessons_in(sb: SandboxClient, chat: int) -> int:
    try:
        messages = await sb.bot_messages(chat)
    except SandboxError:  # the bot never wrote there: the chat does not exist yet
        return 0
    return sum(1 for m in messages if str(m.get("text") or "").startswith(LESSON_MARK))


async def _lessons_out(sb: SandboxClient, guardians: list[int]) -> int:
    return sum([await _lessons_in(sb, chat) for chat in guardians])


async def _until_done(s: Scenario, children: list[int], timeout: float) -> None:
    engine = make_engine(s.db_url)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while loop.time() < deadline:
            async with engine.connect() as conn:
                # Check-ins are queued for days later: only what is due now must be out.
                left = await conn.scalar(
                    select(func.count())
                    .select_from(OutboxRow)
                    .where(
                        OutboxRow.status.in_(("pending", "sending")), OutboxRow.due_at <= utcnow()
                    )
                )
                cases = await conn.scalar(select(func.count()).select_from(CaseRow))
                inbox_left = await conn.scalar(
                    select(func.count())
                    .select_from(InboxRow)
                    .where(InboxRow.status.in_(("received", "handling")))
                )
            if not left and cases and cases >= len(children) and not inbox_left:
                await asyncio.sleep(1.0)  # the last posts' answers and commits
                return
            await asyncio.sleep(0.5)
    finally:
        await engine.dispose()


async def _count(
    s: Scenario,
    sb: SandboxClient,
    report: Report,
    guardians: list[int],
    children: list[int],
    staff_chat: int,
    in_hand: set[str],
) -> None:
    engine = make_engine(s.db_url)
    try:
        async with engine.connect() as conn:
            person_of = {
                int(tg or 0): int(pid)
                for tg, pid in await conn.execute(select(PersonRow.telegram_id, PersonRow.id))
            }
            lesson_keys = {
                int(chat): str(key)
                for chat, key in await conn.execute(
                    select(OutboxRow.chat_id, OutboxRow.key).where(OutboxRow.kind == "lesson")
                )
            }
            cases = (
                await conn.execute(
                    select(CaseRow.id, CaseRow.person_id, CaseRow.status, CaseRow.claimed_by)
                )
            ).all()
            evented = set(
                (await conn.execute(select(CaseEventRow.case_id).distinct())).scalars().all()
            )
        for chat in guardians:
            got = await _lessons_in(sb, chat)
            report.lessons_delivered += min(got, 1)
            if got == 0:
                report.lost += 1
            elif got > 1:
                report.duplicates += got - 1
                if lesson_keys.get(chat) not in in_hand:
                    report.unexplained_duplicates += got - 1
        staff_text = " ".join(str(m.get("text") or "") for m in await sb.bot_messages(staff_chat))
        open_by_person: dict[int, int] = {}
        for case_id, person_id, status, claimed_by in cases:
            if status != "closed":
                open_by_person[person_id] = open_by_person.get(person_id, 0) + 1
            if status == "claimed" and claimed_by is None:
                report.inconsistencies.append(f"case {case_id} claimed by nobody")
            if case_id not in evented:
                report.inconsistencies.append(f"case {case_id} has no events")
        report.inconsistencies += [
            f"person {p} has {n} open cases" for p, n in open_by_person.items() if n > 1
        ]
        for child in children:
            pid = person_of.get(child)
            code = next((f"C-{c[0]:04d}" for c in cases if c[1] == pid), None)
            if code is not None and code in staff_text:
                report.escalations_made += 1
    finally:
        await engine.dispose()
