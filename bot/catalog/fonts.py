"""The font charts are drawn with, and which characters it has.

Noto Sans CJK SC (SIL OFL 1.1), cut down to the characters our content uses: a whole CJK font
is 16 MB and none is installed on the servers. content/fonts/README.md says how the subset is
made; `python -m bot fonts subset <source>` remakes it. Pillow draws a missing character as an
empty box without a word of warning, so the tests check every chart label against `cmap`.
"""

from __future__ import annotations

import struct
from functools import cache
from pathlib import Path

from content import CONTENT_DIR

FONT = CONTENT_DIR / "fonts" / "NotoSansSC-Subset.otf"


@cache
def cmap(path: Path = FONT) -> frozenset[int]:
    """The code points a TrueType/OpenType font maps to glyphs (its `cmap` table, formats 4
    and 12), read with the standard library: fontTools is only a tool for making the subset."""
    data = path.read_bytes()
    tables = struct.unpack_from(">H", data, 4)[0]
    offset = next(
        (
            struct.unpack_from(">I", data, 12 + 16 * i + 8)[0]
            for i in range(tables)
            if data[12 + 16 * i : 16 + 16 * i] == b"cmap"
        ),
        None,
    )
    if offset is None:
        raise ValueError(f"{path.name} has no cmap table")
    found: set[int] = set()
    count = struct.unpack_from(">H", data, offset + 2)[0]
    for i in range(count):
        platform, encoding, sub = struct.unpack_from(">HHI", data, offset + 4 + 8 * i)
        if (platform, encoding) not in ((3, 1), (3, 10), (0, 3), (0, 4)):
            continue
        found |= _subtable(data, offset + sub)
    return frozenset(found)


def _subtable(data: bytes, at: int) -> set[int]:
    kind = struct.unpack_from(">H", data, at)[0]
    points: set[int] = set()
    if kind == 4:
        segments = struct.unpack_from(">H", data, at + 6)[0] // 2
        ends = at + 14
        starts = ends + 2 * segments + 2
        deltas = starts + 2 * segments
        ranges = deltas + 2 * segments
        for s in range(segments):
            end = struct.unpack_from(">H", data, ends + 2 * s)[0]
            start = struct.unpack_from(">H", data, starts + 2 * s)[0]
            delta = struct.unpack_from(">h", data, deltas + 2 * s)[0]
            range_offset = struct.unpack_from(">H", data, ranges + 2 * s)[0]
            for c in range(start, end + 1):
                if c == 0xFFFF:
                    continue
                if range_offset == 0:
                    glyph = (c + delta) & 0xFFFF
                else:
                    where = ranges + 2 * s + range_offset + 2 * (c - start)
                    glyph = struct.unpack_from(">H", data, where)[0]
                    glyph = (glyph + delta) & 0xFFFF if glyph else 0
                if glyph:
                    points.add(c)
    elif kind == 12:
        groups = struct.unpack_from(">I", data, at + 12)[0]
        for g in range(groups):
            start, end, glyph = struct.unpack_from(">III", data, at + 16 + 12 * g)
            points.update(c for i, c in enumerate(range(start, end + 1)) if glyph + i)
    return points


def missing(text: str, path: Path = FONT) -> set[str]:
    """Characters of `text` the font cannot draw (spaces and line breaks need no glyph)."""
    have = cmap(path)
    return {ch for ch in text if ch not in "\n\r\t" and ord(ch) not in have}
