"""Hotlines per region; the numbers and texts themselves are content.

A line's hours are data (`open`), not only words: at 3 a.m. a child must be shown first the
lines that answer at 3 a.m., and never be told that a closed line helps now (docs/DOMAIN.md §3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EVERY_DAY = frozenset(range(7))


class LineState(StrEnum):
    OPEN = "open"  # answers at this hour
    VARIES = "varies"  # hours differ by place: never claimed to answer now
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class OpenHours:
    """When a line answers, in the service's local time: round the clock, some daily spans
    (a span may run past midnight, "08:00-02:00", and then belongs to the day it starts), or
    unknown ("varies": a national number whose seats keep their own hours)."""

    always: bool = False
    spans: tuple[tuple[time, time], ...] = ()
    days: frozenset[int] = EVERY_DAY  # 0 = Monday

    @property
    def known(self) -> bool:
        return self.always or bool(self.spans)

    def state(self, local: datetime) -> LineState:
        if self.always:
            return LineState.OPEN
        if not self.spans:
            return LineState.VARIES
        today = local.weekday()
        yesterday = (today - 1) % 7
        t = local.time()
        for start, end in self.spans:
            if start < end:
                if today in self.days and start <= t < end:
                    return LineState.OPEN
            elif (today in self.days and t >= start) or (yesterday in self.days and t < end):
                return LineState.OPEN
        return LineState.CLOSED


def parse_open(spec: str, days: str = "") -> OpenHours:
    """`24h`, `varies`, or daily spans `08:00-02:00, 14:00-17:00`; `days` is `mon-fri` or
    `mon,wed,sat` (empty: every day). Raises ValueError with a readable message."""
    text = spec.strip().lower()
    on = parse_days(days)
    if text == "24h":
        if on != EVERY_DAY:
            raise ValueError("a 24h line answers every day: drop `days`")
        return OpenHours(always=True)
    if text == "varies":
        return OpenHours()
    spans: list[tuple[time, time]] = []
    for part in text.split(","):
        try:
            start_s, end_s = part.split("-")
            start, end = time.fromisoformat(start_s.strip()), time.fromisoformat(end_s.strip())
        except ValueError as exc:
            raise ValueError(
                f"open must be 24h, varies or spans like 08:00-02:00, not {spec!r}"
            ) from exc
        if start == end:
            raise ValueError(f"an empty or whole-day span {part.strip()!r}: write 24h instead")
        spans.append((start, end))
    return OpenHours(spans=tuple(spans), days=on)


def parse_days(spec: str) -> frozenset[int]:
    text = spec.strip().lower()
    if not text:
        return EVERY_DAY
    out: set[int] = set()
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise ValueError(f"days must look like mon-fri or mon,wed,sat, not {spec!r}")
        a = DAY_NAMES.index(first)
        b = DAY_NAMES.index(last) if last else a
        out.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(b + 1)])
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class Hotline:
    number: str
    name: str
    hours: str  # what the person reads beside the number (English source, translated)
    note: str
    emergency: bool
    open_hours: OpenHours = field(default_factory=OpenHours)
    source: str = ""
    checked: date | None = None


class HotlineBook:
    """Hotlines per region, from content. A region's own lines (a service point names its
    region) come first and replace a national line with the same number; the national list
    always follows, so a local block can never lose 110, 120 or the 24-hour lines."""

    def __init__(
        self,
        regions: dict[str, Sequence[Hotline]],
        default_region: str,
        timezone: str = "Asia/Shanghai",
    ) -> None:
        self.regions = regions
        self.default_region = default_region
        self.timezone = timezone

    def for_region(self, region: str | None) -> Sequence[Hotline]:
        national = list(self.regions[self.default_region])
        if not region or region == self.default_region:
            return national
        local = list(self.regions.get(region, ()))
        mine = {h.number for h in local}
        return [*local, *(h for h in national if h.number not in mine)]

    def shown(self, region: str | None, now: datetime) -> dict[str, list[Hotline]]:
        """The lines as a reply shows them at `now`: emergency numbers, then the lines that
        answer at this hour, then those whose hours vary by place, then those closed now.
        `lines` is all but the emergency numbers in that order."""
        local = now.astimezone(ZoneInfo(self.timezone))
        lines = self.for_region(region)
        by_state: dict[LineState, list[Hotline]] = {s: [] for s in LineState}
        for h in lines:
            if not h.emergency:
                by_state[h.open_hours.state(local)].append(h)
        return {
            "emergency": [h for h in lines if h.emergency],
            "open_now": by_state[LineState.OPEN],
            "varies": by_state[LineState.VARIES],
            "closed": by_state[LineState.CLOSED],
            "lines": [*by_state[LineState.OPEN], *by_state[LineState.VARIES]]
            + by_state[LineState.CLOSED],
        }
