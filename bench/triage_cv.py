"""Tuning the safety net's decision without the blind sets: each visible labelled set is read by
a model trained on all the others (leave one writer's set out), as new wording would be read.

    python bench/triage_cv.py [--pairs] [--bother 0.04 0.06] [--floors 0 0.2 0.3] [--c 30]

Needs the dev extra (scikit-learn). Trains one model per visible set (about a minute), then
applies the bot's own SafetyNet and decide() to that set's messages and message pairs, for a
grid of policies: the model's ask band (the share of cross-validated everyday messages it may
ask about) and the score from which a means or death word asks. Never reads tests/triage/blind/.
Prints, per policy, the pooled figures and the worst set; last, one JSON line with them all.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.catalog.triage import load_net_policy, load_safety_net  # noqa: E402
from bot.cli import triage_model  # noqa: E402
from bot.domain.ngram_model import NgramModel  # noqa: E402
from bot.domain.safety_net import NetPolicy, SafetyNet, decide  # noqa: E402
from bot.domain.triage import RiskLevel, Triage  # noqa: E402
from content import CONTENT_DIR  # noqa: E402
from tests.triage import (  # noqa: E402
    Example,
    NetFigures,
    Pair,
    is_context_set,
    load_examples,
    load_pairs,
    set_name,
    visible_sets,
)


def family(path: Path) -> str:
    """A writer's set and its pairs share a family: corpus/en.tsv and corpus/en_context.tsv."""
    return set_name(path).removesuffix(".tsv").removesuffix("_context")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", action="store_true", help="train on joined pairs too")
    parser.add_argument("--bother", type=float, nargs="*", default=[0.03, 0.04, 0.05, 0.06])
    parser.add_argument("--floors", type=float, nargs="*", default=[0.0, 0.1, 0.2, 0.3, 1.1])
    parser.add_argument("--relayed", type=float, nargs="*", default=[0.3])
    parser.add_argument("--dump", help="write the out-of-fold triage of every row (pickle)")
    parser.add_argument("--c", type=float, default=triage_model.C, help="the model's C")
    args = parser.parse_args()
    triage_model.C = args.c

    base = load_safety_net(CONTENT_DIR)
    shipped = load_net_policy(CONTENT_DIR)
    norm = base.triager.normalise
    paths = visible_sets()
    rows: dict[Path, Sequence[Example | Pair]] = {
        p: load_pairs(p) if is_context_set(p) else load_examples(p) for p in paths
    }
    families = sorted({family(p) for p in paths})

    # Out-of-fold triage of every row, and out-of-fold scores of the everyday training rows
    # (to place the ask band as the trainer does: a share of everyday messages).
    triaged: dict[Path, list[Triage]] = {}
    everyday_scores: list[float] = []
    for held in families:
        train_texts: list[str] = []
        levels: list[RiskLevel] = []
        for p in paths:
            if family(p) == held or (is_context_set(p) and not args.pairs):
                continue
            for r in rows[p]:
                text = f"{r.first}\n{r.example.text}" if isinstance(r, Pair) else r.text
                level = r.example.level if isinstance(r, Pair) else r.level
                train_texts.append(norm(text))
                levels.append(level)
        weights, bias = triage_model.fit(train_texts, levels)
        net = SafetyNet(base.triager, NgramModel(weights, bias, ask_at=0.5), base.cues)
        for p in paths:
            if family(p) != held:
                continue
            triaged[p] = [
                net.classify(r.example.text, [r.first])
                if isinstance(r, Pair)
                else net.classify(r.text)
                for r in rows[p]
            ]
            if not is_context_set(p):
                everyday_scores += [
                    t.score
                    for r, t in zip(rows[p], triaged[p], strict=True)
                    if isinstance(r, Example) and not r.level.at_least(RiskLevel.MEDIUM)
                ]
        print(f"fold {held}: trained on {len(train_texts)}", file=sys.stderr)

    everyday_scores.sort()
    if args.dump:
        import pickle

        with Path(args.dump).open("wb") as out:
            pickle.dump({set_name(p): (rows[p], triaged[p]) for p in paths}, out)
    results = []
    for bother, means, death, relayed in itertools.product(
        args.bother, args.floors, args.floors, args.relayed
    ):
        ask_at = everyday_scores[int(len(everyday_scores) * (1 - bother))]
        policy = replace(
            shipped,
            ask_at=ask_at,
            means_ask_at=means,
            death_ask_at=death,
            relayed_ask_at=relayed,
        )
        pooled = {"single": NetFigures("pooled"), "context": NetFigures("pooled pairs")}
        per_set = {}
        for p in paths:
            got = iter(triaged[p])
            f = _evaluate(rows[p], got, policy, set_name(p))
            per_set[f.name] = f.figures()
            pooled["context" if is_context_set(p) else "single"].add(f)
        figures = {k: v.figures() for k, v in pooled.items()}
        worst = {
            key: min(per_set.values(), key=lambda s: s[key] * sign)[key] * sign
            for key, sign in (("critical_caught", 1), ("high_caught", 1), ("none_bothered", -1))
        }
        result = {
            "bother": bother,
            "ask_at": round(ask_at, 4),
            "means_ask_at": means,
            "death_ask_at": death,
            "relayed_ask_at": relayed,
            "pooled": figures,
            "worst_set": {k: round(abs(v), 4) for k, v in worst.items()},
        }
        results.append(result)
        s, c = figures["single"], figures["context"]
        print(
            f"bother {bother:.2f} (ask_at {ask_at:.3f}) means≥{means} death≥{death}: "
            f"crit caught {s['critical_caught']:.1%} high {s['high_caught']:.1%} "
            f"bothered {s['none_bothered']:.1%} alarm {s['none_alarm']:.1%} | pairs crit "
            f"{c['critical_caught']:.1%} high {c['high_caught']:.1%} bothered "
            f"{c['none_bothered']:.1%} | worst set {result['worst_set']}"
        )
    print(json.dumps({"pairs": args.pairs, "results": results}, ensure_ascii=False))


def _evaluate(
    rows: Sequence[Example | Pair], got: object, policy: NetPolicy, name: str
) -> NetFigures:
    from tests.triage import evaluate_net

    it = iter(got)  # type: ignore[call-overload]

    def classify(_text: str, _earlier: Sequence[str]) -> Triage:
        return next(it)

    def act(triage: Triage, guardian: bool) -> str:
        return decide(triage, guardian=guardian, policy=policy).action.value

    return evaluate_net(classify, act, rows, name)


if __name__ == "__main__":
    main()
