"""Issue 19 item 4: what staff type and read, in their own words."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.cases import Tier, parse_tier
from bot.domain.oversight import measure


@pytest.mark.parametrize(
    ("typed", "tier"),
    [
        ("red", Tier.RED),
        ("Red", Tier.RED),
        ("红", Tier.RED),
        ("红色", Tier.RED),
        ("橙", Tier.ORANGE),
        ("橙色", Tier.ORANGE),
        ("黄", Tier.YELLOW),
        ("yellow", Tier.YELLOW),
        ("绿", Tier.GREEN),
        ("绿色", Tier.GREEN),
    ],
)
def test_a_tier_typed_in_either_language(typed: str, tier: Tier) -> None:
    assert parse_tier(typed) is tier


@pytest.mark.parametrize("typed", ["", "紫", "reddish", "1"])
def test_a_word_that_names_no_tier(typed: str) -> None:
    assert parse_tier(typed) is None


def test_on_time_is_a_share_of_the_cases_answered() -> None:
    """Three answered (two within their target) and one still waiting: 2 of 3 on time, not
    2 of 4 ("50% 达标" read as if the waiting case had been missed)."""
    five = timedelta(minutes=5)
    d = measure(
        [(timedelta(minutes=3), five), (timedelta(minutes=4), five), (timedelta(minutes=9), five)],
        unanswered=1,
    )
    assert d.share_within_answered == pytest.approx(2 / 3)
    assert d.unanswered == 1
    assert measure([], unanswered=2).share_within_answered is None
