"""Inbound benchmark: updates handled per second end to end (sandbox -> webhook -> inbox ->
handlers -> database -> reply), for 1, 2 and 4 instances on one PostgreSQL database, next to a
bare aiogram echo bot (bench/echo_bot.py) on the same sandbox and the same load, once on long
polling and once on a webhook.

    python bench/inbound.py [--instances 1,2,4] [--users 2000] [--seconds 20] [--inflight 96]
                            [--db URL] [--no-redis] [--mode webhook|polling]
                            [--cpu-per-instance 0.25]

Everything runs as separate processes: the sandbox (its rate limit out of the way), the echo
bot or our instances (`python -m bot run` in webhook mode, each on its own port, one DATA_KEY;
several instances set one webhook URL that the sandbox spreads over them round-robin, as a
load balancer would: POST /sandbox/webhook-upstreams), Redis shared by the instances (FSM and
per-person ordering; --no-redis for none), and this driver. The people are registered, active
guardians seeded straight into a fresh database (one per run, dropped afterwards); each sends
harmless free text (triage, the open-case check, the FSM draft, the fallback reply) or a menu
command (/progress: enrolment and progress read from the database), with at most --inflight
messages unanswered in all, one per person, and a person writes again no sooner than a second
after their last message (Telegram's pace for a private chat). A message counts as handled
when the bot's reply reaches the sandbox (seen on the control API's event feed).

With --cpu-per-instance each bot process (ours and the echo) runs in a CPU cgroup of its own
limited to that share of a core, as on a small machine of its own: on a machine with too few
cores for one per instance, that is how throughput growing with instances can be seen.

Each run: a saturating phase (--inflight), then a light one (--light-inflight, latency without
queueing). Figures: per_s = replies inside the measured window (after a warm-up) / its length;
p50/p99_ms = end to end, the person's message entering the sandbox -> the reply entering it
(sandbox event times); handler_*_ms = our instances' /metrics histogram xinqiao_handler_seconds
over the window (inbox take -> handlers done, the reply's sendMessage included), interpolated
within its buckets, and the exact mean; cpu_ms_per_reply_* = CPU time of the bot processes,
the sandbox, the database's server processes (sampled) and this driver over the window, per
reply; lost = messages still unanswered 30 s after sending stopped. Human-readable lines per
run, then one JSON line last: echo_mode and echo_per_s (the echo taking updates the way our
single instance does), echo_polling_per_s, echo_webhook_per_s, runs [...], ratio (one instance
/ the echo taking updates the same way), ratio_polling_echo (one instance / the echo on long
polling, its cheapest way in), ratio_by_cpu (that echo's CPU per reply over ours, all
processes: the ratio on a machine of one's own if CPU runs out), scaling (per_s / one
instance's), lost, backend, redis, cpus, load.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from cryptography.fernet import Fernet
from sqlalchemy import insert
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.broadcast import free_port, start_sandbox, wait_up  # noqa: E402
from bot.db import migrate  # noqa: E402
from bot.db.engine import make_engine  # noqa: E402
from bot.db.models import EnrolmentRow, PersonRow  # noqa: E402

TOKEN = "454545:INBOUND-TOKEN"
SECRET = "inbound-bench-secret-0123456789"  # a throw-away webhook secret
FIRST_ID = 20_000_000
# Harmless and realistic: every one is triaged as "none" (no case is opened); the free text
# falls through to the fallback answer, /progress reads the enrolment. One reply message each.
MESSAGES = ("谢谢老师", "/progress", "今天孩子放学回家写作业了", "最近天气变冷了，孩子穿得暖和")
DEFAULT_ADMIN_DB = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
GAP_S = 1.0  # a person's messages at most one a second
DRAIN_S = 30.0


# -- the database -------------------------------------------------------------------------


class Database:
    """A throw-away database per run: a fresh PostgreSQL database on the server of `--db`
    (created and dropped here), or a fresh SQLite file when --db is a SQLite URL."""

    def __init__(self, admin_url: str, tmp: str) -> None:
        self.admin = make_url(admin_url)
        self.tmp = tmp
        self.made: list[str] = []

    @property
    def backend(self) -> str:
        return self.admin.get_backend_name()

    async def create(self, tag: str) -> str:
        if self.backend == "sqlite":
            return f"sqlite+aiosqlite:///{self.tmp}/inbound-{tag}.db"
        import asyncpg

        name = f"xq_inbound_{os.getpid()}_{tag}"
        conn = await asyncpg.connect(self._dsn())
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self.made.append(name)
        return self.admin.set(drivername="postgresql+asyncpg", database=name).render_as_string(
            hide_password=False
        )

    async def drop(self, url: str) -> None:
        if self.backend == "sqlite":
            return
        import asyncpg

        name = make_url(url).database or ""
        conn = await asyncpg.connect(self._dsn())
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
        if name in self.made:
            self.made.remove(name)

    def _dsn(self) -> str:
        return self.admin.set(drivername="postgresql").render_as_string(hide_password=False)


async def prepare(url: str, users: int) -> None:
    """Schema, then `users` registered, consenting, active guardians enrolled in the weekly
    lessons, their next lesson a month away (nothing scheduled fires during the run)."""
    now = datetime.now(UTC)
    engine = make_engine(url)
    try:
        await migrate.upgrade(engine)
        async with engine.begin() as conn:
            ids = range(1, users + 1)
            await conn.execute(
                insert(PersonRow),
                [
                    {
                        "id": i,
                        "telegram_id": FIRST_ID + i,
                        "code": f"IB-{i:06d}",
                        "role": "guardian",
                        "locale": "zh_Hans",
                        "status": "active",
                        "consent": "given",
                        "consent_at": now,
                    }
                    for i in ids
                ],
            )
            await conn.execute(
                insert(EnrolmentRow),
                [
                    {
                        "person_id": i,
                        "programme": "guardian",
                        "status": "active",
                        "weekday": 6,
                        "hour": 19,
                        "timezone": "Asia/Shanghai",
                        "next_index": 0,
                        "next_due_at": now + timedelta(days=30),
                        "last_active_at": now,
                    }
                    for i in ids
                ],
            )
        if engine.dialect.name == "postgresql":
            async with engine.connect() as conn:
                await conn.exec_driver_sql("ANALYZE")
    finally:
        await engine.dispose()


async def flush_redis(url: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


# -- processes ----------------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    port: int | None = None

    def tail(self, n: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def spawn(name: str, command: list[str], env: dict[str, str], logs: Path) -> Proc:
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    return Proc(name, process, log)


class CpuSlices:
    """Each bot process in a CPU cgroup of its own, with a quota of `share` of one core, as if
    each ran on a small machine of its own (--cpu-per-instance). On a machine too small to give
    every instance a core, this shows whether throughput grows with instances: whether anything
    they share (PostgreSQL, Redis, the per-person lock, the inbox) makes them wait for each
    other. The sandbox, the database and this driver are not limited. Needs a writable cgroup
    CPU controller (v1 `cpu`, or v2 with `cpu` enabled), as root in a container has."""

    PERIOD_US = 100_000

    def __init__(self, share: float) -> None:
        self.share = share
        self.groups: list[Path] = []
        v1 = Path("/sys/fs/cgroup/cpu")
        v2 = Path("/sys/fs/cgroup")
        if (v1 / "cpu.cfs_quota_us").exists():
            self.base, self.v2 = v1, False
        elif "cpu" in _read(v2 / "cgroup.subtree_control").split():
            self.base, self.v2 = v2, True
        else:
            raise RuntimeError("--cpu-per-instance: no writable cgroup CPU controller here")

    def add(self, pid: int) -> None:
        group = self.base / f"xinqiao-bench-{os.getpid()}-{pid}"
        group.mkdir()
        self.groups.append(group)
        quota = max(1000, int(self.share * self.PERIOD_US))
        if self.v2:
            (group / "cpu.max").write_text(f"{quota} {self.PERIOD_US}")
        else:
            (group / "cpu.cfs_period_us").write_text(str(self.PERIOD_US))
            (group / "cpu.cfs_quota_us").write_text(str(quota))
        for each in [pid, *_descendants(pid)]:  # a wrapper's child (--bot-command) too
            with contextlib.suppress(OSError):
                (group / "cgroup.procs").write_text(str(each))

    def close(self) -> None:
        for group in self.groups:
            with contextlib.suppress(OSError):  # still in use: the kernel keeps it, harmless
                group.rmdir()
        self.groups.clear()


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        for child in _read(task / "children").split():
            found += [int(child), *_descendants(int(child))]
    return found


def stop(procs: list[Proc], timeout: float = 20.0) -> None:
    for p in procs:
        if p.process.poll() is None:
            p.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for p in procs:
        try:
            p.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.process.kill()
            p.process.wait(5)


def base_env() -> dict[str, str]:
    drop = ("WEBHOOK_", "DATA_KEY", "REDIS_URL", "DATABASE_URL", "BOT_TOKEN", "TELEGRAM_API")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(drop)}
    env["PYTHONPATH"] = str(ROOT)
    return env


def instance_env(
    api: str,
    db_url: str,
    redis_url: str | None,
    webhook_url: str | None,
    port: int,
    data_key: str,
) -> dict[str, str]:
    env = base_env()
    env.update(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=api,
        DATABASE_URL=db_url,
        LOG_LEVEL="WARNING",
        # An operator encrypts people's words at rest (one key for all instances): the
        # cost belongs in the figures.
        DATA_KEY=data_key,
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    if webhook_url:
        env.update(
            WEBHOOK_URL=webhook_url, WEBHOOK_SECRET=SECRET, WEBHOOK_LISTEN=f"127.0.0.1:{port}"
        )
    return env


async def wait_ready(http: aiohttp.ClientSession, procs: list[Proc], base: str) -> None:
    """Webhook instances: /readyz answers 200. Polling bots: the sandbox saw getUpdates."""
    deadline = time.monotonic() + 90
    pending = list(procs)
    while pending:
        for p in list(pending):
            if p.process.poll() is not None:
                raise RuntimeError(f"{p.name} exited with {p.process.returncode}:\n{p.tail()}")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                if p.port is not None:
                    async with http.get(f"http://127.0.0.1:{p.port}/readyz") as resp:
                        if resp.status == 200:
                            pending.remove(p)
                else:
                    async with http.get(f"{base}/sandbox/stats") as resp:
                        stats = await resp.json()
                    if stats["methods"].get("getUpdates"):
                        pending.remove(p)
        if time.monotonic() > deadline:
            raise RuntimeError(f"not ready after 90 s: {[p.name for p in pending]}")
        await asyncio.sleep(0.2)


async def create_users(http: aiohttp.ClientSession, base: str, n: int) -> list[int]:
    ids = [FIRST_ID + i for i in range(1, n + 1)]

    async def one(uid: int) -> None:
        body = {"id": uid, "first_name": f"监护人{uid - FIRST_ID}", "language_code": "zh-hans"}
        async with http.post(f"{base}/sandbox/users", json=body) as resp:
            if resp.status != 200:
                raise RuntimeError(f"creating user {uid}: {resp.status} {await resp.text()}")

    for start in range(0, n, 200):
        await asyncio.gather(*(one(uid) for uid in ids[start : start + 200]))
    return ids


async def upstreams_supported(http: aiohttp.ClientSession, base: str) -> bool:
    """Whether this sandbox can spread one webhook URL over several instances."""
    async with http.post(f"{base}/sandbox/webhook-upstreams", data="{") as resp:
        return resp.status not in (404, 405)


# -- the load -----------------------------------------------------------------------------


@dataclass
class Load:
    """A closed loop: at most `inflight` messages unanswered, one per person, each person
    writing again no sooner than GAP_S after their last message."""

    http: aiohttp.ClientSession
    base: str
    users: list[int]
    inflight: int
    idle: deque[int] = field(default_factory=deque)
    pending: dict[int, float] = field(default_factory=dict)  # user -> driver's send time
    entered: dict[int, float] = field(default_factory=dict)  # user -> sandbox time of message
    last_sent: dict[int, float] = field(default_factory=dict)
    turns: dict[int, int] = field(default_factory=dict)
    replies: list[tuple[float, float]] = field(default_factory=list)  # (reply time, latency)
    sent: int = 0
    send_errors: int = 0
    extra: int = 0
    truncated: bool = False
    sending: bool = True

    def __post_init__(self) -> None:
        self.idle.extend(self.users)
        self.slots = asyncio.Semaphore(self.inflight)
        self.returned = asyncio.Event()
        self.drained = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    async def drive(self) -> None:
        while self.sending:
            await self.slots.acquire()
            while not self.idle and self.sending:
                self.returned.clear()
                await self.returned.wait()
            if not self.sending:
                self.slots.release()
                return
            user = self.idle.popleft()
            wait = self.last_sent.get(user, 0.0) + GAP_S - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
            turn = self.turns.get(user, user)
            self.turns[user] = turn + 1
            self.pending[user] = self.last_sent[user] = time.time()
            task = asyncio.create_task(self._send(user, MESSAGES[turn % len(MESSAGES)]))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _send(self, user: int, text: str) -> None:
        try:
            async with self.http.post(
                f"{self.base}/sandbox/send", json={"user_id": user, "text": text}
            ) as resp:
                await resp.read()
                ok = resp.status == 200
        except (aiohttp.ClientError, TimeoutError):
            ok = False
        if ok:
            self.sent += 1
        else:
            self.send_errors += 1
            self._done(user)

    def _done(self, user: int) -> None:
        self.pending.pop(user, None)
        self.entered.pop(user, None)
        self.idle.append(user)
        self.returned.set()
        self.slots.release()
        if not self.pending:
            self.drained.set()

    async def watch(self, since: int) -> None:
        cursor = since
        while True:
            try:
                async with self.http.get(
                    f"{self.base}/sandbox/events", params={"since": cursor, "timeout": 5}
                ) as resp:
                    feed = await resp.json()
            except (aiohttp.ClientError, TimeoutError):
                await asyncio.sleep(0.1)
                continue
            self.truncated |= bool(feed.get("truncated"))
            for event in feed["events"]:
                if event.get("type") != "message":
                    continue
                chat = event.get("chat_id")
                if not event.get("from_bot"):
                    self.entered[chat] = event["time"]
                    continue
                if chat not in self.pending:
                    self.extra += 1  # a second message for one question, or unasked
                    continue
                start = self.entered.get(chat, self.pending[chat])
                self.replies.append((event["time"], event["time"] - start))
                self._done(chat)
            cursor = feed["last_seq"]

    def window(self, t0: float, t1: float) -> tuple[int, list[float]]:
        inside = [lat for at, lat in self.replies if t0 <= at < t1]
        return len(inside), sorted(inside)


def rank(values: list[float], p: float) -> float | None:
    """Nearest rank: a real observation, never extrapolated."""
    if not values:
        return None
    return values[max(0, math.ceil(p * len(values)) - 1)]


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


# -- /metrics -----------------------------------------------------------------------------


async def scrape(http: aiohttp.ClientSession, ports: list[int]) -> dict[str, float]:
    """The handler histogram summed over instances: {le: cumulative count, "sum", "count"},
    and each instance's own count as "count@PORT"."""
    total: dict[str, float] = {}
    for port in ports:
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with http.get(f"http://127.0.0.1:{port}/metrics") as resp:
                page = await resp.text()
            for line in page.splitlines():
                key = None
                if line.startswith("xinqiao_handler_seconds_bucket"):
                    key = line.split('le="', 1)[1].split('"', 1)[0]
                elif line.startswith("xinqiao_handler_seconds_sum"):
                    key = "sum"
                elif line.startswith("xinqiao_handler_seconds_count"):
                    key = "count"
                    total[f"count@{port}"] = float(line.rsplit(" ", 1)[1])
                if key is not None:
                    total[key] = total.get(key, 0.0) + float(line.rsplit(" ", 1)[1])
    return total


def histogram_quantile(q: float, before: dict[str, float], after: dict[str, float]) -> float:
    """Prometheus' histogram_quantile over (after - before): linear within the bucket."""
    bounds = sorted(
        (float(k) if k != "+Inf" else math.inf, after[k] - before.get(k, 0.0))
        for k in after
        if k == "+Inf" or k[0].isdigit()
    )
    total = bounds[-1][1] if bounds else 0.0
    if total <= 0:
        return math.nan
    rank_ = q * total
    lower, below = 0.0, 0.0
    for upper, cumulative in bounds:
        if cumulative >= rank_:
            if math.isinf(upper):
                return lower  # beyond the last bound: say the bound, not a guess
            share = (rank_ - below) / (cumulative - below) if cumulative > below else 1.0
            return lower + (upper - lower) * share
        lower, below = upper, cumulative
    return lower


# -- one run ------------------------------------------------------------------------------


@dataclass
class Run:
    label: str
    instances: int  # 0: the echo bot
    mode: str = "webhook"
    redis: bool = False
    result: dict[str, Any] = field(default_factory=dict)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc; 0 elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def backends_of(database: str) -> list[int]:
    """PostgreSQL's server processes for connections to `database` (process titles)."""
    if not database:
        return []
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                title = (
                    (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                )
                if title.startswith("postgres:") and f" {database} " in title:
                    found.append(int(entry.name))
    return found


class ServerCpu:
    """CPU used by the database server's processes for one database, sampled: connections
    come and go (the pool's overflow), so each is followed from when it is first seen."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}

    def sample(self, first: bool = False) -> None:
        for pid in backends_of(self.database):
            used = cpu_seconds([pid])
            self.first.setdefault(pid, used if first else 0.0)
            self.last[pid] = used

    def used(self) -> float:
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


@dataclass
class Watched:
    """Who to scrape and whose CPU to count."""

    ports: list[int]  # our instances' /metrics
    bot_pids: list[int]  # our instances, or the echo bot
    sandbox_pid: int
    database: str = ""  # the run's PostgreSQL database, for its server processes


async def phase(
    http: aiohttp.ClientSession,
    base: str,
    users: list[int],
    inflight: int,
    warmup: float,
    seconds: float,
    watched: Watched,
    last_sent: dict[int, float],
) -> dict[str, Any]:
    """Drive `inflight` messages at a time; figures over [warmup, warmup + seconds].
    `last_sent` (each person's last message) carries over from phase to phase."""
    async with http.get(f"{base}/sandbox/events", params={"since": 0}) as resp:
        since = (await resp.json())["last_seq"]
    load = Load(http, base, users, inflight, last_sent=last_sent)
    watcher = asyncio.create_task(load.watch(since))
    driver = asyncio.create_task(load.drive())
    try:
        await asyncio.sleep(warmup)
        before = await scrape(http, watched.ports)
        server = ServerCpu(watched.database)
        server.sample(first=True)
        cpu0 = [cpu_seconds(watched.bot_pids), cpu_seconds([watched.sandbox_pid])]
        cpu0.append(time.process_time())
        t0 = time.time()
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            await asyncio.sleep(min(0.5, left))
            server.sample()
        t1 = time.time()
        cpu1 = [cpu_seconds(watched.bot_pids), cpu_seconds([watched.sandbox_pid])]
        cpu1.append(time.process_time())
        cpu0.insert(2, 0.0)
        cpu1.insert(2, server.used())
        load1 = os.getloadavg()[0]
        after = await scrape(http, watched.ports)
        load.sending = False
        driver.cancel()  # it may be waiting for a slot that only an answer frees
        if load.pending:
            load.drained.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(load.drained.wait(), DRAIN_S)
    finally:
        for task in (driver, watcher):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    count, latencies = load.window(t0, t1)
    result: dict[str, Any] = {
        "per_s": round(count / (t1 - t0), 1),
        "p50_ms": ms(rank(latencies, 0.5)),
        "p99_ms": ms(rank(latencies, 0.99)),
        "max_ms": ms(latencies[-1] if latencies else None),
        "sent": load.sent,
        "replied": len(load.replies),
        "lost": len(load.pending),
        "send_errors": load.send_errors,
        "extra_replies": load.extra,
        "events_truncated": load.truncated,
        # Near users / GAP_S the people's own pace, not the bot, sets the figure: more --users.
        "pace_limited": count / (t1 - t0) > 0.8 * len(users) / GAP_S,
        "load1": round(load1, 2),
    }
    if count:
        # CPU per reply in the window: where the machine's two cores went.
        names = ("bot", "sandbox", "postgres", "driver")
        for name, a, b in zip(names, cpu0, cpu1, strict=True):
            if name != "postgres" or watched.database:
                result[f"cpu_ms_per_reply_{name}"] = round((b - a) * 1000 / count, 2)
    if after.get("count", 0) > before.get("count", 0):
        n = after["count"] - before.get("count", 0)
        result["handler_p50_ms"] = ms(histogram_quantile(0.5, before, after))
        result["handler_p99_ms"] = ms(histogram_quantile(0.99, before, after))
        result["handler_mean_ms"] = ms((after["sum"] - before.get("sum", 0.0)) / n)
        result["handler_count"] = int(n)
        if len(watched.ports) > 1:  # who took the work: the inbox is shared, claimed in batches
            result["handled_per_instance"] = [
                int(after.get(f"count@{p}", 0) - before.get(f"count@{p}", 0))
                for p in watched.ports
            ]
    return result


async def measure(
    http: aiohttp.ClientSession, base: str, args: argparse.Namespace, watched: Watched
) -> dict[str, Any]:
    """Saturation (throughput, and latency under it), then a light load (latency alone)."""
    users = list(range(FIRST_ID + 1, FIRST_ID + args.users + 1))
    last_sent: dict[int, float] = {}
    result = await phase(
        http, base, users, args.inflight, args.warmup, args.seconds, watched, last_sent
    )
    if args.light_seconds > 0:
        rested = sorted(users, key=lambda u: last_sent.get(u, 0.0))  # longest idle first
        light = await phase(
            http, base, rested, args.light_inflight, 1.0, args.light_seconds, watched, last_sent
        )
        result["light"] = {
            k: light[k]
            for k in (
                "per_s",
                "p50_ms",
                "p99_ms",
                "max_ms",
                "handler_p50_ms",
                "handler_p99_ms",
                "lost",
            )
            if k in light
        }
        result["lost"] += light["lost"]
    async with http.get(f"{base}/sandbox/stats") as resp:
        stats = await resp.json()
    result["sandbox_pending_updates"] = sum(stats.get("pending_updates", {}).values())
    spread = stats.get("webhook_upstreams") or {}
    if spread:  # how the sandbox shared the updates out over the instances
        result["upstreams_delivered"] = [c.get("delivered", 0) for c in spread.values()]
        result["upstreams_failed"] = sum(c.get("failed", 0) for c in spread.values())
    return result


async def run_one(run: Run, args: argparse.Namespace, db: Database, logs: Path) -> dict[str, Any]:
    sandbox, base = start_sandbox(
        f"{TOKEN},inbound_bot,Inbound", "--global-rate", str(args.sandbox_rate)
    )
    procs: list[Proc] = []
    slices = CpuSlices(args.cpu_per_instance) if args.cpu_per_instance else None
    db_url = ""
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=args.inflight + 20)
    try:
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
            await wait_up(base)
            await create_users(http, base, args.users)
            ports: list[int] = []
            if run.instances == 0:
                command = [sys.executable, str(ROOT / "bench" / "echo_bot.py")]
                command += ["--api", base, "--token", TOKEN]
                port = free_port() if run.mode == "webhook" else None
                if port is not None:
                    url = f"http://127.0.0.1:{port}/tg/inbound"
                    command += ["--webhook-url", url, "--listen", f"127.0.0.1:{port}"]
                    command += ["--secret", SECRET]
                procs.append(spawn(f"echo-{run.mode}", command, base_env(), logs))
                procs[-1].port = port
                if slices is not None:
                    slices.add(procs[-1].process.pid)
            else:
                db_url = await db.create(f"{run.instances}{run.mode[0]}")
                await prepare(db_url, args.users)
                redis_url = args.redis_url if run.redis else None
                if redis_url:
                    await flush_redis(redis_url)
                ports = [free_port() for _ in range(run.instances)]
                if run.mode == "polling":
                    public = None
                elif run.instances == 1:
                    public = f"http://127.0.0.1:{ports[0]}/tg/inbound"
                else:
                    # The URL the instances give setWebhook, served by no one: the sandbox
                    # must spread it over the instances (a load balancer's part).
                    public = f"http://127.0.0.1:{free_port()}/tg/inbound"
                    body = {
                        "url": public,
                        "upstreams": [f"http://127.0.0.1:{p}/tg/inbound" for p in ports],
                    }
                    async with http.post(f"{base}/sandbox/webhook-upstreams", json=body) as resp:
                        if resp.status != 200:
                            raise RuntimeError(f"webhook-upstreams: {await resp.text()}")
                data_key = Fernet.generate_key().decode()
                for k, port in enumerate(ports):
                    env = instance_env(base, db_url, redis_url, public, port, data_key)
                    command = shlex.split(args.bot_command) or [sys.executable, "-m", "bot", "run"]
                    proc = spawn(f"bot{run.instances}-{k + 1}", command, env, logs)
                    proc.port = port if public else None
                    procs.append(proc)
                    if slices is not None:
                        slices.add(proc.process.pid)
                    if k == 0:
                        # The first migrates (a no-op here) and takes the scheduler's lead
                        # before the others start, as a rolling deployment would.
                        await wait_ready(http, procs, base)
            await wait_ready(http, procs, base)
            watched = Watched(
                ports=[p.port for p in procs if p.port],
                bot_pids=[p.process.pid for p in procs],
                sandbox_pid=sandbox.pid,
                database=make_url(db_url).database or "" if "postgres" in db_url else "",
            )
            result = await measure(http, base, args, watched)
            for p in procs:
                if p.process.poll() is not None:
                    result.setdefault("crashed", []).append(p.name)
    finally:
        stop(procs)
        if slices is not None:
            slices.close()
        sandbox.terminate()
        sandbox.wait(10)
        if db_url:
            with contextlib.suppress(Exception):
                await db.drop(db_url)
    errors = [line for p in procs for line in p.tail(200).splitlines() if "Error" in line]
    if errors:
        result["log_errors"] = len(errors)
        result["first_error"] = errors[0][:200]
    return result


def describe(run: Run, r: dict[str, Any]) -> str:
    who = f"echo bot (aiogram, {run.mode})" if run.instances == 0 else run.label
    lines = [
        f"{who}: {r['per_s']:.1f}/s, end to end p50 {r['p50_ms']} ms p99 {r['p99_ms']} ms"
        f" ({r['replied']}/{r['sent']} answered, lost {r['lost']}, load {r['load1']})"
    ]
    if r.get("handler_p50_ms") is not None:
        lines.append(
            f"    handler p50 {r['handler_p50_ms']} ms p99 {r['handler_p99_ms']} ms"
            f" mean {r['handler_mean_ms']} ms (/metrics, {r['handler_count']} updates)"
        )
    cpu = {k.removeprefix("cpu_ms_per_reply_"): v for k, v in r.items() if "cpu_ms" in k}
    if cpu:
        lines.append("    CPU ms per reply: " + ", ".join(f"{k} {v}" for k, v in cpu.items()))
    light = r.get("light")
    if light:
        handler = (
            f", handler p50 {light['handler_p50_ms']} ms p99 {light['handler_p99_ms']} ms"
            if "handler_p50_ms" in light
            else ""
        )
        lines.append(
            f"    light load: {light['per_s']}/s, end to end p50 {light['p50_ms']} ms"
            f" p99 {light['p99_ms']} ms max {light['max_ms']} ms{handler}"
        )
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> dict[str, Any]:
    counts = [int(x) for x in args.instances.split(",") if x.strip()]
    with tempfile.TemporaryDirectory(prefix="inbound-") as tmp:
        logs = Path(tmp)
        db = Database(args.db, tmp)
        redis_on = not args.no_redis
        probe_sandbox, probe_base = start_sandbox(f"{TOKEN},inbound_bot,Inbound")
        try:
            await wait_up(probe_base)
            async with aiohttp.ClientSession() as http:
                spread = await upstreams_supported(http, probe_base)
        finally:
            probe_sandbox.terminate()
            probe_sandbox.wait(10)
        # The echo over both ways in: the ratio compares like with like (a webhook costs the
        # sandbox and the bot more per update than a polled batch of a hundred).
        runs = [Run("echo", 0, mode=m) for m in ("polling", "webhook")] if args.echo else []
        for n in counts:
            mode = args.mode if n == 1 else "webhook"
            runs.append(Run(f"xinqiao x{n} ({mode}, redis {'on' if redis_on else 'off'})", n))
            runs[-1].mode, runs[-1].redis = mode, redis_on
        out: list[dict[str, Any]] = []
        echoes: dict[str, dict[str, Any]] = {}
        for run in runs:
            if run.instances > 1 and not spread:
                result = {"skipped": "the sandbox has no /sandbox/webhook-upstreams yet"}
                print(f"{run.label:<34} skipped: {result['skipped']}", flush=True)
            else:
                try:
                    result = await run_one(run, args, db, logs)
                    print(describe(run, result), flush=True)
                except Exception as exc:
                    kept = Path(tempfile.gettempdir()) / f"inbound-logs-{os.getpid()}"
                    shutil.copytree(logs, kept, dirs_exist_ok=True)
                    result = {"error": f"{type(exc).__name__}: {exc}"[-600:], "logs": str(kept)}
                    print(f"{run.label} failed (logs in {kept}): {result['error']}", flush=True)
            if run.instances == 0:
                echoes[run.mode] = result
            else:
                out.append(
                    {"instances": run.instances, "mode": run.mode, "redis": run.redis, **result}
                )
    ours = [r for r in out if "per_s" in r]
    one = next((r for r in ours if r["instances"] == 1), None)
    echo = echoes.get(one["mode"] if one else args.mode, {})
    polled = echoes.get("polling", {})
    return {
        "echo_mode": one["mode"] if one else args.mode,
        "echo_per_s": echo.get("per_s"),
        "echo_p50_ms": echo.get("p50_ms"),
        "echo_p99_ms": echo.get("p99_ms"),
        "echo_lost": echo.get("lost"),
        "echo_polling_per_s": polled.get("per_s"),
        "echo_webhook_per_s": echoes.get("webhook", {}).get("per_s"),
        "echo_cpu_ms_per_reply": {
            mode: {k.removeprefix("cpu_ms_per_reply_"): v for k, v in e.items() if "cpu_ms" in k}
            for mode, e in echoes.items()
        },
        "runs": out,
        # One instance over the echo taking updates the same way.
        "ratio": round(one["per_s"] / echo["per_s"], 3) if one and echo.get("per_s") else None,
        # ... and over the echo on long polling, its cheapest way in.
        "ratio_polling_echo": (
            round(one["per_s"] / polled["per_s"], 3) if one and polled.get("per_s") else None
        ),
        # What the ratio would be on a machine of our own, if CPU is what runs out: the whole
        # chain's CPU per reply (bot, sandbox, database, driver), echo's over ours. Steadier
        # than `ratio` on a machine shared with other work, which squeezes the two runs unevenly.
        "ratio_by_cpu": (
            round(cpu_total(echo) / cpu_total(one), 3) if one and cpu_total(one) else None
        ),
        "scaling": [
            {"instances": r["instances"], "x": round(r["per_s"] / one["per_s"], 2)}
            for r in ours
            if one and one["per_s"]
        ],
        "lost": sum(r.get("lost", 0) for r in ours),
        "backend": db.backend,
        "redis": redis_on,
        "users": args.users,
        "inflight": args.inflight,
        "seconds": args.seconds,
        "latency": "p50/p99_ms: end to end, message into the sandbox -> reply into the sandbox;"
        " handler_*: /metrics xinqiao_handler_seconds, bucket-interpolated",
        "cpu_per_instance": args.cpu_per_instance or None,
        "cpus": os.cpu_count(),
        "load": [round(x, 2) for x in os.getloadavg()],
    }


def cpu_total(result: dict[str, Any]) -> float:
    return float(sum(v for k, v in result.items() if k.startswith("cpu_ms_per_reply_")))


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", default="1,2,4", help="comma-separated instance counts")
    parser.add_argument("--users", type=int, default=2000, help="guardians writing")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before the window")
    parser.add_argument("--inflight", type=int, default=96, help="messages unanswered at most")
    parser.add_argument(
        "--db",
        default=DEFAULT_ADMIN_DB,
        help="PostgreSQL server (a database to connect to; each run creates its own beside "
        "it), or a SQLite URL (each run gets a fresh file)",
    )
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help="flushed before each run")
    parser.add_argument("--no-redis", action="store_true", help="instances without Redis")
    parser.add_argument(
        "--mode",
        choices=["webhook", "polling"],
        default="webhook",
        help="how a single instance gets its updates (several always use the webhook)",
    )
    parser.add_argument(
        "--light-inflight", type=int, default=2, help="messages in flight for the light load"
    )
    parser.add_argument(
        "--light-seconds", type=float, default=5.0, help="light-load window (0: none)"
    )
    parser.add_argument(
        "--bot-command",
        default="",
        help="how to start one instance (default: this Python, -m bot run); e.g. a wrapper "
        "that profiles it or tries a change",
    )
    parser.add_argument(
        "--echo",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the echo baseline (without it there is no ratio)",
    )
    parser.add_argument("--sandbox-rate", type=float, default=100_000.0, help="global msgs/s")
    parser.add_argument(
        "--cpu-per-instance",
        type=float,
        default=0.0,
        help="limit each bot process (ours and the echo) to this share of one core, as on a "
        "small machine of its own (a CPU cgroup each; 0: no limit)",
    )
    args = parser.parse_args()
    if args.users < args.inflight:
        parser.error("--users must be at least --inflight (one message in flight per person)")
    return args


async def cancellable(args: argparse.Namespace) -> dict[str, Any]:
    """main(), cancelled by SIGTERM as by Ctrl-C: processes, databases and files are
    cleaned up on the way out."""
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await main(args)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(cancellable(parse())), ensure_ascii=False))
