"""The oversight domain: periods from `/stats` arguments, percentiles, buckets, the weekly slot."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.cases import Tier
from bot.domain.oversight import (
    CaseTiming,
    Period,
    PeriodError,
    Step,
    buckets,
    duration_parts,
    last_slot,
    measure,
    percentile,
    response_times,
    week_tag,
)

SH = "Asia/Shanghai"
TZ = ZoneInfo(SH)
# Wednesday 2026-03-11, 10:00 in Shanghai.
NOW = datetime(2026, 3, 11, 2, 0, tzinfo=UTC)


def local(d: str) -> datetime:
    """Local midnight of an ISO date, in UTC."""
    return datetime.combine(date.fromisoformat(d), datetime.min.time(), TZ).astimezone(UTC)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("", "2026-03-05", "2026-03-11"),  # the last 7 days, today included
        ("week", "2026-03-05", "2026-03-11"),
        (" 周 ", "2026-03-05", "2026-03-11"),
        ("MONTH", "2026-02-10", "2026-03-11"),  # the last 30 days
        ("月", "2026-02-10", "2026-03-11"),
        ("2026-02", "2026-02-01", "2026-02-28"),
        ("2025-12", "2025-12-01", "2025-12-31"),
        ("2026-3", "2026-03-01", "2026-03-31"),
        ("2026-03-01..2026-03-15", "2026-03-01", "2026-03-15"),
        ("2026-03-01 .. 2026-03-15", "2026-03-01", "2026-03-15"),
        ("2026-03-01至2026-03-15", "2026-03-01", "2026-03-15"),
        ("2026-03-01~2026-3-2", "2026-03-01", "2026-03-02"),
        ("２０２６－０３－０１．．２０２６－０３－０２", "2026-03-01", "2026-03-02"),  # full width
        ("2026-03-09", "2026-03-09", "2026-03-09"),
        ("2025-03-11..2026-03-11", "2025-03-11", "2026-03-11"),  # 366 days: the most
    ],
)
def test_stats_arguments_become_whole_local_days(text: str, first: str, last: str) -> None:
    period = Period.parse(text, NOW, SH)
    assert period.start == local(first)
    assert period.end == local(last) + timedelta(days=1)
    assert period.first_day(TZ) == date.fromisoformat(first)
    assert period.last_day(TZ) == date.fromisoformat(last)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("yesterday", "format"),
        ("2026-13", "format"),
        ("2026-02-30", "format"),
        ("2026-03-01..", "format"),
        ("<b>1</b>", "format"),
        ("2026-03-15..2026-03-01", "order"),
        ("2024-01-01..2026-01-01", "too_long"),
        ("2026-04", "future"),
        ("2026-03-12", "future"),
    ],
)
def test_bad_arguments_say_what_is_wrong(text: str, reason: str) -> None:
    with pytest.raises(PeriodError) as caught:
        Period.parse(text, NOW, SH)
    assert caught.value.reason == reason
    assert caught.value.text == text


def test_a_period_is_aware_and_not_empty() -> None:
    with pytest.raises(ValueError, match="aware"):
        Period(datetime(2026, 3, 1), datetime(2026, 3, 2))
    with pytest.raises(ValueError, match="after"):
        Period(NOW, NOW)


def test_local_days_follow_the_wall_clock_across_dst() -> None:
    berlin = ZoneInfo("Europe/Berlin")  # clocks go forward on 2026-03-29
    period = Period.local_days(date(2026, 3, 29), date(2026, 3, 29), berlin)
    assert period.length == timedelta(hours=23)
    cuts = buckets(Period.local_days(date(2026, 3, 27), date(2026, 3, 31), berlin), berlin)
    assert [s.astimezone(berlin).hour for s in cuts.starts] == [0, 0, 0, 0, 0]


def test_nearest_rank_percentiles() -> None:
    assert percentile([], 50) is None
    assert percentile([7], 50) == percentile([7], 90) == 7
    assert percentile([4, 1, 3, 2], 50) == 2  # the lower middle: a value that occurred
    assert percentile([1, 2, 3], 50) == 2
    assert percentile(list(range(1, 11)), 90) == 9  # rank ceil(9.0) = 9
    assert percentile(list(range(1, 12)), 90) == 10  # rank ceil(9.9) = 10
    assert percentile(list(range(1, 101)), 90) == 90
    assert percentile([5, 1], 100) == 5
    with pytest.raises(ValueError, match="p must"):
        percentile([1], 0)


def test_durations_count_the_unanswered_as_missed() -> None:
    m = timedelta(minutes=1)
    d = measure([(3 * m, 5 * m), (20 * m, 15 * m), (30 * m, 60 * m)], None, unanswered=1)
    assert (d.n, d.median, d.p90, d.within_target) == (3, 20 * m, 30 * m, 2)
    assert d.share_within == 0.5
    assert measure([], 5 * m).share_within is None


def test_response_times_hold_each_case_to_its_own_tier() -> None:
    t0 = NOW
    m = timedelta(minutes=1)
    targets = {Tier.RED: 5 * m, Tier.ORANGE: 15 * m, Tier.YELLOW: 60 * m, Tier.GREEN: 1440 * m}
    timings = [
        CaseTiming(Tier.RED, t0, t0 + 6 * m, t0 + m),
        CaseTiming(Tier.GREEN, t0, t0 + 6 * m, None),
    ]
    per, overall = response_times(timings, targets, lambda c: c.first_response_at)
    assert per["red"].within_target == 0 and per["green"].within_target == 1
    assert overall.within_target == 1 and overall.target is None
    _, claim = response_times(timings, targets, lambda c: c.claimed_at)
    assert (claim.n, claim.unanswered) == (1, 1)


def test_buckets_are_days_then_weeks_then_months() -> None:
    week = buckets(Period.parse("", NOW, SH), TZ)
    assert week.step is Step.DAY and len(week.starts) == 7
    assert week.days[0] == date(2026, 3, 5) and week.days[-1] == date(2026, 3, 11)
    assert week.index(local("2026-03-05")) == 0
    assert week.index(local("2026-03-07") + timedelta(hours=23)) == 2
    assert week.index(local("2026-03-11") + timedelta(hours=1)) == 6
    assert len(week.edges) == 6
    month = buckets(Period.parse("month", NOW, SH), TZ)
    assert month.step is Step.DAY and len(month.starts) == 30
    quarter = buckets(Period.parse("2025-12-01..2026-02-28", NOW, SH), TZ)
    assert quarter.step is Step.WEEK and len(quarter.starts) == 13
    assert quarter.days[1] == date(2025, 12, 8)
    year = buckets(Period.parse("2025-03-15..2026-03-11", NOW, SH), TZ)
    assert year.step is Step.MONTH
    assert year.days[:2] == (date(2025, 3, 15), date(2025, 4, 1))
    assert year.days[-1] == date(2026, 3, 1) and len(year.days) == 13


def test_the_weekly_slot_and_its_week() -> None:
    monday_nine = local("2026-03-09") + timedelta(hours=9)
    assert last_slot(monday_nine, 0, 9, TZ) == monday_nine
    assert last_slot(monday_nine - timedelta(seconds=1), 0, 9, TZ) == monday_nine - timedelta(
        days=7
    )
    assert last_slot(NOW, 0, 9, TZ) == monday_nine  # Wednesday: Monday's
    assert last_slot(NOW, 2, 23, TZ) == local("2026-03-04") + timedelta(hours=23)
    assert week_tag(monday_nine, TZ) == "2026-W11"
    # Sunday 23:30 local is still the ISO week before, whatever UTC says.
    assert week_tag(local("2026-03-08") + timedelta(hours=23, minutes=30), TZ) == "2026-W10"
    digest = Period.week_before(monday_nine, TZ)
    assert (digest.start, digest.end) == (local("2026-03-02"), local("2026-03-09"))


def test_durations_read_at_a_glance() -> None:
    assert duration_parts(timedelta(seconds=89)) == ("1", "min")
    assert duration_parts(timedelta(minutes=119)) == ("119", "min")
    assert duration_parts(timedelta(minutes=150)) == ("2.5", "h")
    assert duration_parts(timedelta(hours=24)) == ("24", "h")
    assert duration_parts(timedelta(days=3, hours=6)) == ("3.2", "days")
