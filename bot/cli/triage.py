"""`triage`: classify lines from stdin by risk, one JSON object per line on stdout.

    echo "我今晚就跳楼" | python -m bot triage
    {"level": "critical", "categories": ["suicide"], "matched": ["就跳楼", "今晚"]}

For reviewers trying a lexicon change and for piping a batch of messages through. It loads
only the lexicon: no bot, no database, so it starts in a blink.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import BinaryIO

from bot.catalog.triage import TriageContentError, load_triager
from bot.domain.triage import Triager
from content import CONTENT_DIR


async def triage(args: argparse.Namespace) -> int:
    try:
        triager = load_triager(CONTENT_DIR)
    except TriageContentError as exc:
        print(f"Triage lexicon error: {exc}", file=sys.stderr)
        return 2
    classify_lines(triager, sys.stdin.buffer, sys.stdout.buffer)
    return 0


def classify_lines(triager: Triager, source: BinaryIO, sink: BinaryIO) -> None:
    """Bytes in, bytes out: the terminal's encoding never gets a say, and a line that is not
    valid UTF-8 is classified with replacement characters rather than stopping the batch."""
    for raw in source:
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        line = json.dumps(triager.classify(text).to_json(), ensure_ascii=False)
        sink.write(line.encode("utf-8") + b"\n")
        # A caller feeding one line at a time waits for each answer.
        sink.flush()
