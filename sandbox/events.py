"""Wake-ups for long polls and the sequenced feed of changes the web page follows."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import deque
from typing import Any


class Notifier:
    """Lets any number of coroutines wait for "something changed" without missing a change."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> bool:
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)
        return event.is_set()


class EventLog:
    """A bounded, sequenced log; sequence numbers keep growing across resets."""

    def __init__(self, maxlen: int = 5000) -> None:
        self._events: deque[dict[str, Any]] = deque(maxlen=maxlen)
        self.seq = 0
        self.notifier = Notifier()

    def emit(self, kind: str, **fields: Any) -> dict[str, Any]:
        self.seq += 1
        event = {"seq": self.seq, "type": kind, "time": time.time(), **fields}
        self._events.append(event)
        self.notifier.notify()
        return event

    def since(self, seq: int) -> tuple[list[dict[str, Any]], bool]:
        """Events after ``seq`` and whether older ones were already evicted."""
        # Sequence numbers are consecutive in the log, so the newest `self.seq - seq` are the
        # ones asked for: taken from the right end, not by scanning the whole log (a feed
        # followed under load is asked several times per event).
        wanted = min(len(self._events), max(0, self.seq - seq))
        events = list(itertools.islice(reversed(self._events), wanted))
        events.reverse()
        truncated = bool(self._events) and self._events[0]["seq"] > seq + 1
        return events, truncated
