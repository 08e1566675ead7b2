"""Oversight (加强信息共享和动态监测): the figures for any period and service point, the weekly
digest in every staff chat, and `/stats` on demand.

A digest is one outbox row per staff chat holding only the period, the service point and the
language; its composer counts the figures and draws the chart when the row's turn comes. So a
restart or a retry sends what the database says then, the PNG is never stored, and the unique
key (chat, ISO week) makes one weekly digest per chat whatever the restarts or instances.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.cases import Targets, Tier
from bot.domain.outbox import NewMessage, Photo, Priority
from bot.domain.oversight import (
    TIERS,
    Figures,
    Period,
    PeriodError,
    buckets,
    by_tier,
    duration_parts,
    last_slot,
    response_times,
    series_of,
    week_tag,
)
from bot.domain.replies import Reply
from bot.ports import ChartRenderer, Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.board import Board
from bot.services.casework import StaffAccess
from bot.services.outbox.kinds import RowKinds

DIGEST_KIND = "digest"
# A digest missed by more than this (the bot was down all morning and afternoon) waits for
# next week: last week's figures arriving on Thursday would only confuse.
GRACE = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class DigestPolicy:
    weekday: int | None = 0  # 0 = Monday; None: no weekly digest
    hour: int = 9
    timezone: str = "Asia/Shanghai"
    # The main staff chat sees every service point; a service point's own chat sees its own.
    main_chat: int | None = None


def _duration(value: timedelta | None) -> dict[str, str] | None:
    if value is None:
        return None
    n, unit = duration_parts(value)
    return {"n": n, "unit": unit}


def digest_data(
    figures: Figures, tz: ZoneInfo, place: str = "", weekly: bool = False
) -> dict[str, Any]:
    """What the digest's few lines say (content/templates/oversight/digest.j2)."""
    period = figures.period
    response = figures.first_response_all
    share = response.share_within_answered
    funnel = figures.funnel_total("guardian")
    return {
        "weekly": weekly,
        "first": period.first_day(tz).isoformat(),
        "last": period.last_day(tz).isoformat(),
        "place": place,
        "cases": figures.cases_total,
        "tiers": [
            {"icon": t.icon, "tier": t.value, "n": figures.cases_by_tier.get(t.value, 0)}
            for t in TIERS
        ],
        "answered": response.n,
        "median": _duration(response.median),
        "p90": _duration(response.p90),
        "within": None if share is None else round(share * 100),
        "on_time": response.within_target,
        "unanswered": response.unanswered,
        "open": figures.open_cases,
        "overdue": figures.overdue_cases,
        "fu_due": figures.follow_ups_due,
        "fu_overdue": figures.follow_ups_overdue,
        "screenings": figures.screenings_total,
        "worsened": figures.worsened,
        "guardians": figures.guardians.enrolled,
        "active": figures.guardians.active,
        "new": figures.guardians.new,
        "delivered": funnel.delivered,
        "opened": funnel.opened,
        "checked_in": funnel.checkin_answered,
        "tried": funnel.task_done,
    }


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

    # -- figures --------------------------------------------------------------------------

    async def figures(self, period: Period, service_point_id: int | None = None) -> Figures:
        async with self.uow() as uow:
            return await self.figures_in(uow, period, service_point_id)

    async def figures_in(
        self, uow: UnitOfWork, period: Period, service_point_id: int | None = None
    ) -> Figures:
        """The same, inside a unit of work the caller already holds."""
        sp = service_point_id
        repo = uow.oversight
        as_of = min(period.end, self.clock.now())
        cuts = buckets(period, self.tz)
        targets: Mapping[Tier, timedelta] = self.targets.first_response
        timings = await repo.case_timings(period, sp)
        response, response_all = response_times(timings, targets, lambda c: c.first_response_at)
        claim, claim_all = response_times(timings, targets, lambda c: c.claimed_at)
        open_cases, overdue = await repo.open_cases(as_of, targets, sp)
        follow_ups = await repo.follow_ups(period, as_of, sp)
        screenings: dict[str, dict[str, int]] = {}
        for (instrument, tier), n in sorted((await repo.screenings(period, sp)).items()):
            screenings.setdefault(instrument, {})[tier] = n
        return Figures(
            period=period,
            as_of=as_of,
            service_point_id=sp,
            step=cuts.step,
            cases_by_tier=by_tier(timings),
            cases_by_outcome=dict(await repo.outcomes(period, sp)),
            first_response=response,
            first_response_all=response_all,
            claim=claim,
            claim_all=claim_all,
            open_cases=open_cases,
            overdue_cases=overdue,
            follow_ups_open=follow_ups.open,
            follow_ups_overdue=follow_ups.overdue,
            follow_ups_due=follow_ups.due,
            follow_ups_done=follow_ups.done,
            referrals_by_status=dict(await repo.referrals(period, sp)),
            screenings=screenings,
            worsened=await repo.worsened(period, sp),
            guardians=await repo.guardians(period, sp),
            funnel=tuple(await repo.funnel(period, sp)),
            series=series_of(
                cuts,
                timings,
                await repo.lessons_per_bucket(period, cuts.edges, sp),
                await repo.screenings_per_bucket(period, cuts.edges, sp),
            ),
        )

    # -- the digest -----------------------------------------------------------------------

    def _message(
        self,
        key: str,
        chat_id: int,
        thread_id: int | None,
        period: Period,
        service_point_id: int | None,
        weekly: bool,
        priority: Priority,
        now: datetime,
    ) -> NewMessage:
        return NewMessage(
            key=key,
            chat_id=chat_id,
            thread_id=thread_id,
            kind=DIGEST_KIND,
            priority=priority,
            locale=self.board.locale,
            due_at=now,
            payload={
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
                "sp": service_point_id,
                # The composer sees the payload, not the row: the chart's language goes here.
                "locale": self.board.locale,
                "weekly": weekly,
            },
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
                key = f"digest:{chat}:{tag}"
                # One row per statement: a batch's count of new rows is -1 on PostgreSQL.
                queued += await uow.outbox.enqueue(
                    [self._message(key, chat, None, period, sp, True, Priority.NOTICE, now)]
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
                sp = None
                if chat_id != self.policy.main_chat:
                    found = await uow.service_points.by_staff_chat(chat_id)
                    sp = found.id if found else None
                key = f"stats:{chat_id}:{uuid.uuid4().hex}"
                await uow.outbox.enqueue(
                    [
                        self._message(
                            key, chat_id, thread_id, period, sp, False, Priority.INTERACTIVE, now
                        )
                    ]
                )
            await uow.commit()
        return None

    def row_kinds(self) -> RowKinds:
        """The weekly digest and /stats: a chart drawn when its turn comes."""
        return RowKinds((DIGEST_KIND,), self.compose)

    async def compose(
        self, uow_factory: UnitOfWorkFactory, kind: str, payload: Mapping[str, object]
    ) -> Photo | None:
        """The outbox composer for DIGEST_KIND: count, draw, caption."""
        try:
            period = Period(
                datetime.fromisoformat(str(payload["start"])),
                datetime.fromisoformat(str(payload["end"])),
            )
            raw_sp = payload.get("sp")
            sp = int(str(raw_sp)) if raw_sp is not None else None
            locale = str(payload.get("locale") or self.board.locale)
            weekly = bool(payload.get("weekly"))
        except (KeyError, TypeError, ValueError):
            return None  # a mangled row: nothing sensible to say
        async with uow_factory() as uow:
            figures = await self.figures_in(uow, period, sp)
            point = await uow.service_points.by_id(sp) if sp is not None else None
        # Drawing takes a few tenths of a second of CPU: off the event loop, so updates and
        # other sends go on meanwhile.
        image = await asyncio.to_thread(self.charts.week_chart, figures, locale)
        caption = Reply(
            "oversight/digest",
            digest_data(figures, self.tz, point.name if point else "", weekly),
        )
        return Photo(image, caption, filename=f"xinqiao-{period.first_day(self.tz)}.png")
