"""One ticker among many instances: exactly one leads, a standby takes over when it dies.

Each "instance" has its own engine, as separate processes would. Takeover times are printed
(`pytest -s`) and held to a generous bound; the design aims at a few seconds.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import make_engine
from bot.db.leader import (
    TICKER_LOCK_KEY,
    AdvisoryLockLeadership,
    FileLockLeadership,
    leadership_for,
)
from bot.ports import AlwaysLead, Leadership
from scheduler import Job, Ticker

ROOT = Path(__file__).resolve().parents[2]
TAKEOVER_BOUND = 15.0  # the issue asks for "within a minute"; the design gives ~5 s

# A second instance in a real process: leads, says so, then waits to be killed.
CHILD = """
import asyncio, sys
from bot.db.engine import make_engine
from bot.db.leader import leadership_for

async def main():
    leader = leadership_for(make_engine(sys.argv[1]), every_seconds=0.2)
    while not await leader.check():
        await asyncio.sleep(0.2)
    print("leading", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


@pytest.fixture
async def instances(db_url: str) -> AsyncIterator[Callable[..., Leadership]]:
    """Makes leaderships, each on its own engine; releases and disposes them afterwards."""
    made: list[tuple[Leadership, AsyncEngine]] = []

    def make(every_seconds: float = 0.2) -> Leadership:
        engine = make_engine(db_url)
        leader = leadership_for(engine, every_seconds=every_seconds)
        made.append((leader, engine))
        return leader

    yield make
    for leader, engine in made:
        await leader.release()
        await engine.dispose()


async def wait_for(condition: Callable[[], bool], bound: float = TAKEOVER_BOUND) -> float:
    """Seconds until `condition` holds; fails past `bound`."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > bound:
            pytest.fail(f"not within {bound} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - start


def counting_job(name: str, runs: list[str], every_seconds: float) -> Job:
    async def run(now: datetime) -> None:
        runs.append(name)

    return Job(name, run, every_seconds=every_seconds)


async def test_each_backend_gets_a_real_lock(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        leader = leadership_for(engine)
        kind = AdvisoryLockLeadership if db_url.startswith("postgres") else FileLockLeadership
        assert isinstance(leader, kind)
        assert not leader.leading  # nobody leads before asking
    finally:
        await engine.dispose()


async def test_in_memory_sqlite_simply_leads() -> None:
    engine = make_engine("sqlite:///:memory:")
    try:
        leader = leadership_for(engine)
        assert isinstance(leader, AlwaysLead)
        assert leader.leading and await leader.check()
    finally:
        await engine.dispose()


async def test_exactly_one_leads_and_release_hands_over(
    instances: Callable[..., Leadership],
) -> None:
    a, b = instances(), instances()
    first = await asyncio.gather(a.check(), b.check())  # a race, as at a fleet's start
    assert sorted(first) == [False, True]
    leader, standby = (a, b) if first[0] else (b, a)
    for _ in range(3):  # and it stays that way
        assert await leader.check()
        assert not await standby.check()

    await leader.release()
    assert not leader.leading
    assert await standby.check()
    assert not await leader.check()  # the old leader, back, is now the standby


async def test_terminated_connection_fails_over(pg_url: str) -> None:
    """PostgreSQL: the leader's connection killed from outside, as when its process dies."""
    engine_a, engine_b = make_engine(pg_url), make_engine(pg_url)
    a = AdvisoryLockLeadership(engine_a)
    b = AdvisoryLockLeadership(engine_b)
    runs: list[str] = []
    ticker_b = Ticker([counting_job("tick", runs, 0.2)], b)
    admin = await asyncpg.connect(pg_url)
    try:
        assert await a.check()
        assert not await b.check()
        holder = await admin.fetch(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 1",
            TICKER_LOCK_KEY >> 32,
            TICKER_LOCK_KEY & 0xFFFFFFFF,
        )
        assert len(holder) == 1  # one lock, on one connection
        assert a._conn is not None
        assert await a._conn.scalar(text("SHOW tcp_keepalives_idle")) == "10"

        ticker_b.start()  # a standby checking at the default pace, from an arbitrary phase
        await asyncio.sleep(1.0)
        assert not ticker_b.leading and runs == []
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", holder[0]["pid"])
        took = await wait_for(lambda: ticker_b.leading)
        print(f"\npostgres takeover after pg_terminate_backend: {took:.2f} s")
        await wait_for(lambda: bool(runs), bound=5)

        assert not await a.check()  # the old leader notices and stands by
        assert not a.leading
    finally:
        await admin.close()
        ticker_b.stop()
        for leader in (a, b):
            await leader.release()
        await engine_a.dispose()
        await engine_b.dispose()


@pytest.mark.slow
async def test_killed_leader_process_is_replaced(db_url: str) -> None:
    """A real second process leads, is SIGKILLed, and this one takes over."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        db_url,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
    )
    engine = make_engine(db_url)
    leader = leadership_for(engine)
    runs: list[str] = []
    ticker = Ticker([counting_job("tick", runs, 0.2)], leader)
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 30)
        assert line.strip() == b"leading"
        ticker.start()
        await asyncio.sleep(1.0)
        assert not ticker.leading and runs == []

        child.send_signal(signal.SIGKILL)
        await child.wait()
        took = await wait_for(lambda: ticker.leading)
        print(f"\n{make_url(db_url).get_backend_name()} takeover after SIGKILL: {took:.2f} s")
        await wait_for(lambda: bool(runs), bound=5)
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
        await ticker.close()
        await engine.dispose()


async def test_only_the_leading_ticker_runs_jobs(instances: Callable[..., Leadership]) -> None:
    runs: list[str] = []
    ticker_a = Ticker([counting_job("a", runs, 0.1)], instances())
    ticker_b = Ticker([counting_job("b", runs, 0.1)], instances())
    try:
        ticker_a.start()
        await wait_for(lambda: ticker_a.leading, bound=5)
        ticker_b.start()
        await asyncio.sleep(1.0)
        assert ticker_a.leading and not ticker_b.leading
        assert "a" in runs and "b" not in runs
        assert "b" in ticker_b.skipped

        await ticker_a.close()
        ran_a = runs.count("a")
        await wait_for(lambda: "b" in runs)
        assert ticker_b.leading and not ticker_a.leading
        await asyncio.sleep(0.3)
        assert runs.count("a") == ran_a  # the old leader ran nothing after handing over
    finally:
        await ticker_a.close()
        await ticker_b.close()


async def test_a_skipped_tick_is_made_up_on_takeover(
    instances: Callable[..., Leadership],
) -> None:
    """An hourly job on a standby runs as soon as it takes over, not an hour later."""
    leader, standby = instances(), instances(every_seconds=3600)
    assert await leader.check()
    runs: list[str] = []
    job = counting_job("hourly", runs, 3600)
    ticker = Ticker([job], standby)
    ticker.start()
    try:
        await asyncio.sleep(0.2)  # its first leadership check runs at start, and fails
        assert not ticker.leading
        await ticker._tick(job)  # what the scheduler does when the hour comes
        assert runs == []

        await leader.release()
        assert await ticker.check_leadership()
        await wait_for(lambda: runs == ["hourly"], bound=5)
    finally:
        await ticker.close()


async def test_without_leadership_the_ticker_always_leads() -> None:
    runs: list[str] = []
    job = counting_job("tick", runs, 10)
    ticker = Ticker([job])  # how single-instance callers build it
    assert ticker.leading
    await ticker._tick(job)
    assert runs == ["tick"]


async def test_a_standby_ticker_runs_nothing(instances: Callable[..., Leadership]) -> None:
    leader, standby = instances(), instances()
    assert await leader.check()
    runs: list[str] = []
    job = counting_job("tick", runs, 10)
    ticker = Ticker([job], standby)
    assert not await ticker.check_leadership()
    await ticker._tick(job)
    assert runs == [] and ticker.skipped == {"tick"}
    assert ticker.last_tick == {}
