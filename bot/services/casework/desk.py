"""What every casework use case works with, handed to each sub-service in one value."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.cases import Targets
from bot.ports import Clock, UnitOfWorkFactory
from bot.services.board import Board
from bot.services.casework.access import StaffAccess

# What staff type into a post beside the case's own words, in UTF-16 units (bot/domain/
# lengths.py): the record and the post keep the same text, and the post stays within
# Telegram's 4,096 (tests/content/test_lengths.py renders the worst case).
REASON_UNITS = 300
# What a free-text reason or outcome note may take on the record and in the topic's post.
REASON_LIMIT = 300


@dataclass(frozen=True, slots=True)
class Desk:
    uow: UnitOfWorkFactory
    clock: Clock
    board: Board
    access: StaffAccess
    targets: Targets
    # Outbox kinds that wait while a person is in a conversation with a counsellor.
    hold_kinds: tuple[str, ...] = ()


class DeskWork:
    """A sub-journey of casework: its use cases share the desk."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.uow = desk.uow
        self.clock = desk.clock
        self.board = desk.board
        self.access = desk.access
        self.targets = desk.targets
