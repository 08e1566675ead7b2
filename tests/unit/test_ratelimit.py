"""The sender's global budget, clock-driven: paced under the limit, and never more than the limit
in any sliding second as a server counts it (somewhere between our request and its answer)."""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import random

import pytest

from bot.domain.ratelimit import Limits, RateLimiter


def most_in_any_second(stamps: list[float]) -> int:
    """The largest number of stamps in any window (t - 1, t], as the sandbox counts them."""
    stamps = sorted(stamps)
    return max(
        (i + 1 - bisect.bisect_right(stamps, t - 1.0) for i, t in enumerate(stamps)), default=0
    )


def simulate(
    limits: Limits,
    *,
    senders: int,
    seconds: float,
    latency: tuple[float, float],
    stalls: list[tuple[float, float]] | None = None,
    seed: int = 1,
) -> tuple[list[float], list[float]]:
    """`senders` tasks sending back to back through the limiter. Each request reaches the
    server after a random delay and is answered after another; while the server stalls,
    requests wait and are all counted when it resumes. Returns (our send times, server stamps).
    """
    rnd = random.Random(seed)
    limiter = RateLimiter(limits, 0.0)
    events: list[tuple[float, int, str]] = [(0.0, n, "try") for n in range(senders)]
    heapq.heapify(events)
    sends: list[float] = []
    stamps: list[float] = []
    while events:
        t, n, what = heapq.heappop(events)
        if what == "answer":
            limiter.landed(t)
            what = "try"
        if t >= seconds:
            continue
        wait = limiter.global_wait(t)
        if wait == math.inf:  # wait for the next answer
            heapq.heappush(events, (min(e[0] for e in events), n, "try"))
            continue
        if wait > 0:
            heapq.heappush(events, (t + wait, n, "try"))
            continue
        limiter.spend(t)
        sends.append(t)
        counted = t + rnd.uniform(*latency)
        for start, end in stalls or []:
            if start <= counted < end:
                counted = end
        stamps.append(counted)
        heapq.heappush(events, (counted + rnd.uniform(*latency), n, "answer"))
    return sends, stamps


def test_paces_evenly_at_the_headroom_below_the_limit() -> None:
    limits = Limits(global_per_s=100, global_headroom=0.97, global_catch_up_s=0.25)
    limiter = RateLimiter(limits, 0.0)
    t, sends = 0.0, []
    while t < 10.0:
        wait = limiter.global_wait(t)
        if wait > 0:
            t += wait
            continue
        limiter.spend(t)
        limiter.landed(t)  # answered at once
        sends.append(t)
    assert sends[:2] == [0.0, pytest.approx(1 / 97)]  # no burst at the start
    gaps = {round(b - a, 9) for a, b in itertools.pairwise(sends)}
    assert gaps == {round(1 / 97, 9)}  # evenly, at 97 % of the limit
    assert len(sends) == pytest.approx(970, abs=1)


def test_a_burst_is_not_echoed_a_second_later() -> None:
    # Late turns let a burst out (within the window); when the window then holds the sender
    # back, it resumes evenly paced instead of sending the same burst again.
    limits = Limits(global_per_s=100, global_headroom=0.97, global_catch_up_s=0.25)
    limiter = RateLimiter(limits, 0.0)
    t, sends = 0.0, []
    while t < 10.0:
        wait = limiter.global_wait(t)
        if wait > 0:
            t += wait + (0.3 if 2.0 < t < 2.1 else 0.0)  # one late wake-up
            continue
        limiter.spend(t)
        limiter.landed(t)
        sends.append(t)
    assert most_in_any_second(sends) <= 100
    late = [round(b - a, 9) for a, b in itertools.pairwise(sends) if a > 3.5]
    assert set(late) == {round(1 / 97, 9)}


@pytest.mark.parametrize("limit", [30.0, 300.0, 500.0])
@pytest.mark.slow
def test_no_sliding_second_at_the_server_ever_exceeds_the_limit(limit: float) -> None:
    # Uneven latency (1-40 ms each way) and many senders eager to catch up.
    _, stamps = simulate(Limits(global_per_s=limit), senders=64, seconds=20, latency=(0.001, 0.04))
    assert most_in_any_second(stamps) <= limit
    assert len(stamps) >= 0.93 * limit * 20  # and the budget is used, not hoarded


@pytest.mark.slow
def test_a_stalled_server_cannot_be_overfilled_when_it_resumes() -> None:
    # The server stops answering (a long GC pause): requests sent meanwhile are all counted at
    # its end, next to those it counted just before. Counting by send time alone, the second
    # after the stall would hold the stall's messages on top of a full second.
    stalls = [(3.0, 3.4), (7.0, 7.5), (11.2, 11.3)]
    _, stamps = simulate(
        Limits(global_per_s=300), senders=128, seconds=15, latency=(0.001, 0.01), stalls=stalls
    )
    assert most_in_any_second(stamps) <= 300


def test_catching_up_after_a_late_turn_is_bounded() -> None:
    limits = Limits(global_per_s=100, global_headroom=1.0, global_catch_up_s=0.25)
    limiter = RateLimiter(limits, 0.0)
    limiter.spend(0.0)
    limiter.landed(0.0)
    burst = 0
    while limiter.global_wait(5.0) == 0:  # asked again only after a long lull
        limiter.spend(5.0)
        limiter.landed(5.0)
        burst += 1
    assert burst == 26  # a quarter of a second's worth, and the one due now


def test_too_many_unanswered_requests_wait_for_an_answer() -> None:
    limiter = RateLimiter(Limits(global_per_s=5, global_guard_s=0.0), 0.0)
    for n in range(5):
        t = n * 0.3
        assert limiter.global_wait(t) == 0
        limiter.spend(t)
    assert limiter.global_wait(1.5) == math.inf  # five in flight: any may still be counted
    limiter.landed(1.6)
    # That answer may have been counted as late as 1.6: its slot frees one second later.
    assert limiter.global_wait(1.7) == pytest.approx(0.9)


def test_a_429_pauses_the_budget_and_then_resumes_without_a_burst() -> None:
    limits = Limits(global_per_s=10, global_headroom=1.0)
    limiter = RateLimiter(limits, 0.0)
    limiter.pause(2.0, now=0.5)
    assert limiter.global_wait(1.0) == pytest.approx(1.5)
    assert limiter.global_wait(2.5) == 0
    limiter.spend(2.5)
    limiter.landed(2.5)
    assert limiter.global_wait(2.5) == pytest.approx(0.1)  # paced again, not caught up
