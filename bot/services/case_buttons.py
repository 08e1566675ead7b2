"""Which use case each staff button calls: one line per typed action (bot/domain/
case_actions.py).

A table rather than one long match: each button's call sits on a line of its own, a test holds
every action to having one, and the staff router only looks the pressed one up. The role table
has been consulted before any of these runs; each call re-checks the case itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.domain.case_actions import (
    CancelCanned,
    CannedMenu,
    CaseAction,
    Claim,
    CloseAs,
    CloseMenu,
    FollowUpDone,
    FollowUpIn,
    FollowUpMenu,
    MarkReferral,
    MissAs,
    MissMenu,
    NextCase,
    PreviewCanned,
    ReferMenu,
    ReferTo,
    Release,
    Reopen,
    SendCanned,
    SetTier,
    ShowCard,
    TellChildFirst,
    TellGuardian,
    TierMenu,
    TransferMenu,
    TransferTo,
    WhyNotFirst,
)
from bot.services.casework import STALE, Casework, Place, StaffResult
from bot.services.child_file import ChildFile
from bot.services.misses import Misses


@dataclass(frozen=True, slots=True)
class Press:
    """Who pressed a button, where, and the services that may answer it."""

    casework: Casework
    files: ChildFile
    misses: Misses | None
    who: int
    at: Place


A = TypeVar("A", bound=CaseAction)
Call = Callable[[Press, A], Awaitable[StaffResult]]

CALLS: dict[type[CaseAction], Call[Any]] = {}


def _on(kind: type[A], call: Call[A]) -> None:
    CALLS[kind] = call


async def press(pressed: Press, action: CaseAction) -> StaffResult:
    """The pressed button's use case; an action nobody answers is an outdated button."""
    call = CALLS.get(type(action))
    return STALE if call is None else await call(pressed, action)


async def _cancel_canned(p: Press, a: CancelCanned) -> StaffResult:
    # ✖ under a preview: nothing is sent, and the preview keeps no buttons.
    return StaffResult("toast.canned.cancelled", menu=())


async def _miss_menu(p: Press, a: MissMenu) -> StaffResult:
    return STALE if p.misses is None else await p.misses.picker(p.who, p.at, a.case_id)


async def _miss_as(p: Press, a: MissAs) -> StaffResult:
    if p.misses is None:
        return STALE
    return await p.misses.picked(p.who, p.at, a.case_id, a.message_id, a.level.value)


# The child's file.
_on(TellGuardian, lambda p, a: p.files.tell_guardian(p.who, p.at.chat_id, a.child_id))
_on(TellChildFirst, lambda p, a: p.files.tell_child_first(p.who, p.at.chat_id, a.child_id))
_on(WhyNotFirst, lambda p, a: p.files.why_needed(p.who, p.at.chat_id, a.child_id))
# Ready replies, referrals and follow-ups, pressed under their own posts.
_on(PreviewCanned, lambda p, a: p.casework.preview_canned(p.who, p.at, a.case_id, a.canned_id))
_on(
    SendCanned,
    lambda p, a: p.casework.send_canned(p.who, p.at, a.case_id, a.canned_id, a.token),
)
_on(CancelCanned, _cancel_canned)
_on(
    MarkReferral,
    lambda p, a: p.casework.referral_status(p.who, p.at, a.referral_id, a.status.value),
)
_on(FollowUpDone, lambda p, a: p.casework.follow_up_done(p.who, p.at.chat_id, a.follow_up_id))
# The case card.
_on(NextCase, lambda p, a: p.casework.take_next(p.who, p.at.chat_id))
_on(Claim, lambda p, a: p.casework.claim(p.who, p.at, a.case_id))
_on(Release, lambda p, a: p.casework.release(p.who, p.at, a.case_id))
_on(Reopen, lambda p, a: p.casework.reopen(p.who, p.at, a.case_id))
_on(ShowCard, lambda p, a: p.casework.card_menu(p.who, p.at, a.case_id))
_on(TransferMenu, lambda p, a: p.casework.transfer_menu(p.who, p.at, a.case_id))
_on(ReferMenu, lambda p, a: p.casework.refer_menu(p.who, p.at, a.case_id))
_on(TierMenu, lambda p, a: p.casework.menu_for(p.who, p.at, a.case_id, "tier"))
_on(CloseMenu, lambda p, a: p.casework.menu_for(p.who, p.at, a.case_id, "close"))
_on(FollowUpMenu, lambda p, a: p.casework.menu_for(p.who, p.at, a.case_id, "fu"))
_on(CannedMenu, lambda p, a: p.casework.menu_for(p.who, p.at, a.case_id, "canned"))
_on(MissMenu, _miss_menu)
# The card's sub-menus.
_on(SetTier, lambda p, a: p.casework.set_tier(p.who, p.at, a.case_id, a.tier.value))
_on(CloseAs, lambda p, a: p.casework.close(p.who, p.at, a.case_id, a.outcome.value))
_on(TransferTo, lambda p, a: p.casework.transfer(p.who, p.at, a.case_id, a.person_id))
_on(ReferTo, lambda p, a: p.casework.refer(p.who, p.at, a.case_id, a.resource_id))
_on(FollowUpIn, lambda p, a: p.casework.follow_up(p.who, p.at, a.case_id, a.days))
_on(MissAs, _miss_as)
