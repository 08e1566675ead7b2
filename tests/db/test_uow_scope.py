"""One update's units of work on one connection (bot/db/uow.py `scope`), without changing what
each unit of work means: what it wrote and did not commit is undone at its end, locks do not
outlive it, the next one reads afresh, and nothing outside the update's own task borrows it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import make_sessionmaker
from bot.db.models import PersonRow
from bot.db.uow import SqlUnitOfWork, SqlUnitOfWorkFactory
from bot.domain.people import Person, new_person_code


async def add_person(uow: SqlUnitOfWorkFactory, tg: int, locale: str = "zh_Hans") -> int:
    async with uow() as u:
        p = await u.people.add(Person(telegram_id=tg, locale=locale, code=new_person_code()))
        await u.commit()
    assert p.id is not None
    return p.id


def count_checkouts(engine: AsyncEngine) -> list[int]:
    seen: list[int] = []

    def checkout(*_: Any) -> None:
        seen.append(1)

    event.listen(engine.sync_engine, "checkout", checkout)
    return seen


async def connection_of(u: SqlUnitOfWork) -> Any:
    conn = await u.session.connection()
    raw = await conn.get_raw_connection()
    return raw.driver_connection


async def test_reads_in_one_scope_share_one_connection(
    engine: AsyncEngine, uow: SqlUnitOfWorkFactory
) -> None:
    await add_person(uow, 1)
    checkouts = count_checkouts(engine)
    seen = []
    async with uow.scope():
        for _ in range(3):
            async with uow() as u:
                assert await u.people.by_telegram_id(1) is not None
                seen.append(await connection_of(u))
    assert len(checkouts) == 1 and len({id(c) for c in seen}) == 1
    checkouts.clear()
    for _ in range(3):  # outside a scope: one connection per unit of work, as ever
        async with uow() as u:
            await u.people.by_telegram_id(1)
    assert len(checkouts) == 3


async def test_uncommitted_writes_are_undone_at_the_end_of_their_unit_of_work(
    uow: SqlUnitOfWorkFactory,
) -> None:
    pid = await add_person(uow, 2)
    async with uow.scope():
        async with uow() as u:
            await u.session.execute(
                update(PersonRow).where(PersonRow.id == pid).values(locale="en")
            )
            # no commit: the use case changed its mind
        async with uow() as u:
            person = await u.people.by_telegram_id(2)
            assert person is not None and person.locale == "zh_Hans"
        async with uow() as u:
            await u.session.execute(
                update(PersonRow).where(PersonRow.id == pid).values(locale="en")
            )
            await u.commit()
    async with uow() as u:  # committed inside the scope is committed for everyone
        person = await u.people.by_telegram_id(2)
        assert person is not None and person.locale == "en"


async def test_a_failing_unit_of_work_is_undone_and_the_scope_goes_on(
    uow: SqlUnitOfWorkFactory,
) -> None:
    pid = await add_person(uow, 3)

    async def buggy() -> None:
        async with uow() as u:
            await u.session.execute(
                update(PersonRow).where(PersonRow.id == pid).values(locale="en")
            )
            raise RuntimeError("a handler bug")

    async with uow.scope():
        with pytest.raises(RuntimeError):
            await buggy()
        async with uow() as u:
            person = await u.people.by_telegram_id(3)
            assert person is not None and person.locale == "zh_Hans"


async def test_the_next_unit_of_work_reads_afresh(
    engine: AsyncEngine, uow: SqlUnitOfWorkFactory
) -> None:
    pid = await add_person(uow, 4)
    async with uow.scope():
        async with uow() as u:
            row = await u.session.get(PersonRow, pid)
            assert row is not None and row.locale == "zh_Hans"
        # Another instance changes the row meanwhile (its own connection, committed).
        async with SqlUnitOfWorkFactory(make_sessionmaker(engine))() as elsewhere:
            await elsewhere.session.execute(
                update(PersonRow).where(PersonRow.id == pid).values(locale="en")
            )
            await elsewhere.commit()
        async with uow() as u:
            row = await u.session.get(PersonRow, pid)
            assert row is not None and row.locale == "en"  # not the object read before


async def test_a_nested_or_foreign_unit_of_work_gets_its_own_session(
    uow: SqlUnitOfWorkFactory,
) -> None:
    pid = await add_person(uow, 5)
    async with uow.scope(), uow() as outer:
        await outer.session.execute(
            update(PersonRow).where(PersonRow.id == pid).values(locale="en")
        )
        async with uow() as inner:  # e.g. one service calling another
            assert inner.session is not outer.session
        # The inner one's end rolled back only its own work.
        assert (
            await outer.session.scalar(select(PersonRow.locale).where(PersonRow.id == pid)) == "en"
        )

        async def spawned() -> bool:
            async with uow() as u:
                return u.session is outer.session

        # A task started inside the scope (a nudged pump) does not borrow it.
        assert await asyncio.create_task(spawned()) is False
        await outer.commit()


async def test_release_returns_the_connection_and_the_scope_goes_on(
    engine: AsyncEngine, uow: SqlUnitOfWorkFactory
) -> None:
    await add_person(uow, 6)
    pool = engine.sync_engine.pool
    async with uow.scope():
        async with uow() as u:
            await u.people.by_telegram_id(6)
        assert pool.checkedout() == 1  # held for the next unit of work...
        await uow.release()  # ...until the handler waits on Telegram
        assert pool.checkedout() == 0
        async with uow() as u:
            assert await u.people.by_telegram_id(6) is not None
    assert pool.checkedout() == 0


@pytest.mark.postgres
async def test_row_locks_do_not_outlive_their_unit_of_work(
    engine: AsyncEngine, uow: SqlUnitOfWorkFactory
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL only (SQLite locks the whole file)")
    pid = await add_person(uow, 7)
    async with uow.scope():
        async with uow() as u:
            await u.session.execute(select(PersonRow).where(PersonRow.id == pid).with_for_update())
        # The scope is still open; another connection can lock the row at once.
        async with engine.connect() as other:
            await other.execute(text("SET lock_timeout = '500ms'"))
            locked = await other.execute(
                select(PersonRow.id).where(PersonRow.id == pid).with_for_update(nowait=True)
            )
            assert locked.scalar() == pid


def count_person_reads(engine: AsyncEngine) -> list[str]:
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM people" in statement:
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    return seen


async def test_a_person_is_read_once_per_update_until_something_is_written(
    engine: AsyncEngine, uow: SqlUnitOfWorkFactory
) -> None:
    await add_person(uow, 8)
    reads = count_person_reads(engine)
    async with uow.scope():
        for _ in range(3):  # triage, the answer, the language: one read
            async with uow() as u:
                person = await u.people.by_telegram_id(8)
                assert person is not None and person.locale == "zh_Hans"
                person.locale = "en"  # a caller's own copy: changing it changes nothing else
        assert len(reads) == 1
        async with uow() as u:
            person = await u.people.by_telegram_id(8)
            assert person is not None and person.locale == "zh_Hans"
            person.locale = "en"
            await u.people.save(person)
            # Read after its own write, in the same unit of work: the new value, read anew.
            again = await u.people.by_telegram_id(8)
            assert again is not None and again.locale == "en"
            # ...and not committed: what the next unit of work reads must not keep it.
        async with uow() as u:
            person = await u.people.by_telegram_id(8)
            assert person is not None and person.locale == "zh_Hans"
        assert len(reads) == 4  # the save's own lookup, the read after it, and this one
        async with uow() as u:  # an unknown person is remembered as unknown, until created
            assert await u.people.by_telegram_id(999) is None
            assert await u.people.by_telegram_id(999) is None
        assert len(reads) == 5
        async with uow() as u:
            await u.people.add(Person(telegram_id=999, locale="en", code=new_person_code()))
            assert await u.people.by_telegram_id(999) is not None
            await u.commit()
