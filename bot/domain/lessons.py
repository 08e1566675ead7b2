"""Lessons and programmes as values, and the rules of a weekly schedule.

Times: every instant is aware UTC; a guardian's weekday and hour are wall-clock times in their
own zone, so a lesson set for "Sunday 19:00" stays at 19:00 across DST changes where those exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.people import AgeBand


@dataclass(frozen=True, slots=True)
class QuestionOption:
    label: str
    feedback: str
    best: bool


@dataclass(frozen=True, slots=True)
class CheckinOption:
    key: str
    label: str
    reply: str


@dataclass(frozen=True, slots=True)
class Lesson:
    id: str
    version: int
    programme: str
    week: int
    title: str
    goal: str
    messages: tuple[str, ...]
    prompt: str
    options: tuple[QuestionOption, ...]
    task: str
    checkin_after_days: int
    checkin_prompt: str
    checkin_options: tuple[CheckinOption, ...]
    # One line naming what the lesson rests on, shown under its last message.
    sources: str = ""

    @property
    def parts(self) -> int:
        """Messages, then the question: what "next" steps through."""
        return len(self.messages)


CHECKIN_KEYS = ("went_well", "not_easy", "not_yet")

# Children's programmes are read when the child chooses (/lessons), one per age band: no
# schedule, no check-in, nothing recorded.
CHILD_PREFIX = "child-"
CHILD_YOUNGER, CHILD_OLDER = "child-8-11", "child-12-17"


def child_programme(age_band: AgeBand | None) -> str:
    """A child who would rather not say their age reads the younger band's lessons."""
    older = (AgeBand.A12_13, AgeBand.A14_15, AgeBand.A16_17)
    return CHILD_OLDER if age_band in older else CHILD_YOUNGER


class EnrolmentStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    STOPPED = "stopped"


class PauseReason(StrEnum):
    ASKED = "asked"  # /pause
    SILENT = "silent"  # no answer for weeks: we stopped on our own and said so


@dataclass(slots=True)
class Enrolment:
    """A person in a programme. Mutable: services change it, the repository saves it."""

    person_id: int
    programme: str
    weekday: int
    hour: int
    timezone: str
    last_active_at: datetime
    status: EnrolmentStatus = EnrolmentStatus.ACTIVE
    minute: int = 0  # 30: half past the hour ("晚上七点半")
    next_index: int = 0
    next_due_at: datetime | None = None
    paused_until: datetime | None = None
    pause_reason: PauseReason | None = None
    nudged_at: datetime | None = None
    id: int | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(slots=True)
class Progress:
    """One lesson for one enrolment."""

    enrolment_id: int
    lesson_id: str
    lesson_version: int
    week: int
    scheduled_for: datetime
    delivered_at: datetime | None = None
    parts_read: int = 0
    answer_index: int | None = None
    answered_at: datetime | None = None
    task_shown_at: datetime | None = None
    checkin_due_at: datetime | None = None
    checkin_sent_at: datetime | None = None
    checkin_answer: str | None = None
    checkin_answered_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class DueEnrolment:
    """A due enrolment with what sending needs of its person."""

    enrolment: Enrolment
    telegram_id: int
    locale: str


@dataclass(frozen=True, slots=True)
class QuietHours:
    """No lesson or reminder lands between start and end, local time (e.g. 21:30 to 07:00)."""

    start: time
    end: time

    def contains(self, local: time) -> bool:
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def defer(self, at: datetime, tz: ZoneInfo) -> datetime:
        """The instant itself, or the end of the quiet period it falls into."""
        local = at.astimezone(tz)
        if not self.contains(local.time()):
            return at
        end = datetime.combine(local.date(), self.end, tzinfo=tz)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, tzinfo=tz)
        return end.astimezone(UTC)

    @staticmethod
    def parse(text: str) -> QuietHours:
        """`21:30-07:00`."""
        start, _, end = text.partition("-")
        return QuietHours(time.fromisoformat(start.strip()), time.fromisoformat(end.strip()))


def next_slot(after: datetime, weekday: int, hour: int, tz: ZoneInfo, minute: int = 0) -> datetime:
    """The first local `weekday` (0 = Monday) at `hour`:`minute` strictly after `after`."""
    local = after.astimezone(tz)
    days = (weekday - local.weekday()) % 7
    at = time(hour, minute)
    candidate = datetime.combine(local.date() + timedelta(days=days), at, tzinfo=tz)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=days + 7), at, tzinfo=tz)
    return candidate.astimezone(UTC)


def checkin_time(
    delivered: datetime, after_days: int, hour: int, tz: ZoneInfo, minute: int = 0
) -> datetime:
    """`after_days` later, at the guardian's usual time: they chose it because it suits them."""
    local = delivered.astimezone(tz)
    day = local.date() + timedelta(days=after_days)
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class SilencePolicy:
    """Weeks without any answer before a friendly nudge, and before pausing on our own."""

    nudge_after: timedelta = timedelta(days=14)
    pause_after: timedelta = timedelta(days=28)

    def verdict(self, last_active: datetime, nudged_at: datetime | None, now: datetime) -> str:
        """ "pause", "nudge" or "" (nothing to do)."""
        quiet_for = now - last_active
        if quiet_for >= self.pause_after:
            return "pause"
        if quiet_for >= self.nudge_after and (nudged_at is None or nudged_at < last_active):
            return "nudge"
        return ""


class Programme:
    """A programme's lessons in week order."""

    def __init__(self, name: str, lessons: Sequence[Lesson]) -> None:
        self.name = name
        self.lessons = tuple(sorted(lessons, key=lambda lesson: lesson.week))
        self.by_id = {lesson.id: lesson for lesson in self.lessons}

    def at(self, index: int) -> Lesson | None:
        """The lesson at position `index` (0-based), or None past the end."""
        return self.lessons[index] if 0 <= index < len(self.lessons) else None

    def __len__(self) -> int:
        return len(self.lessons)
