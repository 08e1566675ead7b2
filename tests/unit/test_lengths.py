"""Text budgets counted as Telegram counts them: UTF-16 code units."""

from __future__ import annotations

import pytest

from bot.domain.lengths import (
    MARK,
    TEXT_LIMIT,
    clip,
    head_and_rest,
    how_many,
    share,
    split,
    units,
)

EMOJI = "😀"  # outside the BMP: two units
RARE = "𠀀"  # CJK Extension B: two units
FAMILY = "👨\u200d👩\u200d👧"  # one picture, eight units


def test_units_count_utf16() -> None:
    assert units("abc") == 3
    assert units("我想说") == 3
    assert units(EMOJI) == 2 and units(RARE) == 2
    assert units(FAMILY) == 8
    assert units("<&>") == 3  # what Telegram sees once the HTML escapes are decoded


@pytest.mark.parametrize("char", ["a", "我", EMOJI, RARE, "<"])
def test_clip_fits_and_marks(char: str) -> None:
    text = char * 5000
    out = clip(text, 300)
    assert units(out) <= 300 and out.endswith(MARK)
    assert text.startswith(out[: -len(MARK)])
    assert clip("short", 300) == "short"


def test_clip_never_splits_a_joined_emoji() -> None:
    text = "a" + FAMILY * 100
    for budget in range(2, 60):
        out = clip(text, budget, mark="")
        assert units(out) <= budget
        assert not out.endswith("\u200d") and (len(out) - 1) % 5 == 0, (budget, out)


@pytest.mark.parametrize("char", ["a", "我", EMOJI, RARE, "é", "e\u0301"])
def test_split_loses_nothing_and_fits(char: str) -> None:
    text = char * 9000
    pieces = split(text, 3500)
    assert "".join(pieces) == text
    assert all(0 < units(p) <= 3500 for p in pieces)
    assert len(pieces) == -(-units(text) // 3500) or char == "e\u0301"


def test_split_breaks_at_a_space_or_line_near_the_end() -> None:
    text = ("word " * 2000).strip()
    pieces = split(text, 100)
    assert "".join(pieces) == text
    assert all(p.endswith(" ") for p in pieces[:-1])
    assert split("", 100) == [""]
    assert split("abc", 100) == ["abc"]


def test_head_and_rest() -> None:
    text = EMOJI * 3000
    head, rest = head_and_rest(text, 3000)
    assert units(head) <= 3000 and head.endswith(MARK)
    assert head[: -len(MARK)] + rest == text
    assert head_and_rest("hi", 3000) == ("hi", "")


def test_share_keeps_short_quotes_whole() -> None:
    quotes = ["short", "我" * 4000, EMOJI * 4000]
    out = share(quotes, 1000)
    assert out[0] == "short"
    assert sum(units(q) for q in out) <= 1000
    assert units(out[1]) >= 400 and units(out[2]) >= 400
    assert share(["a", "b"], 10) == ["a", "b"]


def test_how_many() -> None:
    assert how_many([10, 10, 10], 25) == 2
    assert how_many([], 5) == 0
    assert how_many([TEXT_LIMIT + 1], TEXT_LIMIT) == 0
