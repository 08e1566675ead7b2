"""The weekly fan-out as set-based SQL: a page of due enrolments becomes progress rows, outbox
rows and advanced schedules in a handful of statements, without loading them into Python.

Per group (programme, time zone, weekday, hour) the service computes the only values that need
Python (the quiet-hours-deferred send time and the next slot); the lesson for each enrolment is
picked by a CASE on its position in the programme.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CaseRow, EnrolmentRow, LessonProgressRow, OutboxRow, PersonRow
from bot.db.outbox_repo import wake_sender_on_commit
from bot.domain.lessons import EnrolmentStatus
from bot.domain.outbox import OutboxStatus, Priority
from bot.domain.people import PersonStatus
from bot.ports import FanOutGroup


class SqlFanOutRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    def _insert(self, table: Any) -> Any:
        dialect = self.s.bind.dialect.name if self.s.bind else "sqlite"
        return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)

    def _json(self, text: ColumnElement[str]) -> ColumnElement[Any]:
        """PostgreSQL wants a cast into its json type; SQLite stores the text as it is
        (a CAST AS JSON there would turn it into a number)."""
        dialect = self.s.bind.dialect.name if self.s.bind else "sqlite"
        return cast(text, JSON) if dialect == "postgresql" else text

    async def due_page(
        self, now: object, after_id: int, limit: int
    ) -> tuple[list[int], list[FanOutGroup]]:
        """Ids of due enrolments of reachable people (keyset), and their distinct groups."""
        rows = await self.s.execute(
            select(
                EnrolmentRow.id,
                EnrolmentRow.programme,
                EnrolmentRow.timezone,
                EnrolmentRow.weekday,
                EnrolmentRow.hour,
                EnrolmentRow.minute,
            )
            .join(PersonRow, PersonRow.id == EnrolmentRow.person_id)
            .where(
                EnrolmentRow.status == EnrolmentStatus.ACTIVE.value,
                EnrolmentRow.next_due_at <= now,
                EnrolmentRow.id > after_id,
                PersonRow.status == PersonStatus.ACTIVE.value,
            )
            .order_by(EnrolmentRow.id)
            .limit(limit)
        )
        ids: list[int] = []
        groups: dict[tuple[str, str, int, int, int], FanOutGroup] = {}
        for e_id, programme, tz, weekday, hour, minute in rows:
            ids.append(e_id)
            key = (programme, tz, weekday, hour, minute)
            if key not in groups:
                groups[key] = FanOutGroup(programme, tz, weekday, hour, minute)
        return ids, list(groups.values())

    async def queue_group(
        self,
        ids: Sequence[int],
        group: FanOutGroup,
        lessons: Sequence[tuple[str, int, int]],
        send_at: object,
        next_due_at: object,
        now: object,
    ) -> tuple[int, int]:
        """Queue this group's lessons; returns (queued, completed)."""
        e, p = EnrolmentRow, PersonRow
        n = len(lessons)
        in_group = and_(
            e.id.in_(ids),
            e.programme == group.programme,
            e.timezone == group.timezone,
            e.weekday == group.weekday,
            e.hour == group.hour,
            e.minute == group.minute,
            e.status == EnrolmentStatus.ACTIVE.value,
        )
        has_lesson = and_(in_group, e.next_index < n)

        def pick(column: int) -> ColumnElement[object]:
            return case(
                *(
                    (e.next_index == i, literal(lesson[column]))
                    for i, lesson in enumerate(lessons)
                ),
                else_=literal(lessons[0][column]) if lessons else None,
            )

        lesson_id = pick(0)
        progress = (
            self._insert(LessonProgressRow.__table__)
            .from_select(
                [
                    "enrolment_id",
                    "lesson_id",
                    "lesson_version",
                    "week",
                    "scheduled_for",
                    "parts_read",
                ],
                select(
                    e.id,
                    lesson_id,
                    pick(1),
                    pick(2),
                    func.coalesce(e.next_due_at, now),
                    literal(0),
                ).where(has_lesson),
            )
            .on_conflict_do_nothing(index_elements=["enrolment_id", "lesson_id"])
        )
        await self.s.execute(progress)

        def outbox_from(
            kind: str,
            key: ColumnElement[str],
            payload: ColumnElement[str],
            where: ColumnElement[bool],
        ) -> Any:
            return (
                self._insert(OutboxRow.__table__)
                .from_select(
                    [
                        "key",
                        "chat_id",
                        "person_id",
                        "priority",
                        "kind",
                        "payload",
                        "locale",
                        "status",
                        "attempts",
                        "due_at",
                        "created_at",
                    ],
                    select(
                        key,
                        p.telegram_id,
                        p.id,
                        literal(int(Priority.LESSON)),
                        literal(kind),
                        self._json(payload),
                        p.locale,
                        # While a counsellor owns the conversation the lesson waits (held) and
                        # goes out when the case closes (docs/DOMAIN.md §3).
                        case(
                            (
                                select(CaseRow.id)
                                .where(CaseRow.person_id == p.id, CaseRow.status != "closed")
                                .exists(),
                                literal(OutboxStatus.HELD.value),
                            ),
                            else_=literal(OutboxStatus.PENDING.value),
                        ),
                        literal(0),
                        literal(send_at),
                        literal(now),
                    )
                    .select_from(e.__table__.join(p.__table__, p.id == e.person_id))
                    .where(where, p.status == PersonStatus.ACTIVE.value),
                )
                .on_conflict_do_nothing(index_elements=["key"])
            )

        e_id = cast(e.id, String)
        index = cast(e.next_index, String)
        await self.s.execute(
            outbox_from(
                "lesson",
                literal("lesson:") + e_id + literal(":") + lesson_id,
                literal('{"e": ')
                + e_id
                + literal(', "i": ')
                + index
                + literal(', "p": "')
                + e.programme
                + literal('"}'),
                has_lesson,
            )
        )
        finished = and_(in_group, e.next_index >= n)
        await self.s.execute(
            outbox_from(
                "completed",
                literal("completed:") + e_id,
                literal('{"e": ') + e_id + literal("}"),
                finished,
            )
        )
        completed = await self.s.execute(
            update(e)
            .where(finished)
            .values(status=EnrolmentStatus.COMPLETED.value, next_due_at=None)
            .execution_options(synchronize_session=False)
        )
        queued = await self.s.execute(
            update(e)
            .where(has_lesson)
            .values(next_index=e.next_index + 1, next_due_at=next_due_at)
            .execution_options(synchronize_session=False)
        )
        counts = int(getattr(queued, "rowcount", 0)), int(getattr(completed, "rowcount", 0))
        if any(counts):
            wake_sender_on_commit(self.s)
        return counts
