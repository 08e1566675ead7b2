"""What a casework action answers: where it was asked from, and the toast and buttons back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.domain.replies import Choice

Menu = tuple[tuple[Choice, ...], ...]


@dataclass(frozen=True, slots=True)
class Place:
    """Where a button was pressed or a command typed: the chat and, in a forum, the topic
    (None for the general thread, and in a private chat)."""

    chat_id: int
    thread_id: int | None = None


@dataclass(frozen=True, slots=True)
class CardRefresh:
    """The case card's message and the buttons it should show now."""

    chat_id: int
    message_id: int
    menu: Menu


@dataclass(frozen=True, slots=True)
class StaffResult:
    """A button's answer: a toast for the presser and, maybe, a new keyboard for the pressed
    message and the buttons the case's card should show now."""

    toast: str = ""
    toast_data: dict[str, Any] = field(default_factory=dict)
    alert: bool = False
    menu: Menu | None = None
    cards: tuple[CardRefresh, ...] = ()
