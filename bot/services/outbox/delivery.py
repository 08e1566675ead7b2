"""The one sender: empties the outbox within Telegram's limits, most urgent first.

Per row: compose what it says now, wait for the rate limiter, send through the Transport
port, then record the result in its own short transaction:
  sent       -> marked sent, the kind's after-send hook runs in the same transaction
  429        -> that chat pauses for retry_after (everyone, when a second chat draws one);
                the same row is tried again after it, keeping its place in line
  5xx, I/O   -> tried again after an exponential back-off, keeping its place in line
  403        -> the row and every other pending row to that chat are blocked, the person
                marked inactive; never retried
  400        -> failed, with the reason
A row whose chat has no budget left is not claimed at all (it would hold the chat's one place
in flight while it waits), and 403s and 400s are handed to `after_failed` (a case's staff
must hear that a child blocked the bot, or that a post about the case could not be made).
A crash between Telegram accepting a message and our commit can repeat that one message: the
only way a duplicate can happen, and at most `concurrency` of them per crash.

Its parts: whose turn it is (turns.py), what one pump holds while it runs (stream.py), and
how results are written down and refusals told (recording.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from bot.domain.outbox import OutboxItem, Priority, SendOutcome
from bot.domain.ratelimit import RateLimiter
from bot.ports import Clock, Transport, UnitOfWorkFactory
from bot.services.outbox.kinds import AfterRefused, RowKinds, composers
from bot.services.outbox.recording import DeliveryStats, Recorder
from bot.services.outbox.stream import Stream
from bot.services.outbox.turns import Turns

log = logging.getLogger(__name__)


class Delivery:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        transport: Transport,
        limiter: RateLimiter,
        kinds: Sequence[RowKinds],
        after_refused: AfterRefused | None = None,
        *,
        batch: int = 50,
        concurrency: int = 8,
        monotonic: Callable[[], float] = time.monotonic,
        serialize_writes: bool = False,
        commit_window: float = 0.01,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.transport = transport
        self.limiter = limiter
        self.kinds = kinds
        self.composers = composers(kinds)
        self.batch = batch
        self.concurrency = concurrency
        self.monotonic = monotonic
        self.stats = DeliveryStats()
        self.owner: int | None = None  # this instance's id (bot/services/cluster.py)
        self.wakeup = asyncio.Event()
        # Set by nudge(): something urgent was queued while a pump may be busy with a
        # broadcast; the pump claims at once and puts it ahead of the lessons it holds.
        self._urgent = False
        # Set by halt() at shutdown: finish what is in flight, claim and start nothing more.
        self._halting = False
        self._pumping: asyncio.Event | None = None
        # SQLite has one writer: concurrent commits would wait in its busy handler, which
        # sleeps in steps of milliseconds. Taking turns here is far faster.
        self.write_turn: asyncio.Lock | contextlib.nullcontext[None] = (
            asyncio.Lock() if serialize_writes else contextlib.nullcontext()
        )
        self.turns = Turns(limiter, monotonic)
        self.recorder = Recorder(
            uow, clock, self.stats, self.write_turn, commit_window, after_refused
        )

    async def run_once(self, now: datetime | None = None) -> int:
        """Claim one batch of due rows and send them; returns how many were claimed."""
        items = await self._claim(now)
        gate = asyncio.Semaphore(self.concurrency)

        async def one(item: OutboxItem) -> bool:
            async with gate:
                return await self._guarded(item)

        results = await asyncio.gather(*(one(item) for item in items))
        await self._settle([item for item, ok in zip(items, results, strict=True) if ok])
        return len(items)

    async def pump(self, now: datetime | None = None) -> int:
        """Keep up to `concurrency` messages in flight until nothing is due: a steady stream,
        not batch after batch with a lull between.

        The next claim starts in the background while the queue still holds `prefetch` rows,
        and the after-batch bookkeeping runs beside the sends, so neither stops new messages
        from starting (at 500/s, a 100 ms pause is 50 messages not sent).
        """
        stream = Stream(self.concurrency, self.batch)
        self._pumping = stream.progress
        try:
            while not (self._halting and stream.idle()):
                # What was claimed but not started when halting is taken over after we leave.
                if stream.take_claimed(self.monotonic()):
                    break
                timeout = self._claim_more(stream, now)
                if not self._halting:
                    stream.start_sends(self._guarded)
                stream.settle_if_ready(self._settle)
                await stream.wait(timeout)
        except asyncio.CancelledError:
            await stream.cancel()
            raise
        finally:
            self._pumping = None
        await stream.finish(self._settle)
        return stream.total

    def _claim_more(self, stream: Stream, now: datetime | None) -> float | None:
        """Start the next claim if one is wanted and due; how long the pump may wait for
        progress before it should look again (None: until something happens)."""
        urgent = self._urgent
        if self._halting or not stream.wants_claim(urgent):
            return None
        wait = 0.0 if urgent else stream.until_claim(self.monotonic())
        if wait > 0:
            return wait
        # Consumed only by a claim that starts after it was raised.
        self._urgent = False
        stream.start_claim(self._claim(now))
        return None

    async def _claim(self, now: datetime | None) -> Sequence[OutboxItem]:
        closed, alerts_only = self.limiter.dry(self.monotonic())
        async with self.write_turn, self.uow() as uow:
            items = await uow.outbox.claim(
                now or self.clock.now(), self.batch, self.owner, closed, alerts_only
            )
            await uow.commit()
        return items

    async def _guarded(self, item: OutboxItem) -> bool:
        try:
            return await self._deliver(item)
        except Exception as exc:  # one poisoned row must not stall the whole queue
            log.exception("outbox %s could not be delivered", item.key)
            await self.recorder.give_up(item, f"internal error: {type(exc).__name__}")
            return False

    async def _settle(self, items: Sequence[OutboxItem]) -> None:
        """Each producer's after-sent step, with the rows of its kinds that went out."""
        for declared in self.kinds:
            mine = (
                list(items)
                if declared.sees_all
                else [i for i in items if i.kind in declared.kinds]
            )
            if not mine or declared.after_sent is None:
                continue
            try:
                async with self.write_turn:
                    await declared.after_sent(mine, self.clock.now())
            except Exception:  # bookkeeping is caught up later; the messages are out
                log.exception("after-sent bookkeeping of %s failed", declared.kinds[0])

    async def drain(self, now: datetime | None = None) -> int:
        """Send everything due at `now` (for `lessons run-due` and tests), waiting for the
        chats that are out of budget to have some again."""
        total = 0
        while True:
            total += await self.pump(now)
            mono = self.monotonic()
            free = self.limiter.next_free(mono)
            if free is None:
                return total
            closed, alerts_only = self.limiter.dry(mono)
            async with self.uow() as uow:
                waiting = await uow.outbox.backlog(
                    [*closed, *alerts_only], now or self.clock.now()
                )
            if not any(waiting.values()):
                return total
            await asyncio.sleep(max(0.001, free - mono))

    async def run_forever(self, stop: asyncio.Event, idle: float = 1.0) -> None:
        async with self.uow() as uow:
            # An earlier process's rows; the other instances' stay theirs while they live.
            requeued = await uow.outbox.requeue_orphaned(self.clock.now())
            await uow.commit()
        if requeued:
            log.warning("requeued %s message(s) left in flight by an earlier process", requeued)
        while not stop.is_set() and not self._halting:
            try:
                claimed = await self.pump()
            except Exception:  # the database hiccuped: log, wait, keep the sender alive
                log.exception("outbox round failed")
                claimed = 0
            if not claimed:
                self.wakeup.clear()
                # A chat out of budget has rows we left unclaimed: look again when it refills.
                now = self.monotonic()
                free = self.limiter.next_free(now)
                timeout = idle if free is None else min(idle, max(0.005, free - now))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wakeup.wait(), timeout=timeout)

    def halt(self) -> None:
        """At shutdown, with a backlog: let the sends in flight finish, start no more; the
        rest stays queued for another instance or the next start."""
        self._halting = True
        self.wakeup.set()
        if self._pumping is not None:
            self._pumping.set()

    def nudge(self) -> None:
        """Something urgent was queued: do not wait for the idle timeout, nor behind the
        lessons a running pump already holds (a broadcast never delays a crisis)."""
        self._urgent = True
        self.wakeup.set()
        if self._pumping is not None:
            self._pumping.set()

    async def _deliver(self, item: OutboxItem) -> bool:
        """True if Telegram accepted it."""
        composer = self.composers.get(item.kind)
        reply = await composer(self.uow, item.kind, item.payload) if composer else None
        if reply is None:
            await self.recorder.skip(item)
            return False
        await self._wait_turn(item.chat_id, item.priority)
        try:
            result = await self.transport.deliver(item.chat_id, item.thread_id, reply, item.locale)
        finally:
            self.turns.landed()
        if result.outcome is SendOutcome.RETRY_AFTER:
            self.limiter.pause(result.retry_after, self.monotonic(), item.chat_id)
        await self.recorder.record(item, result)
        return result.outcome is SendOutcome.SENT

    async def _wait_turn(self, chat_id: int, priority: Priority) -> None:
        await self.turns.take(chat_id, priority)
