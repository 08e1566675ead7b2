"""Run Alembic from inside the program: `run` upgrades on start, `migrate` on demand."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

try:
    import fcntl
except ImportError:  # pragma: no cover - no flock on Windows: one instance there
    fcntl = None  # type: ignore[assignment]

MIGRATIONS = Path(__file__).parent / "migrations"
# b"xq-migra": several instances started together migrate one after the other.
MIGRATION_LOCK_KEY = 0x78712D6D69677261


def alembic_config(url: str = "") -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return head or ""


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    await _run(engine, "upgrade", revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    await _run(engine, "downgrade", revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


async def _run(engine: AsyncEngine, verb: str, revision: str) -> None:
    def work(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        getattr(command, verb)(cfg, revision)

    sqlite = engine.dialect.name == "sqlite"
    lock = _file_lock(engine) if sqlite else contextlib.nullcontext()
    async with lock, engine.connect() as conn:
        if sqlite:
            # SQLite alters a table by rebuilding it, and with foreign keys on, dropping the
            # old `people` would cascade-delete every family, case and result that points
            # at it. The pragma only takes effect outside a transaction, hence the commits.
            await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            await conn.commit()
        else:
            # Instances started together: the first migrates, the others wait here and
            # then find the schema at head. Released when the transaction ends.
            await conn.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        try:
            await conn.run_sync(work)
            await conn.commit()
        finally:
            if sqlite:
                await conn.rollback()
                await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                await conn.commit()


@contextlib.asynccontextmanager
async def _file_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """SQLite: `<database>.migrate.lock`, held while migrating; a second start waits."""
    database = make_url(engine.url).database or ""
    if fcntl is None or database in ("", ":memory:"):
        yield
        return
    path = Path(database).expanduser()  # noqa: ASYNC240 - no I/O, a name
    fd = os.open(path.with_name(path.name + ".migrate.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:  # never block the loop: others in it may hold the lock
                await asyncio.sleep(0.05)
        yield
    finally:
        os.close(fd)
