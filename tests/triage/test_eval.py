"""The lexicon against the labelled messages. Run with -s to see the figures:

python -m pytest -s tests/triage/test_eval.py
"""

from __future__ import annotations

from collections import Counter

import pytest

from bot.catalog.triage import load_triager
from bot.domain.triage import RiskLevel, Triager
from content import CONTENT_DIR
from tests.triage import EVAL_SET, HOLDOUT, Figures, evaluate, load_examples

EXAMPLES = load_examples(EVAL_SET)


@pytest.fixture(scope="module")
def triager() -> Triager:
    return load_triager(CONTENT_DIR)


@pytest.fixture(scope="module")
def figures(triager: Triager) -> Figures:
    result = evaluate(triager, EXAMPLES, "eval_set.tsv")
    print("\n" + result.report())
    return result


def test_the_set_is_big_and_mixed_enough() -> None:
    levels = Counter(e.level for e in EXAMPLES)
    tags = Counter(e.tag for e in EXAMPLES)
    chinese = sum(any("\u4e00" <= c <= "\u9fff" for c in e.text) for e in EXAMPLES)
    assert len(EXAMPLES) >= 350
    assert levels[RiskLevel.CRITICAL] >= 60
    assert levels[RiskLevel.HIGH] + levels[RiskLevel.MEDIUM] >= 80
    assert tags["everyday"] + tags["hyperbole"] >= 120
    assert tags["obfuscated"] >= 40
    assert 0.5 <= chinese / len(EXAMPLES) <= 0.7
    assert len({e.text for e in EXAMPLES}) == len(EXAMPLES), "duplicate messages"


def test_every_critical_message_is_flagged_at_least_high(figures: Figures) -> None:
    missed = [e.text for e, r in figures.misses if e.level is RiskLevel.CRITICAL]
    assert figures.recall_critical_high == 1.0, missed


def test_false_positives_on_everyday_messages_stay_under_five_percent(figures: Figures) -> None:
    assert figures.negatives >= 120
    assert figures.false_positive_rate < 0.05, figures.report()


def test_disclosures_are_flagged(figures: Figures) -> None:
    # Guards against a lexicon change that quietly loses high or medium messages.
    assert figures.recall_high_medium >= 0.95, figures.report()
    assert figures.recall_medium_medium >= 0.9, figures.report()
    assert figures.recall_critical_critical >= 0.9, figures.report()


def test_holdout_figures_are_printed(triager: Triager) -> None:
    """Held-out messages were never used to tune the lexicon: their figures estimate how it
    does on new wording. Printed, not asserted, so that they stay honest."""
    result = evaluate(triager, load_examples(HOLDOUT), "holdout.tsv")
    print("\n" + result.report())
    assert result.total >= 40


@pytest.mark.parametrize(("name", "tuned"), [("blind_a.tsv", True), ("blind_b.tsv", False)])
def test_blind_sets_figures_are_printed(triager: Triager, name: str, tuned: bool) -> None:
    """Messages written by someone who had not read the lexicon. blind_a was then used to
    improve it (its figures guard against regressions); blind_b never was: its figures are
    the honest estimate on new wording. Printed, and for blind_b not asserted."""
    examples = load_examples(EVAL_SET.parent / name)
    got = {e.text: triager.classify(e.text).level.rank for e in examples}

    def share(level: RiskLevel, at_least: RiskLevel) -> tuple[int, int]:
        group = [e for e in examples if e.level is level]
        return sum(got[e.text] >= at_least.rank for e in group), len(group)

    crit = share(RiskLevel.CRITICAL, RiskLevel.HIGH)
    high = share(RiskLevel.HIGH, RiskLevel.MEDIUM)
    medium = share(RiskLevel.MEDIUM, RiskLevel.MEDIUM)
    fp = share(RiskLevel.NONE, RiskLevel.MEDIUM)
    print(
        f"\n{name}: critical→≥high {crit[0]}/{crit[1]}, high→≥medium {high[0]}/{high[1]}, "
        f"medium→≥medium {medium[0]}/{medium[1]}, everyday flagged ≥medium {fp[0]}/{fp[1]}"
    )
    assert len(examples) >= 250
    if tuned:
        assert crit[0] == crit[1] and fp[0] <= 0.05 * fp[1]
