"""The dashboard's reports: a period's figures for a service point (or all of them), the chart,
and a CSV of aggregated, de-identified figures to share with civil-affairs departments.

The CSV holds counts and statistics only: no person's id, code, name or words, and no staff
names; its only words are fixed labels, dates and the service point's name. A count from 1
to 4 is written "<5", so that nobody can be singled out (in a village, "1 red case" may be one
known child); zero stays 0, which reveals nobody. Where a breakdown is published beside its
total, one hidden cell could be worked out from the total and the others, so when exactly one
cell of a breakdown is hidden the next smallest non-zero cell is hidden too ("x"). A median or
a share over fewer than five cases describes those few cases, so it is written "n<5".

Spreadsheets run a cell that starts with = + - @ (or a tab or carriage return before one) as
a formula, and a service point's name is typed by an operator: every cell goes through
`spreadsheet_cell` (OWASP's rule: such text gets a leading apostrophe), and every text cell is
quoted, so a `;` in a name cannot start a new cell where `;` is the separator. A number stays
a number, a negative one too.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.numbers import parse_int
from bot.domain.oversight import TIERS, Durations, Figures, Period, PeriodError
from bot.ports import ChartRenderer, Clock, ServicePoint, UnitOfWorkFactory
from bot.services.oversight import Oversight

SMALL = 5
HIDDEN = "<5"  # a count from 1 to SMALL - 1
COMPLEMENT = "x"  # hidden so that a hidden neighbour cannot be worked out from the total
FEW = "n<5"  # a statistic over fewer than SMALL cases
DEFAULT_DAYS = 7
CSV_FORMAT = "xinqiao-figures/1"
# https://owasp.org/www-community/attacks/CSV_Injection
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# No leading zeros: "007" is a name, and must keep its zeros.
NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")


# The labels for (kind, code) cells, in order: kind is header, measure, breakdown or value.
Words = Callable[[Sequence[tuple[str, str]]], Sequence[str]]


def _in_words(
    header: tuple[str, str, str],
    rows: Sequence[tuple[str, str, str]],
    words: Words,
    all_points: bool,
) -> tuple[tuple[str, str, str], list[tuple[str, str, str]]]:
    """The header and rows with their labels in words; figures, dates and names as they are
    (a service point's name is its own words)."""

    def value(measure: str, v: str) -> tuple[str, str] | None:
        if measure == "small_counts" or (measure == "service_point" and all_points):
            return ("value", "small_counts" if measure == "small_counts" else "all")
        return None

    cells: list[tuple[str, str]] = [("header", h) for h in header]
    for measure, breakdown, v in rows:
        cells += [("measure", measure), ("breakdown", breakdown)]
        cells += [value(measure, v) or ("value", "")]
    said = list(words(cells))
    if len(said) != len(cells):
        raise ValueError(f"{len(cells)} labels asked, {len(said)} given")
    head = (said[0], said[1], said[2])
    out = []
    for n, (measure, _, v) in enumerate(rows):
        m, b, w = said[3 + 3 * n : 6 + 3 * n]
        out.append((m, b, w if value(measure, v) else v))
    return head, out


class ChoiceError(ValueError):
    """The form's fields are not a report: `reason` is format, order, too_long, future (the
    period) or place (no such service point)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def small(n: int) -> str:
    """One count as it may be shared."""
    return HIDDEN if 0 < n < SMALL else str(n)


def suppressed(cells: Mapping[str, int]) -> dict[str, str]:
    """A breakdown as it may be shared beside its total (primary and complementary
    suppression): no hidden cell can be recovered by subtraction."""
    out = {k: small(v) for k, v in cells.items()}
    hidden = [k for k, v in out.items() if v == HIDDEN]
    if len(hidden) == 1:
        rest = sorted((v, k) for k, v in cells.items() if k not in hidden and v > 0)
        if rest:
            out[rest[0][1]] = COMPLEMENT
    return out


def spreadsheet_cell(value: str) -> str | int | float:
    """One CSV cell as a spreadsheet may open it: a number as a number; text that a
    spreadsheet would take for a formula with a leading apostrophe, so it stays text."""
    if NUMBER.fullmatch(value):
        return float(value) if "." in value else int(value)
    if value.startswith(FORMULA_START):
        return "'" + value
    return value


def _minutes(value: timedelta | None) -> str:
    return "" if value is None else str(round(value.total_seconds() / 60))


@dataclass(frozen=True, slots=True)
class Choice:
    """What a report is about: a period and a service point (None: all of them)."""

    period: Period
    service_point: ServicePoint | None
    first: date
    last: date


class Reports:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        oversight: Oversight,
        charts: ChartRenderer,
        timezone: str,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.oversight = oversight
        self.charts = charts
        self.timezone = timezone
        self.tz = ZoneInfo(timezone)

    async def service_points(self) -> Sequence[ServicePoint]:
        async with self.uow() as uow:
            return list(await uow.service_points.all())

    async def choose(self, first: str, last: str, sp: str) -> Choice:
        """From the form's fields (ChoiceError if they are not a report). No dates: the last
        seven days, today included."""
        now = self.clock.now()
        text = f"{first or last}..{last or first}" if first or last else "week"
        try:
            period = Period.parse(text, now, self.timezone)
        except PeriodError as exc:
            raise ChoiceError(exc.reason) from None
        point = None
        if sp.strip():
            number = parse_int(sp.strip())
            if number is not None:
                async with self.uow() as uow:
                    point = await uow.service_points.by_id(number)
            if point is None:
                raise ChoiceError("place")
        return Choice(period, point, period.first_day(self.tz), period.last_day(self.tz))

    async def figures(self, choice: Choice) -> Figures:
        sp = choice.service_point.id if choice.service_point else None
        return await self.oversight.figures(choice.period, sp)

    async def chart(self, choice: Choice, locale: str) -> bytes:
        figures = await self.figures(choice)
        # Drawing takes tenths of a second of CPU: off the event loop.
        return await asyncio.to_thread(self.charts.week_chart, figures, locale)

    def page_data(self, figures: Figures) -> dict[str, Any]:
        """The figures as the page shows them to a supervisor: exact (nothing leaves)."""
        response = figures.first_response_all
        share = response.share_within
        funnel = figures.funnel_total("guardian")
        return {
            "cases": figures.cases_total,
            "tiers": [
                {"tier": t.value, "n": figures.cases_by_tier.get(t.value, 0)} for t in TIERS
            ],
            "outcomes": dict(figures.cases_by_outcome),
            "answered": response.n,
            "unanswered": response.unanswered,
            "median": _minutes(response.median),
            "p90": _minutes(response.p90),
            "within": None if share is None else round(share * 100),
            "open": figures.open_cases,
            "overdue": figures.overdue_cases,
            "fu": {
                "open": figures.follow_ups_open,
                "overdue": figures.follow_ups_overdue,
                "due": figures.follow_ups_due,
                "done": figures.follow_ups_done,
            },
            "referrals": dict(figures.referrals_by_status),
            "screenings": figures.screenings_total,
            "instruments": {k: sum(v.values()) for k, v in sorted(figures.screenings.items())},
            "worsened": figures.worsened,
            "guardians": figures.guardians,
            "funnel": funnel,
        }

    def csv(
        self, choice: Choice, figures: Figures, made_at: datetime, words: Words | None = None
    ) -> tuple[str, bytes]:
        """(filename, UTF-8 CSV with a byte-order mark, which Excel needs to read Chinese).
        With `words`, every label is in the staff's language (a civil-affairs office reads
        it); without, the codes (what the figures are called in the code)."""
        rows: list[tuple[str, str, str]] = [
            ("format", "", CSV_FORMAT),
            ("period_first_day", "", choice.first.isoformat()),
            ("period_last_day", "", choice.last.isoformat()),
            ("service_point", "", choice.service_point.name if choice.service_point else "all"),
            ("made_at", "", made_at.astimezone(self.tz).isoformat(timespec="minutes")),
            ("small_counts", "", f"1-{SMALL - 1} shown as {HIDDEN}; {COMPLEMENT}: hidden too"),
        ]

        def group(measure: str, cells: Mapping[str, int], total: bool = True) -> None:
            if total:
                rows.append((measure, "total", small(sum(cells.values()))))
            rows.extend((measure, k, v) for k, v in suppressed(cells).items())

        def stats(measure: str, d: Durations) -> None:
            # A median is over the cases answered; the share over every case in the cohort.
            timed = d.n >= SMALL
            share = d.share_within
            rows.append((f"{measure}_median_minutes", "", _minutes(d.median) if timed else FEW))
            rows.append((f"{measure}_p90_minutes", "", _minutes(d.p90) if timed else FEW))
            within = "" if share is None else str(round(share * 100))
            enough = d.n + d.unanswered >= SMALL
            rows.append((f"{measure}_within_target_percent", "", within if enough else FEW))

        tiers = {t.value: figures.cases_by_tier.get(t.value, 0) for t in TIERS}
        group("cases_opened_by_tier", tiers)
        group("cases_closed_by_outcome", dict(figures.cases_by_outcome))
        stats("first_response", figures.first_response_all)
        stats("claim", figures.claim_all)
        rows.append(("cases_open_at_end", "", small(figures.open_cases)))
        rows.append(("cases_overdue_at_end", "", small(figures.overdue_cases)))
        rows.append(("follow_ups_open_at_end", "", small(figures.follow_ups_open)))
        rows.append(("follow_ups_overdue_at_end", "", small(figures.follow_ups_overdue)))
        rows.append(("follow_ups_due_in_period", "", small(figures.follow_ups_due)))
        rows.append(("follow_ups_done_in_period", "", small(figures.follow_ups_done)))
        group("referrals_made_by_status", dict(figures.referrals_by_status))
        for instrument, by in sorted(figures.screenings.items()):
            group(f"screenings_{instrument}_by_tier", dict(by))
        rows.append(("children_screening_tier_worsened", "", small(figures.worsened)))
        g = figures.guardians
        group(
            "guardians_by_state",
            {
                "active": g.active,
                "paused": g.paused,
                "stopped": g.stopped,
                "completed": g.completed,
                "blocked": g.blocked,
            },
        )
        rows.append(("guardians_new_in_period", "", small(g.new)))
        rows.append(("guardians_engaged_in_period", "", small(g.engaged)))
        f = figures.funnel_total("guardian")
        for measure, n in (
            ("delivered", f.delivered),
            ("opened", f.opened),
            ("answered", f.answered),
            ("checkin_answered", f.checkin_answered),
            ("task_done", f.task_done),
        ):
            rows.append((f"guardian_lessons_{measure}", "", small(n)))
        header = ("measure", "breakdown", "value")
        if words is not None:
            header, rows = _in_words(header, rows, words, choice.service_point is None)
        out = io.StringIO()
        # Text quoted, numbers bare: the cells are str or int after spreadsheet_cell.
        writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)
        writer.writerow(header)
        writer.writerows([spreadsheet_cell(cell) for cell in row] for row in rows)
        name = f"xinqiao-figures-{choice.first.isoformat()}-{choice.last.isoformat()}.csv"
        return name, ("\ufeff" + out.getvalue()).encode("utf-8")
