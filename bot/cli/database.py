"""The database as the operator commands use it: migrated to head, then a unit-of-work factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.config import Settings
from bot.db import migrate
from bot.db.crypto import Keyring, install
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.uow import SqlUnitOfWorkFactory


@asynccontextmanager
async def migrated_uow(settings: Settings) -> AsyncIterator[SqlUnitOfWorkFactory]:
    install(Keyring.from_settings(settings))
    engine = make_engine(settings.database_url)
    try:
        await migrate.upgrade(engine)
        yield SqlUnitOfWorkFactory(make_sessionmaker(engine))
    finally:
        await engine.dispose()
