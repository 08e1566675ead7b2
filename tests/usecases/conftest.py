"""One migrated SQLite file per run, copied for each test: a fresh database in a millisecond."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.db import migrate
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.uow import SqlUnitOfWorkFactory
from tests.support import FixedClock
from tests.usecases.desk import Desk


async def _migrated(path: Path) -> None:
    engine = make_engine(f"sqlite:///{path}")
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()  # the last connection folds the WAL back into the file


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    asyncio.run(_migrated(path))
    return path


@pytest.fixture
async def desk(template: Path, tmp_path: Path, clock: FixedClock) -> AsyncIterator[Desk]:
    db = tmp_path / "case.db"
    shutil.copyfile(template, db)
    engine = make_engine(f"sqlite:///{db}")
    yield Desk(SqlUnitOfWorkFactory(make_sessionmaker(engine)), clock)
    await engine.dispose()
