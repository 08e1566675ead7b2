"""Shared test helpers: a fixed clock and database URLs for SQLite and PostgreSQL."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SPEC_PATH = SHARED / "telegram-bot-api" / "api.min.json"

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


class FixedClock:
    """A clock tests move by hand."""

    def __init__(self, at: datetime | None = None) -> None:
        self.at = at or datetime(2026, 3, 2, 2, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, **kw: float) -> None:
        self.at += timedelta(**kw)


class OffsetClock:
    """Real time, moved forward on demand: the running bot sees "three days later"."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **kw: float) -> None:
        self.offset += timedelta(**kw)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def postgres_admin_url() -> str | None:
    """TEST_DATABASE_URL, or a server on 127.0.0.1:5432; None when neither answers."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url:
        return url
    return DEFAULT_PG if _reachable("127.0.0.1", 5432) else None


def redis_url() -> str | None:
    url = os.environ.get("TEST_REDIS_URL", "")
    if url:
        return url
    return "redis://127.0.0.1:6379/15" if _reachable("127.0.0.1", 6379) else None


@asynccontextmanager
async def fresh_postgres(admin_url: str) -> AsyncIterator[str]:
    """A new, empty database for one test, dropped afterwards."""
    import asyncpg

    from bot.db.engine import async_url

    parts = urlsplit(async_url(admin_url).replace("postgresql+asyncpg", "postgresql"))
    name = "xq_" + uuid.uuid4().hex[:12]
    conn = await asyncpg.connect(parts._replace(path="/postgres").geturl())
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield parts._replace(path=f"/{name}").geturl()
    finally:
        conn = await asyncpg.connect(parts._replace(path="/postgres").geturl())
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
