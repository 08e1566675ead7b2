"""Data rights as the handlers see them: one object whose commands live in their own modules
(/mydata in export.py, /delete in deletion.py, /accesslog in access_log.py)."""

from __future__ import annotations

from bot.ports import Catalog, Clock, UnitOfWorkFactory
from bot.services.board import Board
from bot.services.casework import StaffAccess
from bot.services.privacy.access_log import AccessLog
from bot.services.privacy.deletion import Deletion
from bot.services.privacy.document import MyDataDocument
from bot.services.privacy.export import MyData
from bot.services.privacy.shared import LocalTimes


class Privacy:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        board: Board,
        access: StaffAccess,
        catalog: Catalog,
        timezone: str,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.board = board
        self.access = access
        self.catalog = catalog
        times = LocalTimes(timezone)
        self.tz = times.tz
        self.mydata = MyData(uow, clock, MyDataDocument(catalog, times), times)
        self.deletion = Deletion(uow, clock, board)
        self.file_log = AccessLog(uow, clock, board, access, times)
        # The commands by the names the handlers have always called them.
        self.export = self.mydata.export
        self.ask_delete = self.deletion.ask_delete
        self.confirm_delete = self.deletion.confirm_delete
        self.access_log = self.file_log.access_log
