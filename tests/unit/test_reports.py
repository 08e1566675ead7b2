"""The CSV's small-count rule: no cell a reader could narrow to one child."""

from __future__ import annotations

from bot.services.reports import COMPLEMENT, HIDDEN, small, suppressed


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
