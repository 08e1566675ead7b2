"""The CSV's small-count rule: no cell a reader could narrow to one child. And no cell a
spreadsheet would run: a service point's name is typed by an operator."""

from __future__ import annotations

import csv
import io

import pytest

from bot.domain.oversight import Period
from bot.domain.people import ServicePointKind
from bot.ports import ServicePoint
from bot.services.reports import (
    COMPLEMENT,
    HIDDEN,
    Choice,
    Reports,
    small,
    spreadsheet_cell,
    suppressed,
)
from tests.figures import NOW, TZ, make_figures


def test_counts_from_one_to_four_are_hidden_and_zero_is_not() -> None:
    assert [small(n) for n in (0, 1, 2, 3, 4, 5, 17)] == ["0", *[HIDDEN] * 4, "5", "17"]


def test_a_lone_hidden_cell_hides_its_smallest_neighbour_too() -> None:
    # With the total published (22), red = 22 - 7 - 12 unless another cell is hidden as well.
    assert suppressed({"red": 3, "orange": 7, "green": 12}) == {
        "red": HIDDEN,
        "orange": COMPLEMENT,
        "green": "12",
    }


def test_two_hidden_cells_or_zeros_need_nothing_more() -> None:
    assert suppressed({"red": 3, "orange": 2, "green": 9}) == {
        "red": HIDDEN,
        "orange": HIDDEN,
        "green": "9",
    }
    # A zero reveals nobody, and leaves nothing to work a hidden cell out from.
    assert suppressed({"red": 3, "green": 0}) == {"red": HIDDEN, "green": "0"}
    assert suppressed({"red": 0, "green": 8}) == {"red": "0", "green": "8"}


def exported(name: str) -> str:
    """The CSV made for a service point of that name, as text."""
    period = Period.week_before(NOW, TZ)
    point = ServicePoint(7, "SP-7", name, ServicePointKind.OTHER, "", "", None)
    choice = Choice(period, point, period.first_day(TZ), period.last_day(TZ))
    reports = Reports(None, None, None, None, "Asia/Shanghai")  # type: ignore[arg-type]
    _, body = reports.csv(choice, make_figures(period), NOW)
    return body.decode("utf-8-sig")


@pytest.mark.parametrize(
    "name",
    [
        "=cmd|' /C calc'!A0",
        "+1+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_a_name_a_spreadsheet_would_run_is_exported_as_text(name: str) -> None:
    rows = list(csv.reader(io.StringIO(exported(name), newline="")))
    [cell] = [r[2] for r in rows if r[0] == "service_point"]
    assert cell == "'" + name  # the whole name, marked as text
    for row in rows:
        for value in row:
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), row


def test_numbers_stay_numbers_and_only_formula_text_is_marked() -> None:
    assert spreadsheet_cell("=1+1") == "'=1+1"
    assert spreadsheet_cell("-1+1") == "'-1+1"
    assert spreadsheet_cell("-3") == -3  # a negative count is a number, not a formula
    assert spreadsheet_cell("12") == 12
    assert spreadsheet_cell("0") == 0
    assert spreadsheet_cell("007") == "007"  # a name: its zeros stay
    assert spreadsheet_cell("<5") == "<5"
    assert spreadsheet_cell("心桥 = 站") == "心桥 = 站"  # only the first character matters


def test_text_is_quoted_so_a_semicolon_cannot_split_a_cell() -> None:
    # Where ";" separates cells (many European spreadsheets), an unquoted 站点;=1+1 would
    # open as two cells, the second a formula.
    text = exported("站点;=1+1")
    assert '"service_point","","站点;=1+1"\r\n' in text
    assert '"cases_opened_by_tier","total",23\r\n' in text  # numbers bare
