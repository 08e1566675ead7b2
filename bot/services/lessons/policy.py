"""The programme's settings (timezone, the hours offered, quiet hours, silence) and the few
constants every part of the lesson service shares, so no part imports another for them."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.domain.lessons import QuietHours, SilencePolicy
from bot.domain.people import Person

STALE = "toast.stale"
WEEKDAYS = range(7)
PAUSE_CHOICES = (7, 14, 28, 0)
# Outbox kinds this service composes.
LESSON_KINDS = ("lesson", "checkin", "nudge", "auto_paused", "completed")


@dataclass(frozen=True, slots=True)
class LessonPolicy:
    timezone: str = "Asia/Shanghai"
    default_weekday: int = 6
    default_hour: int = 19
    hours: tuple[int, ...] = (8, 12, 19, 20)
    # Minutes past one of those hours a guardian may type ("晚上七点半"); the buttons are
    # on the hour.
    minutes: tuple[int, ...] = (0, 30)
    quiet: QuietHours = field(default_factory=lambda: QuietHours.parse("21:30-07:00"))
    silence: SilencePolicy = field(default_factory=SilencePolicy)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def programme_for(person: Person) -> str:
    return "staff" if person.role is not None and person.role.is_staff else "guardian"
