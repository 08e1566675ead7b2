"""Figures for supervisors (儿童主任, 儿童督导员, helpline leads): what happened in a period, as
values. The policy asks for information sharing and dynamic monitoring (加强信息共享和动态监测);
these are what the weekly digest, `/stats` and the web dashboard show.

Definitions (docs/oversight.md says the same for readers of the digest):

- A **period** is half-open, [start, end), in aware UTC; the parser makes whole local days.
- **Cases** are counted by the tier they have now, among cases *opened* in the period;
  outcomes among cases *closed* in the period.
- **Time to first response** runs from opening to the counsellor's first words to the person;
  **time to claim** to the first claim (or hand-over). Both are measured on the cases opened in
  the period, against the first-response target of each case's tier: a case not yet answered
  counts in `unanswered`, and as missed in `share_within`.
- **Percentiles** are nearest-rank (see `percentile`): always a time that really happened.
- **Open / overdue** cases and follow-ups are as of the end of the period (or now, if sooner).
- **Screenings** (筛查/测评, never a diagnosis) taken in the period, by instrument and tier; a
  child's tier **worsened** when a screening in the period has a more urgent tier than the
  same child's previous screening with the same instrument (which may be older).
- **Guardians**: enrolment states are as they stand now (enrolments keep no history).
- **Lesson funnel**: the lessons delivered in the period, and how far each went, whenever that
  happened: opened (read on, or answered the question), answered the question, answered the
  check-in, and said at the check-in that they tried the task (`task_done`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.domain.cases import Tier

# A longer period would make the chart unreadable and the queries slow; a year is plenty.
MAX_DAYS = 366
# Each tier, most urgent first: the order of every breakdown and of the chart's stacks.
TIERS = (Tier.RED, Tier.ORANGE, Tier.YELLOW, Tier.GREEN)
NO_TIER = "none"

T = TypeVar("T", int, float, timedelta)


# -- periods ------------------------------------------------------------------------------


class PeriodError(ValueError):
    """A `/stats` argument that is not a period. `reason` picks the friendly answer:
    format (not understood), order (ends before it starts), too_long, future."""

    def __init__(self, reason: str, text: str) -> None:
        super().__init__(f"{reason}: {text!r}")
        self.reason = reason
        self.text = text


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end) in aware UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a period's ends must be timezone-aware")
        if self.end <= self.start:
            raise ValueError("a period must end after it starts")

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def contains(self, at: datetime) -> bool:
        return self.start <= at < self.end

    def first_day(self, tz: ZoneInfo) -> date:
        return self.start.astimezone(tz).date()

    def last_day(self, tz: ZoneInfo) -> date:
        """The last local day the period touches (its end is exclusive)."""
        return (self.end - timedelta(microseconds=1)).astimezone(tz).date()

    @staticmethod
    def local_days(first: date, last: date, tz: ZoneInfo) -> Period:
        """From the start of `first` to the end of `last`, on the local wall clock."""
        return Period(_midnight(first, tz), _midnight(last + timedelta(days=1), tz))

    @staticmethod
    def week_before(at: datetime, tz: ZoneInfo) -> Period:
        """The seven whole local days before the day of `at`: what a Monday digest shows."""
        today = at.astimezone(tz).date()
        return Period.local_days(today - timedelta(days=7), today - timedelta(days=1), tz)

    @staticmethod
    def parse(text: str, now: datetime, timezone: str) -> Period:
        """A `/stats` argument as a period of whole local days:

        ""/week/周   the last 7 days, today included
        month/月     the last 30 days, today included
        2026-03      that calendar month
        2026-03-01..2026-03-15   those days, both included (also 至, 到, ~ or a dash)
        2026-03-01   that day
        Full-width digits and punctuation (from a Chinese keyboard) are accepted.
        """
        tz = ZoneInfo(timezone)
        today = now.astimezone(tz).date()
        raw = text
        words = unicodedata.normalize("NFKC", text).strip().lower()
        if words in _WEEK:
            return Period.local_days(today - timedelta(days=6), today, tz)
        if words in _MONTH:
            return Period.local_days(today - timedelta(days=29), today, tz)
        first, last = _dates(words, raw)
        if last < first:
            raise PeriodError("order", raw)
        if (last - first).days + 1 > MAX_DAYS:
            raise PeriodError("too_long", raw)
        if first > today:
            raise PeriodError("future", raw)
        return Period.local_days(first, last, tz)


_WEEK = frozenset({"", "week", "w", "7d", "周", "本周", "一周", "7天", "七天"})
_MONTH = frozenset({"month", "m", "30d", "月", "本月", "一月", "一个月", "30天", "三十天"})
_DAY = r"(\d{4})-(\d{1,2})-(\d{1,2})"
_RANGE = re.compile(rf"^{_DAY}\s*(?:\.\.+|~|至|到|-|–|—)\s*{_DAY}$")
_ONE_DAY = re.compile(rf"^{_DAY}$")
_MONTH_OF = re.compile(r"^(\d{4})-(\d{1,2})$")


def _dates(words: str, raw: str) -> tuple[date, date]:
    try:
        if m := _RANGE.match(words):
            y1, m1, d1, y2, m2, d2 = (int(g) for g in m.groups())
            return date(y1, m1, d1), date(y2, m2, d2)
        if m := _ONE_DAY.match(words):
            day = date(*(int(g) for g in m.groups()))
            return day, day
        if m := _MONTH_OF.match(words):
            year, month = int(m.group(1)), int(m.group(2))
            first = date(year, month, 1)
            following = date(year + month // 12, month % 12 + 1, 1)
            return first, following - timedelta(days=1)
    except ValueError:  # 2026-13 or 2026-02-30: the right shape, not a date
        raise PeriodError("format", raw) from None
    raise PeriodError("format", raw)


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tz).astimezone(UTC)


def last_slot(now: datetime, weekday: int, hour: int, tz: ZoneInfo) -> datetime:
    """The latest weekly moment (local `weekday` at `hour`:00) at or before `now`, in UTC."""
    local = now.astimezone(tz)
    day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    slot = datetime.combine(day, time(hour), tz)
    if slot > local:
        slot = datetime.combine(day - timedelta(days=7), time(hour), tz)
    return slot.astimezone(UTC)


def week_tag(at: datetime, tz: ZoneInfo) -> str:
    """The ISO week of a local moment, like 2026-W10: one weekly digest per chat and week."""
    year, week, _ = at.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


# -- buckets for the chart ----------------------------------------------------------------


class Step(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class Buckets:
    """A period cut into bars a phone can show: days up to a month, then weeks, then months."""

    step: Step
    starts: tuple[datetime, ...]  # UTC; the first is the period's start
    days: tuple[date, ...]  # the local day each bucket starts on (the chart's labels)

    @property
    def edges(self) -> tuple[datetime, ...]:
        """The boundaries between buckets (for SQL that sorts rows into them)."""
        return self.starts[1:]

    def index(self, at: datetime) -> int:
        return max(0, bisect_right(self.starts, at) - 1)


def buckets(period: Period, tz: ZoneInfo) -> Buckets:
    first, last = period.first_day(tz), period.last_day(tz)
    span = (last - first).days + 1
    days: list[date] = [first]
    if span <= 31:
        step = Step.DAY
        days += [first + timedelta(days=i) for i in range(1, span)]
    elif span <= 92:
        step = Step.WEEK
        days += [first + timedelta(days=i) for i in range(7, span, 7)]
    else:
        step = Step.MONTH
        month = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        while month <= last:
            days.append(month)
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    starts = (period.start, *(_midnight(d, tz) for d in days[1:]))
    return Buckets(step, starts, tuple(days))


# -- durations ----------------------------------------------------------------------------


def percentile(values: Sequence[T], p: float) -> T | None:
    """Nearest-rank percentile: sort ascending and take the value at rank ⌈p/100 · n⌉
    (1-based), i.e. the smallest value with at least p% of the values at or below it. It is
    always a value that really occurred: the median of 1, 2, 3, 4 is 2, and the 90th
    percentile of ten response times is the ninth fastest. None for no values."""
    if not values:
        return None
    if not 0 < p <= 100:
        raise ValueError("p must be in (0, 100]")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


@dataclass(frozen=True, slots=True)
class Durations:
    """How long something took over a cohort of cases, against a target."""

    n: int  # cases it happened for
    median: timedelta | None
    p90: timedelta | None
    target: timedelta | None  # None when each case was held to its own tier's target
    within_target: int  # of the n, how many within their target
    unanswered: int = 0  # cases in the cohort it has not happened for (yet)

    @property
    def share_within(self) -> float | None:
        """Within target, of every case in the cohort (one not yet answered counts as missed)."""
        total = self.n + self.unanswered
        return self.within_target / total if total else None

    @property
    def share_within_answered(self) -> float | None:
        """Within target, of the cases answered: what staff read as "on time" beside the
        number still waiting, so a case not yet answered is not counted a miss before it is."""
        return self.within_target / self.n if self.n else None


def measure(
    samples: Sequence[tuple[timedelta, timedelta]],
    target: timedelta | None = None,
    unanswered: int = 0,
) -> Durations:
    """(duration, that case's target) pairs as Durations."""
    values = [d for d, _ in samples]
    return Durations(
        n=len(values),
        median=percentile(values, 50),
        p90=percentile(values, 90),
        target=target,
        within_target=sum(1 for d, t in samples if d <= t),
        unanswered=unanswered,
    )


def duration_parts(value: timedelta) -> tuple[str, str]:
    """A duration as a number and a unit a person reads at a glance: minutes up to two hours,
    hours up to two days, then days; at most one decimal ("90", "min"), ("2.5", "h")."""
    minutes = value.total_seconds() / 60
    if minutes < 120:
        return str(round(minutes)), "min"
    if minutes < 48 * 60:
        return _one_decimal(minutes / 60), "h"
    return _one_decimal(minutes / 1440), "days"


def _one_decimal(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


@dataclass(frozen=True, slots=True)
class CaseTiming:
    """One case opened in the period: what the response times are measured from."""

    tier: Tier
    opened_at: datetime
    first_response_at: datetime | None
    claimed_at: datetime | None  # its first claim or hand-over


# -- the figures --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FunnelRow:
    """One lesson: of the deliveries in the period, how many got how far."""

    lesson: str
    delivered: int
    opened: int
    task_done: int  # said at the check-in they tried the task (went well, or not easy)
    checkin_answered: int
    answered: int = 0  # answered the check question (and so were given the task)
    programme: str = ""
    week: int = 0

    def __add__(self, other: FunnelRow) -> FunnelRow:
        return FunnelRow(
            self.lesson,
            self.delivered + other.delivered,
            self.opened + other.opened,
            self.task_done + other.task_done,
            self.checkin_answered + other.checkin_answered,
            self.answered + other.answered,
            self.programme,
        )


@dataclass(frozen=True, slots=True)
class GuardianCounts:
    """Guardians in the lesson programme. Each is in exactly one of active, paused, stopped,
    completed and blocked: blocked (they blocked the bot) before stopped (they asked us to)
    before the enrolment's own state."""

    enrolled: int = 0  # enrolled before the period ended
    new: int = 0  # enrolled within the period
    active: int = 0
    paused: int = 0
    stopped: int = 0
    completed: int = 0
    blocked: int = 0
    engaged: int = 0  # did something (read, answered, checked in) within the period


@dataclass(frozen=True, slots=True)
class FollowUpCounts:
    open: int = 0  # not done, as of the end of the period
    overdue: int = 0  # of those, past their date
    due: int = 0  # falling due within the period
    done: int = 0  # done within the period


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """One bar of the chart."""

    start: datetime
    day: date  # the local day the bucket starts on
    cases: Mapping[str, int]  # new cases by tier
    lessons: int  # lessons delivered
    screenings: int


@dataclass(frozen=True, slots=True)
class Figures:
    period: Period
    as_of: datetime  # the end of the period, or now if that is sooner
    service_point_id: int | None
    step: Step
    cases_by_tier: Mapping[str, int]
    cases_by_outcome: Mapping[str, int]
    first_response: Mapping[str, Durations]  # per tier, each against its own target
    first_response_all: Durations
    claim: Mapping[str, Durations]
    claim_all: Durations
    open_cases: int
    overdue_cases: int  # open, unanswered, past their tier's first-response target
    follow_ups_open: int
    follow_ups_overdue: int
    follow_ups_due: int  # falling due within the period
    follow_ups_done: int  # done within the period
    referrals_by_status: Mapping[str, int]  # referrals made in the period, as they stand now
    screenings: Mapping[str, Mapping[str, int]]  # instrument -> tier (or "none") -> count
    worsened: int  # children whose screening tier worsened
    guardians: GuardianCounts
    funnel: tuple[FunnelRow, ...]
    series: tuple[SeriesPoint, ...] = field(default=())

    @property
    def cases_total(self) -> int:
        return sum(self.cases_by_tier.values())

    @property
    def screenings_total(self) -> int:
        return sum(sum(by_tier.values()) for by_tier in self.screenings.values())

    def funnel_total(self, programme: str | None = "guardian") -> FunnelRow:
        """Every lesson of a programme (None: of all programmes) added up."""
        total = FunnelRow("", 0, 0, 0, 0, programme=programme or "")
        for row in self.funnel:
            if programme is None or row.programme == programme:
                total = total + row
        return total


def series_of(
    cuts: Buckets,
    timings: Sequence[CaseTiming],
    lessons: Mapping[int, int],
    screenings: Mapping[int, int],
) -> tuple[SeriesPoint, ...]:
    """The chart's bars: new cases by tier from `timings`, and lessons delivered and
    screenings as counted per bucket index."""
    per_bucket: list[dict[str, int]] = [{t.value: 0 for t in TIERS} for _ in cuts.starts]
    for c in timings:
        per_bucket[cuts.index(c.opened_at)][c.tier.value] += 1
    return tuple(
        SeriesPoint(start, day, per_bucket[i], lessons.get(i, 0), screenings.get(i, 0))
        for i, (start, day) in enumerate(zip(cuts.starts, cuts.days, strict=True))
    )


def by_tier(timings: Sequence[CaseTiming]) -> dict[str, int]:
    counts = {t.value: 0 for t in TIERS}
    for c in timings:
        counts[c.tier.value] += 1
    return counts


def response_times(
    timings: Sequence[CaseTiming],
    targets: Mapping[Tier, timedelta],
    when: Callable[[CaseTiming], datetime | None],
) -> tuple[dict[str, Durations], Durations]:
    """Per tier (against that tier's target) and over all tiers (each case against its own)."""
    per: dict[str, Durations] = {}
    every: list[tuple[timedelta, timedelta]] = []
    missing_all = 0
    for tier in TIERS:
        samples: list[tuple[timedelta, timedelta]] = []
        missing = 0
        for c in timings:
            if c.tier is not tier:
                continue
            at = when(c)
            if at is None:
                missing += 1
            else:
                samples.append((max(timedelta(0), at - c.opened_at), targets[tier]))
        per[tier.value] = measure(samples, targets[tier], missing)
        every += samples
        missing_all += missing
    return per, measure(every, None, missing_all)
