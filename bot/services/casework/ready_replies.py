"""Ready replies: a counsellor picks one, sees the exact words the person will get, and
sends them with one ✅."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from bot.domain.case_actions import CancelCanned, PreviewCanned, SendCanned, ShowCard
from bot.domain.cases import Case
from bot.domain.outbox import Priority
from bot.domain.people import Person
from bot.domain.referrals import Canned
from bot.domain.replies import Choice, Reply, rows
from bot.ports import StaffMember, UnitOfWork
from bot.services.board import card_actions
from bot.services.casework.access import GONE
from bot.services.casework.desk import Desk, DeskWork
from bot.services.casework.relay import CLAIM_FIRST, pseudonym_data, speaking_to, spoke
from bot.services.casework.results import Menu, Place, StaffResult


class ReadyReplies(DeskWork):
    def __init__(self, desk: Desk, canned: Sequence[Canned]) -> None:
        super().__init__(desk)
        self.canned = {c.id: c for c in canned}

    def canned_menu(self, case_id: int) -> Menu:
        items = [
            Choice(
                "btn.canned", PreviewCanned(case_id, c.id).pack(), label_data={"label": c.label}
            )
            for c in self.canned.values()
        ]
        return (*rows(*items, width=2), (Choice("btn.case.back", ShowCard(case_id).pack()),))

    async def _canned_to(
        self, uow: UnitOfWork, telegram_id: int, at: Place, case_id: int, canned_id: str
    ) -> tuple[StaffMember, Case, Person, int, Canned] | StaffResult:
        canned = self.canned.get(canned_id)
        acting = await self.access.acting(uow, telegram_id, at, case_id, open_only=True)
        if isinstance(acting, StaffResult):
            return acting
        staff, case = acting
        if canned is None:
            return GONE
        to = await speaking_to(uow, case, staff)
        if to == CLAIM_FIRST:
            return StaffResult("toast.case.claim_first", alert=True)
        if isinstance(to, str):
            return GONE
        return staff, case, to[0], to[1], canned

    async def preview_canned(
        self, telegram_id: int, at: Place, case_id: int, canned_id: str
    ) -> StaffResult:
        """A ready reply pressed: the topic shows the exact words the person would receive,
        in their language, with one ✅ to send them. A label alone ("安全确认") hides what
        the child will actually read, and a mis-tap would send it at once."""
        now = self.clock.now()
        async with self.uow() as uow:
            found = await self._canned_to(uow, telegram_id, at, case_id, canned_id)
            if isinstance(found, StaffResult):
                return found
            _, case, person, _, canned = found
            token = uuid.uuid4().hex[:8]
            await self.board.post(
                uow,
                case,
                Reply(
                    "helpline/staff_canned_confirm",
                    {"label": canned.label, "text": canned.text, "locale": person.locale},
                    choices=rows(
                        Choice("btn.canned.send", SendCanned(case.id, canned.id, token).pack()),
                        Choice("btn.canned.cancel", CancelCanned(case.id, canned.id).pack()),
                        width=2,
                    ),
                ),
                now,
                Priority.ALERT,  # the counsellor is waiting for it, mid-conversation
            )
            await uow.commit()
        return StaffResult("toast.canned.check", menu=card_actions(case))

    async def send_canned(
        self, telegram_id: int, at: Place, case_id: int, canned_id: str, token: str
    ) -> StaffResult:
        """✅ under a ready reply's preview: sent once, however often it is pressed."""
        now = self.clock.now()
        async with self.uow() as uow:
            found = await self._canned_to(uow, telegram_id, at, case_id, canned_id)
            if isinstance(found, StaffResult):
                return found
            staff, case, person, chat, canned = found
            sent = await self.board.to_person(
                uow,
                case,
                chat,
                person.locale,
                now,
                reply=Reply(
                    "helpline/relay_out", {**pseudonym_data(staff), "canned": canned.text}
                ),
                key=f"canned:{token[:16]}",
            )
            if not sent:
                return StaffResult("toast.canned.already", menu=())
            await spoke(uow, case, staff, f"[{canned.id}] {canned.text}", now)
            await self.board.post(
                uow,
                case,
                Reply(
                    "helpline/staff_canned_sent",
                    {"label": canned.label, "text": canned.text, "locale": person.locale},
                ),
                now,
            )
            await uow.commit()
        return StaffResult("toast.case.sent", menu=())
