"""The dashboard as its web adapter sees it: one object whose parts are the sign-in, the
lists, and the pages about one child."""

from __future__ import annotations

from bot.domain.referrals import Directory
from bot.ports import Clock, UnitOfWorkFactory
from bot.services.child_file import ChildFile
from bot.services.dashboard.lists import Lists
from bot.services.dashboard.records import Records
from bot.services.dashboard.shown import Shown
from bot.services.dashboard.sign_in import SignIns


class Dashboard:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        child_file: ChildFile,
        directory: Directory,
        *,
        base_url: str | None,
        session_hours: int,
        timezone: str,
        locales: tuple[str, ...],
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.base_url = base_url
        self.locales = locales
        shown = Shown(timezone, directory)
        self.tz = shown.tz
        self.sign_ins = SignIns(
            uow, clock, base_url=base_url, session_hours=session_hours, locales=locales
        )
        self.lists = Lists(uow, clock, shown)
        self.records = Records(uow, clock, child_file, shown)
        # Signing in, and the check on every request.
        self.ask_link = self.sign_ins.ask_link
        self.link_for = self.sign_ins.link_for
        self.link_is_fresh = self.sign_ins.link_is_fresh
        self.sign_in = self.sign_ins.sign_in
        self.viewer = self.sign_ins.viewer
        self.sign_out = self.sign_ins.sign_out
        self.set_locale = self.sign_ins.set_locale
        # The pages.
        self.queue = self.lists.queue
        self.follow_ups = self.lists.follow_ups
        self.referrals = self.lists.referrals
        self.misses_per_week = self.lists.misses_per_week
        self.case = self.records.case
        self.child_file = self.records.child_file
        self.access_log = self.records.access_log
        self.when = shown.when
