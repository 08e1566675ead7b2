"""What the bot does with the visible labelled messages (the bot's own SafetyNet, decide() and
policy, as bench/triage.py runs them). Run with -s to see the figures:

python -m pytest -s tests/triage/test_net.py

The model was trained on these sets, so these are regression guards, not estimates: the honest
figures are the blind sets' (bench/triage.py) and each set read by a model trained without it
(bench/triage_cv.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.catalog.triage import load_net_policy, load_safety_net
from bot.domain.safety_net import decide
from bot.domain.triage import Triage
from content import CONTENT_DIR
from tests.triage import (
    NetFigures,
    evaluate_net,
    is_context_set,
    load_examples,
    load_pairs,
    set_name,
    visible_sets,
)

NET = load_safety_net(CONTENT_DIR)
POLICY = load_net_policy(CONTENT_DIR)


def _figures(path: Path) -> NetFigures:
    def classify(text: str, earlier: Sequence[str]) -> Triage:
        return NET.classify(text, earlier)

    def act(triage: Triage, guardian: bool) -> str:
        return decide(triage, guardian=guardian, policy=POLICY).action.value

    rows = load_pairs(path) if is_context_set(path) else load_examples(path)
    result = evaluate_net(classify, act, rows, set_name(path))
    print("\n" + result.report())
    return result


SINGLE = [p for p in visible_sets() if not is_context_set(p)]
PAIRS = [p for p in visible_sets() if is_context_set(p)]


@pytest.mark.parametrize("path", SINGLE, ids=set_name)
def test_every_critical_message_is_escalated_or_asked_about(path: Path) -> None:
    f = _figures(path)
    assert f.critical_caught == f.critical, f.report(misses=True)
    assert f.high_caught >= 0.95 * f.high, f.report(misses=True)


def test_everyday_messages_are_rarely_bothered() -> None:
    pooled = [_figures(p) for p in SINGLE]
    negatives = sum(f.negatives for f in pooled)
    assert negatives > 1500
    # 2026-12: 1.9% bothered and 1.1% alarmed (of 4,628) once the three new writers' sets were
    # learnt; 2026-12c, three more learnt: 1.8% and 1.1% of 5,124. The guards sit just above.
    assert sum(f.none_bothered for f in pooled) <= 0.03 * negatives
    assert sum(f.none_alarm for f in pooled) <= 0.015 * negatives


def test_most_critical_messages_are_escalated_at_once() -> None:
    pooled = [_figures(p) for p in SINGLE]
    critical = sum(f.critical for f in pooled)
    # 2026-12: 86.3% of 2,945 (79.3% before the three new writers' sets were learnt);
    # 2026-12c: 92.6% of 3,336, three more learnt and critical messages weighed double.
    assert sum(f.critical_escalated for f in pooled) >= 0.91 * critical


def test_a_statement_split_over_two_messages_is_caught() -> None:
    pooled = [_figures(p) for p in PAIRS]
    critical = sum(f.critical for f in pooled)
    assert critical >= 60
    assert sum(f.critical_caught for f in pooled) == critical
    # 2026-12: 90.3% of 381 escalated at once; 2026-12c: 95.4% of 460.
    assert sum(f.critical_escalated for f in pooled) >= 0.93 * critical
