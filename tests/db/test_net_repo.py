"""The safety net's memory on real SQLite and PostgreSQL: recent words and questions."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import text

from bot.db import crypto
from bot.db.crypto import Keyring
from bot.db.uow import SqlUnitOfWorkFactory
from bot.domain.asking import Answer
from bot.domain.people import Person, new_person_code
from tests.support import FixedClock


async def _person(uow: SqlUnitOfWorkFactory, tg: int) -> int:
    async with uow() as u:
        p = await u.people.add(Person(telegram_id=tg, locale="zh_Hans", code=new_person_code()))
        await u.commit()
    assert p.id is not None
    return p.id


async def test_earlier_words_newest_few_oldest_first_and_forgotten(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    me, other = await _person(uow, 1), await _person(uow, 2)
    t0 = clock.now()
    async with uow() as u:
        for i in range(6):
            await u.net.remember(me, f"m{i}", t0 + timedelta(minutes=i))
        await u.net.remember(other, "not mine", t0 + timedelta(minutes=5))
        await u.commit()
    async with uow() as u:
        assert await u.net.earlier(me, t0, 4) == ["m2", "m3", "m4", "m5"]
        assert await u.net.earlier(me, t0 + timedelta(minutes=4), 9) == ["m4", "m5"]
        assert await u.net.earlier(me, t0, 0) == []
        assert await u.net.forget_before(t0 + timedelta(minutes=3)) == 3
        await u.commit()
    async with uow() as u:
        assert await u.net.earlier(me, t0, 9) == ["m3", "m4", "m5"]
        assert await u.net.earlier(other, t0, 9) == ["not mine"]


async def test_words_are_encrypted_at_rest(uow: SqlUnitOfWorkFactory, clock: FixedClock) -> None:
    me = await _person(uow, 1)
    previous = crypto.install(Keyring("k" * 40))
    try:
        async with uow() as u:
            await u.net.remember(me, "药我都攒好了", clock.now())
            await u.commit()
        async with uow() as u:
            raw = await u.session.scalar(text("SELECT body FROM net_context"))
            assert raw is not None and raw.startswith(crypto.PREFIX) and "药" not in raw
            assert await u.net.earlier(me, clock.now(), 1) == ["药我都攒好了"]
    finally:
        crypto.install(previous)


async def test_a_question_is_settled_once(uow: SqlUnitOfWorkFactory, clock: FixedClock) -> None:
    me = await _person(uow, 1)
    t0 = clock.now()
    async with uow() as u:
        q = await u.net.ask(me, "means", False, t0, t0 + timedelta(minutes=10))
        await u.commit()
    async with uow() as u:
        assert (await u.net.pending(me)) == q
        assert await u.net.last_asked(me) == t0
        assert await u.net.due(t0 + timedelta(minutes=9), 10) == []
        assert [x.id for x in await u.net.due(t0 + timedelta(minutes=10), 10)] == [q.id]
        assert await u.net.settle(q.id, Answer.YES, t0)
        assert not await u.net.settle(q.id, Answer.TIMEOUT, t0)  # the timer lost
        await u.commit()
    async with uow() as u:
        got = await u.net.question(q.id)
        assert got is not None and got.answer is Answer.YES
        assert await u.net.pending(me) is None
        assert await u.net.due(t0 + timedelta(hours=1), 10) == []


async def test_erasure_takes_the_words_and_the_questions(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    me = await _person(uow, 1)
    async with uow() as u:
        await u.net.remember(me, "今天好累", clock.now())
        await u.net.ask(me, "death", False, clock.now(), clock.now())
        await u.commit()
    async with uow() as u:
        counts = await u.privacy.erase([me])
        await u.commit()
    assert counts["net_context"] == 1 and counts["net_questions"] == 1
    async with uow() as u:
        assert await u.net.earlier(me, clock.now() - timedelta(days=1), 9) == []
        assert await u.net.due(clock.now(), 9) == []


async def test_two_answers_at_once_one_wins(uow: SqlUnitOfWorkFactory, clock: FixedClock) -> None:
    """Two instances (or a press and the timer) settling the same question at the same time:
    the row lock (PostgreSQL) or the single writer (SQLite) lets exactly one through."""
    me = await _person(uow, 1)
    t0 = clock.now()
    async with uow() as u:
        q = await u.net.ask(me, "score", False, t0, t0)
        await u.commit()

    async def settle(answer: Answer) -> bool:
        async with uow() as u:
            won = await u.net.settle(q.id, answer, t0)
            await asyncio.sleep(0.05)  # hold the transaction open while the other tries
            await u.commit()
            return won

    results = await asyncio.gather(settle(Answer.YES), settle(Answer.TIMEOUT))
    assert sorted(results) == [False, True]
