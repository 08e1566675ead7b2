"""One migrated SQLite file, copied for each test: a fresh database in a millisecond.

Migrating takes seconds, so the migrated file is kept in the temporary directory between runs,
under a name made from the migrations themselves: a new or changed migration makes a new one.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy

from bot.db import migrate
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.uow import SqlUnitOfWorkFactory
from tests.support import FixedClock
from tests.usecases.desk import Desk


def _schema_digest() -> str:
    digest = hashlib.sha256(sqlalchemy.__version__.encode())
    for path in sorted(migrate.MIGRATIONS.rglob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


async def _migrated(path: Path) -> None:
    engine = make_engine(f"sqlite:///{path}")
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()  # the last connection folds the WAL back into the file


@pytest.fixture(scope="session")
def template() -> Path:
    path = Path(tempfile.gettempdir()) / f"xinqiao-usecases-{_schema_digest()}.db"
    if not path.exists():
        # Made aside and renamed into place: two runs at once never see half a file.
        making = path.with_name(f"{path.stem}-{uuid.uuid4().hex}.db")
        asyncio.run(_migrated(making))
        os.replace(making, path)
        making.with_name(making.name + ".migrate.lock").unlink(missing_ok=True)
    return path


@pytest.fixture
async def desk(template: Path, tmp_path: Path, clock: FixedClock) -> AsyncIterator[Desk]:
    db = tmp_path / "case.db"
    shutil.copyfile(template, db)
    engine = make_engine(f"sqlite:///{db}")
    yield Desk(SqlUnitOfWorkFactory(make_sessionmaker(engine)), clock)
    await engine.dispose()
