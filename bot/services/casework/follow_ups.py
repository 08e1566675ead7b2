"""Follow-ups: a date to come back to a case, its reminder, and ✅ when it is done."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.case_actions import FollowUpIn, ShowCard
from bot.domain.cases import EventKind
from bot.domain.lengths import clip
from bot.domain.replies import Choice, Reply
from bot.services.board import card_actions
from bot.services.casework.access import GONE, NOT_STAFF
from bot.services.casework.desk import DeskWork
from bot.services.casework.results import Menu, Place, StaffResult

FOLLOW_UP_DAYS = (1, 3, 7, 14)
NOTE_UNITS = 500  # a follow-up's note, beside the case's words in its post (see REASON_UNITS)


class FollowUps(DeskWork):
    def follow_up_menu(self, case_id: int) -> Menu:
        return (
            tuple(
                Choice("btn.fu.days", FollowUpIn(case_id, d).pack(), label_data={"days": d})
                for d in FOLLOW_UP_DAYS
            ),
            (Choice("btn.case.back", ShowCard(case_id).pack()),),
        )

    async def follow_up(
        self, telegram_id: int, at: Place, case_id: int, days: int, note: str = ""
    ) -> StaffResult:
        if not 0 <= days <= 365:
            return StaffResult("toast.case.bad_date", alert=True)
        now = self.clock.now()
        async with self.uow() as uow:
            acting = await self.access.acting(uow, telegram_id, at, case_id)
            if isinstance(acting, StaffResult):
                return acting
            staff, case = acting
            due = now + timedelta(days=days)
            note = clip(note, NOTE_UNITS)
            fu = await uow.cases.add_follow_up(
                case.id, staff.person_id, due, note, staff.person_id, now
            )
            await uow.cases.log(
                case.id,
                EventKind.FOLLOW_UP,
                now,
                staff.person_id,
                follow_up=fu.id,
                due=due.isoformat(),
            )
            await self.board.post(
                uow,
                case,
                Reply(
                    "helpline/staff_follow_up_set",
                    {
                        "code": case.code,
                        "due": due.date().isoformat(),
                        "name": staff.display_name,
                        "note": note,
                    },
                ),
                now,
            )
            await uow.commit()
        return StaffResult("toast.case.follow_up_set", {"days": days}, menu=card_actions(case))

    async def follow_up_done(self, telegram_id: int, chat_id: int, fu_id: int) -> StaffResult:
        """✅ on a follow-up: on its reminder in the case's topic or on the /followups list,
        which is posted wherever it was asked for, so any thread of the case's staff chat.
        Follow-up ids are never reused (migration 0012), so an old button names only its own."""
        now = self.clock.now()
        async with self.uow() as uow:
            staff = await self.access.staff(uow, telegram_id, chat_id)
            if staff is None:
                return NOT_STAFF
            fu = await uow.cases.follow_up(fu_id)
            case = await self.access.case_in(uow, fu.case_id, chat_id) if fu else None
            if fu is None or case is None or fu.done_at is not None:
                return GONE
            await uow.cases.update_follow_up(fu.id, done_at=now)
            await uow.cases.log(
                case.id, EventKind.FOLLOW_UP, now, staff.person_id, follow_up=fu.id, done=True
            )
            await uow.commit()
        return StaffResult("toast.case.follow_up_done")
