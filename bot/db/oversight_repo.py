"""Aggregates for supervisors: counts and sums in SQL, the same on SQLite and PostgreSQL.

Each figure is one statement over the period. Percentiles are not among them (SQLite has no
percentile_disc): `case_timings` returns one small row per case opened in the period, and the
domain sorts those. Everything about lessons, guardians and screenings is counted in SQL,
because those are per person (100 000 guardians).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db.models import (
    CaseEventRow,
    CaseRow,
    EnrolmentRow,
    FollowUpRow,
    LessonProgressRow,
    PersonRow,
    ReferralRow,
    ScreeningResultRow,
)
from bot.domain.cases import CaseStatus, EventKind, Tier
from bot.domain.clock import as_utc
from bot.domain.lessons import EnrolmentStatus
from bot.domain.oversight import (
    NO_TIER,
    CaseTiming,
    FollowUpCounts,
    FunnelRow,
    GuardianCounts,
    Period,
)
from bot.domain.people import PersonStatus, Role

# The first time a counsellor took the case: a claim, or a hand-over of a waiting case.
_TAKEN = (EventKind.CLAIMED.value, EventKind.TRANSFERRED.value)
# The check-in's answers that mean the guardian tried the task.
_TRIED = ("went_well", "not_easy")
GUARDIAN_PROGRAMME = "guardian"


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _in(period: Period, column: Any) -> ColumnElement[bool]:
    return and_(column >= period.start, column < period.end)


def _bucket(column: Any, edges: Sequence[datetime]) -> ColumnElement[Any]:
    """The index of the bucket a moment falls in, given the boundaries between buckets."""
    if not edges:
        return case((column.is_not(None), 0), else_=0)
    return case(*((column < edge, i) for i, edge in enumerate(edges)), else_=len(edges))


def _tier_rank(column: Any) -> ColumnElement[Any]:
    return case(*((column == t.value, t.rank) for t in Tier), else_=None)


class SqlOversightRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    def _people(self, service_point_id: int | None) -> Any:
        return select(PersonRow.id).where(PersonRow.service_point_id == service_point_id)

    def _of(self, person_column: Any, service_point_id: int | None) -> ColumnElement[bool]:
        """Rows about a person of this service point (all rows when it is None)."""
        if service_point_id is None:
            return true()
        return person_column.in_(self._people(service_point_id))  # type: ignore[no-any-return]

    async def case_timings(
        self, period: Period, service_point_id: int | None
    ) -> Sequence[CaseTiming]:
        taken = (
            select(func.min(CaseEventRow.at))
            .where(CaseEventRow.case_id == CaseRow.id, CaseEventRow.kind.in_(_TAKEN))
            .correlate(CaseRow)
            .scalar_subquery()
        )
        rows = await self.s.execute(
            select(CaseRow.tier, CaseRow.opened_at, CaseRow.first_response_at, taken)
            .where(_in(period, CaseRow.opened_at), self._of(CaseRow.person_id, service_point_id))
            .order_by(CaseRow.opened_at, CaseRow.id)
        )
        return [
            CaseTiming(Tier(tier), opened, first, _utc(claimed))
            for tier, opened, first, claimed in rows
        ]

    async def outcomes(self, period: Period, service_point_id: int | None) -> Mapping[str, int]:
        rows = await self.s.execute(
            select(CaseRow.outcome, func.count())
            .where(
                CaseRow.status == CaseStatus.CLOSED.value,
                _in(period, CaseRow.closed_at),
                self._of(CaseRow.person_id, service_point_id),
            )
            .group_by(CaseRow.outcome)
        )
        return {str(outcome or "other"): int(n) for outcome, n in rows}

    async def open_cases(
        self, at: datetime, targets: Mapping[Tier, timedelta], service_point_id: int | None
    ) -> tuple[int, int]:
        c = CaseRow
        unanswered = or_(c.first_response_at.is_(None), c.first_response_at > at)
        late = or_(*(and_(c.tier == t.value, c.opened_at <= at - d) for t, d in targets.items()))
        row = (
            await self.s.execute(
                select(func.count(), _count_if(and_(unanswered, late))).where(
                    c.opened_at < at,
                    or_(c.closed_at.is_(None), c.closed_at > at),
                    self._of(c.person_id, service_point_id),
                )
            )
        ).one()
        return int(row[0]), int(row[1])

    async def follow_ups(
        self, period: Period, at: datetime, service_point_id: int | None
    ) -> FollowUpCounts:
        f = FollowUpRow
        still_open = and_(f.created_at < at, or_(f.done_at.is_(None), f.done_at > at))
        scope = (
            true()
            if service_point_id is None
            else f.case_id.in_(
                select(CaseRow.id).where(self._of(CaseRow.person_id, service_point_id))
            )
        )
        row = (
            await self.s.execute(
                select(
                    _count_if(still_open),
                    _count_if(and_(still_open, f.due_at < at)),
                    _count_if(_in(period, f.due_at)),
                    _count_if(_in(period, f.done_at)),
                ).where(scope)
            )
        ).one()
        return FollowUpCounts(*(int(v) for v in row))

    async def referrals(self, period: Period, service_point_id: int | None) -> Mapping[str, int]:
        r = ReferralRow
        query = select(r.status, func.count()).where(_in(period, r.created_at))
        if service_point_id is not None:
            query = query.join(CaseRow, CaseRow.id == r.case_id).where(
                self._of(CaseRow.person_id, service_point_id)
            )
        rows = await self.s.execute(query.group_by(r.status))
        return {str(status): int(n) for status, n in rows}

    async def screenings(
        self, period: Period, service_point_id: int | None
    ) -> Mapping[tuple[str, str], int]:
        r = ScreeningResultRow
        tier = func.coalesce(r.tier, NO_TIER)
        rows = await self.s.execute(
            select(r.instrument, tier, func.count())
            .where(_in(period, r.taken_at), self._of(r.subject_id, service_point_id))
            .group_by(r.instrument, tier)
        )
        return {(str(i), str(t)): int(n) for i, t, n in rows}

    async def worsened(self, period: Period, service_point_id: int | None) -> int:
        r = ScreeningResultRow
        recent = aliased(ScreeningResultRow)
        children = select(PersonRow.id).where(PersonRow.role == Role.CHILD.value)
        if service_point_id is not None:
            children = children.where(PersonRow.service_point_id == service_point_id)
        rank = _tier_rank(r.tier)
        # Each result beside the same child's previous one with the same instrument, which
        # may be older than the period: only children screened in the period are looked at.
        history = (
            select(
                r.subject_id,
                r.taken_at,
                rank.label("rank"),
                func.lag(rank)
                .over(partition_by=(r.subject_id, r.instrument), order_by=(r.taken_at, r.id))
                .label("before"),
            )
            .where(
                r.taken_at < period.end,
                r.tier.is_not(None),
                r.subject_id.in_(children),
                r.subject_id.in_(select(recent.subject_id).where(_in(period, recent.taken_at))),
            )
            .subquery()
        )
        n = await self.s.scalar(
            select(func.count(func.distinct(history.c.subject_id))).where(
                history.c.taken_at >= period.start, history.c.rank > history.c.before
            )
        )
        return int(n or 0)

    async def guardians(self, period: Period, service_point_id: int | None) -> GuardianCounts:
        e, p = EnrolmentRow, PersonRow
        state = case(
            (p.status == PersonStatus.INACTIVE.value, "blocked"),
            (
                or_(
                    p.status == PersonStatus.STOPPED.value,
                    e.status == EnrolmentStatus.STOPPED.value,
                ),
                "stopped",
            ),
            else_=e.status,
        )
        inner = (
            select(
                state.label("state"),
                _in(period, e.created_at).label("new"),
                _in(period, e.last_active_at).label("engaged"),
            )
            .join(p, p.id == e.person_id)
            .where(e.programme == GUARDIAN_PROGRAMME)
        )
        if service_point_id is not None:
            inner = inner.where(p.service_point_id == service_point_id)
        sub = inner.subquery()
        rows = await self.s.execute(
            select(
                sub.c.state,
                func.count(),
                _count_if(sub.c.new),
                _count_if(sub.c.engaged),
            ).group_by(sub.c.state)
        )
        states: dict[str, int] = {}
        new = engaged = 0
        for name, n, n_new, n_engaged in rows:
            states[str(name)] = int(n)
            new += int(n_new)
            engaged += int(n_engaged)
        return GuardianCounts(
            enrolled=sum(states.values()),
            new=new,
            active=states.get(EnrolmentStatus.ACTIVE.value, 0),
            paused=states.get(EnrolmentStatus.PAUSED.value, 0),
            stopped=states.get("stopped", 0),
            completed=states.get(EnrolmentStatus.COMPLETED.value, 0),
            blocked=states.get("blocked", 0),
            engaged=engaged,
        )

    async def funnel(self, period: Period, service_point_id: int | None) -> Sequence[FunnelRow]:
        p, e = LessonProgressRow, EnrolmentRow
        week = func.min(p.week)
        rows = await self.s.execute(
            select(
                e.programme,
                p.lesson_id,
                week,
                func.count(),
                _count_if(or_(p.parts_read >= 1, p.answered_at.is_not(None))),
                _count_if(p.checkin_answer.in_(_TRIED)),
                _count_if(p.checkin_answer.is_not(None)),
                _count_if(p.answered_at.is_not(None)),
            )
            .join(e, e.id == p.enrolment_id)
            .where(_in(period, p.delivered_at), self._of(e.person_id, service_point_id))
            .group_by(e.programme, p.lesson_id)
            .order_by(e.programme, week, p.lesson_id)
        )
        return [
            FunnelRow(
                lesson=str(lesson),
                delivered=int(n),
                opened=int(opened),
                task_done=int(tried),
                checkin_answered=int(checked),
                answered=int(answered),
                programme=str(programme),
                week=int(wk or 0),
            )
            for programme, lesson, wk, n, opened, tried, checked, answered in rows
        ]

    async def lessons_per_bucket(
        self, period: Period, edges: Sequence[datetime], service_point_id: int | None
    ) -> Mapping[int, int]:
        p, e = LessonProgressRow, EnrolmentRow
        inner = select(_bucket(p.delivered_at, edges).label("bucket")).where(
            _in(period, p.delivered_at)
        )
        if service_point_id is not None:
            inner = inner.join(e, e.id == p.enrolment_id).where(
                self._of(e.person_id, service_point_id)
            )
        return await self._per_bucket(inner)

    async def screenings_per_bucket(
        self, period: Period, edges: Sequence[datetime], service_point_id: int | None
    ) -> Mapping[int, int]:
        r = ScreeningResultRow
        inner = select(_bucket(r.taken_at, edges).label("bucket")).where(
            _in(period, r.taken_at), self._of(r.subject_id, service_point_id)
        )
        return await self._per_bucket(inner)

    async def _per_bucket(self, inner: Any) -> Mapping[int, int]:
        # Grouped outside: PostgreSQL would not match a CASE in GROUP BY whose bound edges
        # are rendered as new parameters.
        sub = inner.subquery()
        rows = await self.s.execute(select(sub.c.bucket, func.count()).group_by(sub.c.bucket))
        return {int(bucket): int(n) for bucket, n in rows}


def _utc(value: object) -> datetime | None:
    """A MIN() over a timestamp comes back as text from SQLite (the column type is lost)."""
    if value is None:
        return None
    if isinstance(value, str):
        return as_utc(datetime.fromisoformat(value))
    assert isinstance(value, datetime)
    return as_utc(value)
