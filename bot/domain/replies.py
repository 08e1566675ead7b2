"""What a service wants said: a template, its data and the choices offered.

Services return these values and never send anything; the adapters render and deliver them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Keyboard(StrEnum):
    """The persistent keyboard to show under the input box, if the reply changes it."""

    KEEP = "keep"
    HELP = "help"  # a single always-there "talk to a counsellor" button


@dataclass(frozen=True, slots=True)
class Choice:
    """An inline button: `label` is a string key in content, `action` its callback payload."""

    label: str
    action: str = ""
    url: str = ""
    label_data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reply:
    template: str
    data: Mapping[str, Any] = field(default_factory=dict)
    choices: tuple[tuple[Choice, ...], ...] = ()
    keyboard: Keyboard = Keyboard.KEEP


# A reply already rendered for its locale: its text and button labels, as plain data. What a
# handler could not send waits in the outbox like this (reply_to_data keeps only JSON), whatever
# objects its template read.
VERBATIM = "_verbatim"


def verbatim(
    text: str, buttons: tuple[tuple[tuple[str, str, str], ...], ...], keyboard: Keyboard
) -> Reply:
    return Reply(
        VERBATIM,
        {"text": text, "buttons": [[list(button) for button in row] for row in buttons]},
        keyboard=keyboard,
    )


@dataclass(frozen=True, slots=True)
class Notice:
    """A message for someone other than the person who acted (e.g. a child told of consent)."""

    telegram_id: int
    locale: str
    reply: Reply


@dataclass(frozen=True, slots=True)
class Outcome:
    replies: tuple[Reply, ...] = ()
    notices: tuple[Notice, ...] = ()
    # A callback answer (toast) for a pressed button; a string key in content.
    toast: str = ""

    @staticmethod
    def of(*replies: Reply, toast: str = "") -> Outcome:
        return Outcome(replies=replies, toast=toast)


def rows(*items: Choice, width: int = 1) -> tuple[tuple[Choice, ...], ...]:
    """Lay choices out `width` to a row: big buttons for tired thumbs by default."""
    return tuple(tuple(items[i : i + width]) for i in range(0, len(items), width))


def reply_to_data(reply: Reply) -> dict[str, Any]:
    """A reply as plain JSON-able data, to wait in the outbox."""
    return {
        "template": reply.template,
        "data": dict(reply.data),
        "keyboard": reply.keyboard.value,
        "choices": [
            [
                {
                    "label": c.label,
                    "action": c.action,
                    "url": c.url,
                    "label_data": dict(c.label_data),
                }
                for c in row
            ]
            for row in reply.choices
        ],
    }


def reply_from_data(data: Mapping[str, Any]) -> Reply:
    return Reply(
        template=str(data["template"]),
        data=dict(data.get("data") or {}),
        keyboard=Keyboard(data.get("keyboard", Keyboard.KEEP.value)),
        choices=tuple(
            tuple(
                Choice(
                    c["label"],
                    c.get("action", ""),
                    c.get("url", ""),
                    dict(c.get("label_data") or {}),
                )
                for c in row
            )
            for row in data.get("choices") or []
        ),
    )
