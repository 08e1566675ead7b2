"""A case's buttons wherever they are shown, kept to what the case can do now."""

from __future__ import annotations

from bot.domain.case_actions import Claim, state_buttons
from bot.domain.cases import Case, CaseStatus
from bot.domain.outbox import OutboxStatus
from bot.domain.replies import Choice, rows
from bot.ports import UnitOfWork
from bot.services.board import card_actions, card_key
from bot.services.casework.results import CardRefresh, StaffResult

# Rows whose message nobody will see: they neither show buttons nor take them from others.
_UNSEEN = (OutboxStatus.FAILED, OutboxStatus.BLOCKED, OutboxStatus.CANCELLED)


async def refreshed_cards(uow: UnitOfWork, case: Case) -> tuple[CardRefresh, ...]:
    """Every message of the case that carries its buttons, with the buttons for the case
    as it is now: a card that still offered ✋ after the case was claimed from another post
    invites a wrong press. The card keeps its keyboard, and of the posts after it only the
    newest does (older ones lose theirs), so nobody presses a button from three states ago;
    a direct message about a waiting case keeps ✋ only while the case waits."""
    c = case.id
    posts = await uow.holds.keyboarded((f"case:{c}:", f"dm:{c}:"))
    out: list[CardRefresh] = []
    state = state_buttons(c)
    topic = [p for p in posts if p.chat_id == case.staff_chat_id and state & set(p.actions)]
    later = [p for p in topic if p.key != card_key(c) and p.status not in _UNSEEN]
    newest = later[-1] if later else None
    for p in posts:
        if p.status is not OutboxStatus.SENT or p.message_id is None:
            continue  # not shown yet: it is composed with the buttons of its moment
        if p in topic:
            menu = card_actions(case) if p is newest or p.key == card_key(c) else ()
        elif p.chat_id != case.staff_chat_id:
            menu = (
                rows(Choice("btn.case.claim", Claim(c).pack()))
                if case.status is CaseStatus.WAITING
                else ()
            )
        else:
            continue
        if not menu and p in topic:
            # A post that lost its buttons never gets them back (a direct message's ✋
            # comes back if the case is released).
            await uow.holds.clear_keyboard(p.row_id)
        out.append(CardRefresh(p.chat_id, p.message_id, menu))
    return tuple(out)


async def moved_on(uow: UnitOfWork, case: Case) -> StaffResult:
    """The button was made for an earlier state of the case: say so, and show what can
    be done now, on the pressed message and on the card."""
    menu = card_actions(case)
    return StaffResult("toast.case.moved_on", menu=menu, cards=await refreshed_cards(uow, case))
