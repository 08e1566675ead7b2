"""What /mydata, /delete and /accesslog share: the staff guard (a staff member's data follows
the service's own rules, not these commands) and times written where the family lives."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.people import Person
from bot.ports import UnitOfWork


async def is_staff(uow: UnitOfWork, person: Person) -> bool:
    if person.role is not None and person.role.is_staff:
        return True
    return person.telegram_id is not None and (
        await uow.staff.by_telegram_id(person.telegram_id) is not None
    )


class LocalTimes:
    """Instants as the person reads them: in the service's timezone."""

    def __init__(self, timezone: str) -> None:
        self.tz = ZoneInfo(timezone)

    def when(self, at: datetime | None) -> str | None:
        return at.astimezone(self.tz).isoformat(timespec="seconds") if at else None

    def day(self, stamp: str | None) -> dict[str, int] | None:
        """A date a person reads (year, month, day where they live), from the document's."""
        if not stamp:
            return None
        at = datetime.fromisoformat(stamp).astimezone(self.tz)
        return {"y": at.year, "m": at.month, "d": at.day}
