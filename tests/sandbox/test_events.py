"""The sandbox's event feed: what a follower asks for is exactly what it has not seen."""

from __future__ import annotations

from sandbox.events import EventLog


def test_since_gives_the_newer_events_in_order_and_says_when_some_are_gone() -> None:
    log = EventLog(maxlen=5)
    assert log.since(0) == ([], False)
    for n in range(3):
        log.emit("message", n=n)
    events, truncated = log.since(1)
    assert [e["n"] for e in events] == [1, 2] and not truncated
    assert log.since(3) == ([], False)
    assert log.since(10) == ([], False)  # a follower ahead (after a reset) gets nothing
    for n in range(3, 9):
        log.emit("message", n=n)
    events, truncated = log.since(0)
    assert [e["seq"] for e in events] == [5, 6, 7, 8, 9] and truncated
    events, truncated = log.since(4)
    assert [e["n"] for e in events] == [4, 5, 6, 7, 8] and not truncated
    events, truncated = log.since(7)
    assert [e["seq"] for e in events] == [8, 9] and not truncated
