"""Engines for SQLite (default) and PostgreSQL, from any of the usual URL spellings."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
}


def async_url(url: str) -> str:
    """Map sync spellings onto the async drivers we ship (aiosqlite, asyncpg)."""
    parsed = make_url(url)
    driver = _DRIVERS.get(parsed.drivername, parsed.drivername)
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def ensure_sqlite_dir(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the sender read while a handler writes; busy_timeout rides out short locks.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Deleted and emptied rows are overwritten with zeros, not left in free space where a
    # copy of the file would still show them (erasure and retention, bot/db/privacy_repo.py).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


# A pooled PostgreSQL connection unused for longer than this is pinged before it is handed
# out. SQLAlchemy's pool_pre_ping pings every checkout: on asyncpg that is BEGIN, ";" and
# ROLLBACK, three round trips before each unit of work, about a sixth of the bot's CPU per
# update (bench/inbound.py). A connection used a moment ago is as good as a ping; one that sat
# idle (the database may have restarted meanwhile) is checked. And when a used connection does
# find the server gone, SQLAlchemy invalidates the whole pool at once, so the failed statement
# is the only one.
PING_IF_IDLE_S = 1.0


def _stamp_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["xq_idle_since"] = time.monotonic()


def _ping_if_idle(engine: AsyncEngine, idle_s: float) -> Any:
    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("xq_idle_since")
        if since is None or time.monotonic() - since < idle_s:
            return
        try:
            # Runs inside SQLAlchemy's greenlet: the async driver's ping can be awaited.
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool drops this connection and tries another (or a new one).
            raise DisconnectionError(f"idle connection failed its ping: {exc}") from exc

    return checkout


def make_engine(
    url: str,
    *,
    echo: bool = False,
    ping_if_idle: float = PING_IF_IDLE_S,
    pool_size: int = 20,
) -> AsyncEngine:
    url = async_url(url)
    ensure_sqlite_dir(url)
    # Statement parameters are people's words: SQLAlchemy prints them in every error (and so in
    # every logged traceback) unless told not to.
    kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
    postgres = make_url(url).get_backend_name() == "postgresql"
    if postgres:
        # A fixed pool: connections beyond a pool were opened and closed again under load,
        # each paying a connect and asyncpg's statement preparation anew (one in thirteen
        # updates, bench/inbound.py); waiting for a pooled one is cheaper. LIFO: a light
        # load keeps reusing the same warm connections, so the rest sit idle and are pinged
        # before their next use instead of all being used just often enough.
        kwargs.update(pool_size=pool_size, max_overflow=0, pool_use_lifo=True)
    engine = create_async_engine(url, **kwargs)
    if postgres:
        event.listen(engine.sync_engine, "checkin", _stamp_checkin)
        event.listen(engine.sync_engine, "checkout", _ping_if_idle(engine, ping_if_idle))
        event.listen(engine.sync_engine, "handle_error", _hide_detail)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _hide_detail(context: ExceptionContext) -> None:
    """PostgreSQL's DETAIL line can hold a row's values ("Failing row contains (…)" for a NOT
    NULL or CHECK violation), and asyncpg puts it in the error's text, which every logged
    traceback prints: people's words. The message itself (which constraint, which column)
    stays. hide_parameters does not reach it: it is the server's text, not our parameters."""
    error: BaseException | None = context.original_exception
    while error is not None:  # the driver's error, and asyncpg's own it was raised from
        if getattr(error, "detail", None):
            error.detail = None  # type: ignore[attr-defined]
        error = error.__cause__


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def discard(conn: AsyncConnection) -> None:
    """Close a connection for good, not back into the pool: a session-level lock taken on it
    (scheduler leadership, instance liveness) must never linger in the pool."""
    with contextlib.suppress(Exception):
        await conn.invalidate()
    with contextlib.suppress(Exception):
        await conn.close()
