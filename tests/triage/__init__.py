"""Risk triage evaluation: the labelled messages and the figures computed from them.

Shared by tests/triage/test_eval.py (which asserts the targets) and bench/triage.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.domain.triage import Category, RiskLevel, Triage, Triager

HERE = Path(__file__).resolve().parent
EVAL_SET = HERE / "eval_set.tsv"
HOLDOUT = HERE / "holdout.tsv"
# Messages that carry no risk: flagging one of them at medium or above is a false positive.
NEGATIVE_TAGS = frozenset({"everyday", "hyperbole", "film", "news", "obfuscated"})


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    level: RiskLevel
    categories: tuple[Category, ...]
    tag: str

    @property
    def negative(self) -> bool:
        return self.tag in NEGATIVE_TAGS and not self.level.at_least(RiskLevel.MEDIUM)


def load_examples(path: Path) -> list[Example]:
    examples: list[Example] = []
    lines = [line for line in path.read_text("utf-8").splitlines() if not line.startswith("#")]
    header, *rows = lines
    assert header.split("\t") == ["text", "level", "categories", "tag"], header
    for number, row in enumerate(rows, start=2):
        if not row.strip():
            continue
        text, level, categories, tag = row.split("\t")
        cats = tuple(Category(c) for c in categories.split(",") if c)
        assert text.strip(), f"{path.name} row {number}: empty text"
        examples.append(Example(text, RiskLevel(level), cats, tag))
    return examples


def _rate(hits: int, total: int) -> float:
    return hits / total if total else 1.0


@dataclass
class Figures:
    """Recall and false positives of one run over a labelled set."""

    name: str
    total: int = 0
    critical: int = 0
    critical_high: int = 0  # critical flagged at least high
    critical_critical: int = 0
    high: int = 0
    high_medium: int = 0  # high flagged at least medium
    medium: int = 0
    medium_medium: int = 0
    negatives: int = 0
    false_positives: int = 0  # negatives flagged at least medium
    exact: int = 0
    category_hits: int = 0  # flagged positives whose expected categories were all found
    category_total: int = 0
    misses: list[tuple[Example, Triage]] = field(default_factory=list)

    @property
    def recall_critical_high(self) -> float:
        return _rate(self.critical_high, self.critical)

    @property
    def recall_critical_critical(self) -> float:
        return _rate(self.critical_critical, self.critical)

    @property
    def recall_high_medium(self) -> float:
        return _rate(self.high_medium, self.high)

    @property
    def recall_medium_medium(self) -> float:
        return _rate(self.medium_medium, self.medium)

    @property
    def false_positive_rate(self) -> float:
        return self.false_positives / self.negatives if self.negatives else 0.0

    def report(self) -> str:
        rows = [
            ("critical → ≥ high", self.critical_high, self.critical),
            ("critical → critical", self.critical_critical, self.critical),
            ("high → ≥ medium", self.high_medium, self.high),
            ("medium → ≥ medium", self.medium_medium, self.medium),
            ("false positives (everyday → ≥ medium)", self.false_positives, self.negatives),
            ("exact level", self.exact, self.total),
            ("expected categories found", self.category_hits, self.category_total),
        ]
        out = [f"{self.name}: {self.total} messages"]
        out += [f"  {label:<40} {n:>4}/{d:<4} {_rate(n, d):6.1%}" for label, n, d in rows]
        out += [
            f"  miss: {e.level.value:>8} → {r.level.value:<8} [{e.tag}] {e.text!r} "
            f"{list(r.matched)}"
            for e, r in self.misses
        ]
        return "\n".join(out)


def evaluate(triager: Triager, examples: Iterable[Example], name: str) -> Figures:
    f = Figures(name)
    for example in examples:
        result = triager.classify(example.text)
        f.total += 1
        f.exact += result.level is example.level
        flagged = result.level.at_least(RiskLevel.MEDIUM)
        missed = False
        if example.level is RiskLevel.CRITICAL:
            f.critical += 1
            f.critical_high += result.level.at_least(RiskLevel.HIGH)
            f.critical_critical += result.level is RiskLevel.CRITICAL
            missed = not result.level.at_least(RiskLevel.HIGH)
        elif example.level is RiskLevel.HIGH:
            f.high += 1
            f.high_medium += flagged
            missed = not flagged
        elif example.level is RiskLevel.MEDIUM:
            f.medium += 1
            f.medium_medium += flagged
            missed = not flagged
        if example.negative:
            f.negatives += 1
            f.false_positives += flagged
            missed = flagged
        if example.level.at_least(RiskLevel.MEDIUM) and flagged:
            f.category_total += 1
            f.category_hits += set(example.categories) <= set(result.categories)
        if missed:
            f.misses.append((example, result))
    return f
