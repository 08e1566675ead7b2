"""The buttons under a case card, and whether a post carries them."""

from __future__ import annotations

from bot.domain.case_actions import (
    CannedMenu,
    Claim,
    CloseMenu,
    FollowUpMenu,
    MissMenu,
    NextCase,
    ReferMenu,
    Release,
    Reopen,
    TierMenu,
    TransferMenu,
    state_buttons,
)
from bot.domain.cases import Case, CaseStatus
from bot.domain.replies import Choice, Reply, rows


def card_actions(case: Case) -> tuple[tuple[Choice, ...], ...]:
    """The buttons under a case card (bot/domain/case_actions.py keeps each within 64 bytes)."""
    c = case.id
    if case.status is CaseStatus.CLOSED:
        return rows(Choice("btn.case.reopen", Reopen(c).pack()))
    first = (
        Choice("btn.case.claim", Claim(c).pack())
        if case.status is CaseStatus.WAITING
        else Choice("btn.case.release", Release(c).pack())
    )
    return (
        (first, Choice("btn.case.next", NextCase().pack())),
        (
            Choice("btn.case.transfer", TransferMenu(c).pack()),
            Choice("btn.case.tier", TierMenu(c).pack()),
        ),
        (
            Choice("btn.case.refer", ReferMenu(c).pack()),
            Choice("btn.case.followup", FollowUpMenu(c).pack()),
        ),
        (
            Choice("btn.case.canned", CannedMenu(c).pack()),
            Choice("btn.case.close", CloseMenu(c).pack()),
        ),
        # Learning from misses: the person's latest words deserved more than triage gave.
        (Choice("btn.case.missed", MissMenu(c).pack()),),
    )


def shows_state(reply: Reply, case_id: int) -> bool:
    """The post carries the case's own buttons (✋, ↩️ or 🔓 say which state it is in)."""
    state = state_buttons(case_id)
    return any(c.action in state for row in reply.choices for c in row)
