"""`fonts subset <source>`: remake content/fonts/NotoSansSC-Subset.otf from a full Noto Sans CJK
font, keeping only the characters our content uses (see content/fonts/README.md).

fontTools is a tool for this command alone, not a dependency of the bot:
    python3 -m venv /tmp/fontvenv && /tmp/fontvenv/bin/pip install fonttools -e .
    /tmp/fontvenv/bin/python -m bot fonts subset /path/to/NotoSansCJK-Regular.ttc
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterable
from pathlib import Path

from content import CONTENT_DIR

# The same path as bot.catalog.fonts.FONT, without importing the catalog's Jinja2 and Babel.
FONT = CONTENT_DIR / "fonts" / "NotoSansSC-Subset.otf"

# Shown only if content uses them, but cheap to keep: digits, Latin, the punctuation and
# symbols of Chinese and English typesetting, so a new sentence rarely needs a new font.
BASE = "".join(
    chr(c)
    for lo, hi in (
        (0x20, 0x7E),  # ASCII
        (0xA0, 0xFF),  # Latin-1 punctuation and letters
        (0x2010, 0x2027),  # dashes, quotes, bullet, ellipsis
        (0x2030, 0x203A),  # per mille, primes, angle quotes
        (0x2190, 0x2193),  # arrows
        (0x2212, 0x2212),  # minus
        (0x2264, 0x2265),  # ≤ ≥
        (0x00D7, 0x00D7),  # ×
        (0x3000, 0x303F),  # CJK symbols and punctuation
        (0xFF01, 0xFF5E),  # full-width forms
    )
    for c in range(lo, hi + 1)
)


def content_text(content_dir: Path = CONTENT_DIR) -> str:
    """Everything people may read: catalogs, templates and content YAML. The triage lexicons
    are left out: they are matched against what people write, never shown, and their
    traditional-to-simplified tables alone hold six thousand characters."""
    files: Iterable[Path] = [
        *sorted((content_dir / "locales").rglob("*.po")),
        *sorted((content_dir / "templates").rglob("*.j2")),
        *sorted(
            p
            for p in content_dir.rglob("*.yaml")
            if "triage" not in p.relative_to(content_dir).parts
        ),
    ]
    return "".join(path.read_text("utf-8") for path in files)


def wanted(content_dir: Path = CONTENT_DIR) -> set[int]:
    return {ord(ch) for ch in BASE + content_text(content_dir) if ch >= " "}


def subset_font(source: Path, out: Path, face: str = "Noto Sans CJK SC") -> tuple[int, int]:
    """Write the subset; returns (characters kept, bytes written)."""
    try:
        from fontTools import subset
        from fontTools.ttLib import TTCollection
    except ImportError:
        raise SystemExit(
            "fontTools is needed for this command only: pip install fonttools (in a scratch venv)"
        ) from None
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # it lists every glyph at INFO
    options = subset.Options()
    options.notdef_outline = True  # a missing character shows as a box, not as nothing
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # keep copyright and licence entries
    if source.suffix.lower() == ".ttc":
        names = [f["name"].getDebugName(1) for f in TTCollection(str(source)).fonts]
        if face not in names:
            raise SystemExit(f"{source.name} has no face {face!r}; it has {names}")
        options.font_number = names.index(face)
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    keep = wanted()
    subsetter.populate(unicodes=keep)
    subsetter.subset(font)
    out.parent.mkdir(parents=True, exist_ok=True)
    subset.save_font(font, str(out), options)
    return len(font.getBestCmap()), out.stat().st_size


async def subset(args: argparse.Namespace) -> int:
    return _subset(Path(args.source), Path(args.out or FONT))


def _subset(source: Path, out: Path) -> int:
    if not source.exists():
        print(f"{source}: no such file", file=sys.stderr)
        return 2
    kept, size = subset_font(source, out)
    print(f"{out}: {kept} characters, {size // 1024} KiB")
    return 0
