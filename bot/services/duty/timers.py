"""The timers that act on their own (docs/DOMAIN.md §3): a missed first-response target
re-alerts the staff chat, twice the target pages supervisors directly, a claimed case whose
counsellor went quiet returns to the queue, and a follow-up that falls due reminds its
assignee in the staff chat."""

from __future__ import annotations

from datetime import datetime

from bot.domain.case_actions import FollowUpDone
from bot.domain.cases import Case, EventKind, SlaStep, sla_step
from bot.domain.outbox import Priority
from bot.domain.replies import Choice, Reply, rows
from bot.ports import Clock, FollowUp, StaffMember, UnitOfWork, UnitOfWorkFactory
from bot.services.board import Board, card_actions
from bot.services.casework import Claims


class Timers:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, board: Board, claims: Claims) -> None:
        self.uow = uow
        self.clock = clock
        self.board = board
        self.claims = claims
        self.targets = claims.targets

    async def tick(self, now: datetime | None = None) -> dict[str, int]:
        """Run every timer once; returns what it did (for logs and tests)."""
        now = now or self.clock.now()
        done = {"realert": 0, "supervisor": 0, "release": 0, "follow_up": 0, "rescued": 0}
        async with self.uow() as uow:
            for case in await uow.cases.all_open():
                if case.topic_id is None and await self.board.rescue_topicless(uow, case, now):
                    done["rescued"] += 1
                step = await self._sla(uow, case, now)
                if step is not None:
                    done[step] += 1
            names = {s.person_id: s for s in await uow.staff.active()}
            for fu in await uow.cases.follow_ups_due(now):
                if await self._remind(uow, fu, names.get(fu.assignee_id), now):
                    done["follow_up"] += 1
            await uow.commit()
        return done

    async def _sla(self, uow: UnitOfWork, case: Case, now: datetime) -> str | None:
        """The case's next step past its targets, if it is due; what was done, by name."""
        step = sla_step(case, now, self.targets)
        minutes = int(case.waiting(now).total_seconds() // 60)
        if step is SlaStep.RELEASE:
            await self.claims.release_silent(uow, case, now)
            return "release"
        if step is SlaStep.REALERT:
            await uow.cases.update(case.id, alert_level=1)
            await uow.cases.log(case.id, EventKind.SLA_REALERT, now)
            await self.board.post(
                uow,
                case,
                Reply(
                    "helpline/staff_overdue",
                    {"code": case.code, "tier": case.tier.value, "minutes": minutes},
                    choices=card_actions(case),
                ),
                now,
                Priority.ALERT,
            )
            return "realert"
        if step is SlaStep.SUPERVISOR:
            await uow.cases.update(case.id, alert_level=2)
            await uow.cases.log(case.id, EventKind.SLA_SUPERVISOR, now)
            await self.board.page_supervisors(
                uow,
                case,
                "helpline/page_overdue",
                {"tier": case.tier.value, "minutes": minutes},
                now,
                "sla",
            )
            return "supervisor"
        return None

    async def _remind(
        self, uow: UnitOfWork, fu: FollowUp, assignee: StaffMember | None, now: datetime
    ) -> bool:
        """A follow-up fallen due, in its case's topic, with its ✅."""
        case = await uow.cases.by_id(fu.case_id)
        if case is None:
            return False
        await uow.cases.update_follow_up(fu.id, reminded_at=now)
        await self.board.post(
            uow,
            case,
            Reply(
                "helpline/staff_follow_up_due",
                {
                    "code": case.code,
                    "note": fu.note,
                    "name": assignee.display_name if assignee else "",
                    "tg": assignee.telegram_id if assignee else 0,
                },
                choices=rows(
                    Choice(
                        "btn.fu.done",
                        FollowUpDone(fu.id).pack(),
                        label_data={"code": case.code},
                    )
                ),
            ),
            now,
        )
        return True
