"""Fixtures: databases on SQLite always and on PostgreSQL where one answers; the shipped
catalog, loaded once. And a module marked slow as a whole is not imported when `-m` leaves
slow tests out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog.catalog import ContentCatalog
from bot.db import migrate
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.uow import SqlUnitOfWorkFactory
from tests import shipped
from tests.fast_layer import left_out
from tests.support import FixedClock, fresh_postgres, postgres_admin_url

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """A test module whose every test `-m` leaves out is not imported at all: collecting one
    that needs aiogram costs seconds even when none of its tests runs (tests/fast_layer.py)."""
    markexpr = config.getoption("markexpr", "")
    return True if markexpr and left_out(collection_path, markexpr) else None


@pytest.fixture(scope="session")
def catalog() -> ContentCatalog:
    """The shipped templates and translations in both languages (tests/shipped.py)."""
    return shipped.catalog()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database URL, once per backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    admin = postgres_admin_url()
    if admin is None:
        pytest.skip("PostgreSQL not available: set TEST_DATABASE_URL or run one on 127.0.0.1:5432")
    async with fresh_postgres(admin) as url:
        yield url


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """An empty PostgreSQL database, for what only PostgreSQL has (advisory locks, killing a
    connection from outside)."""
    admin = postgres_admin_url()
    if admin is None:
        pytest.skip("PostgreSQL not available: set TEST_DATABASE_URL or run one on 127.0.0.1:5432")
    async with fresh_postgres(admin) as url:
        yield url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated database."""
    eng = make_engine(db_url)
    await migrate.upgrade(eng)
    yield eng
    await eng.dispose()


@pytest.fixture
def uow(engine: AsyncEngine) -> SqlUnitOfWorkFactory:
    return SqlUnitOfWorkFactory(make_sessionmaker(engine))
