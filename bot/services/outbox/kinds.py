"""What a producer's outbox rows are: how each is composed when its turn comes, and what is
recorded once it went out. Each producer declares its own kinds beside the code that queues
them (lessons, the case board, queued replies, digests), and the sender reads them all: no
table of closures in the composition root, and a new kind of row is one declaration."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.outbox import (
    CopyOf,
    NewTopic,
    OutboxItem,
    Photo,
    RenameTopic,
    SendResult,
    Unbutton,
)
from bot.domain.replies import Reply
from bot.ports import UnitOfWorkFactory

# What a row says when its turn comes: a message, a picture, or a forum-topic or copy operation.
Outgoing = Reply | NewTopic | RenameTopic | CopyOf | Photo | Unbutton
Composer = Callable[[UnitOfWorkFactory, str, Mapping[str, object]], Awaitable[Outgoing | None]]
# Runs once per batch with the rows of its kinds that went out (bookkeeping off the hot path).
AfterSent = Callable[[Sequence[OutboxItem], datetime], Awaitable[object]]
# Runs with the rows Telegram refused for good (403, 400), once their fate is recorded.
AfterRefused = Callable[[Sequence[tuple[OutboxItem, SendResult]], datetime], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class RowKinds:
    kinds: tuple[str, ...]
    compose: Composer
    after_sent: AfterSent | None = None
    # The after-sent step sees every row that went out, not only its own kinds: taking stale
    # buttons off a private chat is about whatever was posted there last.
    sees_all: bool = False


def composers(declared: Sequence[RowKinds]) -> dict[str, Composer]:
    """Kind → composer; a kind declared twice is a wiring mistake, refused at start-up."""
    table: dict[str, Composer] = {}
    for d in declared:
        for kind in d.kinds:
            if kind in table:
                raise ValueError(f"outbox kind {kind!r} is declared twice")
            table[kind] = d.compose
    return table
