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
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from bot.domain.outbox import (
    OutboxItem,
    OutboxStatus,
    Priority,
    SendOutcome,
    SendResult,
    backoff,
)
from bot.domain.people import PersonStatus
from bot.domain.ratelimit import RateLimiter
from bot.ports import Clock, Transport, UnitOfWork, UnitOfWorkFactory
from bot.services.outbox.kinds import AfterRefused, RowKinds, composers

log = logging.getLogger(__name__)


@dataclass
class DeliveryStats:
    sent: int = 0
    retried: int = 0
    rate_limited: int = 0
    blocked: int = 0
    failed: int = 0
    skipped: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)


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
        self.after_failed = after_refused
        self._aftermath: set[asyncio.Task[None]] = set()
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
        self.commit_window = commit_window
        self._results: list[tuple[OutboxItem, SendResult, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        # Who waits for a turn of the global budget, a heap: most urgent first, then oldest.
        self._turns: list[tuple[int, int, asyncio.Future[None]]] = []
        self._asked = itertools.count()
        self._pacer: asyncio.Task[None] | None = None
        self._answer = asyncio.Event()  # set whenever a request gets its answer
        # SQLite has one writer: concurrent commits would wait in its busy handler, which
        # sleeps in steps of milliseconds. Taking turns here is far faster.
        self.write_turn: asyncio.Lock | contextlib.nullcontext[None] = (
            asyncio.Lock() if serialize_writes else contextlib.nullcontext()
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
        queue: deque[OutboxItem] = deque()
        inflight: set[asyncio.Task[bool]] = set()
        sent: list[OutboxItem] = []
        progress = asyncio.Event()
        finished = 0  # sends that have ended, to tell whether a claim may have missed a chat
        claiming: asyncio.Task[Sequence[OutboxItem]] | None = None
        claimed_after = 0
        settling: asyncio.Task[None] | None = None
        total = 0
        exhausted = False
        last_claim = -1.0
        prefetch = max(self.concurrency, self.batch // 2)
        self._pumping = progress

        def ended(item: OutboxItem, task: asyncio.Task[bool]) -> None:
            nonlocal finished
            inflight.discard(task)
            finished += 1
            if task.cancelled():
                pass
            elif (exc := task.exception()) is not None:  # even giving up failed: the row stays
                log.error("outbox %s was left in flight", item.key, exc_info=exc)  # 'sending'
            elif task.result():
                sent.append(item)
            progress.set()

        def wake(_: object) -> None:
            progress.set()

        try:
            while True:
                if self._halting and not inflight and (claiming is None or claiming.done()):
                    break  # what was claimed but not started is taken over after we leave
                if claiming is not None and claiming.done():
                    items = claiming.result()
                    claiming = None
                    last_claim = self.monotonic()
                    # Most urgent first, also ahead of what was claimed before (a claim made for a
                    # nudge may bring a crisis while lessons still wait in the queue).
                    queue = deque(sorted([*queue, *items], key=_urgency))
                    total += len(items)
                    # A chat whose message ended meanwhile may have its next one due by now.
                    exhausted = not items and finished == claimed_after
                    if exhausted and not queue and not inflight:
                        break
                elif exhausted and finished != claimed_after:
                    exhausted = False  # a chat that just finished may have its next message
                timeout: float | None = None
                urgent = self._urgent
                if (
                    claiming is None
                    and not self._halting
                    and (urgent or (len(queue) < prefetch and not (exhausted and inflight)))
                ):
                    timeout = None if urgent else last_claim + 0.05 - self.monotonic()
                    if timeout is None or timeout <= 0:
                        # Consumed only by a claim that starts after it was raised.
                        self._urgent = False
                        timeout = None
                        claimed_after = finished
                        claiming = asyncio.create_task(self._claim(now))
                        claiming.add_done_callback(wake)
                while queue and len(inflight) < self.concurrency and not self._halting:
                    item = queue.popleft()
                    task = asyncio.create_task(self._guarded(item))
                    task.add_done_callback(partial(ended, item))
                    inflight.add(task)
                # A case's topic must be recorded before its card can follow: settle at once.
                ready = (
                    len(sent) >= self.batch
                    or (sent and not inflight)
                    or any(i.priority is Priority.ALERT for i in sent)
                )
                if ready and (settling is None or settling.done()):
                    settling = asyncio.create_task(self._settle(sent[:]))
                    settling.add_done_callback(wake)
                    sent.clear()
                progress.clear()
                if timeout is None:
                    await progress.wait()
                else:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(timeout):
                            await progress.wait()
        except asyncio.CancelledError:
            # Cancelled at shutdown: the sends in flight are cancelled too, not left to run
            # into a closed HTTP session and be marked failed. Their rows stay 'sending' under
            # this instance's id and go back to the queue once it has left (cluster sweep).
            for task in inflight:
                task.cancel()
            await asyncio.gather(*inflight, return_exceptions=True)
            raise
        finally:
            self._pumping = None
        if settling is not None:
            await settling
        await self._settle(sent)
        return total

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
            await self._give_up(item, f"internal error: {type(exc).__name__}")
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
            async with self.uow() as uow:
                await uow.outbox.give_up(item.id, OutboxStatus.SENT, "nothing to say anymore")
                await uow.commit()
            self.stats.skipped += 1
            return False
        await self._wait_turn(item.chat_id, item.priority)
        try:
            result = await self.transport.deliver(item.chat_id, item.thread_id, reply, item.locale)
        finally:
            self.limiter.landed(self.monotonic())
            self._answer.set()
        await self._record(item, result)
        return result.outcome is SendOutcome.SENT

    async def _give_up(self, item: OutboxItem, error: str) -> None:
        async with self.uow() as uow:
            await uow.outbox.give_up(item.id, OutboxStatus.FAILED, error)
            await uow.commit()
        self.stats.failed += 1

    async def _wait_turn(self, chat_id: int, priority: Priority) -> None:
        """Wait for this chat's own budget, then for a turn of the global one."""
        urgent = priority is Priority.ALERT
        # The limiter says how long to wait; there is no event to wait on instead.
        while (wait := self.limiter.chat_delay(chat_id, self.monotonic(), urgent)) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)
        self.limiter.take_chat(chat_id, self.monotonic())
        now = self.monotonic()
        if not self._turns and self.limiter.global_wait(now) <= 0:
            self.limiter.spend(now)
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._turns, (int(priority), next(self._asked), turn))
        if self._pacer is None or self._pacer.done():
            self._pacer = asyncio.create_task(self._pace())
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():  # given a turn, then cancelled: unsent
                self.limiter.landed(self.monotonic())
            raise

    async def _pace(self) -> None:
        """Hand out turns of the global budget, most urgent first, then first come first served.

        One timer for everyone waiting, and each turn is checked against the limiter at the
        moment it is given: a 429 that arrives meanwhile, or a late wake-up, is seen then,
        not when the turn was first asked for. Who gets it is decided then too: a crisis that
        asks while lessons wait takes the next turn, not one after theirs (at 25/s, the seven
        lessons a busy pump of eight holds cost each of a case's two posts 0.3 s).
        """
        while self._turns:
            if self._turns[0][2].done():  # its sender was cancelled
                heapq.heappop(self._turns)
                continue
            now = self.monotonic()
            wait = self.limiter.global_wait(now)
            if wait == math.inf:  # too many requests unanswered: the next answer may free one
                self._answer.clear()
                await self._answer.wait()
                continue
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            _, _, turn = heapq.heappop(self._turns)
            self.limiter.spend(now)
            turn.set_result(None)

    async def _record(self, item: OutboxItem, result: SendResult) -> None:
        """Queue the result for the next group commit and wait until it is durable.

        Results are written together every `commit_window` seconds: one transaction for many
        messages instead of one each. The price is the crash window: messages Telegram
        accepted in the last window before a crash are sent again after it (at most one
        window's worth, and each counted as a duplicate by the reliability tests).
        """
        self.stats.by_outcome[result.outcome.value] = (
            self.stats.by_outcome.get(result.outcome.value, 0) + 1
        )
        if result.outcome is SendOutcome.RETRY_AFTER:
            self.limiter.pause(result.retry_after, self.monotonic(), item.chat_id)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._results.append((item, result, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon())
        await done

    async def _flush_soon(self) -> None:
        # Results that arrive while a commit is under way are not left behind: `_record` only
        # starts a flusher when none is running, so this one goes round until none are left.
        while self._results:
            await asyncio.sleep(self.commit_window)
            batch, self._results = self._results, []
            try:
                async with self.write_turn, self.uow() as uow:
                    await self._apply(uow, batch)
                    await uow.commit()
            except Exception as exc:  # noqa: BLE001 - nothing recorded: the rows stay
                # 'sending' and are requeued after a restart; every waiter learns why.
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for _, _, done in batch:
                if not done.done():
                    done.set_result(None)
            refused = [(i, r) for i, r, _ in batch if r.outcome in _REFUSED]
            if refused and self.after_failed is not None:
                task = asyncio.create_task(self._tell_failed(refused))
                self._aftermath.add(task)
                task.add_done_callback(self._aftermath.discard)

    async def _tell_failed(self, refused: Sequence[tuple[OutboxItem, SendResult]]) -> None:
        assert self.after_failed is not None
        try:
            async with self.write_turn:
                await self.after_failed(refused, self.clock.now())
        except Exception:  # the rows' fate is recorded; telling someone is best effort
            log.exception("telling staff about refused messages failed")

    async def _apply(
        self, uow: UnitOfWork, batch: Sequence[tuple[OutboxItem, SendResult, object]]
    ) -> None:
        now = self.clock.now()
        sent = [(i.id, r.message_id) for i, r, _ in batch if r.outcome is SendOutcome.SENT]
        await uow.outbox.mark_sent_many(sent, now)
        self.stats.sent += len(sent)
        for item, result, _ in batch:
            outcome = result.outcome
            if outcome is SendOutcome.SENT:
                continue
            if outcome is SendOutcome.RETRY_AFTER:
                await uow.outbox.retry(
                    item.id, now + timedelta(seconds=result.retry_after), result.error
                )
                self.stats.rate_limited += 1
            elif outcome is SendOutcome.TRANSIENT:
                await uow.outbox.retry(item.id, now + backoff(item.attempts), result.error)
                self.stats.retried += 1
            elif outcome is SendOutcome.FORBIDDEN:
                await uow.outbox.give_up(item.id, OutboxStatus.BLOCKED, result.error)
                await uow.outbox.block_chat(item.chat_id, result.error)
                if item.chat_id > 0:
                    person = await uow.people.by_telegram_id(item.chat_id)
                    if person is not None:
                        person.status = PersonStatus.INACTIVE
                        await uow.people.save(person)
                self.stats.blocked += 1
            else:
                await uow.outbox.give_up(item.id, OutboxStatus.FAILED, result.error)
                log.warning("outbox %s failed: %s", item.key, result.error)
                self.stats.failed += 1


_REFUSED = (SendOutcome.FORBIDDEN, SendOutcome.BAD_REQUEST)


def _urgency(item: OutboxItem) -> tuple[int, datetime, int]:
    return (int(item.priority), item.due_at, item.id)
