"""Duty as the handlers and the ticker see it: one object whose parts are its sub-journeys."""

from __future__ import annotations

from bot.ports import Clock, UnitOfWorkFactory
from bot.services.board import Board
from bot.services.casework import Claims, StaffAccess
from bot.services.duty.overview import Overview
from bot.services.duty.staff_changes import StaffChanges
from bot.services.duty.timers import Timers
from bot.services.roster import Roster


class Duty:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        board: Board,
        access: StaffAccess,
        claims: Claims,
        roster: Roster,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.board = board
        self.access = access
        self.claims = claims
        self.roster = roster
        self.targets = claims.targets
        self.overview = Overview(uow, clock, board, access)
        self.staff_changes = StaffChanges(uow, clock, board, access, roster)
        self.timers = Timers(uow, clock, board, claims)
        # The use cases by the names the handlers and the ticker have always called them.
        self.set_duty = self.overview.set_duty
        self.show_queue = self.overview.show_queue
        self.show_follow_ups = self.overview.show_follow_ups
        self.manage_staff = self.staff_changes.manage_staff
        self.tick = self.timers.tick
