"""Referring a person to a service from the directory, and recording how it went."""

from __future__ import annotations

from bot.domain.case_actions import MarkReferral, ReferTo, ShowCard
from bot.domain.cases import EventKind, ReferralStatus
from bot.domain.referrals import Directory
from bot.domain.replies import Choice, Reply, rows
from bot.services.board import card_actions
from bot.services.casework.access import GONE, NOT_STAFF
from bot.services.casework.desk import Desk, DeskWork
from bot.services.casework.results import Place, StaffResult

# One sentence per status, so a toast reads 已接受 rather than the status's code.
REFERRAL_TOASTS = {
    ReferralStatus.SUGGESTED: "toast.case.referral_suggested",
    ReferralStatus.ACCEPTED: "toast.case.referral_accepted",
    ReferralStatus.ATTENDED: "toast.case.referral_attended",
    ReferralStatus.DECLINED: "toast.case.referral_declined",
}


class Referrals(DeskWork):
    def __init__(self, desk: Desk, directory: Directory) -> None:
        super().__init__(desk)
        self.directory = directory

    async def refer_menu(self, telegram_id: int, at: Place, case_id: int) -> StaffResult:
        async with self.uow() as uow:
            acting = await self.access.acting(uow, telegram_id, at, case_id)
            if isinstance(acting, StaffResult):
                return acting
            _, case = acting
            person = await uow.people.by_id(case.person_id)
            region = None
            if person is not None and person.service_point_id is not None:
                sp = await uow.service_points.by_id(person.service_point_id)
                region = sp.region if sp else None
        choices = [
            Choice("btn.resource", ReferTo(case_id, r.id).pack(), label_data={"name": r.name})
            for r in self.directory.for_region(region)
        ]
        return StaffResult(
            menu=(*rows(*choices), (Choice("btn.case.back", ShowCard(case_id).pack()),))
        )

    async def refer(
        self, telegram_id: int, at: Place, case_id: int, resource_id: str
    ) -> StaffResult:
        resource = self.directory.get(resource_id)
        now = self.clock.now()
        async with self.uow() as uow:
            acting = await self.access.acting(uow, telegram_id, at, case_id)
            if isinstance(acting, StaffResult):
                return acting
            staff, case = acting
            if resource is None:
                return GONE
            referral = await uow.cases.refer(case.id, resource.id, staff.person_id, now)
            await uow.cases.log(
                case.id,
                EventKind.REFERRED,
                now,
                staff.person_id,
                resource=resource.id,
                referral=referral.id,
            )
            await self.board.post(
                uow,
                case,
                Reply(
                    "helpline/staff_referral",
                    {
                        "code": case.code,
                        "resource": resource.name,
                        "phone": resource.phone,
                        "status": referral.status.value,
                        "name": staff.display_name,
                    },
                    choices=rows(
                        *(
                            Choice(f"btn.ref.{s.value}", MarkReferral(referral.id, s).pack())
                            for s in ReferralStatus
                            if s is not ReferralStatus.SUGGESTED
                        ),
                        width=3,
                    ),
                ),
                now,
            )
            await uow.commit()
        return StaffResult("toast.case.referred", menu=card_actions(case))

    async def referral_status(
        self, telegram_id: int, at: Place, referral_id: int, status_value: str
    ) -> StaffResult:
        try:
            status = ReferralStatus(status_value)
        except ValueError:
            return GONE
        now = self.clock.now()
        async with self.uow() as uow:
            if await self.access.staff(uow, telegram_id, at.chat_id) is None:
                return NOT_STAFF
            referral = await uow.cases.referral(referral_id)
            if referral is None:
                return GONE
            # The referral's buttons are on its post in the case's topic.
            acting = await self.access.acting(uow, telegram_id, at, referral.case_id)
            if isinstance(acting, StaffResult):
                return acting
            staff, case = acting
            await uow.cases.set_referral(referral.id, status, now)
            await uow.cases.log(
                case.id,
                EventKind.REFERRAL_STATUS,
                now,
                staff.person_id,
                referral=referral.id,
                status=status.value,
            )
            await uow.commit()
        return StaffResult(REFERRAL_TOASTS[status])
