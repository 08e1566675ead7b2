"""When a push to a child or a guardian is welcome: outside quiet hours and, for a child,
outside school hours (docs/DOMAIN.md §5). Invitations to talk and to re-screen both wait."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.domain.lessons import QuietHours

# School hours (local, Monday to Friday): no pushes to a child then (docs/DOMAIN.md §5).
SCHOOL = (time(8, 0), time(17, 0))


def outside_school_and_quiet(
    at: datetime,
    tz: ZoneInfo,
    quiet: QuietHours,
    child: bool,
    school: tuple[time, time] = SCHOOL,
) -> datetime:
    """The first moment at or after `at` when a push is welcome (equal school ends: none)."""
    moment = quiet.defer(at, tz)
    if not child or school[0] == school[1]:
        return moment
    for _ in range(8):
        local = moment.astimezone(tz)
        if local.weekday() < 5 and school[0] <= local.time() < school[1]:
            moment = quiet.defer(
                datetime.combine(local.date(), school[1], tz).astimezone(at.tzinfo), tz
            )
            continue
        break
    return moment
