"""`triage`: classify lines from stdin by risk, one JSON object per line on stdout.

    echo "我今晚就跳楼" | python -m bot triage
    {"level": "critical", "categories": ["suicide"], "matched": ["就跳楼", "今晚"],
     "action": "escalate", "score": 0.9956}

`action` is what the bot would do with the line as a child's message in a new conversation:
escalate (a case now), ask (the direct question), offer (a check-in and a counsellor) or none.
`--as guardian` gives a guardian's; `--context FILE` reads earlier messages (one per line)
that precede every line, as the bot reads a message with the person's last minutes.

For reviewers trying a lexicon change and for piping a batch of messages through. It loads
only the lexicon, the model and the signals: no bot, no database, so it starts in a blink.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from bot.catalog.triage import TriageContentError, load_net_policy, load_safety_net
from bot.domain.safety_net import NetPolicy, SafetyNet, decide
from content import CONTENT_DIR


async def triage(args: argparse.Namespace) -> int:
    context = getattr(args, "context", None)
    try:
        earlier = _earlier(Path(context)) if context else []
    except OSError as exc:
        print(f"Cannot read the context file: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        net = load_safety_net(CONTENT_DIR)
        policy = load_net_policy(CONTENT_DIR)
    except TriageContentError as exc:
        print(f"Triage lexicon error: {exc}", file=sys.stderr)
        return 2
    guardian = getattr(args, "speaker", "child") == "guardian"
    classify_lines(net, sys.stdin.buffer, sys.stdout.buffer, policy, earlier, guardian)
    return 0


def _earlier(path: Path) -> list[str]:
    lines = path.read_bytes().decode("utf-8", errors="replace").splitlines()
    return [line for line in lines if line.strip()]


def classify_lines(
    net: SafetyNet,
    source: BinaryIO,
    sink: BinaryIO,
    policy: NetPolicy | None = None,
    earlier: Sequence[str] = (),
    guardian: bool = False,
) -> None:
    """Bytes in, bytes out: the terminal's encoding never gets a say, and a line that is not
    valid UTF-8 is classified with replacement characters rather than stopping the batch."""
    policy = policy or NetPolicy()
    # As the bot keeps them: the last few earlier messages only.
    earlier = list(earlier)[-policy.context_messages :] if policy.context_messages else []
    for raw in source:
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        found = net.classify(text, earlier)
        decision = decide(found, guardian=guardian, policy=policy)
        out = found.to_json() | {"action": decision.action.value, "score": round(found.score, 4)}
        line = json.dumps(out, ensure_ascii=False)
        sink.write(line.encode("utf-8") + b"\n")
        # A caller feeding one line at a time waits for each answer.
        sink.flush()
