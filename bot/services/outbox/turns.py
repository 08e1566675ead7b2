"""Turns of the send budget: a chat's own, then the bot's global one, most urgent first.

Apart from the sender's loop because it is the one place that decides who goes next when the
global budget is short, and that order is what keeps a crisis ahead of a broadcast.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
from collections.abc import Callable

from bot.domain.outbox import Priority
from bot.domain.ratelimit import RateLimiter


class Turns:
    def __init__(self, limiter: RateLimiter, monotonic: Callable[[], float]) -> None:
        self.limiter = limiter
        self.monotonic = monotonic
        # Who waits for a turn of the global budget, a heap: most urgent first, then oldest.
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._asked = itertools.count()
        self._pacer: asyncio.Task[None] | None = None
        self._answer = asyncio.Event()  # set whenever a request gets its answer

    async def take(self, chat_id: int, priority: Priority) -> None:
        """Wait for this chat's own budget, then for a turn of the global one."""
        urgent = priority is Priority.ALERT
        # The limiter says how long to wait; there is no event to wait on instead.
        while (wait := self.limiter.chat_delay(chat_id, self.monotonic(), urgent)) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)
        self.limiter.take_chat(chat_id, self.monotonic())
        now = self.monotonic()
        if not self._waiting and self.limiter.global_wait(now) <= 0:
            self.limiter.spend(now)
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (int(priority), next(self._asked), turn))
        if self._pacer is None or self._pacer.done():
            self._pacer = asyncio.create_task(self._pace())
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():  # given a turn, then cancelled: unsent
                self.limiter.landed(self.monotonic())
            raise

    def landed(self) -> None:
        """A request got its answer (or gave up): it no longer counts as in flight."""
        self.limiter.landed(self.monotonic())
        self._answer.set()

    async def _pace(self) -> None:
        """Hand out turns of the global budget, most urgent first, then first come first served.

        One timer for everyone waiting, and each turn is checked against the limiter at the
        moment it is given: a 429 that arrives meanwhile, or a late wake-up, is seen then,
        not when the turn was first asked for. Who gets it is decided then too: a crisis that
        asks while lessons wait takes the next turn, not one after theirs (at 25/s, the seven
        lessons a busy pump of eight holds cost each of a case's two posts 0.3 s).
        """
        while self._waiting:
            if self._waiting[0][2].done():  # its sender was cancelled
                heapq.heappop(self._waiting)
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
            _, _, turn = heapq.heappop(self._waiting)
            self.limiter.spend(now)
            turn.set_result(None)
