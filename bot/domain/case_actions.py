"""The buttons staff press on a case and around it, as typed values.

Each action declares its text once (bot/domain/callback.py packs and reads it), and the
role-table action pressing it takes. The texts are the ones the buttons have always carried:
cards already in a staff chat keep working.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.domain.callback import Codec, Packed
from bot.domain.cases import CloseOutcome, ReferralStatus, Tier
from bot.domain.permissions import StaffAction
from bot.domain.triage import RiskLevel


class CaseAction(Packed):
    """A staff button; `needs` is the action of the role table (bot/domain/permissions.py)
    that pressing it takes."""

    __slots__ = ()
    needs: ClassVar[StaffAction]


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


_CODEC = Codec(ACTIONS)


def parse(data: str) -> CaseAction | None:
    """The action a button's data names, or None for anything the bot never made."""
    return _CODEC.parse(data)
