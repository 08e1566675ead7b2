"""Helpline cases: who is waiting, how urgently, who has them, and what happened.

The queue is ordered by risk, then by waiting time (docs/DOMAIN.md §3, as Crisis Text Line does):
a red case that arrived a minute ago goes before a yellow one waiting for an hour.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.replies import Reply


class Tier(StrEnum):
    RED = "red"
    ORANGE = "orange"
    YELLOW = "yellow"
    GREEN = "green"

    @property
    def rank(self) -> int:
        """Higher is more urgent; the queue sorts by it, descending."""
        return _TIER_RANK[self]

    @property
    def icon(self) -> str:
        return _TIER_ICON[self]

    def raised_to(self, other: Tier) -> Tier:
        """New triggers only ever raise a case's tier; lowering is a counsellor's decision."""
        return other if other.rank > self.rank else self


# A tier as staff type it after /tier: the code, its first letter, or the colour in Chinese
# (红, 红色, 红级); a Chinese counsellor should not have to switch keyboards mid-crisis.
_TIER_WORDS = {
    word: tier
    for tier, words in {
        "red": ("r", "红", "红色", "红级", "紅", "紅色"),
        "orange": ("o", "橙", "橙色", "橙级"),
        "yellow": ("y", "黄", "黄色", "黄级", "黃", "黃色"),
        "green": ("g", "绿", "绿色", "绿级", "綠", "綠色"),
    }.items()
    for word in (tier, *words)
}


def parse_tier(word: str) -> Tier | None:
    """A typed tier (`red`, `Red`, `红`, `红色`), or None if it names none."""
    found = _TIER_WORDS.get(word.strip().lower())
    return Tier(found) if found else None


_TIER_RANK = {Tier.RED: 3, Tier.ORANGE: 2, Tier.YELLOW: 1, Tier.GREEN: 0}
_TIER_ICON = {Tier.RED: "🔴", Tier.ORANGE: "🟠", Tier.YELLOW: "🟡", Tier.GREEN: "🟢"}


class CaseStatus(StrEnum):
    WAITING = "waiting"
    CLAIMED = "claimed"
    CLOSED = "closed"


class Trigger(StrEnum):
    REQUEST = "request"  # the person asked for a counsellor
    TRIAGE = "triage"  # what they wrote showed risk
    SCREENING = "screening"  # a questionnaire result (the screening issue)
    ASKED = "asked"  # answered 有 to the direct question about ending their life
    UNCONFIRMED = "unconfirmed"  # asked directly, did not say (不想说, or no answer in time)


class CloseOutcome(StrEnum):
    SUPPORTED = "supported"
    REFERRED = "referred"
    EMERGENCY = "emergency"  # emergency services involved
    NO_CONTACT = "no_contact"
    OTHER = "other"


class ReferralStatus(StrEnum):
    SUGGESTED = "suggested"
    ACCEPTED = "accepted"
    ATTENDED = "attended"
    DECLINED = "declined"


class EventKind(StrEnum):
    OPENED = "opened"
    RAISED = "raised"  # a new trigger on an open case
    CLAIMED = "claimed"
    RELEASED = "released"  # back to the queue (silence or by the counsellor)
    TRANSFERRED = "transferred"
    RETIERED = "retiered"
    NOTE = "note"
    REFERRED = "referred"
    REFERRAL_STATUS = "referral_status"
    FOLLOW_UP = "follow_up"
    REPORTED = "reported"  # mandatory report to the authorities made
    GUARDIAN_INVITED = "guardian_invited"  # whether the child was told first, and if not why
    SLA_REALERT = "sla_realert"
    SLA_SUPERVISOR = "sla_supervisor"
    OUT_OF_HOURS = "out_of_hours"
    CLOSED = "closed"
    REOPENED = "reopened"


@dataclass(frozen=True, slots=True)
class Case:
    id: int
    code: str
    person_id: int
    tier: Tier
    status: CaseStatus
    trigger: Trigger
    categories: tuple[str, ...]
    opened_at: datetime
    staff_chat_id: int
    topic_id: int | None = None
    claimed_by: int | None = None  # the staff member's person id
    claimed_at: datetime | None = None
    first_response_at: datetime | None = None
    last_staff_at: datetime | None = None
    last_person_at: datetime | None = None
    alert_level: int = 0
    closed_at: datetime | None = None
    outcome: CloseOutcome | None = None
    evidence: tuple[str, ...] = ()

    def waiting(self, now: datetime) -> timedelta:
        return max(timedelta(0), now - self.opened_at)


def case_code(case_id: int) -> str:
    """A code staff can say aloud; never the child's name or username (docs/DOMAIN.md §3)."""
    return f"C-{case_id:04d}"


def may_act_on(case: Case, actor_id: int, supervisor: bool) -> bool:
    """Release, close, transfer and re-tier: a waiting case is anyone's on staff, a claimed
    one its holder's, and a supervisor's always."""
    return supervisor or case.claimed_by in (None, actor_id)


def lowers_red(case: Case, tier: Tier) -> bool:
    """Lowering a red case moves its first-response target from minutes to hours or a day:
    a supervisor's decision, never a counsellor's alone."""
    return case.tier is Tier.RED and tier.rank < Tier.RED.rank


def closing_needs_note(case: Case) -> bool:
    """A red or orange case is closed on purpose and with a word on what happened; a stray
    tap on an old button must not end it."""
    return case.tier.rank >= Tier.ORANGE.rank


def queue_key(case: Case) -> tuple[int, datetime, int]:
    """Sort key: most urgent tier first, then who has waited longest."""
    return (-case.tier.rank, case.opened_at, case.id)


def topic_name(case: Case) -> Reply:
    """A case topic's title, worded in the staff's language when it is sent: the code and the
    tier, never a name. Forum topic titles are 1–128 characters; codes keep them far below."""
    return Reply(
        "helpline/topic_name",
        {
            "icon": case.tier.icon,
            "code": case.code,
            "tier": case.tier.value,
            "closed": case.status is CaseStatus.CLOSED,
        },
    )


@dataclass(frozen=True, slots=True)
class Targets:
    """First-response targets per tier and what happens when they pass."""

    first_response: Mapping[Tier, timedelta] = field(
        default_factory=lambda: {
            Tier.RED: timedelta(minutes=5),
            Tier.ORANGE: timedelta(minutes=15),
            Tier.YELLOW: timedelta(hours=1),
            Tier.GREEN: timedelta(hours=24),
        }
    )
    # A claimed case whose counsellor has said nothing for this long goes back to the queue.
    claimed_silence: timedelta = timedelta(minutes=10)
    max_claims: int = 3

    def target(self, tier: Tier) -> timedelta:
        return self.first_response[tier]


class SlaStep(StrEnum):
    REALERT = "realert"  # target missed: say so again in the staff chat
    SUPERVISOR = "supervisor"  # twice the target: page supervisors directly
    RELEASE = "release"  # claimed but silent: back to the queue


def sla_step(case: Case, now: datetime, targets: Targets) -> SlaStep | None:
    """The next escalation a case is due for, if any; each fires once (alert_level)."""
    if case.status is CaseStatus.CLOSED:
        return None
    if (
        case.status is CaseStatus.CLAIMED
        and case.claimed_at is not None
        and now - (case.last_staff_at or case.claimed_at) >= targets.claimed_silence
        and (
            case.last_staff_at is None
            or (case.last_person_at or case.opened_at) > case.last_staff_at
        )
    ):
        return SlaStep.RELEASE
    if case.first_response_at is not None:
        return None
    overdue = now - case.opened_at
    target = targets.target(case.tier)
    if case.alert_level < 2 and overdue >= 2 * target:
        return SlaStep.SUPERVISOR
    if case.alert_level < 1 and overdue >= target:
        return SlaStep.REALERT
    return None


@dataclass(frozen=True, slots=True)
class DutyHours:
    """When counsellors work. Outside these hours, or with nobody on duty, the person is told
    honestly what to do now and when a counsellor will read their message (docs/DOMAIN.md §3)."""

    start: time = time(8, 0)
    end: time = time(22, 0)
    weekdays: frozenset[int] = frozenset(range(7))  # 0 = Monday
    holidays: frozenset[date] = frozenset()
    timezone: str = "Asia/Shanghai"

    def _open_on(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def is_open(self, now: datetime) -> bool:
        local = now.astimezone(ZoneInfo(self.timezone))
        if not self._open_on(local.date()):
            return False
        t = local.time()
        if self.start == self.end:  # "00:00-00:00": round the clock
            return True
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end  # a night shift across midnight

    def next_opening(self, now: datetime) -> datetime:
        """The next instant the helpline opens (now, if it is open)."""
        if self.is_open(now):
            return now
        zone = ZoneInfo(self.timezone)
        local = now.astimezone(zone)
        for days in range(400):
            day = local.date() + timedelta(days=days)
            if not self._open_on(day):
                continue
            opening = datetime.combine(day, self.start, zone)
            if opening > now:
                return opening
        return now  # no opening in a year: configuration says closed forever; do not loop

    def back(self, now: datetime) -> dict[str, object] | None:
        """When counsellors are next on duty, as a reply says it (today, tomorrow or a date,
        at a local time like "8:00"); None while the hours are open, when nobody being on
        duty leaves no time to promise."""
        opening = self.next_opening(now)
        if opening <= now:
            return None
        zone = ZoneInfo(self.timezone)
        at, today = opening.astimezone(zone), now.astimezone(zone).date()
        days = (at.date() - today).days
        return {
            "day": "today" if days == 0 else "tomorrow" if days == 1 else "date",
            "time": f"{at.hour}:{at.minute:02d}",
            "weekday": at.weekday(),
            "month": at.month,
            "date": at.day,
        }


def parse_duty_hours(spec: str) -> tuple[time, time]:
    """ "08:00-22:00" -> (08:00, 22:00); raises ValueError with a readable message."""
    try:
        start_s, end_s = spec.split("-")
        return time.fromisoformat(start_s.strip()), time.fromisoformat(end_s.strip())
    except ValueError as exc:
        raise ValueError(f"duty hours must look like 08:00-22:00, not {spec!r}") from exc
