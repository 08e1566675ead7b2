"""How the dashboard's pages show what they show: local times, ages, staff names, service
points, resources, and a case or a follow-up as a line of a list. In one place so that every
page says a thing the same way."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.cases import Case
from bot.domain.referrals import Directory
from bot.ports import UnitOfWork

Names = dict[int, dict[str, Any]]


class Shown:
    def __init__(self, timezone: str, directory: Directory) -> None:
        self.tz = ZoneInfo(timezone)
        self.directory = directory

    def when(self, at: datetime | None) -> str:
        """A moment as the pages show it: local time, to the minute."""
        return at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M") if at else ""

    def day(self, at: datetime | None) -> str:
        return at.astimezone(self.tz).date().isoformat() if at else ""

    @staticmethod
    def age(delta: timedelta) -> dict[str, int]:
        minutes = max(0, int(delta.total_seconds() // 60))
        return {"days": minutes // 1440, "hours": minutes % 1440 // 60, "minutes": minutes % 60}

    @staticmethod
    async def names(uow: UnitOfWork) -> Names:
        # Retired colleagues drop out: their cases then show no name, as in the staff chat.
        return {
            s.person_id: {"name": s.display_name, "n": s.pseudonym_no, "role": s.role.value}
            for s in await uow.staff.active()
        }

    @staticmethod
    async def points(uow: UnitOfWork) -> dict[int, str]:
        return {c: sp.name for sp in await uow.service_points.all() for c in sp.staff_chat_ids}

    def resource(self, resource_id: object) -> dict[str, str] | None:
        if not isinstance(resource_id, str):
            return None
        found = self.directory.get(resource_id)
        if found is None:
            return {"id": resource_id, "name": "", "kind": ""}
        return {"id": found.id, "name": found.name, "kind": found.kind}

    def case_row(
        self, case: Case, now: datetime, names: Names, points: dict[int, str]
    ) -> dict[str, Any]:
        return {
            "code": case.code,
            "tier": case.tier.value,
            "status": case.status.value,
            "trigger": case.trigger.value,
            "opened": self.when(case.opened_at),
            "age": self.age(case.waiting(now)),
            "claimed_by": names.get(case.claimed_by) if case.claimed_by else None,
            "answered": case.first_response_at is not None,
            "point": points.get(case.staff_chat_id, ""),
        }

    def follow_up_row(
        self,
        due: datetime,
        done: datetime | None,
        assignee: int,
        now: datetime,
        names: Names,
        code: str,
    ) -> dict[str, Any]:
        return {
            "code": code,
            "due": self.day(due),
            "done": self.day(done),
            "overdue": done is None and due < now,
            "due_now": done is None and due <= now + timedelta(days=1),
            "who": names.get(assignee),
        }
