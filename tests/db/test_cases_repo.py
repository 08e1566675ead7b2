"""Cases in SQL on SQLite and PostgreSQL: one open case per person, atomic claims, holds."""

from __future__ import annotations

import asyncio

from bot.db.uow import SqlUnitOfWorkFactory
from bot.domain.cases import CaseStatus, Tier, Trigger
from bot.domain.outbox import NewMessage, OutboxStatus, Priority
from bot.domain.people import Person, Role, new_person_code
from tests.support import FixedClock

CHAT = -1001


async def _person(uow: SqlUnitOfWorkFactory, tg: int, role: Role | None = None) -> int:
    async with uow() as u:
        p = await u.people.add(
            Person(telegram_id=tg, locale="zh_Hans", code=new_person_code(), role=role)
        )
        await u.commit()
    assert p.id is not None
    return p.id


async def _open(
    uow: SqlUnitOfWorkFactory, pid: int, clock: FixedClock, tier: Tier
) -> tuple[int, bool]:
    async with uow() as u:
        case, new = await u.cases.open(
            pid, CHAT, tier, Trigger.TRIAGE, ["suicide"], ["x"], clock.now()
        )
        await u.commit()
    return case.id, new


async def test_one_open_case_per_person_even_when_two_triggers_race(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    pid = await _person(uow, 10)
    results = await asyncio.gather(*(_open(uow, pid, clock, Tier.RED) for _ in range(5)))
    assert len({case_id for case_id, _ in results}) == 1
    assert sum(new for _, new in results) == 1
    async with uow() as u:
        await u.cases.set_status(results[0][0], CaseStatus.WAITING, status=CaseStatus.CLOSED)
        await u.commit()
    again, new = await _open(uow, pid, clock, Tier.YELLOW)
    assert new and again != results[0][0]  # after closing, a new trigger opens a new case


async def test_claim_race_has_exactly_one_winner_and_a_cap(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    child = await _person(uow, 20)
    staff = [await _person(uow, 30 + i, Role.COUNSELLOR) for i in range(4)]
    case_id, _ = await _open(uow, child, clock, Tier.RED)

    async def claim(sid: int) -> bool:
        async with uow() as u:
            won, _ = await u.cases.claim(case_id, sid, clock.now(), max_claims=3)
            await u.commit()
        return won

    wins = await asyncio.gather(*(claim(s) for s in staff))
    assert sum(wins) == 1
    winner = staff[wins.index(True)]
    # The cap: a counsellor holding max_claims cases cannot take another.
    for tg in (21, 22):
        other, _ = await _open(uow, await _person(uow, tg), clock, Tier.GREEN)
        async with uow() as u:
            assert (await u.cases.claim(other, winner, clock.now(), 3))[0]
            await u.commit()
    fourth, _ = await _open(uow, await _person(uow, 23), clock, Tier.GREEN)
    async with uow() as u:
        won, current = await u.cases.claim(fourth, winner, clock.now(), 3)
    assert not won and current is not None and current.status is CaseStatus.WAITING


async def test_queue_order_and_next_waiting(uow: SqlUnitOfWorkFactory, clock: FixedClock) -> None:
    ids = []
    for tg, tier in ((40, Tier.YELLOW), (41, Tier.RED), (42, Tier.ORANGE), (43, Tier.RED)):
        case_id, _ = await _open(uow, await _person(uow, tg), clock, tier)
        ids.append(case_id)
        clock.advance(minutes=1)
    async with uow() as u:
        queue = await u.cases.queue(CHAT)
        top = await u.cases.next_waiting(CHAT)
    assert [c.id for c in queue] == [ids[1], ids[3], ids[2], ids[0]]
    assert top is not None and top.id == ids[1]


async def test_posts_wait_for_the_topic_and_bursts_merge(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    async with uow() as u:
        await u.outbox.enqueue(
            [
                NewMessage(
                    f"case:7:in:{i}",
                    CHAT,
                    "case_in",
                    Priority.RELAY,
                    "zh_Hans",
                    clock.now(),
                    {"case_id": 7, "lines": [f"line {i}"]},
                )
                for i in range(2)
            ]
        )
        assert await u.holds.hold_keys(["case:7:in:0", "case:7:in:1"]) == 2
        # A third line joins the newest unsent post instead of making a new one.
        assert await u.holds.append(7, "case_in", "line 2", limit=3500)
        assert not await u.holds.append(7, "case_in", "x" * 4000, limit=3500)
        # Counted as Telegram counts (an emoji is two units), with each line's prefix.
        assert not await u.holds.append(7, "case_in", "😀" * 1745, limit=3500)
        assert not await u.holds.append(7, "case_in", "x" * 3400, limit=3500, per_line=40)
        assert await u.outbox.claim(clock.now(), 10) == []  # held rows never go out
        assert await u.holds.attach_topic(7, 99) == 2
        first = await u.outbox.claim(clock.now(), 10)  # one per chat at a time, in order
        await u.outbox.mark_sent_many([(first[0].id, 1)], clock.now())
        second = await u.outbox.claim(clock.now(), 10)
        await u.commit()
    items = [*first, *second]
    assert [i.thread_id for i in items] == [99, 99]
    assert items[-1].payload["lines"] == ["line 1", "line 2"]
    async with uow() as u:
        status = await u.holds.sent("case:7:in:0")
    assert status == (OutboxStatus.SENT, 1)


async def test_concurrent_messages_merge_without_losing_one(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    """A child sends a burst; each message is handled in its own transaction at once."""
    async with uow() as u:
        await u.outbox.enqueue(
            [
                NewMessage(
                    "case:9:in:first",
                    CHAT,
                    "case_in",
                    Priority.RELAY,
                    "zh_Hans",
                    clock.now(),
                    {"case_id": 9, "lines": ["line 0"]},
                )
            ]
        )
        await u.commit()

    async def send(i: int) -> None:
        async with uow() as u:
            if not await u.holds.append(9, "case_in", f"line {i}", limit=3500):
                await u.outbox.enqueue(
                    [
                        NewMessage(
                            f"case:9:in:{i}",
                            CHAT,
                            "case_in",
                            Priority.RELAY,
                            "zh_Hans",
                            clock.now(),
                            {"case_id": 9, "lines": [f"line {i}"]},
                        )
                    ]
                )
            await u.commit()

    await asyncio.gather(*(send(i) for i in range(1, 11)))
    async with uow() as u:
        items = await u.outbox.claim(clock.now(), 50)
    lines = [line for item in items for line in item.payload["lines"]]
    assert sorted(lines) == sorted(f"line {i}" for i in range(11))
