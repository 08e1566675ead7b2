"""The outbox sender against scripted Telegram answers (the transport is the only fake)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.db.models import OutboxRow
from bot.db.uow import SqlUnitOfWorkFactory
from bot.domain.outbox import NewMessage, OutboxItem, Priority, SendOutcome, SendResult
from bot.domain.people import Person, PersonStatus, new_person_code
from bot.domain.ratelimit import Limits, RateLimiter
from bot.domain.replies import Reply
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.outbox import Delivery, RowKinds
from bot.services.outbox.recording import Recorder
from tests.support import FixedClock


class ScriptedTransport:
    """Answers per chat from a script (then "sent"), and remembers the order of sends."""

    def __init__(self, script: Mapping[int, list[SendResult]] | None = None) -> None:
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.sent: list[int] = []
        self.calls = 0

    async def deliver(
        self, chat_id: int, thread_id: int | None, reply: Reply, locale: str
    ) -> SendResult:
        self.calls += 1
        queue = self.script.get(chat_id)
        if queue:
            return queue.pop(0)
        self.sent.append(chat_id)
        return SendResult(SendOutcome.SENT, message_id=self.calls)


async def say(uow: UnitOfWorkFactory, kind: str, payload: Mapping[str, object]) -> Reply | None:
    return Reply("errors/oops")


class Ticking:
    """A monotonic clock the limiter sleeps against; fast so tests stay quick."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        self.t += 0.001
        return self.t


def sender(
    uow: SqlUnitOfWorkFactory,
    clock: FixedClock,
    transport: ScriptedTransport,
    limits: Limits | None = None,
    start: float = 0.0,
) -> Delivery:
    return Delivery(
        uow,
        clock,
        transport,
        RateLimiter(limits or Limits(global_per_s=1e6, private_burst=1e6), start),
        [RowKinds(("t",), say)],
        batch=20,
        concurrency=4,
    )


async def known(uow: SqlUnitOfWorkFactory, *chats: int) -> None:
    """People for these chats: lessons and notices go only to people the bot knows."""
    async with uow() as u:
        for chat in chats:
            if await u.people.by_telegram_id(chat) is None:
                await u.people.add(Person(telegram_id=chat, locale="en", code=new_person_code()))
        await u.commit()


async def queue(
    uow: SqlUnitOfWorkFactory,
    clock: FixedClock,
    chat: int,
    key: str,
    priority: Priority = Priority.LESSON,
) -> None:
    if chat > 0 and priority.unsolicited:
        await known(uow, chat)
    async with uow() as u:
        await u.outbox.enqueue([NewMessage(key, chat, "t", priority, "en", clock.now())])
        await u.commit()


async def statuses(uow: SqlUnitOfWorkFactory) -> dict[str, str]:
    async with uow() as u:
        return dict((await u.session.execute(select(OutboxRow.key, OutboxRow.status))).all())


async def test_enqueue_is_idempotent_by_key(uow: SqlUnitOfWorkFactory, clock: FixedClock) -> None:
    await queue(uow, clock, 1, "lesson:1:a")
    await queue(uow, clock, 1, "lesson:1:a")
    assert await statuses(uow) == {"lesson:1:a": "pending"}


async def test_crisis_goes_before_a_lesson_broadcast(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    for chat in range(100, 160):
        await queue(uow, clock, chat, f"lesson:{chat}")
    clock.advance(seconds=1)
    await queue(uow, clock, 7, "relay:7", Priority.RELAY)
    transport = ScriptedTransport()
    await sender(uow, clock, transport).drain(clock.now())
    assert transport.sent[0] == 7 and len(transport.sent) == 61


async def test_429_waits_and_retries_the_same_message(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    await queue(uow, clock, 1, "k1")
    transport = ScriptedTransport({1: [SendResult(SendOutcome.RETRY_AFTER, retry_after=1)]})
    delivery = sender(uow, clock, transport)
    await delivery.drain(clock.now())
    assert await statuses(uow) == {"k1": "pending"}
    # That chat pauses, not everyone: another chat's message goes at once.
    assert delivery.limiter.dry(delivery.monotonic())[0] == {1}
    assert delivery.limiter.paused_until == 0
    await queue(uow, clock, 2, "k2")
    await delivery.drain(clock.now() + timedelta(seconds=0.5))
    assert transport.sent == [2]  # and k1 not before retry_after
    await delivery.drain(clock.now() + timedelta(seconds=1))
    assert transport.sent == [2, 1] and await statuses(uow) == {"k1": "sent", "k2": "sent"}
    assert delivery.stats.rate_limited == 1 and delivery.stats.failed == 0


async def test_5xx_backs_off_then_succeeds(uow: SqlUnitOfWorkFactory, clock: FixedClock) -> None:
    await queue(uow, clock, 1, "k1")
    transport = ScriptedTransport({1: [SendResult(SendOutcome.TRANSIENT, error="502")] * 2})
    delivery = sender(uow, clock, transport)
    await delivery.drain(clock.now())
    await delivery.drain(clock.now() + timedelta(seconds=1))
    assert transport.calls == 1  # backing off
    await delivery.drain(clock.now() + timedelta(seconds=2))
    await delivery.drain(clock.now() + timedelta(seconds=6))
    assert transport.sent == [1] and delivery.stats.retried == 2


async def test_403_blocks_the_chat_and_marks_the_person(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    async with uow() as u:
        await u.people.add(Person(telegram_id=1, locale="en", code=new_person_code()))
        await u.commit()
    await queue(uow, clock, 1, "k1")
    clock.advance(seconds=1)
    await queue(uow, clock, 1, "k2")
    await queue(uow, clock, 2, "other")
    transport = ScriptedTransport({1: [SendResult(SendOutcome.FORBIDDEN, error="blocked")]})
    await sender(uow, clock, transport).drain(clock.now())
    assert await statuses(uow) == {"k1": "blocked", "k2": "blocked", "other": "sent"}
    assert transport.calls == 2  # never retried
    async with uow() as u:
        person = await u.people.by_telegram_id(1)
    assert person is not None and person.status is PersonStatus.INACTIVE


async def test_400_fails_with_the_reason(uow: SqlUnitOfWorkFactory, clock: FixedClock) -> None:
    await queue(uow, clock, 1, "k1")
    transport = ScriptedTransport(
        {1: [SendResult(SendOutcome.BAD_REQUEST, error="chat not found")]}
    )
    await sender(uow, clock, transport).drain(clock.now())
    async with uow() as u:
        row = await u.session.scalar(select(OutboxRow))
        assert row is not None and (row.status, row.last_error) == ("failed", "chat not found")


async def test_one_chat_one_message_at_a_time_in_order(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    for n in range(5):
        await queue(uow, clock, 1, f"m{n}")
        clock.advance(seconds=1)
    transport = ScriptedTransport()
    delivery = sender(uow, clock, transport)
    assert await delivery.run_once(clock.now()) == 1  # one per chat per claim
    await delivery.drain(clock.now())
    async with uow() as u:
        order = list(await u.session.scalars(select(OutboxRow.key).order_by(OutboxRow.message_id)))
    assert order == ["m0", "m1", "m2", "m3", "m4"]


async def test_stale_in_flight_rows_are_requeued(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    await queue(uow, clock, 1, "k1")
    async with uow() as u:
        (_claimed,) = await u.outbox.claim(clock.now(), 10)
        await u.commit()
    # The process died here. Another start puts it back.
    async with uow() as u:
        assert await u.outbox.requeue_orphaned(clock.now() + timedelta(seconds=1)) == 1
        await u.commit()
    transport = ScriptedTransport()
    await sender(uow, clock, transport).drain(clock.now())
    assert transport.sent == [1]


async def test_a_composer_that_raises_fails_only_its_row(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    async def broken(
        uow: UnitOfWorkFactory, kind: str, payload: Mapping[str, object]
    ) -> Reply | None:
        raise KeyError("bad payload")

    await known(uow, 1, 2)
    async with uow() as u:
        await u.outbox.enqueue(
            [
                NewMessage("bad", 1, "x", Priority.LESSON, "en", clock.now()),
                NewMessage("good", 2, "t", Priority.LESSON, "en", clock.now()),
            ]
        )
        await u.commit()
    transport = ScriptedTransport()
    delivery = Delivery(
        uow,
        clock,
        transport,
        RateLimiter(Limits(global_per_s=1e6), 0.0),
        [RowKinds(("t",), say), RowKinds(("x",), broken)],
    )
    await delivery.drain(clock.now())
    assert await statuses(uow) == {"bad": "failed", "good": "sent"}


class TimedTransport(ScriptedTransport):
    """Also notes when each request went out and when its answer came back."""

    def __init__(
        self, script: Mapping[int, list[SendResult]] | None = None, latency: float = 0.0
    ) -> None:
        super().__init__(script)
        self.latency = latency
        self.times: list[tuple[int, float, float]] = []

    async def deliver(
        self, chat_id: int, thread_id: int | None, reply: Reply, locale: str
    ) -> SendResult:
        start = time.monotonic()
        if self.latency:
            await asyncio.sleep(self.latency)
        result = await super().deliver(chat_id, thread_id, reply, locale)
        self.times.append((chat_id, start, time.monotonic()))
        return result


async def test_a_429_holds_back_its_own_chat_only(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    """A staff group's retry_after of 35 s froze counsellors' answers to children for 35 s."""
    for chat in range(1, 7):
        await queue(uow, clock, chat, f"k{chat}")
    transport = TimedTransport(
        {1: [SendResult(SendOutcome.RETRY_AFTER, retry_after=0.5)]}, latency=0.12
    )
    delivery = sender(uow, clock, transport, Limits(global_per_s=20))
    await delivery.drain(clock.now())
    (_, _, answered), *others = sorted(transport.times, key=lambda t: t[0] != 1)
    assert len(others) == 5
    assert [s for _, s, _ in others if answered < s < answered + 0.5]  # others went on


async def test_a_429_from_a_second_chat_stops_everyone_waiting_for_a_turn(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    for chat in range(1, 9):
        await queue(uow, clock, chat, f"k{chat}")
    rate_limited = [SendResult(SendOutcome.RETRY_AFTER, retry_after=0.5)]
    transport = TimedTransport({1: rate_limited, 2: list(rate_limited)}, latency=0.12)
    delivery = sender(uow, clock, transport, Limits(global_per_s=20))
    await delivery.drain(clock.now())
    first_two = [t for t in transport.times if t[0] in (1, 2)][:2]
    answered = max(end for _, _, end in first_two)
    others = [t for t in transport.times if t[0] > 2]
    assert len(others) == 6
    # Others were waiting for their turns when the second 429 came back: none went out
    # during the pause (those sent before it was known are fine).
    assert not [s for _, s, _ in others if answered < s < answered + 0.5]
    assert [s for _, s, _ in others if s > answered]  # and some did wait


async def test_no_second_holds_more_than_the_limit_of_unanswered_or_recent_requests(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    for chat in range(1, 41):
        await queue(uow, clock, chat, f"k{chat}")
    transport = TimedTransport(latency=0.05)
    limits = Limits(global_per_s=25, global_headroom=1.0, global_catch_up_s=1.0)
    delivery = Delivery(
        uow,
        clock,
        transport,
        RateLimiter(limits, time.monotonic()),
        [RowKinds(("t",), say)],
        batch=40,
        concurrency=40,
    )
    await delivery.drain(clock.now())
    assert len(transport.times) == 40
    # Wherever in its request a server counted each message, no second could hold over 25.
    for _, _, answered in transport.times:
        window = [s for _, s, e in transport.times if s <= answered and e > answered - 1.0]
        assert len(window) <= 25


async def test_results_that_arrive_during_a_group_commit_are_committed_too(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    committing = asyncio.Event()

    class SlowCommits(Recorder):
        async def _apply(
            self, uow: UnitOfWork, batch: Sequence[tuple[OutboxItem, SendResult, object]]
        ) -> None:
            committing.set()
            await asyncio.sleep(0.05)
            await super()._apply(uow, batch)

    class SecondWaits(ScriptedTransport):
        async def deliver(
            self, chat_id: int, thread_id: int | None, reply: Reply, locale: str
        ) -> SendResult:
            if chat_id == 2:
                await committing.wait()  # answered while the first result is being committed
            return await super().deliver(chat_id, thread_id, reply, locale)

    await queue(uow, clock, 1, "first")
    await queue(uow, clock, 2, "second")
    delivery = Delivery(
        uow,
        clock,
        SecondWaits(),
        RateLimiter(Limits(global_per_s=1e6), 0.0),
        [RowKinds(("t",), say)],
    )
    r = delivery.recorder
    delivery.recorder = SlowCommits(uow, clock, r.stats, r.write_turn, r.commit_window, None)
    await asyncio.wait_for(delivery.drain(clock.now()), timeout=10)  # no result left behind
    assert await statuses(uow) == {"first": "sent", "second": "sent"}


async def test_bookkeeping_runs_beside_the_sends_not_between_them(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    for chat in range(1, 61):
        await queue(uow, clock, chat, f"k{chat}")
    settled: list[tuple[int, float]] = []

    async def slow_settle(items: Sequence[OutboxItem], now: datetime) -> None:
        if not settled:
            await asyncio.sleep(1.0)
        settled.append((len(items), time.monotonic()))

    transport = TimedTransport()
    delivery = Delivery(
        uow,
        clock,
        transport,
        RateLimiter(Limits(global_per_s=1e6, private_burst=1e6), 0.0),
        [RowKinds(("t",), say, after_sent=slow_settle)],
        batch=20,
        concurrency=4,
    )
    await delivery.drain(clock.now())
    assert sum(n for n, _ in settled) == 60
    # Everything went out while the first batch's bookkeeping was still running.
    assert max(end for _, _, end in transport.times) < settled[0][1]


async def test_an_urgent_message_waiting_for_a_turn_goes_before_lessons_that_waited_longer(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    for chat in range(1, 9):
        await queue(uow, clock, chat, f"lesson:{chat}")

    class CrisisArrives(ScriptedTransport):
        """A child writes while the first lesson is on its way."""

        def __init__(self) -> None:
            super().__init__()
            self.order: list[int] = []

        async def deliver(
            self, chat_id: int, thread_id: int | None, reply: Reply, locale: str
        ) -> SendResult:
            self.order.append(chat_id)
            if chat_id == 1:
                await queue(uow, clock, 99, "relay:99", Priority.RELAY)
                delivery.nudge()
            return await super().deliver(chat_id, thread_id, reply, locale)

    transport = CrisisArrives()
    # A turn every ~250 ms, none at once: lessons 2-4 ask for theirs as the first one goes out,
    # before the crisis is even queued. (At 100 ms a turn, queueing the crisis on PostgreSQL on a
    # loaded machine took longer than a turn, and lesson 3 went first.)
    delivery = sender(uow, clock, transport, Limits(global_per_s=4), start=time.monotonic())
    await delivery.drain(clock.now())
    assert sorted(transport.order) == [*range(1, 9), 99]
    assert transport.order.index(99) < transport.order.index(3)


async def test_turns_go_to_the_most_urgent_then_to_whoever_asked_first(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    limits = Limits(global_per_s=50)
    delivery = sender(uow, clock, ScriptedTransport(), limits, start=time.monotonic())
    given: list[int] = []

    async def wait(chat: int, priority: Priority) -> None:
        await delivery._wait_turn(chat, priority)
        given.append(chat)

    asks = [
        (1, Priority.LESSON),  # the budget is free: at once
        (2, Priority.LESSON),
        (3, Priority.NOTICE),
        (4, Priority.LESSON),
        (5, Priority.RELAY),  # gives up while it waits
        (6, Priority.RELAY),
    ]
    tasks = {chat: asyncio.create_task(wait(chat, p)) for chat, p in asks}
    await asyncio.sleep(0)  # everyone has asked
    tasks[5].cancel()
    await asyncio.wait_for(asyncio.gather(*tasks.values(), return_exceptions=True), 5)
    assert given == [1, 6, 3, 2, 4]
    assert delivery.limiter.unanswered == 5  # the one that gave up spent nothing


class SlowTransport(ScriptedTransport):
    """Each send takes a while, so a shutdown finds some in flight; remembers cancellations."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.started = asyncio.Event()
        self.cancelled = 0

    async def deliver(
        self, chat_id: int, thread_id: int | None, reply: Reply, locale: str
    ) -> SendResult:
        self.started.set()
        try:
            await asyncio.sleep(self.seconds)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        return await super().deliver(chat_id, thread_id, reply, locale)


async def _backlog(uow: SqlUnitOfWorkFactory, clock: FixedClock, n: int) -> None:
    for chat in range(1, n + 1):
        await queue(uow, clock, chat, f"lesson:{chat}")


async def test_halting_with_a_backlog_finishes_what_is_in_flight_and_fails_nothing(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    await _backlog(uow, clock, 40)
    transport = SlowTransport(0.3)
    delivery = sender(uow, clock, transport)
    stop = asyncio.Event()
    running = asyncio.create_task(delivery.run_forever(stop))
    await transport.started.wait()
    stop.set()
    delivery.halt()
    await asyncio.wait_for(running, 10)
    rows = await statuses(uow)
    assert "failed" not in rows.values()
    sent = [k for k, v in rows.items() if v == "sent"]
    assert len(sent) == len(transport.sent) >= 1  # the ones in flight were let finish
    assert len(sent) < 40  # and no more were started
    async with uow() as u:  # at the next start (or by another instance) the rest go out
        await u.outbox.requeue_orphaned(clock.now() + timedelta(seconds=1))
        await u.commit()
    assert await sender(uow, clock, ScriptedTransport()).drain(clock.now()) == 40 - len(sent)


async def test_a_sender_cancelled_mid_send_cancels_its_sends_and_fails_nothing(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    await _backlog(uow, clock, 10)
    transport = SlowTransport(30.0)
    delivery = sender(uow, clock, transport)
    running = asyncio.create_task(delivery.run_forever(asyncio.Event()))
    await transport.started.wait()
    running.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running
    assert transport.cancelled >= 1
    rows = await statuses(uow)
    assert "failed" not in rows.values()
    assert "sent" not in rows.values()


class KeyedTransport(ScriptedTransport):
    """Also remembers which row each send was (its payload's `k`)."""

    def __init__(self, script: Mapping[int, list[SendResult]] | None = None) -> None:
        super().__init__(script)
        self.keys: list[str] = []

    async def deliver(
        self, chat_id: int, thread_id: int | None, reply: Reply, locale: str
    ) -> SendResult:
        result = await super().deliver(chat_id, thread_id, reply, locale)
        if result.outcome is SendOutcome.SENT:
            self.keys.append(str(reply.data["k"]))
        return result


async def keyed(uow: UnitOfWorkFactory, kind: str, payload: Mapping[str, object]) -> Reply:
    return Reply("errors/oops", {"k": payload["k"]})


def keyed_sender(
    uow: SqlUnitOfWorkFactory, clock: FixedClock, transport: ScriptedTransport
) -> Delivery:
    return Delivery(
        uow,
        clock,
        transport,
        RateLimiter(Limits(global_per_s=1e6, private_burst=1e6, group_per_min=1e6), 0.0),
        [RowKinds(("t",), keyed)],
    )


async def put(
    uow: SqlUnitOfWorkFactory, chat: int, key: str, priority: Priority, at: datetime
) -> None:
    async with uow() as u:
        await u.outbox.enqueue([NewMessage(key, chat, "t", priority, "en", at, {"k": key})])
        await u.commit()


async def test_a_retried_row_keeps_its_place_and_is_not_overtaken(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    """A child's words reached the topic out of order: a retried row got a later due time and
    a newer post of the same case went first."""
    await put(uow, -100, "words-1", Priority.RELAY, clock.now())
    transport = KeyedTransport({-100: [SendResult(SendOutcome.TRANSIENT, error="502")]})
    delivery = keyed_sender(uow, clock, transport)
    await delivery.drain(clock.now())  # refused once: not before 2 s from now
    await put(uow, -100, "words-2", Priority.RELAY, clock.now() + timedelta(seconds=1))
    await delivery.drain(clock.now() + timedelta(seconds=1))
    assert transport.keys == []  # the newer post waits behind the retried one
    # Something more urgent for the chat is not held back by it, though.
    await put(uow, -100, "new-case", Priority.ALERT, clock.now() + timedelta(seconds=1))
    await delivery.drain(clock.now() + timedelta(seconds=1))
    assert transport.keys == ["new-case"]
    await delivery.drain(clock.now() + timedelta(seconds=2))
    assert transport.keys == ["new-case", "words-1", "words-2"]


async def test_a_group_out_of_budget_for_chat_still_takes_an_alert(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    """A relay waiting for the group's next token held the chat's one place in flight, and a
    new case's card waited behind it."""
    limiter = RateLimiter(Limits(global_per_s=1e6, group_per_min=20), 0.0)
    delivery = Delivery(uow, clock, KeyedTransport(), limiter, kinds=[RowKinds(("t",), keyed)])
    for n in range(4):  # the group's chat spends its burst, all but the reserve
        await put(uow, -100, f"words-{n}", Priority.RELAY, clock.now())
    transport = delivery.transport
    assert isinstance(transport, KeyedTransport)
    # Not drain: it would wait for the group's next token; one round is what matters here.
    await delivery.pump(clock.now())
    assert transport.keys == ["words-0", "words-1"]
    _, alerts_only = limiter.dry(delivery.monotonic())
    assert -100 in alerts_only
    await put(uow, -100, "topic", Priority.ALERT, clock.now())
    await delivery.pump(clock.now())
    # The alert went in this round, not behind the next chat token (4 s).
    assert transport.keys == ["words-0", "words-1", "topic"]
    async with uow() as u:
        rows = dict((await u.session.execute(select(OutboxRow.key, OutboxRow.status))).all())
    assert rows["words-2"] == "pending" and rows["words-3"] == "pending"


async def test_nothing_unsolicited_goes_to_a_person_who_stopped_or_is_gone(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    """A guardian sent /stop and was told no more messages would come; the next run still
    sent "这周的小任务试过了吗？". Checked when the row is claimed, whatever queued it."""
    await known(uow, 1, 2)
    async with uow() as u:
        person = await u.people.by_telegram_id(1)
        assert person is not None
        person.status = PersonStatus.STOPPED
        await u.people.save(person)
        await u.commit()
    for chat, key, priority in [
        (1, "check-in", Priority.LESSON),
        (1, "notice", Priority.NOTICE),
        (1, "answer", Priority.INTERACTIVE),  # they asked: it still goes
        (2, "lesson", Priority.LESSON),  # another person who still wants lessons
        (3, "lesson-to-nobody", Priority.LESSON),  # erased: no such person any more
    ]:
        await put(uow, chat, key, priority, clock.now())
    transport = KeyedTransport()
    await keyed_sender(uow, clock, transport).drain(clock.now())
    assert sorted(transport.keys) == ["answer", "lesson"]
    assert await statuses(uow) == {
        "check-in": "cancelled",
        "notice": "cancelled",
        "answer": "sent",
        "lesson": "sent",
        "lesson-to-nobody": "cancelled",
    }
