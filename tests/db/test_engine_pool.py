"""PostgreSQL connections: pinged only after sitting idle, and a dead server costs one statement.

bot/db/engine.py pings a pooled connection only when it has been idle for a while (pinging every
checkout was a sixth of the bot's CPU per update). These tests kill the server side of a pooled
connection, as a database restart or a proxy's idle timeout would, and hold both halves of that
trade: an idle connection is replaced before use, and a freshly used one that turns out dead
fails one statement, after which the pool is renewed.
"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import make_engine

pytestmark = pytest.mark.postgres


async def backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(text("SELECT pg_backend_pid()")) or 0)


async def terminate(url: str, pid: int) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
        # The backend is gone once it no longer shows; only then is the test's premise true.
        for _ in range(100):
            gone = "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $1"
            if await conn.fetchval(gone, pid):
                return
            await asyncio.sleep(0.02)
    finally:
        await conn.close()


async def test_an_idle_connection_found_dead_is_replaced_before_use(pg_url: str) -> None:
    engine = make_engine(pg_url, ping_if_idle=0.2)
    try:
        first = await backend_pid(engine)
        await terminate(pg_url, first)
        await asyncio.sleep(0.3)  # idle past the threshold: the next checkout pings
        second = await backend_pid(engine)  # no error reaches the caller
        assert second != first
    finally:
        await engine.dispose()


async def test_a_fresh_connection_is_not_pinged_and_a_dead_one_costs_one_statement(
    pg_url: str,
) -> None:
    engine = make_engine(pg_url, ping_if_idle=60.0)
    try:
        pids = {await backend_pid(engine)}
        # Two connections in the pool, both used a moment ago.
        async with engine.connect() as a, engine.connect() as b:
            for conn in (a, b):
                pids.add(int(await conn.scalar(text("SELECT pg_backend_pid()")) or 0))
        for pid in pids:
            await terminate(pg_url, pid)
        # Not pinged (it was used a moment ago), so the dead connection surfaces once...
        with pytest.raises(DBAPIError) as failed:
            await backend_pid(engine)
        assert failed.value.connection_invalidated
        # ...and the pool is renewed whole: the other dead connection is not handed out.
        fresh = {await backend_pid(engine) for _ in range(3)}
        assert not fresh & pids
    finally:
        await engine.dispose()
