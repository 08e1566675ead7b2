"""Button data as typed values: the codec under bot/domain/case_actions.py.

Telegram hands a button's callback data back as text of at most 64 bytes, and anyone can
send any text in its place. A `Packed` action declares its shape once (`"case:claim:{case_id}"`),
in the spirit of aiogram's CallbackData but free of any framework: `pack()` writes the text,
and a `Codec` of actions reads it back, or gives None for anything the bot never made: an
unknown shape, a number that is no row id or is not written as the bot writes it, a word
outside its set. A packed action reads back as itself, and text that reads packs back to
exactly the same text, so an action has one spelling.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeVar, cast, get_type_hints

from bot.domain.numbers import parse_int

LIMIT = 64  # bytes of callback data Telegram keeps
SEP = ":"
# Ids from content (a ready reply, a resource) and one-time tokens: short, plain, no separator.
WORD = re.compile(r"[A-Za-z0-9_.-]{1,40}")

Reader = Callable[[str], Any]


class Packed:
    """A button's action: `shape` is its text, with `{field}` where each field goes. The
    fields (a dataclass's) are row ids (int), plain words (str) or members of a StrEnum."""

    __slots__ = ()
    shape: ClassVar[str]

    def pack(self) -> str:
        return _shape_of(type(self)).write(self)


def _number(text: str) -> int | None:
    value = parse_int(text)
    return value if value is not None and str(value) == text else None


def _word(text: str) -> str | None:
    return text if WORD.fullmatch(text) else None


def _reader(kind: Any) -> Reader:
    if kind is int:
        return _number
    if kind is str:
        return _word
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        return {m.value: m for m in kind}.get
    raise TypeError(f"no callback reading for {kind!r}")


@dataclass(frozen=True, slots=True)
class _Shape:
    action: type[Packed]
    # Each piece of the text: a literal to match, or a field's name and how to read it.
    pieces: tuple[str | tuple[str, Reader], ...]

    def read(self, parts: list[str]) -> Packed | None:
        if len(parts) != len(self.pieces):
            return None
        values: dict[str, Any] = {}
        for part, piece in zip(parts, self.pieces, strict=True):
            if isinstance(piece, str):
                if part != piece:
                    return None
                continue
            name, read = piece
            value = read(part)
            if value is None:
                return None
            values[name] = value
        return self.action(**values)

    def write(self, action: Packed) -> str:
        """The text of `action`; ValueError for a value that would not read back as itself
        (a negative id, a word with a separator in it), or for text over the limit."""
        parts = []
        for piece in self.pieces:
            if isinstance(piece, str):
                parts.append(piece)
                continue
            name, read = piece
            value = getattr(action, name)
            text = str(value)
            if isinstance(value, bool) or read(text) != value:
                raise ValueError(f"{type(action).__name__}.{name} cannot be sent: {value!r}")
            parts.append(text)
        data = SEP.join(parts)
        if len(data.encode()) > LIMIT:
            raise ValueError(f"callback data over {LIMIT} bytes: {data!r}")
        return data


_SHAPES: dict[type[Packed], _Shape] = {}


def _shape_of(action: type[Packed]) -> _Shape:
    """Read from the class once: its fields' types say how each piece is read."""
    if (known := _SHAPES.get(action)) is not None:
        return known
    hints = get_type_hints(action)
    pieces: list[str | tuple[str, Reader]] = []
    for piece in action.shape.split(SEP):
        if piece.startswith("{") and piece.endswith("}"):
            name = piece[1:-1]
            pieces.append((name, _reader(hints[name])))
        else:
            pieces.append(piece)
    shape = _SHAPES[action] = _Shape(action, tuple(pieces))
    return shape


T = TypeVar("T", bound=Packed)


class Codec(Generic[T]):
    """Reads the data of a family of actions back into one of them."""

    def __init__(self, actions: Sequence[type[T]]) -> None:
        shapes = [a.shape for a in actions]
        if len(set(shapes)) != len(shapes):
            raise ValueError("two actions share a shape")
        self.actions = tuple(actions)
        self._shapes = tuple(_shape_of(a) for a in actions)

    def parse(self, data: str) -> T | None:
        """The action the data names, or None for anything the bot never made."""
        if len(data.encode("utf-8", "surrogatepass")) > LIMIT:
            return None
        parts = data.split(SEP)
        for shape in self._shapes:
            found = shape.read(parts)
            if found is not None:
                return cast(T, found)  # read by one of the shapes of T's actions
        return None
