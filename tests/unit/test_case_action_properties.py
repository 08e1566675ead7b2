"""The staff buttons' data as properties over every action hypothesis can make: each packs to
text Telegram keeps and parses back to itself, and whatever parses has one spelling.

Apart from test_case_actions.py because hypothesis costs seconds to import and to warm up (its
first text strategies build Unicode tables): the fast layer leaves these to the full run, and
the table of every action's text there still checks each shape both ways.
"""

from __future__ import annotations

from dataclasses import fields
from enum import StrEnum
from typing import Any, get_type_hints

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.callback import LIMIT
from bot.domain.case_actions import ACTIONS, CaseAction, parse
from bot.domain.numbers import MAX_ROW_ID

pytestmark = pytest.mark.slow
# What is generated is the test; how fast it is generated is not. On a machine with eight test
# runs at once, Hypothesis's own "input generation is slow" check failed correct code.
UNHURRIED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- round trips ----------------------------------------------------------------------------

row_ids = st.integers(min_value=0, max_value=MAX_ROW_ID)
words = st.from_regex(r"[A-Za-z0-9_.-]{1,12}", fullmatch=True)


def _value(kind: Any) -> st.SearchStrategy[Any]:
    if kind is int:
        return row_ids
    if kind is str:
        return words
    assert issubclass(kind, StrEnum), kind
    return st.sampled_from(list(kind))


@st.composite
def actions(draw: st.DrawFn) -> CaseAction:
    kind = draw(st.sampled_from(ACTIONS))
    hints = get_type_hints(kind)
    values = {f.name: draw(_value(hints[f.name])) for f in fields(kind)}
    return kind(**values)


@UNHURRIED
@given(actions())
def test_an_action_parses_back_to_itself(action: CaseAction) -> None:
    data = action.pack()
    assert len(data.encode()) <= LIMIT
    assert parse(data) == action


def _forged(draw: st.DrawFn, data: str) -> str:
    """A real button's text with one piece changed, dropped, or added to."""
    parts = data.split(":")
    at = draw(st.integers(min_value=0, max_value=len(parts) - 1))
    how = draw(st.sampled_from(["change", "drop", "add"]))
    if how == "drop" and len(parts) > 1:
        del parts[at]
    elif how == "add":
        parts.insert(at, draw(st.text(max_size=6)))
    else:
        parts[at] = draw(
            st.one_of(
                st.text(max_size=8),
                st.sampled_from(["-1", "01", "²", "١٢", "2147483648", "1e3", " 1", "", "RED"]),
            )
        )
    return ":".join(parts)


@st.composite
def anything(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["forged", "forged", "text", "bytes"]))
    if kind == "text":
        return draw(st.text(max_size=70))
    if kind == "bytes":
        return draw(st.binary(max_size=70)).decode("utf-8", "replace")
    return _forged(draw, draw(actions()).pack())


@UNHURRIED
@given(anything())
def test_whatever_parses_has_one_spelling(data: str) -> None:
    """Text the bot never made is refused, or is exactly the text of what it names: a
    number with a leading zero, a tier in capitals, a piece too many never get through."""
    found = parse(data)
    if found is not None:
        assert found.pack() == data
