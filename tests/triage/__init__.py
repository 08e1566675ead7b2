"""Risk triage evaluation: the labelled messages and the figures computed from them.

Shared by tests/triage/test_eval.py (which asserts the targets) and bench/triage.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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
        cats = _categories(categories)
        assert text.strip(), f"{path.name} row {number}: empty text"
        examples.append(Example(text, RiskLevel(level), cats, tag))
    return examples


def _categories(field: str) -> tuple[Category, ...]:
    # A category the code does not know yet (a set labelled ahead of a new rule family, such
    # as eating_disorder) is left out rather than failing the whole set.
    known = {c.value for c in Category}
    return tuple(Category(c) for c in field.split(",") if c in known)


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


# --- the safety net's decision (bot/domain/safety_net.py) ----------------------------------

CORPUS = HERE / "corpus"
BLIND = HERE / "blind"


@dataclass(frozen=True, slots=True)
class Pair:
    """Two messages a minute apart: `second` is read with `first` as its context."""

    first: str
    example: Example


def load_pairs(path: Path) -> list[Pair]:
    """A *_context.tsv: header `first second level categories tag`."""
    lines = [line for line in path.read_text("utf-8").splitlines() if not line.startswith("#")]
    header, *rows = lines
    assert header.split("\t") == ["first", "second", "level", "categories", "tag"], header
    pairs: list[Pair] = []
    for number, row in enumerate(rows, start=2):
        if not row.strip():
            continue
        first, second, level, categories, tag = row.split("\t")
        cats = _categories(categories)
        assert first.strip() and second.strip(), f"{path.name} row {number}: empty text"
        pairs.append(Pair(first, Example(second, RiskLevel(level), cats, tag)))
    return pairs


def is_context_set(path: Path) -> bool:
    return path.name.endswith("_context.tsv")


def visible_sets() -> list[Path]:
    """Every labelled set but the blind ones, single messages first, then the pairs."""
    found = [EVAL_SET, HOLDOUT, HERE / "blind_a.tsv", HERE / "blind_b.tsv"]
    found += sorted(p for p in CORPUS.glob("*.tsv") if not is_context_set(p))
    return found + sorted(p for p in CORPUS.glob("*.tsv") if is_context_set(p))


def set_name(path: Path) -> str:
    return path.relative_to(HERE).as_posix()


# Who writes a row: the sets carry no column for it, but the bot knows a guardian from their
# role. Rows tagged `relayed` are a guardian passing on a child's words; the rest are read as a
# child's, and the negatives once more as a guardian's (see NetFigures.none_bothered_guardian).
GUARDIAN_TAGS = frozenset({"relayed"})


@dataclass
class NetFigures:
    """What the bot would do with each message of a labelled set, as the issue measures it:
    caught is escalated or asked; a request for a person escalates (a yellow case) but only a
    red or orange case (the lexicon's high or critical, or the model's escalation band) counts
    as escalated for a critical message."""

    name: str
    total: int = 0
    critical: int = 0
    critical_escalated: int = 0  # a red or orange case at once (lexicon ≥ high, or the model)
    critical_caught: int = 0  # escalated (any case) or asked
    high: int = 0
    high_caught: int = 0  # ≥ medium (the check-in), asked, or escalated
    negatives: int = 0
    none_alarm: int = 0  # a case opened for an everyday message
    none_bothered: int = 0  # anything but the plain acknowledgement
    none_bothered_guardian: int = 0  # the same negatives, had a guardian written them
    misses: list[tuple[str, Example, str]] = field(default_factory=list)

    def add(self, other: NetFigures) -> None:
        """Pool another set's counts into these (its misses stay with it)."""
        for key in (
            "total",
            "critical",
            "critical_escalated",
            "critical_caught",
            "high",
            "high_caught",
            "negatives",
            "none_alarm",
            "none_bothered",
            "none_bothered_guardian",
        ):
            setattr(self, key, getattr(self, key) + getattr(other, key))

    def figures(self) -> dict[str, float | int]:
        return {
            "messages": self.total,
            "critical": self.critical,
            "critical_escalated": round(_rate(self.critical_escalated, self.critical), 4),
            "critical_caught": round(_rate(self.critical_caught, self.critical), 4),
            "high": self.high,
            "high_caught": round(_rate(self.high_caught, self.high), 4),
            "negatives": self.negatives,
            "none_alarm": round(self._neg(self.none_alarm), 4),
            "none_bothered": round(self._neg(self.none_bothered), 4),
            "none_bothered_guardian": round(self._neg(self.none_bothered_guardian), 4),
        }

    def _neg(self, n: int) -> float:
        return n / self.negatives if self.negatives else 0.0

    def report(self, misses: bool = False) -> str:
        f = self.figures()
        out = [
            f"{self.name}: {self.total} messages; critical {self.critical}: escalated "
            f"{f['critical_escalated']:.1%}, caught {f['critical_caught']:.1%}; high "
            f"{self.high}: caught {f['high_caught']:.1%}; negatives {self.negatives}: alarm "
            f"{f['none_alarm']:.1%}, bothered {f['none_bothered']:.1%} (as a guardian "
            f"{f['none_bothered_guardian']:.1%})"
        ]
        if misses:
            out += [
                f"  {what:<16} {e.level.value:>8} [{e.tag}] {text!r}"
                for what, e, text in self.misses
            ]
        return "\n".join(out)


def evaluate_net(
    classify: Callable[[str, Sequence[str]], Triage],
    decide: Callable[[Triage, bool], str],
    rows: Iterable[Example | Pair],
    name: str,
) -> NetFigures:
    """`classify(text, earlier)` and `decide(triage, guardian) -> action value` are the bot's
    (bench/triage.py passes SafetyNet.classify and safety_net.decide with the real policy)."""
    f = NetFigures(name)
    for row in rows:
        example, earlier = (row.example, [row.first]) if isinstance(row, Pair) else (row, [])
        triage = classify(example.text, earlier)
        action = decide(triage, example.tag in GUARDIAN_TAGS)
        # A red or orange case at once: the lexicon's high or critical, or the model's own
        # escalation band; a request for a person escalates too, but as the 💬 button does.
        escalated = action == "escalate" and (
            triage.level.at_least(RiskLevel.HIGH) or "request" not in triage.signals
        )
        f.total += 1
        shown = " / ".join([*earlier, example.text])
        if example.level is RiskLevel.CRITICAL:
            f.critical += 1
            f.critical_escalated += escalated
            f.critical_caught += action in ("escalate", "ask")
            if action not in ("escalate", "ask"):
                f.misses.append((f"critical→{action}", example, shown))
            elif not escalated:
                f.misses.append(("critical→asked", example, shown))
        elif example.level is RiskLevel.HIGH:
            f.high += 1
            f.high_caught += action != "none"
            if action == "none":
                f.misses.append(("high→none", example, shown))
        if example.negative:
            f.negatives += 1
            f.none_alarm += action == "escalate"
            f.none_bothered += action != "none"
            f.none_bothered_guardian += decide(triage, True) != "none"
            if action != "none":
                f.misses.append((f"negative→{action}", example, shown))
    return f
