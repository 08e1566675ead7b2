"""The buttons staff press on a case and around it, as typed values.

Telegram hands a button's callback data back as text of at most 64 bytes, and anyone can
send any text in its place. Each action declares its shape once, in the spirit of aiogram's
CallbackData but free of any framework: `pack()` writes the text, `parse()` reads it back
into the action, or gives None for anything the bot never made (an unknown shape, a number
that is no row id or is not written as the bot writes it, a word outside its set). A packed
action parses to itself, and text that parses packs back to exactly the same text, so one
action has one spelling. The shapes are the ones the buttons have always carried: cards
already in the staff chat keep working.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, get_type_hints

from bot.domain.cases import CloseOutcome, ReferralStatus, Tier
from bot.domain.numbers import parse_int
from bot.domain.permissions import StaffAction
from bot.domain.triage import RiskLevel

LIMIT = 64  # bytes of callback data Telegram keeps
SEP = ":"
# Ids from content (a ready reply, a resource) and one-time tokens: short, plain, no separator.
_WORD = re.compile(r"[A-Za-z0-9_.-]{1,40}")


class CaseAction:
    """A staff button: `shape` is its text with `{field}` for each field, `needs` the role
    table's action (bot/domain/permissions.py) that pressing it takes."""

    __slots__ = ()
    shape: ClassVar[str]
    needs: ClassVar[StaffAction]

    def pack(self) -> str:
        return _SHAPE_OF[type(self)].write(self)


# -- the case card and its menus -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NextCase(CaseAction):
    """⏭: claim the top of the queue."""

    shape: ClassVar[str] = "case:next"
    needs: ClassVar[StaffAction] = StaffAction.CLAIM


@dataclass(frozen=True, slots=True)
class Claim(CaseAction):
    shape: ClassVar[str] = "case:claim:{case_id}"
    needs: ClassVar[StaffAction] = StaffAction.CLAIM
    case_id: int


@dataclass(frozen=True, slots=True)
class Release(CaseAction):
    shape: ClassVar[str] = "case:release:{case_id}"
    needs: ClassVar[StaffAction] = StaffAction.CLAIM
    case_id: int


@dataclass(frozen=True, slots=True)
class Reopen(CaseAction):
    shape: ClassVar[str] = "case:reopen:{case_id}"
    needs: ClassVar[StaffAction] = StaffAction.CLAIM
    case_id: int


@dataclass(frozen=True, slots=True)
class ShowCard(CaseAction):
    """↩️ under a sub-menu: the card's own buttons back."""

    shape: ClassVar[str] = "case:card:{case_id}"
    needs: ClassVar[StaffAction] = StaffAction.QUEUE
    case_id: int


@dataclass(frozen=True, slots=True)
class TransferMenu(CaseAction):
    shape: ClassVar[str] = "case:xfer:{case_id}"
    needs: ClassVar[StaffAction] = StaffAction.TRANSFER
    case_id: int


@dataclass(frozen=True, slots=True)
class TransferTo(CaseAction):
    shape: ClassVar[str] = "case:xferto:{case_id}:{person_id}"
    needs: ClassVar[StaffAction] = StaffAction.TRANSFER
    case_id: int
    person_id: int


@dataclass(frozen=True, slots=True)
class ReferMenu(CaseAction):
    shape: ClassVar[str] = "case:refer:{case_id}"
    needs: ClassVar[StaffAction] = StaffAction.REFER
    case_id: int


@dataclass(frozen=True, slots=True)
class ReferTo(CaseAction):
    shape: ClassVar[str] = "case:referto:{case_id}:{resource_id}"
    needs: ClassVar[StaffAction] = StaffAction.REFER
    case_id: int
    resource_id: str


@dataclass(frozen=True, slots=True)
class TierMenu(CaseAction):
    shape: ClassVar[str] = "case:tier:{case_id}"
    needs: ClassVar[StaffAction] = StaffAction.RETIER
    case_id: int


@dataclass(frozen=True, slots=True)
class SetTier(CaseAction):
    shape: ClassVar[str] = "case:settier:{case_id}:{tier}"
    needs: ClassVar[StaffAction] = StaffAction.RETIER
    case_id: int
    tier: Tier


@dataclass(frozen=True, slots=True)
class CloseMenu(CaseAction):
    shape: ClassVar[str] = "case:close:{case_id}"
    needs: ClassVar[StaffAction] = StaffAction.CLOSE
    case_id: int


@dataclass(frozen=True, slots=True)
class CloseAs(CaseAction):
    shape: ClassVar[str] = "case:closeas:{case_id}:{outcome}"
    needs: ClassVar[StaffAction] = StaffAction.CLOSE
    case_id: int
    outcome: CloseOutcome


@dataclass(frozen=True, slots=True)
class FollowUpMenu(CaseAction):
    shape: ClassVar[str] = "case:fu:{case_id}"
    needs: ClassVar[StaffAction] = StaffAction.FOLLOW_UP
    case_id: int


@dataclass(frozen=True, slots=True)
class FollowUpIn(CaseAction):
    shape: ClassVar[str] = "case:fuin:{case_id}:{days}"
    needs: ClassVar[StaffAction] = StaffAction.FOLLOW_UP
    case_id: int
    days: int


@dataclass(frozen=True, slots=True)
class CannedMenu(CaseAction):
    shape: ClassVar[str] = "case:canned:{case_id}"
    needs: ClassVar[StaffAction] = StaffAction.RELAY
    case_id: int


@dataclass(frozen=True, slots=True)
class MissMenu(CaseAction):
    """⚠️: the person's latest words deserved more than triage gave them."""

    shape: ClassVar[str] = "case:miss:{case_id}"
    needs: ClassVar[StaffAction] = StaffAction.MISSED
    case_id: int


@dataclass(frozen=True, slots=True)
class MissAs(CaseAction):
    shape: ClassVar[str] = "case:missas:{case_id}:{message_id}:{level}"
    needs: ClassVar[StaffAction] = StaffAction.MISSED
    case_id: int
    message_id: int
    level: RiskLevel


# -- ready replies, referrals, follow-ups, the child's file ------------------------------------


@dataclass(frozen=True, slots=True)
class PreviewCanned(CaseAction):
    shape: ClassVar[str] = "canned:{case_id}:{canned_id}"
    needs: ClassVar[StaffAction] = StaffAction.RELAY
    case_id: int
    canned_id: str


@dataclass(frozen=True, slots=True)
class SendCanned(CaseAction):
    """✅ under a preview; the token makes a second press send nothing more."""

    shape: ClassVar[str] = "canned:{case_id}:{canned_id}:ok:{token}"
    needs: ClassVar[StaffAction] = StaffAction.RELAY
    case_id: int
    canned_id: str
    token: str


@dataclass(frozen=True, slots=True)
class CancelCanned(CaseAction):
    shape: ClassVar[str] = "canned:{case_id}:{canned_id}:no"
    needs: ClassVar[StaffAction] = StaffAction.RELAY
    case_id: int
    canned_id: str


@dataclass(frozen=True, slots=True)
class MarkReferral(CaseAction):
    shape: ClassVar[str] = "ref:{referral_id}:{status}"
    needs: ClassVar[StaffAction] = StaffAction.REFER
    referral_id: int
    status: ReferralStatus


@dataclass(frozen=True, slots=True)
class FollowUpDone(CaseAction):
    shape: ClassVar[str] = "fu:done:{follow_up_id}"
    needs: ClassVar[StaffAction] = StaffAction.FOLLOW_UP
    follow_up_id: int


@dataclass(frozen=True, slots=True)
class TellGuardian(CaseAction):
    """👪 on a child's file: the child is asked first whether to tell them."""

    shape: ClassVar[str] = "file:tell:{child_id}"
    needs: ClassVar[StaffAction] = StaffAction.TELL_GUARDIAN
    child_id: int


@dataclass(frozen=True, slots=True)
class TellChildFirst(CaseAction):
    shape: ClassVar[str] = "file:first:{child_id}"
    needs: ClassVar[StaffAction] = StaffAction.TELL_GUARDIAN
    child_id: int


@dataclass(frozen=True, slots=True)
class WhyNotFirst(CaseAction):
    """⚠️ "not the child first": says how to give the reason; a button cannot carry one."""

    shape: ClassVar[str] = "file:why:{child_id}"
    needs: ClassVar[StaffAction] = StaffAction.TELL_GUARDIAN
    child_id: int


ACTIONS: tuple[type[CaseAction], ...] = (
    NextCase,
    Claim,
    Release,
    Reopen,
    ShowCard,
    TransferMenu,
    TransferTo,
    ReferMenu,
    ReferTo,
    TierMenu,
    SetTier,
    CloseMenu,
    CloseAs,
    FollowUpMenu,
    FollowUpIn,
    CannedMenu,
    MissMenu,
    MissAs,
    PreviewCanned,
    SendCanned,
    CancelCanned,
    MarkReferral,
    FollowUpDone,
    TellGuardian,
    TellChildFirst,
    WhyNotFirst,
)
# The buttons that say which state a case is in: a card shows exactly one of them.
STATE_ACTIONS: tuple[type[Claim | Release | Reopen], ...] = (Claim, Release, Reopen)


def state_buttons(case_id: int) -> frozenset[str]:
    return frozenset(a(case_id).pack() for a in STATE_ACTIONS)


# -- reading -------------------------------------------------------------------------------------


def _number(text: str) -> int | None:
    value = parse_int(text)
    return value if value is not None and str(value) == text else None


def _word(text: str) -> str | None:
    return text if _WORD.fullmatch(text) else None


def _member(kind: type[StrEnum]) -> Callable[[str], StrEnum | None]:
    values = {m.value: m for m in kind}
    return values.get


def _reader(kind: Any) -> Callable[[str], Any]:
    if kind is int:
        return _number
    if kind is str:
        return _word
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        return _member(kind)
    raise TypeError(f"no callback reading for {kind!r}")


@dataclass(frozen=True, slots=True)
class _Shape:
    action: type[CaseAction]
    # Each piece of the text: a literal to match, or a field's name and how to read it.
    pieces: tuple[str | tuple[str, Callable[[str], Any]], ...]

    @classmethod
    def of(cls, action: type[CaseAction]) -> _Shape:
        hints = get_type_hints(action)
        pieces: list[str | tuple[str, Callable[[str], Any]]] = []
        for piece in action.shape.split(SEP):
            if piece.startswith("{") and piece.endswith("}"):
                name = piece[1:-1]
                pieces.append((name, _reader(hints[name])))
            else:
                pieces.append(piece)
        return cls(action, tuple(pieces))

    def read(self, parts: list[str]) -> CaseAction | None:
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

    def write(self, action: CaseAction) -> str:
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


_SHAPES = tuple(_Shape.of(a) for a in ACTIONS)
_SHAPE_OF = {shape.action: shape for shape in _SHAPES}


def parse(data: str) -> CaseAction | None:
    """The action a button's data names, or None for anything the bot never made."""
    if len(data.encode("utf-8", "surrogatepass")) > LIMIT:
        return None
    parts = data.split(SEP)
    for shape in _SHAPES:
        found = shape.read(parts)
        if found is not None:
            return found
    return None
