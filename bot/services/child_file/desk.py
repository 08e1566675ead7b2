"""What every part of the child's file works with, handed in one value, and the guard they
share: whose file a member of staff may reach at all."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo

from bot.domain.lessons import QuietHours
from bot.domain.people import Person
from bot.domain.permissions import sees_only_own_point
from bot.domain.referrals import Directory
from bot.domain.screening import Instrument
from bot.ports import Clock, StaffMember, UnitOfWorkFactory
from bot.services.board import Board
from bot.services.casework import StaffAccess


def within_reach(staff: StaffMember, subject: Person) -> bool:
    """A 儿童主任 or 儿童督导员 reaches only the people of their own service point: to them
    anyone else's code is one that is not on record."""
    return (
        not sees_only_own_point(staff.role) or subject.service_point_id == staff.service_point_id
    )


@dataclass(frozen=True, slots=True)
class Desk:
    uow: UnitOfWorkFactory
    clock: Clock
    access: StaffAccess
    board: Board
    directory: Directory
    instruments: Mapping[str, Instrument]
    quiet: QuietHours
    tz: ZoneInfo
    # School hours, local: no pushes to a child then (hours.py).
    school: tuple[time, time]


class DeskWork:
    """A part of the child's file: its use cases share the desk."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.uow = desk.uow
        self.clock = desk.clock
        self.access = desk.access
        self.board = desk.board
        self.instruments = desk.instruments
        self.tz = desk.tz
