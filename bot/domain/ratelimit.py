"""Telegram's sending limits as token buckets, pure and clock-driven (DOMAIN.md §6).

Three budgets at once: all messages (~30/s), one private chat (~1/s, short bursts tolerated),
one group (20/min shared by all its topics). A 429 pauses everyone for `retry_after`.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    global_per_s: float = 30.0
    global_burst_s: float = 0.02
    private_per_s: float = 1.0
    private_burst: float = 3.0
    group_per_min: float = 20.0


class _Bucket:
    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.stamp = now

    def wait(self, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        # A hair of tolerance: float drift must not turn "almost one token" into a spin.
        return 0.0 if self.tokens >= 1 - 1e-9 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


class RateLimiter:
    """Ask `delay(chat_id, now)`; at 0 call `take(chat_id, now)` and send.

    Chat buckets are kept for the most recent chats only, so a broadcast to 100 000 people does
    not keep 100 000 buckets: a bucket that would be full again is as good as a new one.
    """

    def __init__(self, limits: Limits, now: float, max_chats: int = 10_000) -> None:
        self.limits = limits
        # Almost no burst: a limit enforced over any sliding second (as Telegram's seems to be)
        # admits rate + burst per second, so a small burst keeps us under it.
        self.global_bucket = _Bucket(
            limits.global_per_s, max(1.0, limits.global_per_s * limits.global_burst_s), now
        )
        self.chats: OrderedDict[int, _Bucket] = OrderedDict()
        self.max_chats = max_chats
        self.paused_until = 0.0
        self.next_slot = now

    def _chat(self, chat_id: int, now: float) -> _Bucket:
        bucket = self.chats.get(chat_id)
        if bucket is None:
            if chat_id < 0:
                rate = self.limits.group_per_min / 60.0
                bucket = _Bucket(rate, max(1.0, self.limits.group_per_min / 6), now)
            else:
                bucket = _Bucket(self.limits.private_per_s, self.limits.private_burst, now)
            self.chats[chat_id] = bucket
            while len(self.chats) > self.max_chats:
                self.chats.popitem(last=False)
        else:
            self.chats.move_to_end(chat_id)
        return bucket

    def delay(self, chat_id: int, now: float) -> float:
        """Seconds to wait before a message to this chat may go; 0 means now."""
        if now < self.paused_until:
            return self.paused_until - now
        return max(self.global_bucket.wait(now), self._chat(chat_id, now).wait(now))

    def take(self, chat_id: int, now: float) -> None:
        self.global_bucket.take()
        self._chat(chat_id, now).take()

    def reserve(self, chat_id: int, now: float) -> float:
        """Book the next global send slot for this chat; returns how long to wait for it.

        Slots are spaced evenly at the global rate (a virtual schedule, as in GCRA), so a
        sender that oversleeps a little does not push everyone after it back: the budget is
        spent in full however many senders wait at once.
        """
        start = max(now, self.next_slot, self.paused_until)
        self.next_slot = start + 1.0 / self.limits.global_per_s
        self._chat(chat_id, now).take()
        return start - now

    def chat_delay(self, chat_id: int, now: float) -> float:
        """The chat's own wait, ignoring the global budget (to pick another chat meanwhile)."""
        return self._chat(chat_id, now).wait(now)

    def pause(self, retry_after: float, now: float) -> None:
        """A 429: nobody sends until it has passed."""
        self.paused_until = max(self.paused_until, now + retry_after)
