"""Oversight as the handlers, the ticker and the dashboard see it: the figures, the weekly
digest in every staff chat, `/stats` on demand, and the digest row's composer."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.cases import Targets
from bot.domain.outbox import Photo, Priority
from bot.domain.oversight import Figures, Period, PeriodError, last_slot, week_tag
from bot.domain.replies import Reply
from bot.ports import ChartRenderer, Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.board import Board
from bot.services.casework import StaffAccess
from bot.services.outbox.kinds import RowKinds
from bot.services.oversight.digest import (
    DIGEST_KIND,
    GRACE,
    DigestPolicy,
    DigestRow,
    digest_data,
)
from bot.services.oversight.figures import count_figures


class Oversight:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        charts: ChartRenderer,
        access: StaffAccess,
        board: Board,
        targets: Targets,
        policy: DigestPolicy,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.charts = charts
        self.access = access
        self.board = board
        self.targets = targets
        self.policy = policy
        self.tz = ZoneInfo(policy.timezone)

    async def figures(self, period: Period, service_point_id: int | None = None) -> Figures:
        async with self.uow() as uow:
            return await self.figures_in(uow, period, service_point_id)

    async def figures_in(
        self, uow: UnitOfWork, period: Period, service_point_id: int | None = None
    ) -> Figures:
        """The same, inside a unit of work the caller already holds."""
        return await count_figures(
            uow,
            period,
            service_point_id,
            now=self.clock.now(),
            tz=self.tz,
            targets=self.targets.first_response,
        )

    async def _chats(self, uow: UnitOfWork) -> list[tuple[int, int | None]]:
        """Every staff chat and the service point it sees (None: all of them)."""
        main = self.policy.main_chat
        chats: dict[int, int | None] = {main: None} if main else {}
        for sp in await uow.service_points.all():
            if sp.staff_chat_id and sp.staff_chat_id not in chats:
                chats[sp.staff_chat_id] = sp.id
        return list(chats.items())

    async def queue_weekly(self, now: datetime | None = None) -> int:
        """The ticker's job: at DIGEST_WEEKDAY DIGEST_HOUR (local), last week's digest into
        every staff chat. Runs every few minutes; the key (chat, ISO week) keeps it to one a
        week per chat. Returns how many were queued now."""
        weekday = self.policy.weekday
        now = now or self.clock.now()
        if weekday is None:
            return 0
        slot = last_slot(now, weekday, self.policy.hour, self.tz)
        if now - slot >= GRACE:
            return 0
        period = Period.week_before(slot, self.tz)
        tag = week_tag(slot, self.tz)
        queued = 0
        async with self.uow() as uow:
            for chat, sp in await self._chats(uow):
                row = DigestRow(period, sp, self.board.locale, weekly=True)
                # One row per statement: a batch's count of new rows is -1 on PostgreSQL.
                queued += await uow.outbox.enqueue(
                    [row.message(f"digest:{chat}:{tag}", chat, None, Priority.NOTICE, now)]
                )
            await uow.commit()
        return queued

    async def stats(
        self, telegram_id: int, chat_id: int, thread_id: int | None, args: str
    ) -> str | None:
        """`/stats [period]` in a staff chat: the digest for any period, or a kind word on
        what a period looks like. "ignored" for anyone who is not staff here."""
        now = self.clock.now()
        async with self.uow() as uow:
            if await self.access.staff(uow, telegram_id, chat_id) is None:
                return "ignored"
            try:
                period = Period.parse(args, now, self.policy.timezone)
            except PeriodError as exc:
                # The words come back to the chat, escaped: short, so a paste cannot flood it.
                data = {"reason": exc.reason, "text": exc.text.strip()[:40]}
                reply = Reply("oversight/bad_period", data)
                await self.board.say(uow, chat_id, thread_id, reply, now)
            else:
                sp = await self._point_of(uow, chat_id)
                row = DigestRow(period, sp, self.board.locale, weekly=False)
                key = f"stats:{chat_id}:{uuid.uuid4().hex}"
                await uow.outbox.enqueue(
                    [row.message(key, chat_id, thread_id, Priority.INTERACTIVE, now)]
                )
            await uow.commit()
        return None

    async def _point_of(self, uow: UnitOfWork, chat_id: int) -> int | None:
        """The service point a staff chat sees; None in the main chat, which sees them all."""
        if chat_id == self.policy.main_chat:
            return None
        found = await uow.service_points.by_staff_chat(chat_id)
        return found.id if found else None

    def row_kinds(self) -> RowKinds:
        """The weekly digest and /stats: a chart drawn when its turn comes."""
        return RowKinds((DIGEST_KIND,), self.compose)

    async def compose(
        self, uow_factory: UnitOfWorkFactory, kind: str, payload: Mapping[str, object]
    ) -> Photo | None:
        """The outbox composer for DIGEST_KIND: count, draw, caption."""
        row = DigestRow.read(payload, self.board.locale)
        if row is None:
            return None  # a mangled row: nothing sensible to say
        sp = row.service_point_id
        async with uow_factory() as uow:
            figures = await self.figures_in(uow, row.period, sp)
            point = await uow.service_points.by_id(sp) if sp is not None else None
        # Drawing takes a few tenths of a second of CPU: off the event loop, so updates and
        # other sends go on meanwhile.
        image = await asyncio.to_thread(self.charts.week_chart, figures, row.locale)
        caption = Reply(
            "oversight/digest",
            digest_data(figures, self.tz, point.name if point else "", row.weekly),
        )
        return Photo(image, caption, filename=f"xinqiao-{row.period.first_day(self.tz)}.png")
