"""Several instances of one bot: Telegram's global budget split between them, and the work of
an instance that died handed to the others.

Every instance surveys the registry (bot/db/instances.py) once a second. The budget is split
by the live instances, in parts of whole messages that add up to the bot's limit; each
instance's rate limiter keeps to its part with its own sliding window (bot/domain/ratelimit.py).
That costs no round trip per message, and the limit holds through every change:

- A newcomer sends nothing until the others have certainly seen it (one survey) and the
  messages they sent at their old rate have left Telegram's one-second window: its grace.
  The others shrink their part as soon as they see it.
- A part grows only a window after the instance it came from was last seen alive, for what
  that instance sent in its last second still counts at Telegram.
- An instance that is alone when it joins (a single process, or a restart) takes the whole
  budget at once: anyone joining later waits for its grace, and this survey already showed
  that nobody else was there.

A 429 pauses every instance: each announces the pause it met and heeds the others'.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.domain.ratelimit import RateLimiter
from bot.ports import Clock, InstanceRegistry, Survey, UnitOfWorkFactory

log = logging.getLogger(__name__)

# Rows being sent by no instance (a command-line run) are taken over only when this old.
UNOWNED_STALE = timedelta(minutes=10)


def split(total_per_s: float, live: tuple[int, ...], me: int) -> float:
    """This instance's part: whole messages a second, the remainder to the lowest ids, so the
    parts add up to the limit (4 instances at 25/s: 7, 6, 6, 6)."""
    if me not in live:
        return 0.0
    n = len(live)
    whole = math.floor(total_per_s)
    base, extra = divmod(whole, n)
    part = base + (1 if live.index(me) < extra else 0)
    if n == 1:
        return total_per_s  # alone, a fractional limit is kept as configured
    return float(part)


class Cluster:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        registry: InstanceRegistry,
        limiter: RateLimiter,
        total_per_s: float,
        *,
        name: str,
        every_s: float = 1.0,
        sweep_every_s: float = 5.0,
        on_requeued: Callable[[], None] = lambda: None,
        on_joined: Callable[[int], None] = lambda _: None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.registry = registry
        self.limiter = limiter
        self.total_per_s = total_per_s
        self.name = name
        self.every_s = every_s
        self.sweep_every_s = sweep_every_s
        self.on_requeued = on_requeued
        self.on_joined = on_joined
        self.monotonic = monotonic
        # Others see a newcomer within one survey; what they sent before that leaves the
        # limiter's window a second later; half a survey more for timer rounding.
        self.grace_s = 1.5 * every_s + limiter.window
        self.me: int | None = None
        self.live: tuple[int, ...] = ()
        self.settled = False
        self.share_per_s = 0.0
        self._joined_at = 0.0
        self._rise: tuple[float, float] | None = None  # (when, to) a part waiting to grow
        self._last_sweep = -math.inf

    async def join(self) -> int:
        """Register, take a part of the budget (at once if alone), and take over what dead
        instances left behind. Call before receiving or sending anything."""
        self.limiter.share(0)
        await self.registry.join(self.name)
        self._joined_at = self.monotonic()
        survey = await self.registry.survey(settled=False, paused_until=None)
        if survey.live == (survey.me,):
            self.settled = True
        await self._apply(survey)
        await self.sweep()
        return survey.me

    async def step(self) -> Survey:
        """One survey: settle after the grace, adjust the part, share 429 pauses."""
        now = self.monotonic()
        if not self.settled and now - self._joined_at >= self.grace_s:
            self.settled = True
        survey = await self.registry.survey(
            settled=self.settled, paused_until=self._pause_announced()
        )
        if survey.rejoined:  # our lock was lost: the others may have taken our part
            self.settled = False
            self._joined_at = self.monotonic()
        await self._apply(survey)
        if now - self._last_sweep >= self.sweep_every_s:
            await self.sweep()
        return survey

    async def _apply(self, survey: Survey) -> None:
        if survey.me != self.me or survey.rejoined:
            self.on_joined(survey.me)  # what it claims from now on carries this id
        self.me = survey.me
        self.live = survey.live
        now = self.monotonic()
        target = split(self.total_per_s, survey.live, survey.me) if self.settled else 0.0
        if target <= self.share_per_s:
            # Also forgets a rise still waiting: someone joined before it was due.
            self._rise = None
            self._set(target)
        elif self._rise is None or self._rise[1] != target:
            # Growing: what a departed instance sent in its last second is still in Telegram's
            # window. Starting (settled after the grace, or alone): nothing left to wait out.
            delay = self.limiter.window if self.share_per_s > 0 else 0.0
            self._rise = (now + delay, target)
        if self._rise is not None and now >= self._rise[0]:
            self._set(self._rise[1])
            self._rise = None
        if survey.paused_until is not None:
            left = (survey.paused_until - self.clock.now()).total_seconds()
            if left > 0:
                self.limiter.pause(left, now)

    def _set(self, per_s: float) -> None:
        if per_s != self.share_per_s:
            log.info(
                "send budget: %.1f/s of %.1f/s (%d instance(s))",
                per_s,
                self.total_per_s,
                len(self.live),
            )
        self.share_per_s = per_s
        self.limiter.share(per_s)

    def _pause_announced(self) -> datetime | None:
        left = self.limiter.paused_until - self.monotonic()
        return self.clock.now() + timedelta(seconds=left) if left > 0 else None

    async def sweep(self) -> int:
        """Hand what dead instances were handling or sending back to the queues."""
        self._last_sweep = self.monotonic()
        async with self.uow() as uow:
            updates = await uow.inbox.requeue_orphaned()
            messages = await uow.outbox.requeue_orphaned(self.clock.now() - UNOWNED_STALE)
            await uow.commit()
        if updates or messages:
            log.warning(
                "took over %d update(s) and %d message(s) from instances that stopped",
                updates,
                messages,
            )
            self.on_requeued()
        return updates + messages

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.step()
            except Exception:  # the database is away: keep the part we have, try again
                log.exception("instance survey failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.every_s):
                    await stop.wait()

    async def leave(self) -> None:
        """At shutdown, after sending has stopped: the others take over the budget."""
        self.limiter.share(0)
        self.share_per_s = 0.0
        await self.registry.leave()
