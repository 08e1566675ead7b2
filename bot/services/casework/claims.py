"""Claims: ✋ a case, ⏭ the next one, give one back, and the timer's return to the queue."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.domain.cases import Case, CaseStatus, EventKind
from bot.domain.outbox import Priority
from bot.domain.replies import Reply
from bot.ports import StaffMember, UnitOfWork
from bot.services.board import card_actions
from bot.services.casework.access import GONE, NOT_STAFF, holder_refusal
from bot.services.casework.cards import moved_on, refreshed_cards
from bot.services.casework.desk import DeskWork
from bot.services.casework.results import Place, StaffResult


class Claims(DeskWork):
    async def claim(self, telegram_id: int, at: Place, case_id: int) -> StaffResult:
        """✋ on the card, or on the direct message an on-duty counsellor gets about a new
        case (pressed in their own chat with the bot)."""
        now = self.clock.now()
        async with self.uow() as uow:
            acting = await self.access.acting(uow, telegram_id, at, case_id, privately=True)
            if isinstance(acting, StaffResult):
                return acting
            staff, case = acting
            result = await self._claim(uow, staff, case, now)
            await uow.commit()
        if at.chat_id == telegram_id:
            # Once the case is someone's (or gone), the direct message keeps no buttons: the
            # case is worked in its topic. At the cap, ✋ stays for when a case is closed.
            return replace(result, menu=None if result.toast == "toast.case.cap" else ())
        return result

    async def _claim(
        self, uow: UnitOfWork, staff: StaffMember, case: Case, now: datetime
    ) -> StaffResult:
        won, current = await uow.cases.claim(
            case.id, staff.person_id, now, self.targets.max_claims
        )
        if not won:
            return await self._not_won(uow, staff, current)
        await uow.cases.log(case.id, EventKind.CLAIMED, now, staff.person_id)
        claimed = current or case
        await self.board.post(
            uow,
            claimed,
            Reply(
                "helpline/staff_claimed",
                {"code": case.code, "name": staff.display_name, "n": staff.pseudonym_no},
                choices=card_actions(claimed),
            ),
            now,
            Priority.ALERT,  # colleagues must not start on a case someone already has
        )
        return StaffResult(
            "toast.case.claimed",
            {"code": case.code},
            menu=card_actions(claimed),
            cards=await refreshed_cards(uow, claimed),
        )

    async def _not_won(
        self, uow: UnitOfWork, staff: StaffMember, current: Case | None
    ) -> StaffResult:
        """Why a claim did not go through: someone has it (maybe the presser), the presser is
        at the cap, or the case is closed or gone."""
        if current is not None and current.status is CaseStatus.CLAIMED and current.claimed_by:
            holder = await uow.staff.by_person_id(current.claimed_by)
            # ✋ was pressed on a message from before the claim: its buttons follow.
            moved = await moved_on(uow, current)
            if current.claimed_by == staff.person_id:
                return replace(moved, toast="toast.case.yours")
            return replace(
                moved,
                toast="toast.case.taken",
                toast_data={
                    "name": holder.display_name if holder else "?",
                    "n": holder.pseudonym_no if holder else 0,
                },
                alert=True,
            )
        if current is not None and current.status is CaseStatus.WAITING:
            return StaffResult("toast.case.cap", {"max": self.targets.max_claims}, alert=True)
        if current is not None and current.status is CaseStatus.CLOSED:
            return replace(await moved_on(uow, current), toast=GONE.toast, alert=True)
        return GONE

    async def take_next(self, telegram_id: int, chat_id: int) -> StaffResult:
        now = self.clock.now()
        async with self.uow() as uow:
            staff = await self.access.staff(uow, telegram_id, chat_id)
            if staff is None:
                return NOT_STAFF
            # Another counsellor may win the top case between look and claim: try the next.
            for _ in range(5):
                case = await uow.cases.next_waiting(chat_id)
                if case is None:
                    return StaffResult("toast.case.queue_empty")
                result = await self._claim(uow, staff, case, now)
                if result.toast != "toast.case.taken":
                    await uow.commit()
                    # ⏭ may be pressed on another case's card: that card keeps its buttons,
                    # and the card of the case taken shows what it can do now.
                    return replace(result, menu=None)
            return StaffResult("toast.case.try_again")

    async def release(self, telegram_id: int, at: Place, case_id: int) -> StaffResult:
        now = self.clock.now()
        async with self.uow() as uow:
            acting = await self.access.acting(uow, telegram_id, at, case_id, open_only=True)
            if isinstance(acting, StaffResult):
                return acting
            staff, case = acting
            if case.status is not CaseStatus.CLAIMED:
                return await moved_on(uow, case)
            if (refused := holder_refusal(staff, case)) is not None:
                return refused
            # A supervisor taking a colleague's case back is on the record as theirs.
            why = "by_counsellor" if case.claimed_by == staff.person_id else "by_supervisor"
            back = await self._release(
                uow, case, now, staff.person_id, why, name=staff.display_name
            )
            card = await refreshed_cards(uow, back)
            await uow.commit()
        return StaffResult("toast.case.released", menu=card_actions(back), cards=card)

    async def release_silent(self, uow: UnitOfWork, case: Case, now: datetime) -> Case:
        """A claimed case whose counsellor went quiet past its target goes back to the queue
        (the duty timer), on the record as nobody's doing, in the caller's transaction."""
        return await self._release(uow, case, now, None, "silence")

    async def _release(
        self,
        uow: UnitOfWork,
        case: Case,
        now: datetime,
        actor: int | None,
        why: str,
        name: str = "",
    ) -> Case:
        await uow.cases.set_status(
            case.id,
            CaseStatus.CLAIMED,
            status=CaseStatus.WAITING,
            claimed_by=None,
            claimed_at=None,
        )
        await uow.cases.log(case.id, EventKind.RELEASED, now, actor, why=why)
        back = await uow.cases.by_id(case.id) or case
        await self.board.post(
            uow,
            back,
            Reply(
                "helpline/staff_released",
                {"code": case.code, "why": why, "name": name},
                choices=card_actions(back),
            ),
            now,
        )
        return back
