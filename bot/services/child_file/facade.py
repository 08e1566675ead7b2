"""The child's file as the handlers, the dashboard and the ticker see it: one object whose
use cases live in the parts (viewing, guardian invitations, re-screening)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from zoneinfo import ZoneInfo

from bot.domain.lessons import QuietHours
from bot.domain.referrals import Directory
from bot.domain.screening import Instrument
from bot.ports import Clock, UnitOfWorkFactory
from bot.services.board import Board
from bot.services.casework import StaffAccess
from bot.services.child_file.contents import Contents
from bot.services.child_file.desk import Desk
from bot.services.child_file.guardian import GuardianInvites
from bot.services.child_file.hours import SCHOOL
from bot.services.child_file.rescreening import Rescreening
from bot.services.child_file.viewing import Viewing


class ChildFile:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        access: StaffAccess,
        board: Board,
        directory: Directory,
        instruments: Mapping[str, Instrument],
        quiet: QuietHours,
        timezone: str,
        school: tuple[time, time] = SCHOOL,
    ) -> None:
        self.school = school
        self.uow = uow
        self.clock = clock
        self.access = access
        self.directory = directory
        self.board = board
        self.instruments = instruments
        self.quiet = quiet
        self.tz = ZoneInfo(timezone)
        desk = Desk(uow, clock, access, board, directory, instruments, quiet, self.tz, school)
        contents = Contents(desk)
        self.viewing = Viewing(desk, contents)
        self.guardian = GuardianInvites(desk)
        self.rescreening = Rescreening(desk)
        # The use cases by the names their callers have always used.
        self.show = self.viewing.show
        self.contents = contents.of
        self.tell_guardian = self.guardian.tell_guardian
        self.tell_child_first = self.guardian.tell_child_first
        self.why_needed = self.guardian.why_needed
        self.guardian_command = self.guardian.guardian_command
        self.request = self.rescreening.request
        self.invite_due = self.rescreening.invite_due
