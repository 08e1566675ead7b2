"""A person's updates are handled one at a time and in arrival order; locks do not pile up."""

from __future__ import annotations

import asyncio

import pytest
from aiogram.fsm.storage.base import StorageKey

from bot.telegram.isolation import OrderedIsolation

# aiogram costs seconds to import: the fast layer does not even collect this file.
pytestmark = pytest.mark.slow


def key(user: int) -> StorageKey:
    return StorageKey(bot_id=1, chat_id=user, user_id=user)


async def test_one_persons_updates_run_in_order_and_one_at_a_time() -> None:
    iso = OrderedIsolation()
    done: list[int] = []
    inside = 0
    most_inside = 0

    async def handle(n: int) -> None:
        nonlocal inside, most_inside
        async with iso.lock(key(7)):
            inside += 1
            most_inside = max(most_inside, inside)
            # Later updates finish their work sooner: without isolation they would overtake.
            await asyncio.sleep(0.01 * (6 - n))
            done.append(n)
            inside -= 1

    await asyncio.gather(*(asyncio.create_task(handle(n)) for n in range(6)))
    assert done == list(range(6))
    assert most_inside == 1
    assert iso.waiting() == 0  # nothing left behind


async def test_different_people_do_not_wait_for_each_other() -> None:
    iso = OrderedIsolation()
    slow_started = asyncio.Event()
    release = asyncio.Event()

    async def slow() -> None:
        async with iso.lock(key(1)):
            slow_started.set()
            await release.wait()

    task = asyncio.create_task(slow())
    await slow_started.wait()
    async with asyncio.timeout(1):
        async with iso.lock(key(2)):
            assert iso.waiting() == 2
    release.set()
    await task
    assert iso.waiting() == 0


async def test_a_failing_handler_releases_the_lock() -> None:
    iso = OrderedIsolation()
    with pytest.raises(RuntimeError):
        async with iso.lock(key(3)):
            raise RuntimeError("boom")
    async with asyncio.timeout(1):
        async with iso.lock(key(3)):
            pass
    assert iso.waiting() == 0
