"""`triage misses [--since DATE] [--format tsv|json]`: the messages counsellors marked as a
risk triage missed (`/missed` in a case topic), de-identified, for whoever maintains the
lexicon and the training data.

The TSV has the labelled sets' header (text, level, categories, tag), so rows can be pasted
into a set under tests/triage/corpus after a read: `level` is what the counsellor said it
should have had, `categories` theirs or else triage's, `tag` is `missed`; the ISO week and
what triage gave stand in `#` comment lines, which the sets' readers skip. JSON gives one
object per line with every field. No person's id, case code or staff name leaves the
database, and each child whose words are printed gets an entry in their access log.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.cli.database import migrated_uow
from bot.config import load_settings
from bot.domain.clock import parse_instant
from bot.services.misses import MissLine, de_identified

HEADER = "text\tlevel\tcategories\ttag"
TAG = "missed"


def as_tsv(lines: Sequence[MissLine], since: datetime) -> str:
    out = [
        f"# missed-risk reports since {since.date().isoformat()}, de-identified by pattern:"
        " read each row before it goes into a training set",
        HEADER,
    ]
    week = ""
    for line in lines:
        if line.week != week:
            week = line.week
            out.append(f"# {week}")
        out.append(f"# triage gave: {line.given}")
        out.append("\t".join((line.text, line.level, ",".join(line.categories), TAG)))
    return "\n".join(out) + "\n"


def as_json(lines: Sequence[MissLine]) -> str:
    return "".join(json.dumps(x.as_json(), ensure_ascii=False) + "\n" for x in lines)


async def misses(args: argparse.Namespace) -> int:
    settings = load_settings()
    now = datetime.now(UTC)
    try:
        since = parse_instant(args.since) if args.since else now - timedelta(days=90)
    except ValueError:
        print("--since: expected an ISO-8601 date or instant, like 2026-09-01", file=sys.stderr)
        return 2
    async with migrated_uow(settings) as factory:
        found = await de_identified(factory, since, now, ZoneInfo(settings.timezone))
    text = as_json(found) if args.format == "json" else as_tsv(found, since)
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()
    return 0
