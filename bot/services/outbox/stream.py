"""What one pump holds while it keeps messages flowing: the rows claimed and not started, the
sends in flight, the sent rows waiting for their after-sent step, and the claim under way.

Apart from the sender so that the pump reads as its few steps (take a claim in, claim more,
start sends, settle, wait) and each step's bookkeeping has a name.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from bot.domain.outbox import OutboxItem, Priority

log = logging.getLogger(__name__)

# At most one claim per 50 ms unless something urgent was queued: a queue that runs low while
# the outbox has nothing more due does not ask the database in a tight loop.
CLAIM_GAP = 0.05

Claimed = Sequence[OutboxItem]
Settle = Callable[[Sequence[OutboxItem]], Coroutine[Any, Any, None]]


class Stream:
    def __init__(self, concurrency: int, batch: int) -> None:
        self.concurrency = concurrency
        self.batch = batch
        # The next claim starts while the queue still holds this many rows.
        self.prefetch = max(concurrency, batch // 2)
        self.queue: deque[OutboxItem] = deque()
        self.inflight: set[asyncio.Task[bool]] = set()
        self.sent: list[OutboxItem] = []
        self.progress = asyncio.Event()
        self.finished = 0  # sends that have ended, to tell whether a claim may have missed a chat
        self.claiming: asyncio.Task[Claimed] | None = None
        self.claimed_after = 0  # `finished` when the last claim started
        self.settling: asyncio.Task[None] | None = None
        self.total = 0
        self.exhausted = False
        self.last_claim = -1.0

    def idle(self) -> bool:
        """Nothing in flight and no claim under way."""
        return not self.inflight and (self.claiming is None or self.claiming.done())

    def take_claimed(self, now: float) -> bool:
        """Put a finished claim's rows in line; True once nothing is due, queued or in flight."""
        if self.claiming is None or not self.claiming.done():
            if self.exhausted and self.finished != self.claimed_after:
                self.exhausted = False  # a chat that just finished may have its next message
            return False
        items = self.claiming.result()
        self.claiming = None
        self.last_claim = now
        # Most urgent first, also ahead of what was claimed before (a claim made for a nudge
        # may bring a crisis while lessons still wait in the queue).
        self.queue = deque(sorted([*self.queue, *items], key=_urgency))
        self.total += len(items)
        # A chat whose message ended meanwhile may have its next one due by now.
        self.exhausted = not items and self.finished == self.claimed_after
        return self.exhausted and not self.queue and not self.inflight

    def wants_claim(self, urgent: bool) -> bool:
        """Something urgent was queued, or the queue runs low and the outbox may hold more."""
        if self.claiming is not None:
            return False
        running_low = len(self.queue) < self.prefetch
        return urgent or (running_low and not (self.exhausted and bool(self.inflight)))

    def until_claim(self, now: float) -> float:
        """How long the next claim that nothing urgent asked for should wait."""
        return self.last_claim + CLAIM_GAP - now

    def start_claim(self, claim: Coroutine[Any, Any, Claimed]) -> None:
        self.claimed_after = self.finished
        self.claiming = asyncio.create_task(claim)
        self.claiming.add_done_callback(self._wake)

    def start_sends(self, send: Callable[[OutboxItem], Coroutine[Any, Any, bool]]) -> None:
        """Keep up to `concurrency` sends in flight, most urgent first."""
        while self.queue and len(self.inflight) < self.concurrency:
            item = self.queue.popleft()
            task = asyncio.create_task(send(item))
            task.add_done_callback(partial(self._ended, item))
            self.inflight.add(task)

    def settle_if_ready(self, settle: Settle) -> None:
        """Run the after-sent steps beside the sends, never two at once."""
        if not self._ready() or (self.settling is not None and not self.settling.done()):
            return
        self.settling = asyncio.create_task(settle(self.sent[:]))
        self.settling.add_done_callback(self._wake)
        self.sent.clear()

    async def wait(self, timeout: float | None) -> None:
        """Until a send ends, a claim or a settling is done, or someone wakes the pump."""
        self.progress.clear()
        if timeout is None:
            await self.progress.wait()
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self.progress.wait()

    async def cancel(self) -> None:
        """Cancelled at shutdown: the sends in flight are cancelled too, not left to run into
        a closed HTTP session and be marked failed. Their rows stay 'sending' under this
        instance's id and go back to the queue once it has left (cluster sweep)."""
        for task in self.inflight:
            task.cancel()
        await asyncio.gather(*self.inflight, return_exceptions=True)

    async def finish(self, settle: Settle) -> None:
        """The pump stops: the settling under way ends, then the rest is settled."""
        if self.settling is not None:
            await self.settling
        await settle(self.sent)

    def _ready(self) -> bool:
        # A case's topic must be recorded before its card can follow: settle at once.
        return (
            len(self.sent) >= self.batch
            or (bool(self.sent) and not self.inflight)
            or any(i.priority is Priority.ALERT for i in self.sent)
        )

    def _ended(self, item: OutboxItem, task: asyncio.Task[bool]) -> None:
        self.inflight.discard(task)
        self.finished += 1
        if task.cancelled():
            pass
        elif (exc := task.exception()) is not None:  # even giving up failed: the row stays
            log.error("outbox %s was left in flight", item.key, exc_info=exc)  # 'sending'
        elif task.result():
            self.sent.append(item)
        self.progress.set()

    def _wake(self, _: object) -> None:
        self.progress.set()


def _urgency(item: OutboxItem) -> tuple[int, datetime, int]:
    return (int(item.priority), item.due_at, item.id)
