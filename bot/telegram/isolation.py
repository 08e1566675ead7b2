"""One person's updates are handled one at a time, in the order Telegram sent them.

aiogram handles updates as concurrent tasks. For a helpline that reorders a child's burst of
messages in front of the counsellor ("I won't" / "do it" read the other way round), and two
handlers of the same person race on the same rows. aiogram's own `SimpleEventIsolation` keeps a
lock per chat for ever; this one forgets a lock once nobody waits on it, so 100 000 guardians do
not leave 100 000 locks behind. `asyncio.Lock` wakes waiters first in, first out, and the
dispatcher starts update tasks in arrival order, so a person's messages keep their order.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Hashable
from contextlib import asynccontextmanager

from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey


class OrderedIsolation(BaseEventIsolation):
    def __init__(self, inner: BaseEventIsolation | None = None) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}
        # With several instances, a shared lock (Redis) is taken inside the local one, so the
        # local queue keeps the order and the shared lock keeps instances apart.
        self._inner = inner

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        held, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (held, users + 1)
        try:
            async with held:
                if self._inner is None:
                    yield
                else:
                    async with self._inner.lock(key):
                        yield
        finally:
            held, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (held, users - 1)

    def waiting(self) -> int:
        """How many people have an update in hand (for tests and metrics)."""
        return len(self._locks)

    async def close(self) -> None:
        if self._inner is not None:
            await self._inner.close()
        self._locks.clear()
