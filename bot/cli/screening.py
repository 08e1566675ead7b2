"""`python -m bot score <instrument> <answers...>`: the scorer, for clinicians checking a
cut-off and for re-scoring old raw answers. Needs no database and no bot."""

from __future__ import annotations

import argparse
import json
import sys

from bot.catalog.questionnaires import load_instruments
from bot.domain.screening import InvalidAnswersError, parse_scores
from bot.domain.screening import score as score_answers
from content import CONTENT_DIR


async def score(args: argparse.Namespace) -> int:
    instruments = load_instruments(CONTENT_DIR)
    instrument = instruments.get(args.instrument)
    if instrument is None:
        print(
            f"unknown instrument {args.instrument!r}; one of: {', '.join(sorted(instruments))}",
            file=sys.stderr,
        )
        return 2
    try:
        result = score_answers(instrument, parse_scores(instrument, args.answers))
    except InvalidAnswersError as exc:
        print(f"invalid answers: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result.to_json(), ensure_ascii=False))
    return 0
