"""Telegram's length limits, counted the way Telegram counts them.

Telegram measures text in UTF-16 code units after entity parsing: HTML tags are gone and
`&lt;` is one character again, but an emoji or a rare CJK character (outside the Basic
Multilingual Plane) counts twice (https://core.telegram.org/api/entities#entity-length). A
message over the limit is refused whole (400 "message is too long"), so every message the bot
composes from people's words cuts or splits the quoted part to a budget here, never the rest
(the buttons, the case code).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
MARK = "…"
# Never cut just before one of these (it belongs to the character in front: a skin tone, a
# variation selector, a combining accent, the joiner inside 👨‍👩‍👧) nor just after a joiner.
_JOINED = frozenset("\u200d\ufe0e\ufe0f\u20e3") | frozenset(map(chr, range(0x1F3FB, 0x1F400)))
# How far back a split may look for a line break or a space, rather than cut a word in two.
_SOFT = 200


def units(text: str) -> int:
    """The length Telegram counts: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _width(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _binds(char: str) -> bool:
    return char in _JOINED or 0x300 <= ord(char) < 0x370


def _fit_index(text: str, budget: int) -> int:
    """The end of the longest head of `text` within `budget` units, stepping back out of a
    character drawn as one (an emoji with its modifiers, a letter with its accent)."""
    used = end = 0
    while end < len(text):
        used += _width(text[end])
        if used > budget:
            break
        end += 1
    else:
        return len(text)
    back = end
    while back > 0 and end - back < 16 and _inside(text, back):
        back -= 1
    # A run of joined characters that long is no single picture: cut where it fit.
    return back if back > 0 and not _inside(text, back) else end


def _inside(text: str, i: int) -> bool:
    """Whether a cut before text[i] would split a character drawn as one."""
    return _binds(text[i]) or text[i - 1] == "\u200d"


def clip(text: str, budget: int, mark: str = MARK) -> str:
    """`text` whole when it fits in `budget` units, else its head followed by `mark`."""
    if units(text) <= budget:
        return text
    room = budget - units(mark)
    if room <= 0:
        return mark if units(mark) <= budget else ""
    return text[: _fit_index(text, room)].rstrip() + mark


def split(text: str, budget: int) -> list[str]:
    """`text` in pieces of at most `budget` units, broken after a line break or a space near
    the end of a piece when there is one. Nothing is lost: the pieces join back to `text`."""
    if budget < 2:
        raise ValueError("budget must hold a character of two units")
    out: list[str] = []
    rest = text
    while units(rest) > budget:
        end = max(_fit_index(rest, budget), 1)
        soft = max(rest.rfind("\n", 0, end), rest.rfind(" ", 0, end))
        if soft >= 0 and end - soft <= _SOFT:
            end = soft + 1
        out.append(rest[:end])
        rest = rest[end:]
    if rest or not out:
        out.append(rest)
    return out


def head_and_rest(text: str, budget: int, mark: str = MARK) -> tuple[str, str]:
    """The part of `text` that fits in `budget` units (with `mark` when something follows),
    and what follows, for the next message. `rest` is "" when all of it fits."""
    if units(text) <= budget:
        return text, ""
    first = split(text, budget - units(mark))[0]
    return first.rstrip() + mark, text[len(first) :]


def share(texts: Sequence[str], budget: int, mark: str = MARK) -> list[str]:
    """Several quotes in one budget: the short ones whole, the long ones clipped to equal
    shares of what the short ones leave."""
    sizes = [units(t) for t in texts]
    if sum(sizes) <= budget:
        return list(texts)
    left, open_ = budget, len(texts)
    cap = 0
    for size in sorted(sizes):
        cap = left // open_ if open_ else 0
        if size > cap:
            break
        left -= size
        open_ -= 1
    else:
        cap = left
    return [t if s <= cap else clip(t, cap, mark) for t, s in zip(texts, sizes, strict=True)]


def how_many(sizes: Iterable[int], budget: int) -> int:
    """How many items of a list, in order, fit in `budget` units."""
    count = 0
    for size in sizes:
        budget -= size
        if budget < 0:
            break
        count += 1
    return count
