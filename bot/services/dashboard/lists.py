"""The dashboard's lists: open cases, follow-ups, referrals, and missed-risk reports per
week. Codes, tiers, dates and staff names only: nothing here names a child or quotes one, so
nothing here is written to a file access log."""

from __future__ import annotations

from typing import Any

from bot.domain.cases import CaseStatus, ReferralStatus, case_code, queue_key
from bot.domain.oversight import Period
from bot.ports import Clock, UnitOfWorkFactory
from bot.services.dashboard.shown import Shown
from bot.services.misses import per_week

REFERRALS_LIMIT = 500


class Lists:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, shown: Shown) -> None:
        self.uow = uow
        self.clock = clock
        self.shown = shown

    async def queue(self) -> dict[str, Any]:
        """Open cases: waiting first (most urgent tier, then longest waiting), then claimed."""
        now = self.clock.now()
        async with self.uow() as uow:
            cases = sorted(await uow.cases.all_open(), key=queue_key)
            names = await self.shown.names(uow)
            points = await self.shown.points(uow)
            on_duty = [
                {"name": s.display_name, "n": s.pseudonym_no}
                for s in await uow.staff.active()
                if s.on_duty
            ]
        waiting = [c for c in cases if c.status is CaseStatus.WAITING]
        claimed = [c for c in cases if c.status is CaseStatus.CLAIMED]
        return {
            "waiting": [self.shown.case_row(c, now, names, points) for c in waiting],
            "claimed": [self.shown.case_row(c, now, names, points) for c in claimed],
            "on_duty": on_duty,
            "now": self.shown.when(now),
        }

    async def follow_ups(self) -> dict[str, Any]:
        """Every follow-up not done yet, soonest first: overdue, due today, planned."""
        now = self.clock.now()
        async with self.uow() as uow:
            names = await self.shown.names(uow)
            codes: dict[int, str] = {}
            rows = []
            for f in await uow.cases.follow_ups_open():
                if f.case_id not in codes:
                    case = await uow.cases.by_id(f.case_id)
                    codes[f.case_id] = case.code if case else ""
                if codes[f.case_id]:
                    rows.append(
                        self.shown.follow_up_row(
                            f.due_at, None, f.assignee_id, now, names, codes[f.case_id]
                        )
                    )
        return {
            "overdue": [r for r in rows if r["overdue"]],
            "soon": [r for r in rows if not r["overdue"] and r["due_now"]],
            "later": [r for r in rows if not r["due_now"]],
        }

    async def referrals(self) -> dict[str, Any]:
        """Referrals by status: suggested, accepted, attended, declined."""
        async with self.uow() as uow:
            found = await uow.dashboard.referrals(REFERRALS_LIMIT)
        groups: dict[str, list[dict[str, Any]]] = {s.value: [] for s in ReferralStatus}
        for r in found:
            groups[r.status.value].append(
                {
                    "code": case_code(r.case_id),
                    "resource": self.shown.resource(r.resource_id),
                    "created": self.shown.day(r.created_at),
                    "updated": self.shown.day(r.updated_at),
                }
            )
        return {"groups": [{"status": k, "items": v} for k, v in groups.items()]}

    async def misses_per_week(self, period: Period) -> list[dict[str, Any]]:
        """Missed-risk reports (`/missed`) per ISO week of the period, quiet weeks included:
        counts only, never the words."""
        weeks = await per_week(self.uow, period.start, period.end, self.shown.tz)
        return [{"week": week, "n": n} for week, n in weeks.items()]
