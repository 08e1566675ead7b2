"""Enrolments and lesson progress."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from typing import cast as cast_table

from sqlalchemy import String, Table, bindparam, cast, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import EnrolmentRow, LessonProgressRow, OutboxRow, PersonRow
from bot.db.outbox_repo import insert_ignoring_duplicates
from bot.domain.lessons import DueEnrolment, Enrolment, EnrolmentStatus, PauseReason, Progress
from bot.domain.outbox import OutboxStatus
from bot.domain.people import PersonStatus
from bot.ports import Advance

# A select of (EnrolmentRow, telegram id, locale); its generic form differs across SQLAlchemy 2.x.
_Query = Any

_E_FIELDS = (
    "person_id",
    "programme",
    "weekday",
    "hour",
    "minute",
    "timezone",
    "last_active_at",
    "next_index",
    "next_due_at",
    "paused_until",
    "nudged_at",
)
_P_FIELDS = (
    "enrolment_id",
    "lesson_id",
    "lesson_version",
    "week",
    "scheduled_for",
    "delivered_at",
    "parts_read",
    "answer_index",
    "answered_at",
    "task_shown_at",
    "checkin_due_at",
    "checkin_sent_at",
    "checkin_answer",
    "checkin_answered_at",
)


def _enrolment(row: EnrolmentRow) -> Enrolment:
    e = Enrolment(**{f: getattr(row, f) for f in _E_FIELDS})
    e.id = row.id
    e.status = EnrolmentStatus(row.status)
    e.pause_reason = PauseReason(row.pause_reason) if row.pause_reason else None
    return e


def _progress(row: LessonProgressRow) -> Progress:
    p = Progress(**{f: getattr(row, f) for f in _P_FIELDS})
    p.id = row.id
    return p


class SqlEnrolmentRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, person_id: int, programme: str) -> Enrolment | None:
        row = await self.s.scalar(
            select(EnrolmentRow).where(
                EnrolmentRow.person_id == person_id, EnrolmentRow.programme == programme
            )
        )
        return _enrolment(row) if row else None

    async def by_id(self, enrolment_id: int) -> Enrolment | None:
        row = await self.s.get(EnrolmentRow, enrolment_id)
        return _enrolment(row) if row else None

    async def add(self, enrolment: Enrolment) -> Enrolment:
        row = EnrolmentRow(**{f: getattr(enrolment, f) for f in _E_FIELDS})
        row.status = enrolment.status.value
        row.pause_reason = enrolment.pause_reason.value if enrolment.pause_reason else None
        self.s.add(row)
        await self.s.flush()
        enrolment.id = row.id
        return enrolment

    async def update(self, enrolment_id: int, **fields: object) -> None:
        values = {
            k: (v.value if isinstance(v, EnrolmentStatus | PauseReason) else v)
            for k, v in fields.items()
        }
        await self.s.execute(
            update(EnrolmentRow)
            .where(EnrolmentRow.id == enrolment_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    def _with_person(self) -> _Query:
        return (
            select(EnrolmentRow, PersonRow.telegram_id, PersonRow.locale)
            .join(PersonRow, PersonRow.id == EnrolmentRow.person_id)
            .where(
                PersonRow.status == PersonStatus.ACTIVE.value, PersonRow.telegram_id.is_not(None)
            )
        )

    async def _page(self, query: _Query) -> list[DueEnrolment]:
        rows = await self.s.execute(query)
        return [DueEnrolment(_enrolment(row[0]), row[1], row[2]) for row in rows]

    async def silent(self, cutoff: datetime, after_id: int, limit: int) -> Sequence[DueEnrolment]:
        return await self._page(
            self._with_person()
            .where(
                EnrolmentRow.status == EnrolmentStatus.ACTIVE.value,
                EnrolmentRow.last_active_at <= cutoff,
                EnrolmentRow.id > after_id,
            )
            .order_by(EnrolmentRow.id)
            .limit(limit)
        )

    async def paused_until_before(
        self, now: datetime, after_id: int, limit: int
    ) -> Sequence[DueEnrolment]:
        return await self._page(
            self._with_person()
            .where(
                EnrolmentRow.status == EnrolmentStatus.PAUSED.value,
                EnrolmentRow.paused_until <= now,
                EnrolmentRow.id > after_id,
            )
            .order_by(EnrolmentRow.id)
            .limit(limit)
        )

    async def with_people(
        self, enrolment_ids: Sequence[int]
    ) -> Mapping[int, tuple[Enrolment, int, str]]:
        rows = await self.s.execute(
            select(EnrolmentRow, PersonRow.telegram_id, PersonRow.locale)
            .join(PersonRow, PersonRow.id == EnrolmentRow.person_id)
            .where(EnrolmentRow.id.in_(list(enrolment_ids)), PersonRow.telegram_id.is_not(None))
        )
        return {row[0].id: (_enrolment(row[0]), row[1] or 0, row[2]) for row in rows}

    async def counts(self) -> Mapping[str, int]:
        rows = await self.s.execute(
            select(EnrolmentRow.status, func.count()).group_by(EnrolmentRow.status)
        )
        return {status: int(n) for status, n in rows}

    async def advance_many(self, moves: Sequence[Advance]) -> None:
        if not moves:
            return
        # One executemany UPDATE by primary key: a 100 000-guardian week stays fast.
        await self.s.execute(
            update(EnrolmentRow),
            [
                {
                    "id": m.enrolment_id,
                    "next_index": m.next_index,
                    "next_due_at": m.next_due_at,
                    "status": m.status.value,
                }
                for m in moves
            ],
        )


class SqlProgressRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add_many(self, items: Sequence[Progress]) -> int:
        rows = [{f: getattr(p, f) for f in _P_FIELDS} for p in items]
        return await insert_ignoring_duplicates(
            self.s, LessonProgressRow.__table__, rows, ("enrolment_id", "lesson_id")
        )

    async def get(self, enrolment_id: int, lesson_id: str) -> Progress | None:
        row = await self.s.scalar(
            select(LessonProgressRow).where(
                LessonProgressRow.enrolment_id == enrolment_id,
                LessonProgressRow.lesson_id == lesson_id,
            )
        )
        return _progress(row) if row else None

    async def update(self, progress_id: int, only_if_unset: str = "", **fields: object) -> bool:
        stmt = update(LessonProgressRow).where(LessonProgressRow.id == progress_id)
        if only_if_unset:
            stmt = stmt.where(getattr(LessonProgressRow, only_if_unset).is_(None))
        result = await self.s.execute(
            stmt.values(**fields).execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def sent_unsettled(self, limit: int) -> Sequence[tuple[Mapping[str, object], datetime]]:
        p, o = LessonProgressRow, OutboxRow
        key = literal("lesson:") + cast(p.enrolment_id, String) + literal(":") + p.lesson_id
        rows = await self.s.execute(
            select(o.payload, o.sent_at)
            .select_from(p)
            .join(o, o.key == key)
            .where(p.delivered_at.is_(None), o.status == OutboxStatus.SENT.value)
            .limit(limit)
        )
        return [(payload, sent_at) for payload, sent_at in rows]

    async def mark_delivered(self, marks: Sequence[tuple[int, str, datetime, datetime]]) -> None:
        if not marks:
            return
        table = cast_table(Table, LessonProgressRow.__table__)
        p = table.c
        # One Core executemany; rows already delivered are left as they are.
        await self.s.execute(
            update(table)
            .where(
                p.enrolment_id == bindparam("e_id"),
                p.lesson_id == bindparam("l_id"),
                p.delivered_at.is_(None),
            )
            .values(delivered_at=bindparam("at"), checkin_due_at=bindparam("due")),
            [{"e_id": e, "l_id": lesson, "at": at, "due": due} for e, lesson, at, due in marks],
        )

    async def read_up_to(self, progress_id: int, parts: int) -> None:
        await self.s.execute(
            update(LessonProgressRow)
            .where(LessonProgressRow.id == progress_id, LessonProgressRow.parts_read < parts)
            .values(parts_read=parts)
            .execution_options(synchronize_session=False)
        )

    async def for_enrolment(self, enrolment_id: int) -> Sequence[Progress]:
        rows = await self.s.scalars(
            select(LessonProgressRow)
            .where(LessonProgressRow.enrolment_id == enrolment_id)
            .order_by(LessonProgressRow.week)
        )
        return [_progress(r) for r in rows]
