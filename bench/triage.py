"""Triage benchmark: classify every message of the evaluation set N times.

    python bench/triage.py [--repeat 20]

Prints the recall and false-positive figures, then one JSON line last: messages,
per_message_us_p50, per_message_us_p99, build_ms (loading and compiling the lexicon).
A message's time is the best of its N runs, so that a pause of the machine does not count
against the matcher; p50 and p99 are taken over messages.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.catalog.triage import load_triager  # noqa: E402
from content import CONTENT_DIR  # noqa: E402
from tests.triage import EVAL_SET, HOLDOUT, evaluate, load_examples  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    started = time.perf_counter()
    triager = load_triager(CONTENT_DIR)
    build_ms = (time.perf_counter() - started) * 1000

    examples = load_examples(EVAL_SET)
    print(evaluate(triager, examples, EVAL_SET.name).report())
    print(evaluate(triager, load_examples(HOLDOUT), HOLDOUT.name).report())

    texts = [e.text for e in examples]
    best = [float("inf")] * len(texts)
    for _ in range(max(1, args.repeat)):
        for i, text in enumerate(texts):
            t0 = time.perf_counter_ns()
            triager.classify(text)
            best[i] = min(best[i], (time.perf_counter_ns() - t0) / 1000)
    print(
        json.dumps(
            {
                "messages": len(texts),
                "per_message_us_p50": round(percentile(best, 0.5), 1),
                "per_message_us_p99": round(percentile(best, 0.99), 1),
                "build_ms": round(build_ms, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
