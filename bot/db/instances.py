"""The bot processes sharing one database, and which of them are alive.

Each instance registers a row in `instances` and holds a liveness lock that the database or
the kernel frees the moment its process dies, so a dead instance is known at the next survey,
without waiting for a heartbeat to go stale:

- PostgreSQL: a session-level advisory lock (namespace, instance id) held on one dedicated
  connection; the live ones are read from `pg_locks` inside the statement that deletes the
  others, so an instance that registers meanwhile is never taken for dead (it locks first and
  inserts its row after).
- SQLite (one machine): `flock` on `<database>.instances/<id>.lock`, probed without blocking.
- An in-memory database lives in one process: every registered instance is alive.

What a dead instance was handling (inbox) or sending (outbox) carries its id, and goes back to
the queue once its row is gone (bot/telegram/inbox.py, bot/db/outbox_repo.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import delete, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from bot.db.engine import discard
from bot.db.models import InstanceRow
from bot.domain.clock import utcnow
from bot.ports import Survey

try:
    import fcntl
except ImportError:  # pragma: no cover - no flock on Windows: one instance there
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

# b"xq": the first half of every instance's advisory lock key, the instance id the second.
LOCK_NAMESPACE = 0x7871
_LIVE_LOCKS = """
    SELECT objid::bigint FROM pg_locks
    WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = :ns
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


class _Liveness(Protocol):
    async def hold(self, instance_id: int) -> bool:
        """Take this instance's lock; False if that id is somebody else's."""
        ...

    async def holding(self) -> bool:
        """Whether the lock taken by `hold` is still ours."""
        ...

    async def prune(self, session: AsyncSession) -> int:
        """Delete the rows of instances whose lock is free; returns how many."""
        ...

    async def release(self) -> None: ...


class _AdvisoryLiveness:
    def __init__(self, engine: AsyncEngine, timeout: float = 5.0) -> None:
        self.engine = engine
        self.timeout = timeout
        self._conn: AsyncConnection | None = None
        self._id: int | None = None

    async def hold(self, instance_id: int) -> bool:
        await self.release()
        conn = await self.engine.connect()
        try:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = await conn.scalar(
                text("SELECT pg_try_advisory_lock(:ns, :id)"),
                {"ns": LOCK_NAMESPACE, "id": instance_id},
            )
        except BaseException:
            await discard(conn)
            raise
        if not got:
            await conn.close()
            return False
        self._conn, self._id = conn, instance_id
        return True

    async def holding(self) -> bool:
        if self._conn is None:
            return False
        try:
            await asyncio.wait_for(self._conn.execute(text("SELECT 1")), self.timeout)
        except Exception:  # noqa: BLE001 - a broken connection has lost its lock
            conn, self._conn = self._conn, None
            await discard(conn)
            return False
        return True

    async def prune(self, session: AsyncSession) -> int:
        result = await session.execute(
            text(f"DELETE FROM instances WHERE id NOT IN ({_LIVE_LOCKS})"),  # noqa: S608
            {"ns": LOCK_NAMESPACE},
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            await conn.execute(
                text("SELECT pg_advisory_unlock(:ns, :id)"), {"ns": LOCK_NAMESPACE, "id": self._id}
            )
            await conn.close()
        except Exception:  # noqa: BLE001 - closing the connection frees the lock as well
            await discard(conn)


class _FileLiveness:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._fd: int | None = None
        self._path: Path | None = None

    def _lock(self, path: Path) -> int | None:
        """An open descriptor holding the lock on `path`, or None if another process has it."""
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return fd

    async def hold(self, instance_id: int) -> bool:
        await self.release()
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{instance_id}.lock"
        fd = self._lock(path)
        if fd is None:
            return False
        self._fd, self._path = fd, path
        return True

    async def holding(self) -> bool:
        return self._fd is not None  # only this process can release a flock it holds

    async def prune(self, session: AsyncSession) -> int:
        ids = (await session.scalars(select(InstanceRow.id))).all()
        dead: list[int] = []
        for instance_id in ids:
            path = self.directory / f"{instance_id}.lock"
            if path == self._path:
                continue
            fd = self._lock(path)
            if fd is not None:  # nobody holds it: that process is gone
                dead.append(instance_id)
                with contextlib.suppress(OSError):
                    path.unlink()
                os.close(fd)
        if dead:
            await session.execute(delete(InstanceRow).where(InstanceRow.id.in_(dead)))
        return len(dead)

    async def release(self) -> None:
        fd, path = self._fd, self._path
        self._fd = self._path = None
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink()
        if fd is not None:
            os.close(fd)


class _OneProcess:
    """An in-memory database: nobody else can share it."""

    async def hold(self, instance_id: int) -> bool:
        return True

    async def holding(self) -> bool:
        return True

    async def prune(self, session: AsyncSession) -> int:
        return 0

    async def release(self) -> None:
        return None


class SqlInstanceRegistry:
    def __init__(
        self, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        self.sessionmaker = sessionmaker
        self.liveness = _liveness_for(engine)
        self.name = ""
        self.me: int | None = None

    async def join(self, name: str) -> int:
        self.name = name[:100]
        for _ in range(8):
            candidate = 1 + secrets.randbelow(2**31 - 2)
            if await self.liveness.hold(candidate):
                break
        else:  # eight random ids out of two billion all taken: the lock itself is broken
            raise RuntimeError("could not take an instance liveness lock")
        now = utcnow()
        async with self.sessionmaker() as s, s.begin():
            s.add(InstanceRow(id=candidate, name=self.name, started_at=now, seen_at=now))
        self.me = candidate
        log.info("registered as instance %s (%s)", candidate, self.name)
        return candidate

    async def survey(self, *, settled: bool, paused_until: datetime | None) -> Survey:
        rejoined = False
        if self.me is None or not await self.liveness.holding():
            log.warning("this instance lost its liveness lock; registering again")
            await self.join(self.name)
            rejoined, settled = True, False
        me = self.me
        assert me is not None
        async with self.sessionmaker() as s, s.begin():
            gone = await self.liveness.prune(s)
            await s.execute(
                update(InstanceRow)
                .where(InstanceRow.id == me)
                .values(seen_at=utcnow(), settled=settled, paused_until=paused_until)
            )
            rows: Sequence[tuple[int, bool, datetime | None]] = [
                (int(i), bool(ok), p)
                for i, ok, p in await s.execute(
                    select(InstanceRow.id, InstanceRow.settled, InstanceRow.paused_until)
                )
            ]
        if gone:
            log.warning("%d instance(s) stopped without leaving; their work is taken over", gone)
        if me not in {i for i, _, _ in rows}:  # pruned while our lock looked lost: come back
            await self.leave()
            return await self.survey(settled=False, paused_until=paused_until)
        pauses = [p for _, _, p in rows if p is not None]
        return Survey(
            me=me,
            live=tuple(sorted(i for i, _, _ in rows)),
            settled=tuple(sorted(i for i, ok, _ in rows if ok)),
            paused_until=max(pauses) if pauses else None,
            rejoined=rejoined,
        )

    async def leave(self) -> None:
        me, self.me = self.me, None
        if me is not None:
            with contextlib.suppress(Exception):  # the lock going is what counts
                async with self.sessionmaker() as s, s.begin():
                    await s.execute(delete(InstanceRow).where(InstanceRow.id == me))
        await self.liveness.release()


def _liveness_for(engine: AsyncEngine) -> _Liveness:
    url = make_url(engine.url)
    if url.get_backend_name() == "postgresql":
        return _AdvisoryLiveness(engine)
    database = url.database or ""
    if database in ("", ":memory:") or url.query.get("mode") == "memory" or fcntl is None:
        return _OneProcess()
    path = Path(database).expanduser()
    return _FileLiveness(path.with_name(path.name + ".instances"))
