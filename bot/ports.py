"""The interfaces services depend on; bot.db, bot.catalog and handlers implement them."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self

from bot.domain.asking import Answer
from bot.domain.cases import Case, CaseStatus, EventKind, ReferralStatus, Tier, Trigger
from bot.domain.invitations import InvitationView
from bot.domain.lessons import DueEnrolment, Enrolment, EnrolmentStatus, Progress
from bot.domain.misses import Inbound
from bot.domain.outbox import (
    CopyOf,
    NewMessage,
    NewTopic,
    OutboxItem,
    OutboxStatus,
    Photo,
    RenameTopic,
    SendResult,
    Unbutton,
)
from bot.domain.oversight import (
    CaseTiming,
    Figures,
    FollowUpCounts,
    FunnelRow,
    GuardianCounts,
    Period,
)
from bot.domain.people import ConsentDecision, Person, Relation, Role, ServicePointKind
from bot.domain.replies import Reply
from bot.domain.screening import Result, Session, StoredResult
from bot.domain.triage import RiskLevel, Triage


class Classifier(Protocol):
    """Triage of free text (bot.domain.safety_net.SafetyNet in the bot): the message, read
    with the person's earlier messages of the last minutes when there are any."""

    def classify(self, text: str, earlier: Sequence[str] = ()) -> Triage: ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


@dataclass(frozen=True, slots=True)
class ServicePoint:
    id: int
    code: str
    name: str
    kind: ServicePointKind
    region: str
    director: str
    staff_chat_id: int | None
    # Its further staff groups, when one group's 20 posts a minute are not enough.
    extra_chat_ids: tuple[int, ...] = ()

    @property
    def staff_chat_ids(self) -> tuple[int, ...]:
        first = (self.staff_chat_id,) if self.staff_chat_id else ()
        return (*first, *(c for c in self.extra_chat_ids if c != self.staff_chat_id))


@dataclass(frozen=True, slots=True)
class StaffMember:
    person_id: int
    telegram_id: int
    role: Role
    display_name: str
    pseudonym_no: int
    on_duty: bool
    service_point_id: int | None


@dataclass(frozen=True, slots=True)
class Keyboarded:
    """An outbox row that carries buttons: where it went, whether it did, and its buttons'
    callback data (what the message shows, as far as the outbox knows)."""

    row_id: int
    key: str
    chat_id: int
    status: OutboxStatus
    message_id: int | None
    actions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NewInvitation:
    code: str
    role: Role
    service_point_id: int | None
    created_by_id: int | None
    inviter_person_id: int | None
    for_child_id: int | None
    guardian_consent: bool
    max_uses: int
    expires_at: datetime | None


class PersonRepo(Protocol):
    async def by_telegram_id(self, telegram_id: int) -> Person | None: ...
    async def by_id(self, person_id: int) -> Person | None: ...
    async def by_code(self, code: str) -> Person | None: ...
    async def add(self, person: Person) -> Person: ...
    async def save(self, person: Person) -> None: ...


class FamilyRepo(Protocol):
    async def link(self, guardian_id: int, child_id: int, relation: Relation | None) -> bool:
        """Link a guardian and a child; False if they were already linked."""
        ...

    async def children_of(self, guardian_id: int) -> Sequence[Person]: ...
    async def guardians_of(self, child_id: int) -> Sequence[Person]: ...


class ServicePointRepo(Protocol):
    async def by_id(self, sp_id: int) -> ServicePoint | None: ...
    async def by_code(self, code: str) -> ServicePoint | None: ...
    async def by_staff_chat(self, chat_id: int) -> ServicePoint | None: ...
    async def add(
        self,
        code: str,
        name: str,
        kind: ServicePointKind,
        region: str = "",
        director: str = "",
        staff_chat_id: int | None = None,
    ) -> ServicePoint: ...
    async def all(self) -> Sequence[ServicePoint]: ...
    async def add_chat(self, sp_id: int, chat_id: int) -> bool:
        """Another staff group for the service point; False if the group is taken."""
        ...


class InvitationRepo(Protocol):
    async def add(self, inv: NewInvitation) -> InvitationView: ...
    async def by_code(self, code: str) -> InvitationView | None: ...

    async def consume(self, code: str, person_id: int, now: datetime) -> bool:
        """Use one of the code's uses atomically; False if it ran out meanwhile."""
        ...


class ConsentRepo(Protocol):
    async def record(
        self,
        person_id: int,
        subject_id: int,
        decision: ConsentDecision,
        notice_version: str,
        at: datetime,
    ) -> None:
        """Append to the consent log: who decided, for whom, what, under which notice."""
        ...


class StaffRepo(Protocol):
    async def by_telegram_id(self, telegram_id: int) -> StaffMember | None: ...
    async def by_person_id(self, person_id: int) -> StaffMember | None: ...
    async def active(self) -> Sequence[StaffMember]:
        """Every active staff member, by pseudonym number."""
        ...

    async def set_duty(self, person_id: int, on_duty: bool) -> None: ...
    async def retire(self, person_id: int) -> bool:
        """No longer staff (kept for the history of their cases); False if they were not."""
        ...

    async def update(self, person_id: int, role: Role, display_name: str) -> None: ...
    async def add(
        self,
        person_id: int,
        role: Role,
        display_name: str,
        service_point_id: int | None,
        on_duty: bool = False,
    ) -> StaffMember: ...


class EnrolmentRepo(Protocol):
    async def get(self, person_id: int, programme: str) -> Enrolment | None: ...
    async def by_id(self, enrolment_id: int) -> Enrolment | None: ...
    async def add(self, enrolment: Enrolment) -> Enrolment: ...
    async def update(self, enrolment_id: int, **fields: object) -> None:
        """Write only these fields: a handler and the weekly fan-out never undo each other."""
        ...

    async def silent(self, cutoff: datetime, after_id: int, limit: int) -> Sequence[DueEnrolment]:
        """Active enrolments with no activity since `cutoff`, by id (keyset)."""
        ...

    async def paused_until_before(
        self, now: datetime, after_id: int, limit: int
    ) -> Sequence[DueEnrolment]: ...
    async def with_people(
        self, enrolment_ids: Sequence[int]
    ) -> Mapping[int, tuple[Enrolment, int, str]]:
        """Enrolments by id, with their person's Telegram id and locale."""
        ...

    async def counts(self) -> Mapping[str, int]: ...
    async def advance_many(self, moves: Sequence[Advance]) -> None: ...


@dataclass(frozen=True, slots=True)
class Advance:
    """Where a due enrolment moves after its lesson was queued."""

    enrolment_id: int
    next_index: int
    next_due_at: datetime | None
    status: EnrolmentStatus


@dataclass(frozen=True, slots=True)
class FanOutGroup:
    """Enrolments that share a programme, zone and slot share their send and next times."""

    programme: str
    timezone: str
    weekday: int
    hour: int
    minute: int = 0


class FanOutRepo(Protocol):
    async def due_page(
        self, now: datetime, after_id: int, limit: int
    ) -> tuple[list[int], list[FanOutGroup]]: ...

    async def queue_group(
        self,
        ids: Sequence[int],
        group: FanOutGroup,
        lessons: Sequence[tuple[str, int, int]],
        send_at: datetime,
        next_due_at: datetime,
        now: datetime,
    ) -> tuple[int, int]: ...


class ProgressRepo(Protocol):
    async def add_many(self, items: Sequence[Progress]) -> int: ...
    async def get(self, enrolment_id: int, lesson_id: str) -> Progress | None: ...
    async def update(self, progress_id: int, only_if_unset: str = "", **fields: object) -> bool:
        """Write only these fields; with `only_if_unset`, only while that field is still
        empty (first answer wins). False if nothing was written."""
        ...

    async def sent_unsettled(self, limit: int) -> Sequence[tuple[Mapping[str, object], datetime]]:
        """Lesson rows the outbox sent whose delivery is not yet recorded: (payload, sent_at)."""
        ...

    async def mark_delivered(self, marks: Sequence[tuple[int, str, datetime, datetime]]) -> None:
        """(enrolment id, lesson id, delivered at, check-in due) for rows not yet delivered."""
        ...

    async def read_up_to(self, progress_id: int, parts: int) -> None:
        """Raise parts_read to `parts` (never lower it)."""
        ...

    async def for_enrolment(self, enrolment_id: int) -> Sequence[Progress]: ...


class OutboxRepo(Protocol):
    async def enqueue(self, messages: Sequence[NewMessage]) -> int:
        """Insert what is not there yet (by key); returns how many were new."""
        ...

    async def claim(
        self,
        now: datetime,
        limit: int,
        owner: int | None = None,
        closed: Collection[int] = (),
        alerts_only: Collection[int] = (),
    ) -> Sequence[OutboxItem]:
        """Due pending rows, most urgent first, marked as being sent by instance `owner`;
        none to `closed` chats and only alerts to `alerts_only` ones (their budgets). Rows a
        stopped or erased person did not ask for are cancelled instead."""
        ...

    async def cancel_unsolicited(self, chat_id: int) -> int:
        """Every queued notice and lesson to this chat is cancelled (the person said /stop)."""
        ...

    async def backlog(self, chat_ids: Sequence[int], now: datetime) -> Mapping[int, int]:
        """How many rows are due and unsent for each of these chats."""
        ...

    async def mark_sent_many(
        self, sent: Sequence[tuple[int, int | None]], now: datetime
    ) -> None: ...
    async def retry(self, item_id: int, not_before: datetime, error: str) -> None:
        """Back to the queue, not before then, keeping its place in line."""
        ...

    async def give_up(self, item_id: int, status: OutboxStatus, error: str) -> None: ...
    async def block_chat(self, chat_id: int, error: str) -> int:
        """A recipient is gone: every pending row to them stops too."""
        ...

    async def requeue_orphaned(self, unowned_before: datetime) -> int:
        """Rows being sent by an instance that is gone (or by none, claimed before
        `unowned_before`) go back to the queue."""
        ...

    async def counts(self) -> Mapping[str, int]: ...
    async def pending_by_priority(self) -> Mapping[int, int]:
        """Rows waiting to be sent (pending or held), by priority: the outbox's depth."""
        ...


@dataclass(frozen=True, slots=True)
class CaseMessage:
    at: datetime
    direction: str  # in (from the person), out (counsellor to person), note (staff only)
    author_id: int | None
    body: str
    media: str | None = None


@dataclass(frozen=True, slots=True)
class Referral:
    id: int
    case_id: int
    resource_id: str
    status: ReferralStatus
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class FollowUp:
    id: int
    case_id: int
    assignee_id: int
    due_at: datetime
    note: str
    reminded_at: datetime | None
    done_at: datetime | None


class CaseRepo(Protocol):
    async def by_id(self, case_id: int) -> Case | None: ...
    async def open_for(self, person_id: int) -> Case | None: ...
    async def by_topic(self, staff_chat_id: int, topic_id: int) -> Case | None: ...
    async def open(
        self,
        person_id: int,
        staff_chat_id: int,
        tier: Tier,
        trigger: Trigger,
        categories: Sequence[str],
        evidence: Sequence[str],
        now: datetime,
    ) -> tuple[Case, bool]:
        """The person's open case, opened now if there was none; True if it is new.
        Two triggers at once still make one case (a unique index decides)."""
        ...

    async def update(self, case_id: int, **fields: object) -> None: ...
    async def claim(
        self, case_id: int, staff_id: int, now: datetime, max_claims: int
    ) -> tuple[bool, Case | None]:
        """Atomically: claim a waiting case, unless the claimer already holds `max_claims`.
        (won, the case as it is now)."""
        ...

    async def next_waiting(self, staff_chat_id: int) -> Case | None:
        """The top of this chat's queue: highest tier, then longest waiting."""
        ...

    async def queue(self, staff_chat_id: int) -> Sequence[Case]:
        """Open cases in queue order: waiting first (tier, then age), then claimed."""
        ...

    async def all_open(self) -> Sequence[Case]: ...
    async def ids_for(self, person_id: int) -> Sequence[int]:
        """Every case of this person, oldest first."""
        ...

    async def follow_ups_of(self, person_id: int) -> Sequence[FollowUp]: ...
    async def held_by(self, staff_id: int) -> int: ...
    async def set_status(self, case_id: int, expected: CaseStatus, **fields: object) -> bool:
        """Change a case only if it is still in `expected` state (a stale button loses)."""
        ...

    async def log(
        self,
        case_id: int,
        kind: EventKind,
        now: datetime,
        actor_id: int | None = None,
        **data: object,
    ) -> None: ...
    async def events(
        self, case_id: int
    ) -> Sequence[tuple[datetime, EventKind, int | None, dict[str, object]]]: ...
    async def add_message(self, case_id: int, message: CaseMessage) -> None: ...
    async def messages(self, case_id: int) -> Sequence[CaseMessage]: ...
    async def refer(self, case_id: int, resource_id: str, by: int, now: datetime) -> Referral: ...
    async def referral(self, referral_id: int) -> Referral | None: ...
    async def set_referral(
        self, referral_id: int, status: ReferralStatus, now: datetime
    ) -> None: ...
    async def referrals(self, case_id: int) -> Sequence[Referral]: ...
    async def add_follow_up(
        self, case_id: int, assignee_id: int, due_at: datetime, note: str, by: int, now: datetime
    ) -> FollowUp: ...
    async def follow_ups_due(self, now: datetime) -> Sequence[FollowUp]:
        """Due, not done, not yet reminded."""
        ...

    async def follow_ups_open(self) -> Sequence[FollowUp]: ...
    async def follow_up(self, follow_up_id: int) -> FollowUp | None: ...
    async def update_follow_up(self, follow_up_id: int, **fields: object) -> None: ...


class HoldRepo(Protocol):
    """Outbox rows that wait for something: a case's forum topic, or the end of a case."""

    async def hold_chat(self, chat_id: int, kinds: Sequence[str]) -> int:
        """Pending rows of these kinds to this chat wait (a counsellor owns the conversation)."""
        ...

    async def hold_keys(self, keys: Sequence[str]) -> int:
        """Rows just queued wait (in the same transaction, so the sender never sees them)."""
        ...

    async def hold_during_cases(self, keys: Sequence[str]) -> int:
        """Of these just-queued rows, those to a person with an open case wait for its end."""
        ...

    async def release_chat(self, chat_id: int, kinds: Sequence[str]) -> int:
        """The case is over: held rows of these kinds go when they are due (a check-in due
        next week still waits for next week)."""
        ...

    async def attach_topic(self, case_id: int, topic_id: int | None) -> int:
        """Rows held for the case's topic go out into it (or, with None, into the chat)."""
        ...

    async def append(
        self, case_id: int, kind: str, line: str, limit: int, per_line: int = 0
    ) -> bool:
        """Add a line to the case's newest unsent row of `kind`: bursts merge into one post
        when the group's budget is tight. False if there is none, or if its lines would pass
        `limit` UTF-16 units, each counted with the `per_line` units its post puts around it."""
        ...

    async def sent(self, key: str) -> tuple[OutboxStatus, int | None] | None:
        """A row's status and Telegram message id, by key."""
        ...

    async def keyboarded(self, prefixes: Sequence[str]) -> list[Keyboarded]:
        """Rows under these key prefixes whose message carries buttons, oldest first."""
        ...

    async def clear_keyboard(self, row_id: int) -> None:
        """The row's message lost its buttons (edited away): the outbox says so too."""
        ...

    async def keyboarded_before(
        self, chat_id: int, row_id: int, skip_prefixes: Sequence[str], limit: int = 3
    ) -> list[Keyboarded]:
        """Of the `limit` rows sent into the chat last before this one (keys under
        `skip_prefixes` aside), those whose message still carries buttons, or may (a lesson
        is composed when sent: its row does not say)."""
        ...


class ScreeningRepo(Protocol):
    async def start(
        self,
        person_id: int,
        subject_id: int,
        instrument: str,
        version: int,
        now: datetime,
        requested_by: int | None = None,
    ) -> Session: ...
    async def active_for(self, person_id: int) -> Session | None: ...
    async def offered_for(self, person_id: int) -> Session | None:
        """The person's newest session, if it ended with a case offered and not yet answered."""
        ...

    async def session(self, session_id: int) -> Session | None: ...
    async def answer(
        self,
        session_id: int,
        position: int,
        answers: Mapping[int, int | None],
        next_position: int,
        now: datetime,
    ) -> bool:
        """Record the answers if the session is still at `position` (a double press or a
        stale button from an older message changes nothing); False if it was not."""
        ...

    async def mark_safety(self, session_id: int) -> bool:
        """Note that the safety path ran; False if it had already (it runs once)."""
        ...

    async def settle(self, session_id: int, now: datetime) -> bool:
        """A case offered after a result was answered (yes or no); False if it already was."""
        ...

    async def close(self, session_id: int, status: str, now: datetime) -> None: ...
    async def record(
        self,
        subject_id: int,
        respondent_id: int | None,
        answers: Mapping[int, int | None],
        result: Result,
        now: datetime,
    ) -> int: ...
    async def results_for(self, subject_id: int) -> Sequence[StoredResult]: ...
    async def last(self, subject_id: int, instrument: str) -> StoredResult | None: ...
    async def log_access(
        self, viewer_id: int | None, subject_id: int, what: str, now: datetime
    ) -> None: ...
    async def accesses(self, subject_id: int) -> Sequence[tuple[int | None, str, datetime]]: ...
    async def plan(
        self,
        person_id: int,
        instrument: str,
        interval_days: int,
        due: datetime,
        by: int | None,
        now: datetime,
    ) -> None: ...
    async def due_plans(self, now: datetime, limit: int) -> Sequence[tuple[int, int, str, int]]:
        """(plan id, person id, instrument, interval days) due now."""
        ...

    async def advance_plan(self, plan_id: int, next_due: datetime | None) -> None: ...


class OversightRepo(Protocol):
    """Aggregates for supervisors (bot/domain/oversight.py defines each figure). Every method
    is a few set-based statements over the period, never a query per person. A
    `service_point_id` keeps the people of that service point: the person of a case, the
    screened child, the enrolled guardian; None keeps everyone."""

    async def case_timings(
        self, period: Period, service_point_id: int | None
    ) -> Sequence[CaseTiming]:
        """Every case opened in the period (a few hundred a week, not 100 000 people)."""
        ...

    async def outcomes(self, period: Period, service_point_id: int | None) -> Mapping[str, int]:
        """Cases closed in the period, by outcome."""
        ...

    async def open_cases(
        self, at: datetime, targets: Mapping[Tier, timedelta], service_point_id: int | None
    ) -> tuple[int, int]:
        """(open, overdue) as of `at`: overdue means unanswered past its tier's target."""
        ...

    async def follow_ups(
        self, period: Period, at: datetime, service_point_id: int | None
    ) -> FollowUpCounts: ...
    async def referrals(self, period: Period, service_point_id: int | None) -> Mapping[str, int]:
        """Referrals made in the period, by the status they have now."""
        ...

    async def screenings(
        self, period: Period, service_point_id: int | None
    ) -> Mapping[tuple[str, str], int]:
        """(instrument, tier or "none") -> results taken in the period."""
        ...

    async def worsened(self, period: Period, service_point_id: int | None) -> int:
        """Children with a screening in the period more urgent than their previous one with
        the same instrument."""
        ...

    async def guardians(self, period: Period, service_point_id: int | None) -> GuardianCounts: ...
    async def funnel(self, period: Period, service_point_id: int | None) -> Sequence[FunnelRow]:
        """Per lesson, by programme and week."""
        ...

    async def lessons_per_bucket(
        self, period: Period, edges: Sequence[datetime], service_point_id: int | None
    ) -> Mapping[int, int]:
        """Lessons delivered, per bucket index (`edges` are the boundaries between buckets)."""
        ...

    async def screenings_per_bucket(
        self, period: Period, edges: Sequence[datetime], service_point_id: int | None
    ) -> Mapping[int, int]: ...


class InboxRepo(Protocol):
    """Updates from Telegram, stored before anything else happens to them."""

    async def store(self, updates: Sequence[tuple[int, str]], now: datetime) -> int:
        """Keep (update_id, raw JSON) pairs not seen before; returns how many were new."""
        ...

    async def store_handling(
        self, updates: Sequence[tuple[int, str]], now: datetime, owner: int | None
    ) -> Sequence[int]:
        """Keep the pairs not seen before as already taken by instance `owner` (their first
        attempt): the instance that received them handles them without a claim. Returns the
        new ids, in order."""
        ...

    async def claim(self, limit: int, owner: int | None = None) -> Sequence[tuple[int, str, int]]:
        """The oldest received updates (id, raw JSON, attempts so far including this one), in
        update_id order, marked as being handled by instance `owner`."""
        ...

    async def done(self, update_ids: Sequence[int], now: datetime) -> None:
        """Handled: forget the raw update (it holds the person's words), keep the id."""
        ...

    async def failed(self, update_id: int, error: str, give_up: bool) -> None:
        """Handling raised: back to received for another try, or failed for good."""
        ...

    async def requeue_orphaned(self) -> int:
        """What an instance that is gone was handling is handled again."""
        ...

    async def prune(self, before: datetime) -> int:
        """Forget handled ids older than Telegram's re-delivery horizon."""
        ...

    async def counts(self) -> Mapping[str, int]: ...

    async def try_write(self, owner: int | None) -> None:
        """Raise unless the database takes a write now: stores a row as an update would be
        stored, which the caller rolls back (it must not commit)."""
        ...


@dataclass(frozen=True, slots=True)
class ConsentEntry:
    """One line of the consent log, as the person who decided made it."""

    subject_id: int
    decision: str
    notice_version: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One view of a file: when, what, how, and who as far as a supervisor may see them."""

    at: datetime
    what: str
    via: str
    viewer_id: int | None
    viewer_role: Role | None  # None: no longer on record
    viewer_no: int | None  # the staff pseudonym number, if the viewer is (or was) staff


@dataclass(frozen=True, slots=True)
class Purged:
    cases: int = 0
    messages: int = 0
    outbox: int = 0
    events: int = 0  # history entries that lost a free-text reason
    notes: int = 0  # follow-up notes emptied
    misses: int = 0  # missed-risk reports whose words were emptied

    def __add__(self, other: Purged) -> Purged:
        return Purged(
            self.cases + other.cases,
            self.messages + other.messages,
            self.outbox + other.outbox,
            self.events + other.events,
            self.notes + other.notes,
            self.misses + other.misses,
        )

    @property
    def anything(self) -> bool:
        return any((self.cases, self.messages, self.outbox, self.events, self.notes, self.misses))


@dataclass(frozen=True, slots=True)
class Erasure:
    """One deletion: when, why ("request" or "retention") and rows per kind, nothing personal."""

    at: datetime
    reason: str
    counts: Mapping[str, int]


class PrivacyRepo(Protocol):
    """Data rights (export, erasure), retention and the file access log (docs/DOMAIN.md §5)."""

    async def enrolments_of(self, person_id: int) -> Sequence[Enrolment]: ...
    async def consents_by(self, person_id: int) -> Sequence[ConsentEntry]: ...
    async def log_view(
        self, viewer_id: int | None, subject_id: int, what: str, via: str, now: datetime
    ) -> None: ...
    async def access_log(self, subject_id: int, limit: int) -> tuple[int, Sequence[AccessEntry]]:
        """(how many views in all, the newest `limit` of them, newest first)."""
        ...

    async def erase(self, person_ids: Sequence[int]) -> Mapping[str, int]:
        """Delete these people, everything that hangs off them, and everything queued to or
        about them; how many rows went, per table (counts only, nothing personal)."""
        ...

    async def purge_transcripts(
        self, closed_before: datetime, kinds: Sequence[str], limit: int, now: datetime
    ) -> Purged:
        """Empty every word kept of up to `limit` cases closed before then and not purged
        since: the conversation, the phrases triage matched, free-text reasons in the history,
        the payloads of their outbox rows of these kinds; and the notes of follow-ups done
        before then. The structured record stays."""
        ...

    async def scrub(self) -> bool:
        """Right after the commit that deleted or emptied words (no write open): leave no
        older copy of them in the database's own files where the database allows it
        (SQLite's write-ahead log). False if a copy may remain for now (another connection
        kept reading)."""
        ...

    async def record_erasure(self, erasure: Erasure) -> None:
        """Keep the record of a deletion, in the deletion's own transaction."""
        ...

    async def erasures(self, since: datetime, limit: int) -> Sequence[Erasure]:
        """Deletions from `since` on, oldest first."""
        ...


@dataclass(frozen=True, slots=True)
class SeenMember:
    """Someone the bot has seen in a group and who had not left when last seen."""

    telegram_id: int
    admin: bool
    seen_at: datetime


class MemberRepo(Protocol):
    """Who the bot has seen in its staff groups. A bot cannot list a group's members (only
    its administrators), so this record, kept from joins, leaves and messages, is how people
    in a staff group who are not registered staff are found."""

    async def seen(
        self,
        chat_id: int,
        telegram_id: int,
        now: datetime,
        present: bool,
        admin: bool | None,
        update_id: int | None = None,
    ) -> None:
        """Record that they are (or are no longer) in the group; `admin` None: unchanged.
        Learnt from an update older than the one recorded: nothing changes. Without an
        update (the bot asked, or removed them itself): it changes in any case."""
        ...

    async def admins_are(self, chat_id: int, telegram_ids: Sequence[int], now: datetime) -> None:
        """The group's administrators, as Telegram just listed them: in the group, admins;
        anyone recorded as admin before and not listed now is an admin no longer."""
        ...

    async def present(self, chat_id: int) -> Sequence[SeenMember]:
        """Everyone recorded as in the group, by Telegram id."""
        ...


@dataclass(frozen=True, slots=True)
class Survey:
    """The bot processes sharing the database, as one instance sees them now."""

    me: int
    live: tuple[int, ...]  # every live instance's id, sorted, `me` included
    settled: tuple[int, ...]  # those past their start-up grace, sorted
    paused_until: datetime | None  # the latest 429 pause any live instance announced
    rejoined: bool = False  # `me` had lost its liveness lock and registered again


class InstanceRegistry(Protocol):
    """Which bot processes are alive (bot/db/instances.py). An instance is alive while it
    holds its liveness lock, which the database or the OS frees when the process dies."""

    async def join(self, name: str) -> int:
        """Register this process; returns its id."""
        ...

    async def survey(self, *, settled: bool, paused_until: datetime | None) -> Survey:
        """Forget dead instances, record this one's state, and say who is alive."""
        ...

    async def leave(self) -> None: ...


@dataclass(frozen=True, slots=True)
class DashboardSession:
    """A signed-in dashboard browser, as the database knows it (by the cookie's hash)."""

    person_id: int
    locale: str
    expires_at: datetime


class DashboardRepo(Protocol):
    """Sign-in links and sessions of the supervisors' web dashboard, and the lists it shows.
    Tokens and session ids are stored as SHA-256 hashes only."""

    async def add_token(
        self, token_hash: str, person_id: int, expires_at: datetime, now: datetime
    ) -> None: ...
    async def token_holder(self, token_hash: str, now: datetime) -> int | None:
        """Whose unused, unexpired token this is (nothing is changed)."""
        ...

    async def use_token(self, token_hash: str, now: datetime) -> int | None:
        """Spend the token, atomically: its person once; None if it is unknown, spent or
        expired (of two uses at once, one wins)."""
        ...

    async def add_session(
        self, session_hash: str, person_id: int, locale: str, expires_at: datetime, now: datetime
    ) -> None: ...
    async def session(self, session_hash: str, now: datetime) -> DashboardSession | None:
        """An unexpired session by its hash."""
        ...

    async def set_locale(self, session_hash: str, locale: str) -> None: ...
    async def end_session(self, session_hash: str) -> None: ...
    async def end_sessions_of(self, person_id: int) -> int: ...
    async def prune(self, now: datetime) -> int:
        """Forget expired sessions and spent or expired tokens; how many rows went."""
        ...

    async def referrals(self, limit: int) -> Sequence[Referral]:
        """Every case's referrals, most recently changed first."""
        ...


@dataclass(frozen=True, slots=True)
class Question:
    """The direct question asked of one person: no words of theirs, only why it was asked."""

    id: int
    person_id: int
    asked_at: datetime
    due_at: datetime
    reason: str
    guardian: bool
    answer: Answer | None = None
    answered_at: datetime | None = None


class SafetyNetRepo(Protocol):
    """What the safety net keeps between messages: the last minutes of each person's free
    text (encrypted, deleted after the context window) and the questions it asked."""

    async def remember(self, person_id: int, text: str, now: datetime) -> None: ...
    async def earlier(self, person_id: int, since: datetime, limit: int) -> Sequence[str]:
        """The person's newest `limit` messages from `since` on, oldest first."""
        ...

    async def forget_before(self, before: datetime) -> int:
        """Delete every remembered message older than `before`; how many went."""
        ...

    async def ask(
        self, person_id: int, reason: str, guardian: bool, now: datetime, due: datetime
    ) -> Question: ...
    async def last_asked(self, person_id: int) -> datetime | None: ...
    async def pending(self, person_id: int) -> Question | None:
        """The person's newest question, if it is still unanswered."""
        ...

    async def question(self, question_id: int) -> Question | None: ...
    async def settle(self, question_id: int, answer: Answer, now: datetime) -> bool:
        """Record the answer if there is none yet (one conditional UPDATE): of a double
        press, two instances, or a press racing the timer, exactly one wins."""
        ...

    async def due(self, now: datetime, limit: int) -> Sequence[Question]:
        """Unanswered questions past their due time, oldest first."""
        ...


@dataclass(frozen=True, slots=True)
class Relayed:
    """A post the bot made about a case in a staff chat, found by its Telegram message id."""

    case_id: int
    kind: str
    key: str
    payload: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class NewMiss:
    case_id: int
    case_message_id: int
    at: datetime
    reported_by: int | None
    level: RiskLevel
    categories: tuple[str, ...]
    given_level: RiskLevel
    given_categories: tuple[str, ...]
    case_tier: Tier
    body: str
    note: str


@dataclass(frozen=True, slots=True)
class Miss:
    """A missed-risk report as the maintainers' listing needs it; `subject_id` (whose words)
    is for the access log only and never leaves the process."""

    at: datetime
    level: RiskLevel
    categories: tuple[str, ...]
    given_level: RiskLevel
    given_categories: tuple[str, ...]
    case_tier: str
    body: str
    note: str
    subject_id: int


class MissRepo(Protocol):
    async def relayed(self, chat_id: int, message_id: int) -> Relayed | None:
        """The case post (relayed words, card, copied media) that is this message, if sent."""
        ...

    async def inbound(self, case_id: int) -> Sequence[Inbound]:
        """The person's text messages in the case that still have their words, oldest first."""
        ...

    async def record(self, miss: NewMiss) -> bool:
        """Keep the report; True if new, False if it replaced an earlier one on the message."""
        ...

    async def since(self, since: datetime, limit: int) -> Sequence[Miss]:
        """Reports from `since` on that still hold words, oldest first."""
        ...

    async def times(self, since: datetime, until: datetime) -> Sequence[datetime]:
        """When each report in [since, until) was made (with or without its words)."""
        ...


class UnitOfWork(Protocol):
    people: PersonRepo
    families: FamilyRepo
    service_points: ServicePointRepo
    invitations: InvitationRepo
    consents: ConsentRepo
    staff: StaffRepo
    enrolments: EnrolmentRepo
    progress: ProgressRepo
    outbox: OutboxRepo
    fanout: FanOutRepo
    cases: CaseRepo
    holds: HoldRepo
    screening: ScreeningRepo
    privacy: PrivacyRepo
    inbox: InboxRepo
    oversight: OversightRepo
    dashboard: DashboardRepo
    members: MemberRepo
    net: SafetyNetRepo
    misses: MissRepo

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


@dataclass(frozen=True, slots=True)
class Rendered:
    """A reply turned into text and button labels for one locale."""

    text: str
    buttons: tuple[tuple[tuple[str, str, str], ...], ...]  # (label, action, url)


class Catalog(Protocol):
    def render(self, reply: Reply, locale: str) -> Rendered: ...
    def text(self, key: str, locale: str, **data: object) -> str: ...
    def locales(self) -> Sequence[str]: ...


class Pages(Protocol):
    """Web pages (the supervisors' dashboard) rendered per locale, escaped, translated with
    the same catalogs as the bot's messages."""

    def page(self, name: str, locale: str, data: Mapping[str, object]) -> str: ...


class ChartRenderer(Protocol):
    def week_chart(self, figures: Figures, locale: str) -> bytes:
        """A PNG of a period's figures for a phone screen, labelled in `locale`."""
        ...


class Transport(Protocol):
    async def deliver(
        self,
        chat_id: int,
        thread_id: int | None,
        reply: Reply | NewTopic | RenameTopic | CopyOf | Photo | Unbutton,
        locale: str,
    ) -> SendResult:
        """Send one message and say how it went; never raises for Telegram's answers."""
        ...


class Removal(StrEnum):
    """What became of one person in one group when the bot tried to take them out of it."""

    REMOVED = "removed"  # out, and free to be invited again
    BANNED = "banned"  # out, but still banned: they must be unbanned before a new invitation
    ABSENT = "absent"  # not in the group (left, or never there)
    OWNER = "owner"  # the group's owner: nobody can remove them
    ADMIN = "admin"  # an administrator someone else appointed: the bot may not remove them
    NO_RIGHTS = "no_rights"  # the bot is not an administrator allowed to ban there
    FAILED = "failed"  # Telegram did not answer, or answered something else

    @property
    def out(self) -> bool:
        return self in (Removal.REMOVED, Removal.BANNED, Removal.ABSENT)


class StaffChatAdmin(Protocol):
    """Membership of the staff groups, where the bot is an administrator."""

    async def remove(self, chat_id: int, user_id: int) -> Removal:
        """Take the person out of the group, so they stop reading it; they may be invited
        again later."""
        ...

    async def administrators(self, chat_id: int) -> Sequence[int] | None:
        """The Telegram ids of the group's human administrators; None if Telegram would not
        say (the bot is not in the group, the network)."""
        ...


class Sender(Protocol):
    async def send(self, telegram_id: int, locale: str, reply: Reply) -> bool:
        """Deliver one reply to one person; False if they can no longer be reached."""
        ...

    async def send_later(
        self, chat_id: int, locale: str, replies: Sequence[Reply], thread_id: int | None = None
    ) -> None:
        """Queue, in order, answers that Telegram would not take just now, for the outbox to
        retry: the person asked and is waiting for them."""
        ...


# How often a standby asks whether it should lead (bot/db/leader.py holds the locks).
CHECK_SECONDS = 5.0


class Leadership(Protocol):
    """Decides whether this instance runs the jobs; `check` is called every `every_seconds`."""

    every_seconds: float

    @property
    def leading(self) -> bool: ...

    async def check(self) -> bool:
        """Try to become (or confirm still being) the leader; returns `leading`."""
        ...

    async def release(self) -> None:
        """Stop leading and let a standby take over at once (at shutdown)."""
        ...


class AlwaysLead:
    """A single instance, an in-memory database, or a platform without locks."""

    every_seconds = CHECK_SECONDS
    leading = True

    async def check(self) -> bool:
        return True

    async def release(self) -> None:
        return None
