"""The send budget split between instances, against a registry held in memory and the real
rate limiter: parts add up to the limit, a newcomer waits its grace, a part grows only a
window after someone left, and a 429 met by one pauses the others."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pytest

from bot.domain.ratelimit import NO_SHARE_RETRY_S, Limits, RateLimiter
from bot.ports import Survey
from bot.services.outbox.cluster import Cluster, split
from tests.support import FixedClock


@pytest.mark.parametrize(
    ("total", "n", "parts"),
    [
        (25.0, 1, [25.0]),
        (25.0, 2, [13.0, 12.0]),
        (25.0, 4, [7.0, 6.0, 6.0, 6.0]),
        (30.5, 3, [10.0, 10.0, 10.0]),
        (31.0, 3, [11.0, 10.0, 10.0]),
    ],
)
def test_parts_add_up_to_the_limit(total: float, n: int, parts: Sequence[float]) -> None:
    live = tuple(range(10, 10 + n))
    assert [split(total, live, me) for me in live] == parts
    assert sum(parts) <= total


class Registry:
    """Instances as rows in a dict; `live` is whatever the test says is alive."""

    def __init__(self) -> None:
        self.rows: dict[int, tuple[bool, datetime | None]] = {}
        self.next_id = 1

    async def join(self, name: str) -> int:
        me = self.next_id
        self.next_id += 1
        self.rows[me] = (False, None)
        return me

    def member(self, me: int) -> RegistryView:
        return RegistryView(self, me)


class RegistryView:
    def __init__(self, registry: Registry, me: int | None = None) -> None:
        self.registry = registry
        self.me = me

    async def join(self, name: str) -> int:
        self.me = await self.registry.join(name)
        return self.me

    async def survey(self, *, settled: bool, paused_until: datetime | None) -> Survey:
        assert self.me is not None
        self.registry.rows[self.me] = (settled, paused_until)
        rows = self.registry.rows
        pauses = [p for _, p in rows.values() if p is not None]
        return Survey(
            me=self.me,
            live=tuple(sorted(rows)),
            settled=tuple(sorted(i for i, (ok, _) in rows.items() if ok)),
            paused_until=max(pauses) if pauses else None,
        )

    async def leave(self) -> None:
        if self.me is not None:
            self.registry.rows.pop(self.me, None)


class NoWork:
    """The unit of work the sweep uses: nothing to take over here."""

    class _Queue:
        async def requeue_orphaned(self, *_: object) -> int:
            return 0

    inbox = outbox = _Queue()

    def __call__(self) -> NoWork:
        return self

    async def __aenter__(self) -> NoWork:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None

    async def commit(self) -> None:
        return None


class Clocks:
    def __init__(self) -> None:
        self.t = 1000.0
        self.wall = FixedClock()

    def monotonic(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds
        self.wall.advance(seconds=seconds)


def make(registry: Registry, clocks: Clocks, total: float = 25.0) -> tuple[Cluster, RateLimiter]:
    limiter = RateLimiter(Limits(global_per_s=total), clocks.monotonic())
    cluster = Cluster(
        NoWork(),  # type: ignore[arg-type]
        clocks.wall,
        RegistryView(registry),
        limiter,
        total,
        name="test",
        monotonic=clocks.monotonic,
    )
    return cluster, limiter


async def test_alone_an_instance_sends_at_once_with_the_whole_budget() -> None:
    registry, clocks = Registry(), Clocks()
    cluster, limiter = make(registry, clocks)
    await cluster.join()
    assert cluster.share_per_s == 25.0
    assert limiter.global_wait(clocks.monotonic()) < NO_SHARE_RETRY_S


async def test_a_newcomer_waits_its_grace_while_the_others_shrink_at_once() -> None:
    registry, clocks = Registry(), Clocks()
    first, _ = make(registry, clocks)
    await first.join()
    second, second_limiter = make(registry, clocks)
    await second.join()
    assert second.share_per_s == 0.0  # not alone: nothing until the others have seen it
    assert second_limiter.global_wait(clocks.monotonic()) == NO_SHARE_RETRY_S
    clocks.advance(1.0)
    await first.step()
    assert first.share_per_s == 13.0  # shrinks as soon as it sees the newcomer
    clocks.advance(second.grace_s - 1.0 + 0.01)
    await second.step()
    assert second.share_per_s == 12.0
    assert first.share_per_s + second.share_per_s == 25.0


async def test_a_part_grows_only_a_window_after_the_other_left() -> None:
    registry, clocks = Registry(), Clocks()
    first, _ = make(registry, clocks)
    await first.join()
    second, _ = make(registry, clocks)
    await second.join()
    await first.step()
    assert first.share_per_s == 13.0
    await second.leave()  # or died: its row is gone at the next survey
    clocks.advance(1.0)
    await first.step()
    assert first.share_per_s == 13.0  # its last second's messages still count at Telegram
    clocks.advance(first.limiter.window)
    await first.step()
    assert first.share_per_s == 25.0


async def test_a_429_met_by_one_instance_pauses_the_other() -> None:
    registry, clocks = Registry(), Clocks()
    first, first_limiter = make(registry, clocks)
    await first.join()
    second, second_limiter = make(registry, clocks)
    await second.join()
    clocks.advance(second.grace_s + 0.01)
    await second.step()
    first_limiter.pause(30, clocks.monotonic())  # Telegram said retry_after 30 to `first`
    await first.step()  # announces it
    await second.step()  # heeds it
    assert second_limiter.global_wait(clocks.monotonic()) == pytest.approx(30, abs=1.5)
    clocks.advance(31)
    await second.step()
    assert second_limiter.global_wait(clocks.monotonic()) < 1.0


async def test_after_leaving_an_instance_sends_nothing() -> None:
    registry, clocks = Registry(), Clocks()
    cluster, limiter = make(registry, clocks)
    await cluster.join()
    await cluster.leave()
    assert limiter.global_wait(clocks.monotonic()) == NO_SHARE_RETRY_S
    assert registry.rows == {}


def test_a_share_caps_the_sliding_window() -> None:
    limiter = RateLimiter(Limits(global_per_s=30.0), 0.0)
    limiter.share(7.0)
    now, sent = 10.0, 0
    # Answers come back at once; count what the window lets through in one second.
    while now < 11.0:
        if limiter.global_wait(now) == 0:
            limiter.spend(now)
            limiter.landed(now)
            sent += 1
        now += 0.001
    assert sent <= 7


async def test_a_rise_still_waiting_is_dropped_when_someone_joins_meanwhile() -> None:
    registry, clocks = Registry(), Clocks()
    first, first_limiter = make(registry, clocks)
    await first.join()
    second, _ = make(registry, clocks)
    await second.join()
    await first.step()
    assert first.share_per_s == 13.0
    await second.leave()
    await first.step()  # a rise to 25 waits a window
    third, _ = make(registry, clocks)
    await third.join()  # before it is due
    clocks.advance(first.limiter.window + 0.01)
    await first.step()
    assert first.share_per_s == 13.0  # not 25: two instances again
    assert first_limiter.cap == 13
