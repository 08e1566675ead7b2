"""aiogram's Dispatcher as the bot runs it: conversation state and per-person ordering kept in
process, or in Redis when several instances share the work (REDIS_URL)."""

from __future__ import annotations

from aiogram import Dispatcher, Router
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage

from bot.services.bundle import Services
from bot.telegram.isolation import OrderedIsolation


def make_dispatcher(router: Router, services: Services, redis_url: str | None) -> Dispatcher:
    """A Dispatcher over `router`; every handler receives `services` as an argument."""
    dispatcher = Dispatcher(
        storage=make_storage(redis_url),
        events_isolation=make_isolation(redis_url),
        services=services,
    )
    dispatcher.include_router(router)
    return dispatcher


def make_storage(redis_url: str | None) -> BaseStorage:
    if redis_url:
        # Imported only when asked for: redis is an optional dependency.
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(redis_url)
    return MemoryStorage()


def make_isolation(redis_url: str | None) -> OrderedIsolation:
    if redis_url:
        from aiogram.fsm.storage.redis import RedisEventIsolation

        return OrderedIsolation(RedisEventIsolation.from_url(redis_url))
    return OrderedIsolation()
