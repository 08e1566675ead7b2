"""Handing a case to a colleague, with what they need to know first."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.case_actions import ShowCard, TransferTo
from bot.domain.cases import Case, CaseStatus, EventKind
from bot.domain.lengths import share
from bot.domain.permissions import StaffAction, may
from bot.domain.replies import Choice, Reply, rows
from bot.ports import CaseMessage, StaffMember
from bot.services.board import card_actions
from bot.services.casework.access import GONE, holder_refusal
from bot.services.casework.cards import refreshed_cards
from bot.services.casework.desk import DeskWork
from bot.services.casework.results import Place, StaffResult

# A transfer quotes the last words and notes, each up to 4,096 units: a summary, in shares.
SUMMARY_WORDS_UNITS = 1500
SUMMARY_NOTES_UNITS = 1500


def transfer_notice(
    case: Case, by: StaffMember, to: StaffMember, messages: Sequence[CaseMessage]
) -> Reply:
    """What a colleague taking over needs first: tier, reason, the last words, notes."""
    notes = [m.body for m in messages if m.direction == "note"][-3:]
    last_in = [m.body for m in messages if m.direction == "in" and m.body][-3:]
    return Reply(
        "helpline/staff_transferred",
        {
            "code": case.code,
            "by": by.display_name,
            "to": to.display_name,
            "to_id": to.telegram_id,
            "tier": case.tier.value,
            "categories": list(case.categories),
            "notes": share(notes, SUMMARY_NOTES_UNITS),
            "last_in": share(last_in, SUMMARY_WORDS_UNITS),
            "count": len(messages),
        },
        choices=card_actions(case),
    )


class Transfers(DeskWork):
    async def transfer_menu(self, telegram_id: int, at: Place, case_id: int) -> StaffResult:
        async with self.uow() as uow:
            acting = await self.access.acting(uow, telegram_id, at, case_id, open_only=True)
            if isinstance(acting, StaffResult):
                return acting
            _, case = acting
            others = [
                s
                for s in await uow.staff.active()
                if s.person_id != case.claimed_by and may(s.role, StaffAction.CLAIM)
            ]
        if not others:
            return StaffResult("toast.case.nobody_to_transfer", alert=True)
        choices = [
            Choice(
                "btn.staff_member",
                TransferTo(case_id, s.person_id).pack(),
                label_data={"name": s.display_name, "duty": "🟢" if s.on_duty else "⚪"},
            )
            for s in others[:12]
        ]
        return StaffResult(
            menu=(*rows(*choices, width=2), (Choice("btn.case.back", ShowCard(case_id).pack()),))
        )

    async def transfer(
        self, telegram_id: int, at: Place, case_id: int, to_person: int
    ) -> StaffResult:
        now = self.clock.now()
        async with self.uow() as uow:
            acting = await self.access.acting(uow, telegram_id, at, case_id, open_only=True)
            if isinstance(acting, StaffResult):
                return acting
            staff, case = acting
            target = await uow.staff.by_person_id(to_person)
            # Only a role that holds conversations can be handed one (a forged button too).
            if target is None or not may(target.role, StaffAction.CLAIM):
                return GONE
            if (refused := holder_refusal(staff, case)) is not None:
                return refused
            cap = self.targets.max_claims
            if (
                target.person_id != case.claimed_by
                and await uow.cases.held_by(target.person_id) >= cap
            ):
                # Nobody is handed more cases than the cap allows, by a colleague or by
                # forging "transfer to me" (the menu never offers yourself).
                if target.person_id == staff.person_id:
                    return StaffResult("toast.case.cap", {"max": cap}, alert=True)
                return StaffResult(
                    "toast.case.target_cap", {"name": target.display_name, "max": cap}, alert=True
                )
            # Conditional: a waiting case claimed by someone else meanwhile is not taken away.
            if not await uow.cases.set_status(
                case.id,
                case.status,
                status=CaseStatus.CLAIMED,
                claimed_by=target.person_id,
                claimed_at=now,
            ):
                return StaffResult("toast.case.try_again", alert=True)
            await uow.cases.log(
                case.id,
                EventKind.TRANSFERRED,
                now,
                staff.person_id,
                source=case.claimed_by,
                target=target.person_id,
            )
            moved = await uow.cases.by_id(case.id) or case
            card = await refreshed_cards(uow, moved)
            said = await uow.cases.messages(case.id)
            await self.board.post(uow, moved, transfer_notice(moved, staff, target, said), now)
            await uow.commit()
        return StaffResult(
            "toast.case.transferred",
            {"name": target.display_name},
            menu=card_actions(moved),
            cards=card,
        )
