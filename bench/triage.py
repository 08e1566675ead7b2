"""Triage benchmark: what the bot would do with every labelled message, and how fast.

    python bench/triage.py [--repeat 5] [--misses]

Uses the bot's own wiring: load_safety_net (lexicon, model, signals) and decide() with the
policy load_net_policy gives, for a child's message in a new conversation (a row tagged
`relayed` is a guardian's, see tests/triage GUARDIAN_TAGS). Pairs (*_context.tsv) are read as the
bot reads two messages a minute apart: the second with the first as its context.

For every labelled set it reports critical_escalated (≥ high), critical_caught (≥ high or
asked), high_caught (≥ medium or asked), none_alarm (a case for an everyday message) and
none_bothered (anything but the plain acknowledgement for one). The blind sets
(tests/triage/blind/) are read here and nowhere else, and only as aggregate figures: never a
line of their text, not even a miss. `--misses` lists the misses of the visible sets.

Last line: one JSON object with the figures of every set, the blind sets pooled, and the time
per message (classify with the model and decide; best of N runs per message, so that a pause
of the machine does not count; p50 and p99 over messages).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.catalog.triage import load_net_policy, load_safety_net  # noqa: E402
from bot.domain.safety_net import decide  # noqa: E402
from bot.domain.triage import Triage  # noqa: E402
from content import CONTENT_DIR  # noqa: E402
from tests.triage import (  # noqa: E402
    BLIND,
    Example,
    NetFigures,
    Pair,
    evaluate_net,
    is_context_set,
    load_examples,
    load_pairs,
    set_name,
    visible_sets,
)

# What the issue asks of the blind sets (issue 17, "Done when").
TARGETS = {
    "critical_caught": (">=", 1.0),
    "critical_escalated": (">=", 0.9),
    "high_caught": (">=", 0.95),
    "none_alarm": ("<=", 0.02),
    "none_bothered": ("<=", 0.08),
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load(path: Path) -> Sequence[Example | Pair]:
    return load_pairs(path) if is_context_set(path) else load_examples(path)


def load_blind(path: Path) -> Sequence[Example | Pair] | None:
    """A blind set, or None: an error must not print a line of it (a traceback could)."""
    try:
        return load(path)
    except Exception:
        print(f"{set_name(path)}: could not be read (format); skipped", file=sys.stderr)
        return None


def met(figures: dict[str, float | int]) -> dict[str, bool]:
    return {
        key: (figures[key] >= bound if op == ">=" else figures[key] <= bound)
        for key, (op, bound) in TARGETS.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--misses", action="store_true", help="list misses (visible sets only)")
    parser.add_argument(
        "--visible-only", action="store_true", help="skip the blind sets (while tuning)"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    net = load_safety_net(CONTENT_DIR)
    policy = load_net_policy(CONTENT_DIR)
    build_ms = (time.perf_counter() - started) * 1000

    def classify(text: str, earlier: Sequence[str]) -> Triage:
        return net.classify(text, earlier)

    def act(triage: Triage, guardian: bool) -> str:
        return decide(triage, guardian=guardian, policy=policy).action.value

    sets: dict[str, dict[str, float | int]] = {}
    singles: list[str] = []
    for path in visible_sets():
        rows = load(path)
        result = evaluate_net(classify, act, rows, set_name(path))
        print(result.report(misses=args.misses))
        sets[result.name] = result.figures()
        singles += [r.text for r in rows if isinstance(r, Example)]

    pooled = {"single": NetFigures("blind (pooled)"), "context": NetFigures("blind pairs")}
    blind_paths = [] if args.visible_only or not BLIND.is_dir() else sorted(BLIND.glob("*.tsv"))
    for path in blind_paths:
        rows = load_blind(path)
        if rows is None:
            continue
        result = evaluate_net(classify, act, rows, set_name(path))
        print(result.report(misses=False))  # aggregate only, whatever --misses says
        sets[result.name] = result.figures()
        pooled["context" if is_context_set(path) else "single"].add(result)
    blind = {key: f.figures() for key, f in pooled.items() if f.total}
    for f in pooled.values():
        if f.total:
            print(f.report(misses=False))

    best = [float("inf")] * len(singles)
    for _ in range(max(1, args.repeat)):
        for i, text in enumerate(singles):
            t0 = time.perf_counter_ns()
            decide(net.classify(text), policy=policy)
            best[i] = min(best[i], (time.perf_counter_ns() - t0) / 1000)
    print(
        json.dumps(
            {
                "sets": sets,
                "blind": blind,
                "blind_targets_met": met(blind["single"]) if "single" in blind else {},
                "policy": {
                    "ask_at": policy.ask_at,
                    "escalate_at": policy.escalate_at,
                    "means_ask_at": policy.means_ask_at,
                    "death_ask_at": policy.death_ask_at,
                    "relayed_ask_at": policy.relayed_ask_at,
                },
                "messages": len(singles),
                "per_message_us_p50": round(percentile(best, 0.5), 1),
                "per_message_us_p99": round(percentile(best, 0.99), 1),
                "build_ms": round(build_ms, 1),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
