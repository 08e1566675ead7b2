"""Two bot processes behind one webhook URL, the sandbox delivering round-robin to them as a
reverse proxy would: one runs the scheduler, both send within one shared limit, and when the
leader is killed mid-broadcast the other takes over its scheduler, its part of the budget,
the updates it was handling and the messages it was sending.

The sandbox enforces Telegram's global limit (30/s) with 429s; each instance is configured as
an operator would, at 25/s, leaving room for replies sent straight from handlers. Unshared, two
instances would send 50/s and meet 429s at once.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
from sqlalchemy import func, select

from bot.db.engine import make_engine
from bot.db.models import InboxRow, OutboxRow
from bot.domain.clock import utcnow
from sandbox import SandboxClient, SandboxServer
from tests.reliability import (
    CRISIS,
    TOKEN,
    Scenario,
    _env,
    _lessons_out,
    _seed,
    _until_done,
    stage,
)

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "https://xinqiao.example.org/tg/hook"
SECRET = "two-instances-secret-0123"
TELEGRAM = 30.0  # enforced by the sandbox
RATE = 25.0  # each instance's RATE_GLOBAL_PER_S, the default


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _metric(page: str, name: str) -> float:
    for line in page.splitlines():
        if line.startswith((name + " ", name + "{")):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics")


def _sent(page: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in page.splitlines()
        if line.startswith('xinqiao_sends_total{result="sent"}')
    )


async def _get(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    try:
        async with http.get(url, timeout=aiohttp.ClientTimeout(total=5)) as resp:
            return resp.status, await resp.text()
    except (aiohttp.ClientError, TimeoutError):
        return 0, ""


async def _until(check: object, timeout: float, what: str) -> float:
    """Polls `check` (an async callable) until true; returns the seconds it took. The figures
    live in other processes: there is no event to wait on."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if await check():  # type: ignore[operator]
            return time.monotonic() - started
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


async def test_two_webhook_instances_one_scheduler_shared_limit_and_failover(
    db_url: str, tmp_path: Path
) -> None:
    logs = tmp_path
    s = Scenario(db_url=db_url, guardians=240, children=4, rate_per_s=RATE)
    ports = [_free_port(), _free_port()]
    upstreams = [f"http://127.0.0.1:{p}/tg/hook" for p in ports]
    procs: list[subprocess.Popen[bytes]] = []
    async with (
        SandboxServer(
            bots=[(TOKEN, "xinqiao_two_bot", "心桥 Xinqiao")],
            open_private_chats=True,
            global_rate_per_s=TELEGRAM,
            webhook_upstreams={PUBLIC: upstreams},
        ) as sandbox,
        SandboxClient(sandbox.base_url) as sb,
        aiohttp.ClientSession() as http,
    ):
        cast = await stage(s, sb, sandbox.base_url)
        guardians, children, base = cast.guardians, cast.children, cast.env
        try:
            for n, port in enumerate(ports):
                env = {
                    **base,
                    "WEBHOOK_URL": PUBLIC,
                    "WEBHOOK_SECRET": SECRET,
                    "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
                    "INSTANCE_NAME": f"instance-{n}",
                }
                procs.append(
                    subprocess.Popen(  # noqa: ASYNC220 - started once, not awaited
                        [sys.executable, "-m", "bot", "run"],
                        cwd=ROOT,
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=(logs / f"instance-{n}.log").open("wb"),
                    )
                )
            metrics = [f"http://127.0.0.1:{p}/metrics" for p in ports]

            async def pages() -> list[str]:
                return [(await _get(http, url))[1] for url in metrics]

            async def both_ready() -> bool:
                codes = [(await _get(http, f"http://127.0.0.1:{p}/readyz"))[0] for p in ports]
                return codes == [200, 200]

            await _until(both_ready, 90, "both instances ready")

            async def one_leader() -> bool:
                found = await pages()
                return (
                    all(found) and sum(_metric(p, "xinqiao_scheduler_leading") for p in found) == 1
                )

            await _until(one_leader, 30, "exactly one scheduler")

            async def both_sending() -> bool:
                return all(_sent(p) > 0 for p in await pages())

            await _until(both_sending, 60, "both instances sending lessons")
            # Updates reach both through the proxy, in turn.
            for child in children:
                await sb.send_text(child, "/hotlines")
            for child in children:
                await sb.wait_for(child, lambda m: "12356" in (m.get("text") or ""), timeout=30)
            found = await pages()
            assert [_metric(p, "xinqiao_instances_live") for p in found] == [2, 2]
            budgets = [_metric(p, "xinqiao_send_budget_per_second") for p in found]
            assert sorted(budgets) == [12, 13]  # whole messages, adding up to the limit

            # Mid-broadcast, the scheduler's instance dies without a word.
            leader = next(
                n for n, p in enumerate(found) if _metric(p, "xinqiao_scheduler_leading") == 1
            )
            survivor = 1 - leader
            assert await _lessons_out(sb, guardians) < len(guardians)  # still under way
            procs[leader].send_signal(signal.SIGKILL)
            await asyncio.to_thread(procs[leader].wait)
            for child in children:  # written after the kill: the proxy fails over
                await sb.send_text(child, CRISIS)

            async def survivor_took_over() -> bool:
                status, page = await _get(http, metrics[survivor])
                return (
                    status == 200
                    and _metric(page, "xinqiao_scheduler_leading") == 1
                    and _metric(page, "xinqiao_instances_live") == 1
                    and _metric(page, "xinqiao_send_budget_per_second") == RATE
                )

            takeover = await _until(survivor_took_over, 60, "the survivor to take over")
            print(
                f"\ntakeover after the kill: {takeover:.1f} s ({db_url.split(':', maxsplit=1)[0]})"
            )
            await _until_done(s, children, 120)
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    await asyncio.wait_for(asyncio.to_thread(proc.wait), 20)
                except TimeoutError:
                    proc.kill()

        # Every lesson out, duplicates only for what the dead instance had in hand.
        delivered = await _lessons_out(sb, guardians)
        assert delivered >= len(guardians)
        assert delivered - len(guardians) <= s.concurrency
        engine = make_engine(db_url)
        try:
            async with engine.connect() as conn:
                unsent = await conn.scalar(
                    select(func.count())
                    .select_from(OutboxRow)
                    .where(
                        OutboxRow.status.in_(("pending", "sending")), OutboxRow.due_at <= utcnow()
                    )
                )
        finally:
            await engine.dispose()
        assert unsent == 0
        # Every child's message answered and escalated: a card per case in the staff chat.
        for child in children:
            replies = await sb.bot_messages(child)
            assert replies, f"child {child} was not answered"
        # One limit for both: the sandbox never had to refuse a message.
        faults = await sb.faults()
        assert faults["counters"]["rate_limited"] == {}, faults["counters"]["rate_limited"]
        stats = (await sb.stats())["webhook_upstreams"]
        assert all(stats[u]["delivered"] > 0 for u in upstreams), stats


async def test_sigterm_finishes_the_update_in_hand_before_exiting(tmp_path: Path) -> None:
    """Graceful shutdown: SIGTERM while a reply hangs for 3 s (then a 504 the handler retries)
    still delivers it and marks the update handled; the process then exits cleanly."""
    s = Scenario(db_url=f"sqlite+aiosqlite:///{tmp_path / 'term.db'}", guardians=1, children=1)
    port = _free_port()
    async with (
        SandboxServer(bots=[(TOKEN, "xinqiao_term_bot", "心桥 Xinqiao")]) as sandbox,
        SandboxClient(sandbox.base_url) as sb,
        aiohttp.ClientSession() as http,
    ):
        admin = await sb.create_user("督导 Admin", "zh-hans")
        group = await sb.create_group("心桥 staff", [admin["id"]], is_forum=True)
        child = int((await sb.create_user("孩子", "zh-hans"))["id"])
        guardian = int((await sb.create_user("监护人", "zh-hans"))["id"])
        await _seed(s, [guardian], [child])
        env = {
            **_env(s, sandbox.base_url, int(group["id"]), int(admin["id"])),
            "WEBHOOK_URL": f"http://127.0.0.1:{port}/tg/hook",
            "WEBHOOK_SECRET": SECRET,
            "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
        }
        proc = subprocess.Popen(  # noqa: ASYNC220 - started once, not awaited
            [sys.executable, "-m", "bot", "run"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "instance.log").open("wb"),
        )
        try:

            async def ready() -> bool:
                return (await _get(http, f"http://127.0.0.1:{port}/readyz"))[0] == 200

            await _until(ready, 90, "the instance ready")
            await sb.set_faults(
                [{"method": "sendMessage", "chat_id": child, "kind": "timeout", "delay": 3.0}],
            )

            async def hanging() -> bool:
                injected = (await sb.faults())["counters"]["injected"]
                return bool(injected.get("sendMessage"))

            await sb.send_text(child, "/hotlines")
            await _until(hanging, 30, "the reply to hang")
            await sb.set_faults([])  # the retry goes through
            proc.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(asyncio.to_thread(proc.wait), 30)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert code == 0
        replies = await sb.bot_messages(child)
        assert any("12356" in (m.get("text") or "") for m in replies)
        engine = make_engine(s.db_url)
        try:
            async with engine.connect() as conn:
                states = set((await conn.execute(select(InboxRow.status))).scalars())
        finally:
            await engine.dispose()
        assert states == {"done"}
