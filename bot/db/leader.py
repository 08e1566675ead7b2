"""Which instance runs the ticker's jobs: exactly one leads, a standby takes over if it dies.
The scheduler asks a `bot.ports.Leadership`; these are its database adapters.

PostgreSQL: a session-level advisory lock held on one dedicated connection. The server drops it
when that connection ends, which is what happens when the process dies, so the failover needs
no lease or heartbeat table: standbys simply try again every few seconds.
https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS

SQLite (one machine): an OS file lock next to the database file, which the kernel releases when
the process dies. For `:memory:` or where locking is unavailable the instance simply leads.

A leader learns that it lost its connection at its next check (every few seconds); until then
a standby may already lead. The jobs claim their rows in the database, so that short overlap
repeats no work; it only costs a few queries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.db.engine import discard
from bot.ports import CHECK_SECONDS, AlwaysLead, Leadership

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock; one instance there leads
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

# b"xq-tickr" as a signed 64-bit key; advisory locks are scoped to one database.
TICKER_LOCK_KEY = 0x78712D7469636B72
# How long the server may take to notice a leader whose host vanished without closing its
# connection (no FIN): idle 10 s, then 3 probes 5 s apart. A dead process closes the socket and
# needs none of this. Ignored on Unix-socket connections.
_KEEPALIVES = (
    "SET tcp_keepalives_idle = 10",
    "SET tcp_keepalives_interval = 5",
    "SET tcp_keepalives_count = 3",
)


class AdvisoryLockLeadership:
    """PostgreSQL: `pg_try_advisory_lock` held on one connection kept open while leading."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        key: int = TICKER_LOCK_KEY,
        every_seconds: float = CHECK_SECONDS,
        timeout: float = 5.0,
    ) -> None:
        self.engine = engine
        self.key = key
        self.every_seconds = every_seconds
        self.timeout = timeout
        self._conn: AsyncConnection | None = None
        self._lock = asyncio.Lock()

    @property
    def leading(self) -> bool:
        return self._conn is not None

    async def check(self) -> bool:
        async with self._lock:
            if self._conn is not None:
                try:
                    await asyncio.wait_for(self._conn.execute(text("SELECT 1")), self.timeout)
                except Exception:  # noqa: BLE001 - any failure means the lock may be gone
                    log.warning("ticker leadership lost: its database connection broke")
                    await self._drop()
                else:
                    return True
            try:
                await asyncio.wait_for(self._acquire(), self.timeout)
            except Exception:  # database down: stay a standby, try again next time
                log.warning("could not ask for ticker leadership; retrying", exc_info=True)
            return self._conn is not None

    async def _acquire(self) -> None:
        conn = await self.engine.connect()
        try:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})
        except BaseException:  # cancelled too: never leave the connection half-known
            await discard(conn)
            raise
        if not got:
            await conn.close()
            return
        self._conn = conn  # from here on a cancellation leaves us leading, not leaking
        log.info("this instance now leads the ticker")
        for statement in _KEEPALIVES:
            with contextlib.suppress(Exception):  # a pooler may refuse; the lock still counts
                await conn.execute(text(statement))

    async def release(self) -> None:
        async with self._lock:
            if self._conn is None:
                return
            conn, self._conn = self._conn, None
            try:
                await asyncio.wait_for(
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key}),
                    self.timeout,
                )
                await conn.close()
            except Exception:  # noqa: BLE001 - closing the connection releases the lock too
                await discard(conn)
            log.info("ticker leadership released")

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await discard(conn)


class FileLockLeadership:
    """SQLite: `flock` on `<database>.leader.lock`, non-blocking; the OS frees it on death."""

    def __init__(self, path: Path, *, every_seconds: float = CHECK_SECONDS) -> None:
        self.path = path
        self.every_seconds = every_seconds
        self._fd: int | None = None
        self._leading = False

    @property
    def leading(self) -> bool:
        return self._leading

    async def check(self) -> bool:
        if not self._leading:
            self._leading = self._try_lock()
            if self._leading:
                log.info("this instance now leads the ticker (%s)", self.path)
        return self._leading

    def _try_lock(self) -> bool:
        if fcntl is None:
            return True
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            log.warning("cannot open %s (%s): this instance leads", self.path, exc)
            return True
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # another instance leads
        except OSError as exc:
            log.warning("no file lock on %s (%s): this instance leads", self.path, exc)
        return True

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        self._leading = False
        if fd is not None:
            os.close(fd)  # closing the only descriptor releases the flock


def leadership_for(engine: AsyncEngine, *, every_seconds: float = CHECK_SECONDS) -> Leadership:
    """The right kind of leadership for the engine's database."""
    url = make_url(engine.url)
    backend = url.get_backend_name()
    if backend == "postgresql":
        return AdvisoryLockLeadership(engine, every_seconds=every_seconds)
    database = url.database or ""
    in_memory = database in ("", ":memory:") or url.query.get("mode") == "memory"
    if backend == "sqlite" and not in_memory:
        path = Path(database).expanduser()
        return FileLockLeadership(
            path.with_name(path.name + ".leader.lock"), every_seconds=every_seconds
        )
    return AlwaysLead()
