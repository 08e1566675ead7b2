"""Which lines answer now, across midnight, and when counsellors are back (issue 18)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.domain.cases import DutyHours
from bot.domain.hotlines import (
    Hotline,
    HotlineBook,
    LineState,
    OpenHours,
    parse_days,
    parse_open,
)

SHANGHAI = "Asia/Shanghai"


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """December 2026 in Shanghai, as the UTC instant the clock gives (Dec 7 is a Monday)."""
    return datetime(2026, 12, day, hour, minute, tzinfo=ZoneInfo(SHANGHAI)).astimezone(UTC)


def state(hours: OpenHours, day: int, hour: int, minute: int = 0) -> LineState:
    return hours.state(local(day, hour, minute).astimezone(ZoneInfo(SHANGHAI)))


@pytest.mark.parametrize(
    ("hour", "minute", "expected"),
    [
        (7, 59, LineState.CLOSED),
        (8, 0, LineState.OPEN),
        (23, 59, LineState.OPEN),
        (0, 0, LineState.OPEN),
        (1, 59, LineState.OPEN),
        (2, 0, LineState.CLOSED),
        (3, 0, LineState.CLOSED),
    ],
)
def test_a_span_past_midnight_is_open_until_it_ends(
    hour: int, minute: int, expected: LineState
) -> None:
    assert state(parse_open("08:00-02:00"), 8, hour, minute) is expected


def test_a_span_past_midnight_belongs_to_the_day_it_starts() -> None:
    weekdays = parse_open("20:00-02:00", "mon-fri")
    assert state(weekdays, 12, 1) is LineState.OPEN  # Saturday 01:00: Friday's night
    assert state(weekdays, 12, 20) is LineState.CLOSED  # Saturday evening
    assert state(weekdays, 14, 1) is LineState.CLOSED  # Monday 01:00: Sunday had no night
    assert state(weekdays, 14, 21) is LineState.OPEN


def test_office_hours_round_the_clock_and_unknown() -> None:
    office = parse_open("09:00-12:00, 14:00-17:30", "mon-fri")
    assert state(office, 7, 10) is LineState.OPEN
    assert state(office, 7, 13) is LineState.CLOSED
    assert state(office, 7, 17, 29) is LineState.OPEN
    assert state(office, 12, 10) is LineState.CLOSED  # Saturday
    assert state(parse_open("24h"), 8, 3) is LineState.OPEN
    assert state(parse_open("varies"), 8, 3) is LineState.VARIES
    assert state(parse_open("varies"), 8, 12) is LineState.VARIES  # never claimed open


@pytest.mark.parametrize(
    ("spec", "days", "message"),
    [
        ("8 till late", "", "spans like 08:00-02:00"),
        ("08:00-08:00", "", "write 24h"),
        ("24h", "mon-fri", "every day"),
        ("08:00-17:00", "weekdays", "mon-fri"),
    ],
)
def test_unreadable_hours_are_refused(spec: str, days: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_open(spec, days)


def test_days() -> None:
    assert parse_days("") == frozenset(range(7))
    assert parse_days("mon-fri") == frozenset(range(5))
    assert parse_days("sat,sun") == frozenset({5, 6})
    assert parse_days("fri-mon") == frozenset({4, 5, 6, 0})


def line(number: str, hours: str, emergency: bool = False) -> Hotline:
    return Hotline(number, f"line {number}", hours, "", emergency, parse_open(hours))


BOOK = HotlineBook(
    {
        "national": [
            line("110", "24h", emergency=True),
            line("12356", "varies"),
            line("12355", "09:00-17:00"),
            line("400-161-9995", "24h"),
        ],
        "shanxi-jinzhong": [line("12356", "08:00-02:00"), line("0354-000", "09:00-17:00")],
    },
    "national",
    SHANGHAI,
)


def numbers(shown: dict[str, list[Hotline]], key: str) -> list[str]:
    return [h.number for h in shown[key]]


def test_at_3am_the_24_hour_line_comes_first_and_closed_lines_last() -> None:
    shown = BOOK.shown("shanxi-jinzhong", local(8, 3))
    assert numbers(shown, "emergency") == ["110"]
    assert numbers(shown, "open_now") == ["400-161-9995"]
    assert numbers(shown, "varies") == []  # the city's own 12356 replaced the national one
    assert numbers(shown, "closed") == ["12356", "0354-000", "12355"]
    assert numbers(shown, "lines") == ["400-161-9995", "12356", "0354-000", "12355"]


def test_at_1am_the_citys_seat_still_answers_and_leads() -> None:
    shown = BOOK.shown("shanxi-jinzhong", local(8, 1))
    assert numbers(shown, "open_now") == ["12356", "400-161-9995"]


def test_the_configured_timezone_decides_not_utc() -> None:
    # 10:00 UTC is 18:00 in Shanghai: office hours are over there.
    shown = BOOK.shown(None, datetime(2026, 12, 8, 10, 0, tzinfo=UTC))
    assert "12355" in numbers(shown, "closed")
    assert numbers(shown, "varies") == ["12356"]


def test_an_unknown_region_falls_back_to_the_national_lines() -> None:
    assert [h.number for h in BOOK.for_region("nowhere")] == [
        "110",
        "12356",
        "12355",
        "400-161-9995",
    ]


def test_counsellors_back_today_tomorrow_or_on_a_date() -> None:
    duty = DutyHours(time(8), time(22), holidays=frozenset({date(2026, 12, 9)}))
    assert duty.back(local(8, 3)) == {
        "day": "today",
        "time": "8:00",
        "weekday": 1,
        "month": 12,
        "date": 8,
    }
    tomorrow = duty.back(local(7, 23))
    assert tomorrow is not None and tomorrow["day"] == "tomorrow" and tomorrow["date"] == 8
    # Wednesday the 9th is a holiday: from Tuesday night, Thursday 8:00.
    later = duty.back(local(8, 23))
    assert later is not None and (later["day"], later["date"], later["weekday"]) == (
        "date",
        10,
        3,
    )
    # Open hours with nobody on duty: no time to promise.
    assert duty.back(local(8, 10)) is None
