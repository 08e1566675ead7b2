"""Telegram's sending limits as token buckets, pure and clock-driven (docs/DOMAIN.md §6).

Three budgets at once: all messages (~30/s), one private chat (~1/s, short bursts tolerated),
one group (20/min shared by all its topics).

A group's budget is counted the way Telegram counts it, as posts in any sliding minute, kept
under the limit with headroom (19 of 20: the old bucket, a burst of 3.3 on top of exactly 20
a minute, drew a 429 about once a minute), and spaced out by a bucket of 19 a minute with a
small burst, so posts never come a minute's worth at once (when the group is saturated, the
window leaves a pause of about 13 s each minute). The last `group_reserve` posts of the minute
and of the bucket are kept for alerts, so a new case's topic and card go at once even while
the group's chat uses every other post. Measured against a bucket alone, paced at 15 a minute
so as never to need the window (bench/staff_group.py, calm conversations): five in one group
had p50/p95 of 0.02/4.0 s instead of 4.3/10.9 s, six 7.6/16.6 s instead of 11.2/22.9 s.

A 429 pauses the chat that drew it: a group's `retry_after` (34-60 s are seen) must not hold
back a counsellor's answer to a child. Only when a second chat draws one while the first pause
runs is the limit taken to be the bot's own, and everyone pauses.

The global budget as the sender spends it (`global_wait`, `spend`, `landed`) keeps headroom
inside the limit it is given, so the operator configures Telegram's own figure:

- it paces at `global_headroom` of the limit, evenly spaced, and after a late turn catches up
  at most `global_catch_up_s` worth at once;
- and it never lets more than `global_per_s` messages into any window of one second (plus
  `global_guard_s`), counted the way a server sees them. A server counts a message at some
  moment between our request and its answer, so a message occupies the window from the moment
  we send it until one second after its answer arrives (for as long as it is unanswered, it
  counts). Then no server-side sliding second can ever hold more than the limit, however
  unevenly the requests travel or the server stalls: if the server holds requests back, they
  stay unanswered, and we wait.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from dataclasses import dataclass

# How often a limiter without a share of the budget looks again (see `share`).
NO_SHARE_RETRY_S = 0.1


@dataclass(frozen=True, slots=True)
class Limits:
    global_per_s: float = 30.0
    private_per_s: float = 1.0
    private_burst: float = 3.0
    group_per_min: float = 20.0
    # A group: at most `group_headroom` of its limit in any sliding minute, of which the last
    # `group_reserve` posts only alerts may take (a new case's topic and card: two posts);
    # paced by a bucket that lets `group_burst` posts of chat go at once.
    group_burst: int = 2
    group_reserve: int = 2
    group_headroom: float = 0.95
    # A 429 from another chat within this long of the last one: the limit is the bot's own.
    global_429_window_s: float = 10.0
    # How the sender spends the global budget (see the module's docstring).
    global_headroom: float = 0.98
    global_catch_up_s: float = 0.25
    # Only timer rounding between two processes' clocks: both run at the same rate, so the
    # window itself needs no margin (0.01 s cost 1% of throughput for nothing).
    global_guard_s: float = 0.002


class _Bucket:
    __slots__ = ("capacity", "paused_until", "rate", "reserve", "stamp", "tokens", "window")

    def __init__(
        self,
        rate: float,
        capacity: float,
        now: float,
        reserve: float = 0.0,
        window: _Window | None = None,
    ) -> None:
        self.rate = rate
        self.capacity = capacity
        self.reserve = reserve
        self.tokens = capacity
        self.stamp = now
        self.paused_until = 0.0
        self.window = window

    def wait(self, now: float, urgent: bool = True) -> float:
        """Seconds until a message may go; one that is not `urgent` leaves the reserve alone."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        need = 1.0 if urgent else 1.0 + self.reserve
        # A hair of tolerance: float drift must not turn "almost one token" into a spin.
        short = 0.0 if self.tokens >= need - 1e-9 else (need - self.tokens) / self.rate
        counted = self.window.wait(now, urgent) if self.window is not None else 0.0
        return max(short, counted, self.paused_until - now)

    def take(self, now: float) -> None:
        self.tokens -= 1
        if self.window is not None:
            self.window.sent.append(now)


class _Window:
    """At most `limit` sends in any `size_s`, the last `reserve` of them for urgent ones."""

    __slots__ = ("limit", "reserve", "sent", "size_s")

    def __init__(self, limit: int, reserve: int, size_s: float = 60.01) -> None:
        # A hundredth of a second over the minute: timer rounding between two clocks must not
        # let the twentieth post into a minute the server counts as holding nineteen.
        self.limit = limit
        self.reserve = reserve
        self.size_s = size_s
        self.sent: deque[float] = deque()

    def wait(self, now: float, urgent: bool) -> float:
        sent = self.sent
        while sent and sent[0] + self.size_s <= now:
            sent.popleft()
        allowed = self.limit if urgent else self.limit - self.reserve
        over = len(sent) - allowed + 1  # how many must leave the window first
        if over <= 0:
            return 0.0
        return sent[over - 1] + self.size_s - now


class RateLimiter:
    """Two steps per message, so that many messages can wait for the global budget in one
    queue: `chat_delay` / `take_chat` for the chat's own budget, then `global_wait` / `spend`
    (and `landed` at the answer) for the global one, with the headroom and sliding window
    described above.

    Chat buckets are kept for the most recent chats only, so a broadcast to 100 000 people does
    not keep 100 000 buckets: a bucket that would be full again is as good as a new one.
    """

    def __init__(self, limits: Limits, now: float, max_chats: int = 10_000) -> None:
        self.limits = limits
        self.chats: OrderedDict[int, _Bucket] = OrderedDict()
        self.max_chats = max_chats
        self.paused_until = 0.0
        # Chats that cannot send right now, and when they can again: (for an alert, for
        # anything). The sender leaves their rows unclaimed instead of holding a slot for them.
        self._dry: dict[int, tuple[float, float]] = {}
        self._last_429: tuple[int, float] | None = None
        # The paced schedule (GCRA's theoretical time of the next message), the requests
        # still unanswered, and when the answered ones of the last window arrived, oldest first.
        self.interval = 1.0 / (limits.global_per_s * limits.global_headroom)
        self.pace_at = now + limits.global_catch_up_s  # no credit to catch up at the start
        self.window = 1.0 + limits.global_guard_s
        self.cap = max(1, math.floor(limits.global_per_s))
        self.unanswered = 0
        self.answered: deque[float] = deque()

    def _group_bucket(self, now: float) -> _Bucket:
        """Counted in a sliding minute like Telegram does, with headroom, and paced evenly by
        a bucket over the same minute; of both, `group_reserve` posts are for alerts."""
        limits = self.limits
        per_min = max(1, math.floor(limits.group_per_min * limits.group_headroom))
        reserve = max(0, min(limits.group_reserve, per_min - 1))
        capacity = float(min(max(1, limits.group_burst) + reserve, per_min))
        return _Bucket(
            per_min / 60.0,
            capacity,
            now,
            reserve=min(float(reserve), capacity - 1.0),
            window=_Window(per_min, reserve),
        )

    def _chat(self, chat_id: int, now: float) -> _Bucket:
        bucket = self.chats.get(chat_id)
        if bucket is None:
            if chat_id < 0:
                bucket = self._group_bucket(now)
            else:
                bucket = _Bucket(self.limits.private_per_s, self.limits.private_burst, now)
            self.chats[chat_id] = bucket
            for _ in range(len(self.chats) - self.max_chats):
                gone, old = self.chats.popitem(last=False)
                if gone in self._dry:  # still waiting: forgetting it would forget the wait
                    self.chats[gone] = old
        else:
            self.chats.move_to_end(chat_id)
        return bucket

    def share(self, per_s: float) -> None:
        """Send at most `per_s` of the global budget: this instance's part when several share
        one bot (bot/services/cluster.py). Below one message a second it sends nothing."""
        self.cap = max(0, math.floor(per_s))
        self.interval = 1.0 / (max(per_s, 1.0) * self.limits.global_headroom)

    def chat_delay(self, chat_id: int, now: float, urgent: bool = True) -> float:
        """The chat's own wait, ignoring the global budget (to pick another chat meanwhile).
        A message that is not `urgent` leaves a group's reserve to alerts."""
        return self._chat(chat_id, now).wait(now, urgent)

    def take_chat(self, chat_id: int, now: float) -> None:
        """Spend one of the chat's own tokens (once `chat_delay` is 0)."""
        bucket = self._chat(chat_id, now)
        bucket.take(now)
        self._note_dry(chat_id, bucket, now)

    def _note_dry(self, chat_id: int, bucket: _Bucket, now: float) -> None:
        for_all = bucket.wait(now, urgent=False)
        if for_all > 0:
            self._dry[chat_id] = (now + bucket.wait(now, urgent=True), now + for_all)
        else:
            self._dry.pop(chat_id, None)

    def dry(self, now: float) -> tuple[frozenset[int], frozenset[int]]:
        """(chats that cannot send at all now, chats that can send only an alert now)."""
        closed: set[int] = set()
        alerts_only: set[int] = set()
        for chat_id, (for_alert, for_all) in list(self._dry.items()):
            if for_all <= now:
                del self._dry[chat_id]
            elif for_alert > now:
                closed.add(chat_id)
            else:
                alerts_only.add(chat_id)
        return frozenset(closed), frozenset(alerts_only)

    def next_free(self, now: float) -> float | None:
        """When the next dry chat can send something again (None: none is dry)."""
        times = [t for pair in self._dry.values() for t in pair if t > now]
        return min(times) if times else None

    def global_wait(self, now: float) -> float:
        """Seconds until the next message may go out under the global budget; 0 means now, and
        `math.inf` that too many requests are unanswered: wait for an answer (`landed`).

        Three rules at once: a 429 pause; the paced schedule; and the sliding window, in which
        a message counts from `spend` until a window's length after it `landed`.
        """
        if self.cap == 0:  # no share of the budget yet: ask again shortly
            return NO_SHARE_RETRY_S
        start = max(self.paused_until, self.pace_at - self.limits.global_catch_up_s)
        answered = self.answered
        while answered and answered[0] <= now - self.window:
            answered.popleft()
        over = self.unanswered + len(answered) + 1 - self.cap  # must leave the window first
        if over > 0:
            if over > len(answered):
                return math.inf
            frees = answered[over - 1] + self.window
            if frees > start:
                # Held back by the window, not late: go on at the paced rate from there,
                # without catching up (that would be the same burst again a second later).
                self.pace_at = max(self.pace_at, frees + self.limits.global_catch_up_s)
                start = frees
        return start - now if start > now else 0.0

    def spend(self, now: float) -> None:
        """A message goes out now (after `global_wait` said 0); call `landed` at its answer."""
        self.pace_at = max(self.pace_at, now) + self.interval
        self.unanswered += 1

    def landed(self, now: float) -> None:
        """The answer to a message sent with `spend` arrived (whatever it said), or the
        request failed. `now` never goes back between calls."""
        self.unanswered = max(0, self.unanswered - 1)
        self.answered.append(now)

    def pause(self, retry_after: float, now: float, chat_id: int | None = None) -> None:
        """A 429. With the chat that drew it, that chat waits; so does everyone when a second
        chat draws one within `global_429_window_s` (the bot's own limit, then). Without a chat,
        or for everyone: nobody sends until it has passed, then at the paced rate, no burst."""
        if chat_id is not None:
            bucket = self._chat(chat_id, now)
            bucket.paused_until = max(bucket.paused_until, now + retry_after)
            # It resumes with one message (the one refused) and the reserve, not a burst: the
            # refill starts when the pause ends.
            bucket.tokens = 1.0 + bucket.reserve
            bucket.stamp = now + retry_after
            self._note_dry(chat_id, bucket, now)
            last, self._last_429 = self._last_429, (chat_id, now)
            if last is None or last[0] == chat_id:
                return
            if now - last[1] > self.limits.global_429_window_s:
                return
        self.paused_until = max(self.paused_until, now + retry_after)
        self.pace_at = max(self.pace_at, self.paused_until + self.limits.global_catch_up_s)
