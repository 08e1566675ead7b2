"""After a case closed: the person's next words that day go to the counsellor who closed it.

The words land in the closed case's topic with one tap to reopen it, and the person is told
honestly who hears them and when (issue 17).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.case_actions import Reopen
from bot.domain.cases import Case, CaseStatus
from bot.domain.outbox import Priority
from bot.domain.people import Person
from bot.domain.replies import Choice, Reply, rows
from bot.ports import CaseMessage, UnitOfWork
from bot.services.helpline.line import Line

# A message this soon after the person's case closed goes to that case's topic (issue 17).
AFTER_CLOSE = timedelta(days=1)


class AfterClose:
    def __init__(self, line: Line) -> None:
        self.line = line
        self.board = line.board

    async def closed_lately(
        self, uow: UnitOfWork, person: Person | None, now: datetime
    ) -> Case | None:
        """The person's case closed within the last day, if any: their next words are most
        likely for the counsellor who just talked with them."""
        if person is None or person.id is None:
            return None
        ids = await uow.cases.ids_for(person.id)
        last = await uow.cases.by_id(ids[-1]) if ids else None
        if last is None or last.status is not CaseStatus.CLOSED or last.closed_at is None:
            return None
        return last if now - last.closed_at <= AFTER_CLOSE else None

    async def hear(
        self, uow: UnitOfWork, case: Case, text: str, now: datetime, relay: bool = True
    ) -> None:
        """The words in the closed case's topic, then one tap to reopen it."""
        await uow.cases.add_message(case.id, CaseMessage(now, "in", case.person_id, text))
        if relay:  # else a caption: its media follows (`media`), and offers the reopening
            await self.board.relay_in(uow, case, text, now)
            await self.offer_reopen(uow, case, now)

    async def offer_reopen(self, uow: UnitOfWork, case: Case, now: datetime) -> None:
        await self.board.post(
            uow,
            case,
            Reply(
                "helpline/staff_after_close",
                {"code": case.code},
                choices=rows(Choice("btn.case.reopen", Reopen(case.id).pack())),
            ),
            now,
            Priority.ALERT,
        )

    async def passed_on(
        self, uow: UnitOfWork, person: Person | None, case: Case, now: datetime
    ) -> Reply:
        """Words or media after a case closed went to the counsellor who closed it: said
        honestly about duty (out of hours, when they are back), with the hotlines."""
        region = await self.line.region_of(uow, person)
        data = {
            **self.line.hotline_data(region),
            **self.line.when_data(now, case.tier),
            "staffed": await self.line.staffed(uow, now),
        }
        return Reply("helpline/passed_on", data)
