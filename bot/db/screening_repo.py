"""Questionnaire sessions, results in the child's file, plans and the file's access log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    FileAccessRow,
    ScreeningPlanRow,
    ScreeningResultRow,
    ScreeningSessionRow,
)
from bot.domain.cases import Tier
from bot.domain.screening import Result, Session, SessionStatus, StoredResult

IN_PROGRESS = SessionStatus.IN_PROGRESS.value


def _answers_in(raw: Mapping[str, object] | None) -> dict[int, int | None]:
    """JSON keys are strings; the domain speaks item numbers."""
    return {int(k): (None if v is None else int(str(v))) for k, v in (raw or {}).items()}


def _answers_out(answers: Mapping[int, int | None]) -> dict[str, int | None]:
    return {str(k): v for k, v in answers.items()}


def _session(row: ScreeningSessionRow) -> Session:
    return Session(
        id=row.id,
        person_id=row.person_id,
        subject_id=row.subject_id,
        instrument=row.instrument,
        version=row.version,
        answers=_answers_in(row.answers),
        position=row.position,
        status=SessionStatus(row.status),
        safety_fired=row.safety_fired,
    )


def _result(row: ScreeningResultRow) -> StoredResult:
    return StoredResult(
        id=row.id,
        subject_id=row.subject_id,
        respondent_id=row.respondent_id,
        instrument=row.instrument,
        version=row.version,
        cutoff_version=row.cutoff_version,
        answers=_answers_in(row.answers),
        total=row.total,
        band=row.band,
        tier=Tier(row.tier) if row.tier else None,
        flags=tuple(row.flags or ()),
        taken_at=row.taken_at,
    )


class SqlScreeningRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def start(
        self,
        person_id: int,
        subject_id: int,
        instrument: str,
        version: int,
        now: datetime,
        requested_by: int | None = None,
    ) -> Session:
        # One questionnaire at a time per person: starting another sets the old one aside.
        await self.s.execute(
            update(ScreeningSessionRow)
            .where(
                ScreeningSessionRow.person_id == person_id,
                ScreeningSessionRow.status == IN_PROGRESS,
            )
            .values(status=SessionStatus.ABANDONED.value, updated_at=now)
        )
        row = ScreeningSessionRow(
            person_id=person_id,
            subject_id=subject_id,
            instrument=instrument,
            version=version,
            answers={},
            position=0,
            status=IN_PROGRESS,
            safety_fired=False,
            requested_by=requested_by,
            started_at=now,
            updated_at=now,
        )
        self.s.add(row)
        await self.s.flush()
        return _session(row)

    async def active_for(self, person_id: int) -> Session | None:
        row = await self.s.scalar(
            select(ScreeningSessionRow)
            .where(
                ScreeningSessionRow.person_id == person_id,
                ScreeningSessionRow.status == IN_PROGRESS,
            )
            .order_by(ScreeningSessionRow.id.desc())
            .limit(1)
        )
        return _session(row) if row else None

    async def offered_for(self, person_id: int) -> Session | None:
        row = await self.s.scalar(
            select(ScreeningSessionRow)
            .where(ScreeningSessionRow.person_id == person_id)
            .order_by(ScreeningSessionRow.id.desc())
            .limit(1)
        )
        if row is None or row.status != SessionStatus.CASE_OFFERED.value:
            return None
        return _session(row)

    async def session(self, session_id: int) -> Session | None:
        row = await self.s.get(ScreeningSessionRow, session_id, populate_existing=True)
        return _session(row) if row else None

    async def answer(
        self,
        session_id: int,
        position: int,
        answers: Mapping[int, int | None],
        next_position: int,
        now: datetime,
    ) -> bool:
        result = await self.s.execute(
            update(ScreeningSessionRow)
            .where(
                ScreeningSessionRow.id == session_id,
                ScreeningSessionRow.status == IN_PROGRESS,
                ScreeningSessionRow.position == position,
            )
            .values(answers=_answers_out(answers), position=next_position, updated_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def mark_safety(self, session_id: int) -> bool:
        result = await self.s.execute(
            update(ScreeningSessionRow)
            .where(
                ScreeningSessionRow.id == session_id,
                ScreeningSessionRow.safety_fired.is_(False),
            )
            .values(safety_fired=True)
        )
        return bool(getattr(result, "rowcount", 0))

    async def settle(self, session_id: int, now: datetime) -> bool:
        result = await self.s.execute(
            update(ScreeningSessionRow)
            .where(
                ScreeningSessionRow.id == session_id,
                ScreeningSessionRow.status == SessionStatus.CASE_OFFERED.value,
            )
            .values(status=SessionStatus.COMPLETED.value, updated_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def close(self, session_id: int, status: str, now: datetime) -> None:
        await self.s.execute(
            update(ScreeningSessionRow)
            .where(ScreeningSessionRow.id == session_id)
            .values(status=status, updated_at=now)
        )

    async def record(
        self,
        subject_id: int,
        respondent_id: int | None,
        answers: Mapping[int, int | None],
        result: Result,
        now: datetime,
    ) -> int:
        row = ScreeningResultRow(
            subject_id=subject_id,
            respondent_id=respondent_id,
            instrument=result.instrument,
            version=result.version,
            cutoff_version=result.cutoff_version,
            answers=_answers_out(answers),
            total=result.total,
            subscales=dict(result.subscales),
            band=result.band,
            tier=result.tier.value if result.tier else None,
            flags=list(result.flags),
            taken_at=now,
        )
        self.s.add(row)
        await self.s.flush()
        return row.id

    async def results_for(self, subject_id: int) -> Sequence[StoredResult]:
        rows = await self.s.scalars(
            select(ScreeningResultRow)
            .where(ScreeningResultRow.subject_id == subject_id)
            .order_by(ScreeningResultRow.taken_at, ScreeningResultRow.id)
        )
        return [_result(r) for r in rows]

    async def last(self, subject_id: int, instrument: str) -> StoredResult | None:
        row = await self.s.scalar(
            select(ScreeningResultRow)
            .where(
                ScreeningResultRow.subject_id == subject_id,
                ScreeningResultRow.instrument == instrument,
            )
            .order_by(ScreeningResultRow.taken_at.desc(), ScreeningResultRow.id.desc())
            .limit(1)
        )
        return _result(row) if row else None

    async def log_access(
        self, viewer_id: int | None, subject_id: int, what: str, now: datetime
    ) -> None:
        self.s.add(FileAccessRow(viewer_id=viewer_id, subject_id=subject_id, at=now, what=what))
        await self.s.flush()

    async def accesses(self, subject_id: int) -> Sequence[tuple[int | None, str, datetime]]:
        rows = await self.s.scalars(
            select(FileAccessRow)
            .where(FileAccessRow.subject_id == subject_id)
            .order_by(FileAccessRow.id)
        )
        return [(r.viewer_id, r.what, r.at) for r in rows]

    async def plan(
        self,
        person_id: int,
        instrument: str,
        interval_days: int,
        due: datetime,
        by: int | None,
        now: datetime,
    ) -> None:
        row = await self.s.scalar(
            select(ScreeningPlanRow).where(
                ScreeningPlanRow.person_id == person_id,
                ScreeningPlanRow.instrument == instrument,
            )
        )
        if row is None:
            self.s.add(
                ScreeningPlanRow(
                    person_id=person_id,
                    instrument=instrument,
                    interval_days=interval_days,
                    next_due_at=due,
                    requested_by=by,
                    created_at=now,
                )
            )
        else:
            row.interval_days, row.next_due_at, row.requested_by = interval_days, due, by
        await self.s.flush()

    async def due_plans(self, now: datetime, limit: int) -> Sequence[tuple[int, int, str, int]]:
        rows = await self.s.execute(
            select(
                ScreeningPlanRow.id,
                ScreeningPlanRow.person_id,
                ScreeningPlanRow.instrument,
                ScreeningPlanRow.interval_days,
            )
            .where(ScreeningPlanRow.next_due_at <= now)
            .order_by(ScreeningPlanRow.next_due_at)
            .limit(limit)
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    async def advance_plan(self, plan_id: int, next_due: datetime | None) -> None:
        await self.s.execute(
            update(ScreeningPlanRow)
            .where(ScreeningPlanRow.id == plan_id)
            .values(next_due_at=next_due)
        )
