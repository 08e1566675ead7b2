"""The outbox wakes its sender itself (issue 20 item 2): a commit whose transaction made rows
due calls the waker once it is committed; a rollback, or a unit of work that only read, does
not. No use case passes a nudge around any more, so this is the only thing that keeps a crisis
card from waiting for the sender's idle timeout."""

from __future__ import annotations

from bot.db.uow import SqlUnitOfWorkFactory
from bot.domain.outbox import NewMessage, Priority
from tests.support import FixedClock


def counting(uow: SqlUnitOfWorkFactory) -> list[int]:
    woken: list[int] = []
    uow.on_outbox_commit(lambda: woken.append(1))
    return woken


def message(key: str, clock: FixedClock, chat: int = -100) -> NewMessage:
    return NewMessage(key, chat, "t", Priority.ALERT, "en", clock.now())


async def test_a_commit_that_queued_rows_wakes_the_sender_after_it(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    woken = counting(uow)
    async with uow() as u:
        await u.outbox.enqueue([message("a", clock)])
        assert woken == []  # not before the commit: the sender would find nothing
        await u.commit()
    assert woken == [1]
    async with uow() as u:  # a unit of work that only reads wakes no one
        await u.outbox.counts()
        await u.commit()
    assert woken == [1]


async def test_a_rollback_or_a_forgotten_commit_wakes_no_one(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    woken = counting(uow)
    async with uow() as u:
        await u.outbox.enqueue([message("b", clock)])
        await u.rollback()
        await u.commit()  # nothing left to commit: the rolled-back rows are not due
    async with uow() as u:
        await u.outbox.enqueue([message("c", clock)])  # and never committed
    assert woken == []
    async with uow() as u:
        assert (await u.outbox.counts()).get("pending", 0) == 0


async def test_rows_let_go_from_a_hold_wake_the_sender(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    async with uow() as u:
        await u.outbox.enqueue([message("lesson:1", clock, chat=42)])
        await u.holds.hold_chat(42, ["t"])
        await u.commit()
    woken = counting(uow)
    async with uow() as u:
        assert await u.holds.release_chat(42, ["t"]) == 1
        await u.commit()
    assert woken == [1]
    async with uow() as u:  # nothing held any more: nothing let go, no one woken
        assert await u.holds.release_chat(42, ["t"]) == 0
        await u.commit()
    assert woken == [1]


async def test_in_a_shared_scope_only_the_committing_unit_of_work_wakes(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    """A handler's units of work share one session (uow.scope): a row queued and rolled back
    by one must not make the next one's commit wake the sender for nothing."""
    woken = counting(uow)
    async with uow.scope():
        async with uow() as u:
            await u.outbox.enqueue([message("d", clock)])
            # leaves without committing: rolled back at its end
        async with uow() as u:
            await u.outbox.counts()
            await u.commit()
        assert woken == []
        async with uow() as u:
            await u.outbox.enqueue([message("e", clock)])
            await u.commit()
        assert woken == [1]
