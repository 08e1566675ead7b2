"""What the outbox holds and the order it empties in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
from typing import Any

from bot.domain.replies import Reply

# Key prefix of a post in a staff chat that belongs to no case (answers to staff commands):
# retention and erasure find them by it.
STAFF_POST = "staff:"


class Priority(IntEnum):
    """Lower goes first: a lesson broadcast never delays a crisis, and in a staff group that
    Telegram holds to 20 posts a minute, a new case is seen before more of the chat already
    under way (measured: behind seven calm conversations a red case's card came after 64 s)."""

    ALERT = 0  # a case staff must see now: its topic and card, a raised tier, a re-alert, a claim
    RELAY = 1  # words between a person and a counsellor, both ways
    STAFF = 2  # everything else about a case in the staff chat (notes, confirmations, reminders)
    INTERACTIVE = 3  # answers someone is waiting for
    NOTICE = 4  # telling a person about something another did
    LESSON = 5  # lessons, check-ins, nudges

    @property
    def unsolicited(self) -> bool:
        """Sent on our own initiative, not as an answer or a conversation the person is in:
        never to someone who said /stop or erased their data."""
        return self >= Priority.NOTICE


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # 400: recorded with the reason, not retried
    BLOCKED = "blocked"  # 403: the recipient is gone
    HELD = "held"  # waiting while a counsellor owns the conversation
    CANCELLED = "cancelled"  # unsolicited, and its person said /stop or erased their data


@dataclass(frozen=True, slots=True)
class NewMessage:
    key: str
    chat_id: int
    kind: str
    priority: Priority
    locale: str
    due_at: datetime
    payload: Mapping[str, Any] = field(default_factory=dict)
    person_id: int | None = None
    thread_id: int | None = None


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    key: str
    chat_id: int
    thread_id: int | None
    person_id: int | None
    priority: Priority
    kind: str
    payload: Mapping[str, Any]
    locale: str
    attempts: int
    due_at: datetime


class SendOutcome(StrEnum):
    SENT = "sent"
    RETRY_AFTER = "retry_after"  # 429
    TRANSIENT = "transient"  # 5xx, timeouts, dropped connections
    FORBIDDEN = "forbidden"  # 403
    BAD_REQUEST = "bad_request"  # 400 and other permanent refusals


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: SendOutcome
    message_id: int | None = None
    retry_after: float = 0.0
    error: str = ""


def backoff(attempts: int, base: float = 2.0, cap: float = 600.0) -> timedelta:
    """Exponential back-off for transient failures: 2 s, 4 s, 8 s … at most 10 minutes."""
    return timedelta(seconds=min(cap, base ** max(1, attempts)))


@dataclass(frozen=True, slots=True)
class Unbutton:
    """Take the buttons off an earlier message in the chat: a new post came after it."""

    message_id: int


@dataclass(frozen=True, slots=True)
class NewTopic:
    """Open a forum topic; its message_thread_id comes back as the result's message_id."""

    name: Reply  # rendered in the row's locale when sent


@dataclass(frozen=True, slots=True)
class RenameTopic:
    name: Reply
    closed: bool = False


@dataclass(frozen=True, slots=True)
class CopyOf:
    """Copy (never forward: no sender shown) a message from another chat."""

    from_chat_id: int
    message_id: int


@dataclass(frozen=True, slots=True)
class Photo:
    """A picture with a caption. Made when its turn comes, never stored: the outbox row holds
    only what is needed to make it (a chart is a few hundred kB; the payload is encrypted
    JSON)."""

    image: bytes
    caption: Reply | None = None
    filename: str = "chart.png"
