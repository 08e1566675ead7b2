"""Several instances on one database: who is alive, and what a dead one leaves behind.

Each "instance" has its own engine, as separate processes would; one test kills a real process
to show that its death is known at the next survey (the lock goes with the process).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import migrate
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.instances import SqlInstanceRegistry
from bot.db.models import InboxRow, OutboxRow
from bot.db.uow import SqlUnitOfWorkFactory
from bot.domain.outbox import NewMessage, OutboxStatus, Priority
from tests.support import FixedClock

ROOT = Path(__file__).resolve().parents[2]

# An instance in a process of its own: registers, says its id, waits to be killed.
CHILD = """
import asyncio, sys
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.instances import SqlInstanceRegistry

async def main():
    engine = make_engine(sys.argv[1])
    registry = SqlInstanceRegistry(engine, make_sessionmaker(engine))
    print(await registry.join("child"), flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


@pytest.fixture
async def registries(
    engine: AsyncEngine, db_url: str
) -> AsyncIterator[Callable[[], SqlInstanceRegistry]]:
    made: list[tuple[SqlInstanceRegistry, AsyncEngine]] = []

    def make() -> SqlInstanceRegistry:
        own = make_engine(db_url)
        registry = SqlInstanceRegistry(own, make_sessionmaker(own))
        made.append((registry, own))
        return registry

    yield make
    for registry, own in made:
        await registry.leave()
        await own.dispose()


async def test_instances_see_each_other_and_a_leaver_is_gone(
    registries: Callable[[], SqlInstanceRegistry],
) -> None:
    a, b = registries(), registries()
    ida, idb = await a.join("a"), await b.join("b")
    assert ida != idb
    seen = await a.survey(settled=True, paused_until=None)
    assert seen.me == ida
    assert seen.live == tuple(sorted((ida, idb)))
    assert seen.settled == (ida,)  # b has not said it settled yet
    await b.leave()
    assert (await a.survey(settled=True, paused_until=None)).live == (ida,)


async def test_a_pause_announced_by_one_reaches_the_others(
    registries: Callable[[], SqlInstanceRegistry], clock: FixedClock
) -> None:
    a, b = registries(), registries()
    await a.join("a")
    await b.join("b")
    until = clock.now() + timedelta(seconds=30)
    await a.survey(settled=True, paused_until=until)
    assert (await b.survey(settled=True, paused_until=None)).paused_until == until


async def test_a_killed_instance_is_known_dead_at_the_next_survey(
    registries: Callable[[], SqlInstanceRegistry], db_url: str
) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, db_url, stdout=asyncio.subprocess.PIPE, env=env
    )
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 60)
        child_id = int(line)
        me = registries()
        await me.join("me")
        assert child_id in (await me.survey(settled=True, paused_until=None)).live
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    # No heartbeat to go stale: the lock went with the process.
    assert (await me.survey(settled=True, paused_until=None)).live == (me.me,)


async def test_work_of_a_dead_instance_is_requeued_and_a_live_ones_is_not(
    registries: Callable[[], SqlInstanceRegistry], uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    alive, doomed = registries(), registries()
    alive_id, doomed_id = await alive.join("alive"), await doomed.join("doomed")
    async with uow() as u:
        await u.inbox.store([(1, "{}"), (2, "{}"), (3, "{}")], clock.now())
        assert [i for i, _, _ in await u.inbox.claim(1, alive_id)] == [1]
        assert [i for i, _, _ in await u.inbox.claim(1, doomed_id)] == [2]
        assert [i for i, _, _ in await u.inbox.claim(1, None)] == [3]  # an old process's
        await u.outbox.enqueue(
            [
                NewMessage(f"k{n}", n, "reply", Priority.INTERACTIVE, "zh_Hans", clock.now())
                for n in (1, 2, 3, 4)
            ]
        )
        await u.outbox.claim(clock.now(), 1, alive_id)
        await u.outbox.claim(clock.now(), 1, doomed_id)
        await u.outbox.claim(clock.now(), 2, None)  # command-line runs: k3 long ago, k4 now
        await u.session.execute(
            update(OutboxRow)
            .where(OutboxRow.key == "k3")
            .values(claimed_at=clock.now() - timedelta(hours=1))
        )
        await u.commit()
    await doomed.leave()
    async with uow() as u:
        assert await u.inbox.requeue_orphaned() == 2
        assert await u.outbox.requeue_orphaned(clock.now() - timedelta(minutes=10)) == 2
        await u.commit()
        inbox = dict((await u.session.execute(select(InboxRow.update_id, InboxRow.status))).all())
        outbox = dict((await u.session.execute(select(OutboxRow.key, OutboxRow.status))).all())
    assert inbox == {1: "handling", 2: "received", 3: "received"}
    sending, pending = OutboxStatus.SENDING.value, OutboxStatus.PENDING.value
    assert outbox == {"k1": sending, "k2": pending, "k3": pending, "k4": sending}


async def test_a_restarted_single_instance_takes_back_its_earlier_work_at_once(
    db_url: str, tmp_path: Path
) -> None:
    """The common case: one process, killed and started again. Its rows carry the dead id,
    which the new survey finds unlocked straight away."""
    engine = make_engine(db_url)
    await migrate.upgrade(engine)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, db_url, stdout=asyncio.subprocess.PIPE, env=env
    )
    assert child.stdout is not None
    dead_id = int(await asyncio.wait_for(child.stdout.readline(), 60))
    uow = SqlUnitOfWorkFactory(make_sessionmaker(engine))
    clock = FixedClock()
    async with uow() as u:
        await u.inbox.store([(7, "{}")], clock.now())
        await u.inbox.claim(5, dead_id)
        await u.commit()
    child.send_signal(signal.SIGKILL)
    await child.wait()
    registry = SqlInstanceRegistry(engine, make_sessionmaker(engine))
    try:
        await registry.join("again")
        await registry.survey(settled=True, paused_until=None)
        async with uow() as u:
            assert await u.inbox.requeue_orphaned() == 1
            await u.commit()
    finally:
        await registry.leave()
        await engine.dispose()
