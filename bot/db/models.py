"""SQLAlchemy models. Every schema change comes with an Alembic migration (tests check both)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from bot.db.crypto import SecretJSON, SecretText
from bot.domain.clock import as_utc, utcnow

# Stable constraint names let Alembic's batch mode rebuild SQLite tables and drop them again.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# SQLite hands out max(id) + 1, so deleting the newest row gives its id to the next one: an
# old button or case code (C-0001) would then act on someone else's row. AUTOINCREMENT never
# reuses an id (PostgreSQL sequences never do). Every table whose id reaches a person, a
# button, a key or a link has it; migration 0012 rebuilt the older tables with it.
NEVER_REUSED: dict[str, Any] = {"sqlite_autoincrement": True}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in Python on every backend; SQLite would otherwise hand back naive values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ServicePointRow(Base):
    """A 儿童之家, 未成年人保护工作站, 社工站 or school, with its 儿童主任."""

    __tablename__ = "service_points"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(100), default="")
    director: Mapped[str] = mapped_column(String(100), default="")
    staff_chat_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ServicePointChatRow(Base):
    """Another staff group of a service point: one group carries about six calm conversations
    (Telegram lets a bot post 20 times a minute into it), so a busy point has several."""

    __tablename__ = "service_point_chats"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    service_point_id: Mapped[int] = mapped_column(
        ForeignKey("service_points.id", ondelete="CASCADE"), index=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PersonRow(Base):
    __tablename__ = "people"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True, nullable=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    locale: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="active")
    consent: Mapped[str] = mapped_column(String(24), default="none")
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    age_band: Mapped[str | None] = mapped_column(String(16), nullable=True)
    child_age_band: Mapped[str | None] = mapped_column(String(16), nullable=True)
    relation: Mapped[str | None] = mapped_column(String(16), nullable=True)
    service_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_points.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class FamilyRow(Base):
    """A guardian linked to a child; a child may have several guardians and vice versa."""

    __tablename__ = "families"
    __table_args__ = (UniqueConstraint("guardian_id", "child_id"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guardian_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    child_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    relation: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InvitationRow(Base):
    __tablename__ = "invitations"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    service_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_points.id", ondelete="SET NULL"), nullable=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    # The guardian who invited their own child: opening the link links the family.
    inviter_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), nullable=True
    )
    # The young child who asked their guardian to join and consent for them.
    for_child_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), nullable=True
    )
    guardian_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    max_uses: Mapped[int] = mapped_column(Integer, default=1)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    last_used_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsentRow(Base):
    """Append-only log of consent decisions (PIPL: separate consent, provable later)."""

    __tablename__ = "consents"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    decision: Mapped[str] = mapped_column(String(32))
    notice_version: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class StaffRow(Base):
    __tablename__ = "staff_members"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), unique=True
    )
    role: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(100))
    # The number in "心理老师 7": what a child sees instead of a real name.
    pseudonym_no: Mapped[int] = mapped_column(Integer, unique=True)
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    service_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_points.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EnrolmentRow(Base):
    """A person in a programme: their weekly slot and where they are in it."""

    __tablename__ = "enrolments"
    __table_args__ = (
        UniqueConstraint("person_id", "programme"),
        Index("ix_enrolments_due", "status", "next_due_at"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    programme: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="active")
    weekday: Mapped[int] = mapped_column(Integer)
    hour: Mapped[int] = mapped_column(Integer)
    minute: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    timezone: Mapped[str] = mapped_column(String(64))
    next_index: Mapped[int] = mapped_column(Integer, default=0)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    pause_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)
    last_active_at: Mapped[datetime] = mapped_column(UTCDateTime)
    nudged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LessonProgressRow(Base):
    """One lesson for one enrolment: what was delivered, read, answered and tried."""

    __tablename__ = "lesson_progress"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "lesson_id"),
        Index("ix_lesson_progress_checkin", "checkin_due_at"),
        # The settle job looks for sent lessons not yet marked delivered every minute, and the
        # oversight figures count deliveries in a period: a year of weekly lessons for 100 000
        # guardians is five million rows to scan without it.
        Index("ix_lesson_progress_delivered", "delivered_at"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"))
    lesson_id: Mapped[str] = mapped_column(String(64))
    lesson_version: Mapped[int] = mapped_column(Integer)
    week: Mapped[int] = mapped_column(Integer)
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Messages are read one "next" tap at a time, so reading is recorded per message.
    parts_read: Mapped[int] = mapped_column(Integer, default=0)
    answer_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    task_shown_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    checkin_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    checkin_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    checkin_answer: Mapped[str | None] = mapped_column(String(16), nullable=True)
    checkin_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OutboxRow(Base):
    """Everything the bot sends on its own initiative, durably, once.

    `key` is unique (recipient, kind, reference): enqueueing the same lesson twice, or again
    after a restart, inserts nothing.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_claim", "status", "priority", "due_at", "id"),
        Index("ix_outbox_chat", "chat_id", "status"),
        Index("ix_outbox_not_before", "not_before"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    priority: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[str] = mapped_column(String(32))
    # Encrypted: relayed messages and case cards carry people's words.
    payload: Mapped[dict[str, Any]] = mapped_column(SecretJSON)
    locale: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Its place in line: (priority, due_at, id). A row that must wait after a failure keeps
    # its place and waits with `not_before`, so a newer post of the same case cannot overtake it.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_by: Mapped[int | None] = mapped_column(Integer, nullable=True)  # instances.id
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseRow(Base):
    """A helpline case: one open case per person at most (a partial unique index)."""

    __tablename__ = "cases"
    __table_args__ = (
        Index(
            "uq_cases_open_person",
            "person_id",
            unique=True,
            sqlite_where=text("status != 'closed'"),
            postgresql_where=text("status != 'closed'"),
        ),
        Index("ix_cases_queue", "staff_chat_id", "status", "tier_rank", "opened_at"),
        Index("ix_cases_topic", "staff_chat_id", "topic_id"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    staff_chat_id: Mapped[int] = mapped_column(BigInteger)
    topic_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    tier: Mapped[str] = mapped_column(String(8))
    # The tier's urgency as a number, so the queue is one indexed ORDER BY on every backend.
    tier_rank: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(8))
    trigger: Mapped[str] = mapped_column(String(16))
    categories: Mapped[str] = mapped_column(String(200), default="")
    # Encrypted: the phrases triage matched are the person's own words.
    evidence: Mapped[list[str]] = mapped_column(SecretJSON, default=list)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True, index=True
    )
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_staff_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_person_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    alert_level: Mapped[int] = mapped_column(SmallInteger, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # When retention last emptied the case's words; a case closed again since is due again.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CaseEventRow(Base):
    """The case's history: who did what, when. Never edited, only appended."""

    __tablename__ = "case_events"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    # Encrypted: a reason for a tier change or a report is a counsellor's free text.
    data: Mapped[dict[str, Any]] = mapped_column(SecretJSON, default=dict)


class CaseMessageRow(Base):
    """What was said in the case: the person's messages, counsellor replies, private notes."""

    __tablename__ = "case_messages"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    direction: Mapped[str] = mapped_column(String(8))  # in, out, note
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    body: Mapped[str] = mapped_column(SecretText, default="")
    media: Mapped[str | None] = mapped_column(String(16), nullable=True)


class MissedRiskRow(Base):
    """A counsellor's word that triage missed a message: the level it should have had, what
    triage gave it, and the words themselves (emptied with the case's messages by retention;
    gone with the case on /delete), for whoever maintains the lexicon and the training data."""

    __tablename__ = "missed_risks"
    __table_args__ = (Index("ix_missed_risks_at", "at"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    # One report per message: a second counsellor's word replaces the first.
    case_message_id: Mapped[int] = mapped_column(
        ForeignKey("case_messages.id", ondelete="CASCADE"), unique=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    reported_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    level: Mapped[str] = mapped_column(String(8))  # what it should have had
    categories: Mapped[str] = mapped_column(String(200), default="")  # the counsellor's
    given_level: Mapped[str] = mapped_column(String(8))  # what triage gives the words
    given_categories: Mapped[str] = mapped_column(String(200), default="")
    case_tier: Mapped[str] = mapped_column(String(8))  # the case's tier when reported
    # Encrypted: the person's own words, and a counsellor's free text about them.
    body: Mapped[str] = mapped_column(SecretText, default="")
    note: Mapped[str] = mapped_column(SecretText, default="")


class ReferralRow(Base):
    __tablename__ = "referrals"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    resource_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FollowUpRow(Base):
    """A planned check-in with a child: it outlives the case (follow-up after treatment)."""

    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_due", "done_at", "due_at"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    assignee_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(SecretText, default="")
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ScreeningSessionRow(Base):
    """A questionnaire being answered: survives restarts, one item at a time."""

    __tablename__ = "screening_sessions"
    __table_args__ = (Index("ix_screening_sessions_person", "person_id", "status"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    instrument: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    safety_fired: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScreeningResultRow(Base):
    """A finished screening in the child's file (个人档案): raw answers kept, so it can be
    re-scored with other cut-offs; never called a diagnosis."""

    __tablename__ = "screening_results"
    __table_args__ = (
        Index("ix_screening_results_subject", "subject_id", "taken_at"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    respondent_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    instrument: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    cutoff_version: Mapped[str] = mapped_column(String(32))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    subscales: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    band: Mapped[str | None] = mapped_column(String(32), nullable=True)
    tier: Mapped[str | None] = mapped_column(String(8), nullable=True)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScreeningPlanRow(Base):
    """Staff asked for a screening, once or every N days; the bot invites when it is due."""

    __tablename__ = "screening_plans"
    __table_args__ = (
        UniqueConstraint("person_id", "instrument"),
        Index("ix_screening_plans_due", "next_due_at"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    instrument: Mapped[str] = mapped_column(String(32))
    interval_days: Mapped[int] = mapped_column(Integer, default=0)  # 0: once
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    requested_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FileAccessRow(Base):
    """Every view of a child's file: who, whose, when, what (未成年人网络保护条例)."""

    __tablename__ = "file_access_log"
    __table_args__ = (Index("ix_file_access_subject", "subject_id", "at"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    viewer_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    subject_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    what: Mapped[str] = mapped_column(String(32))
    via: Mapped[str] = mapped_column(String(16), default="staff_chat")


class ErasureRow(Base):
    """That data was deleted, when and why, and how many rows of each kind: the operator can
    show a deletion request or the retention period was honoured (PIPL Art. 47), from a record
    that names no one (no id that still resolves, no code, no word)."""

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reason: Mapped[str] = mapped_column(String(16))  # "request" or "retention"
    counts: Mapped[dict[str, int]] = mapped_column(JSON)


class ChatMemberRow(Base):
    """Someone the bot has seen in a staff group (joining, leaving, writing, or listed as an
    administrator), and whether they were still there when last seen. A bot cannot list a
    group's members: this is how `/staff list` finds people there who are not staff. By
    Telegram id only, never a name."""

    __tablename__ = "chat_members"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    present: Mapped[bool] = mapped_column(Boolean)
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The update it was learnt from: updates are handled several at once, and a join handled
    # after the leave that followed it must not bring the person back.
    update_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class InboxRow(Base):
    """Every update from Telegram, stored before it is acknowledged or handled: polling
    confirms updates when it fetches the next batch, and a webhook answer confirms at once, so
    an update held only in memory dies with the process. Unique by `update_id`, so a
    re-delivered update is handled once."""

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_status", "status", "update_id"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="received")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The raw update while it waits; emptied once handled (it holds the person's words).
    payload: Mapped[str | None] = mapped_column(SecretText, nullable=True)
    error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The instance handling it (instances.id): another instance hands it on only once that
    # instance is gone, never while it is still at work.
    owner: Mapped[int | None] = mapped_column(Integer, nullable=True)


class InstanceRow(Base):
    """The bot processes sharing this database. A row exists only while its process holds a
    liveness lock (bot/db/instances.py); the rows are how the send budget is split and how a
    dead instance's unfinished work is found."""

    __tablename__ = "instances"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Past its start-up grace: it sends with a share of the budget (see bot/services/cluster).
    settled: Mapped[bool] = mapped_column(Boolean, default=False)
    # A 429 it met: every instance holds back until then (Telegram's limit is per bot).
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DashboardTokenRow(Base):
    """A one-time sign-in link for the supervisors' dashboard. Only the token's SHA-256 is
    kept: a database dump holds nothing that signs anyone in."""

    __tablename__ = "dashboard_tokens"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DashboardSessionRow(Base):
    """A signed-in browser: the cookie's SHA-256, whose it is, until when. Deleting the row
    (sign-out, expiry, no longer a supervisor, erasure by cascade) ends the session."""

    __tablename__ = "dashboard_sessions"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    locale: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NetContextRow(Base):
    """A person's recent free text, read with their next message so that a statement split
    across messages is caught (bot/domain/safety_net.py). As sensitive as the messages:
    encrypted, kept only for NetPolicy.context_window (a scheduler job deletes older rows),
    erased with the person."""

    __tablename__ = "net_context"
    __table_args__ = (Index("ix_net_context_person_at", "person_id", "at"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    body: Mapped[str] = mapped_column(SecretText, default="")


class NetQuestionRow(Base):
    """The direct question ("你是不是有结束自己生命的想法？") asked when the signals were
    uncertain: who, when, by when an answer is due, why (a short code, never their words),
    and the answer. One conditional UPDATE settles it, so a double press or two instances
    make one case."""

    __tablename__ = "net_questions"
    __table_args__ = (
        Index("ix_net_questions_person", "person_id", "asked_at"),
        Index("ix_net_questions_due", "answer", "due_at"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(16), default="")
    guardian: Mapped[bool] = mapped_column(Boolean, default=False)
    # yes, no, skip (did not want to say), timeout; NULL while unanswered.
    answer: Mapped[str | None] = mapped_column(String(8), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
