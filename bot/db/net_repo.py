"""The safety net's memory in SQL: recent free text (encrypted, minutes long) and the direct
questions it asked. Shared by every instance: a child's two messages may reach two of them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import NetContextRow, NetQuestionRow
from bot.domain.asking import Answer
from bot.ports import Question


def _question(row: NetQuestionRow) -> Question:
    return Question(
        id=row.id,
        person_id=row.person_id,
        asked_at=row.asked_at,
        due_at=row.due_at,
        reason=row.reason,
        guardian=row.guardian,
        answer=Answer(row.answer) if row.answer else None,
        answered_at=row.answered_at,
    )


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


class SqlSafetyNetRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def remember(self, person_id: int, text: str, now: datetime) -> None:
        self.s.add(NetContextRow(person_id=person_id, at=now, body=text))
        await self.s.flush()

    async def earlier(self, person_id: int, since: datetime, limit: int) -> Sequence[str]:
        if limit <= 0:
            return []
        rows = await self.s.scalars(
            select(NetContextRow.body)
            .where(NetContextRow.person_id == person_id, NetContextRow.at >= since)
            .order_by(NetContextRow.at.desc(), NetContextRow.id.desc())
            .limit(limit)
        )
        return list(reversed(list(rows)))

    async def forget_before(self, before: datetime) -> int:
        result = await self.s.execute(
            delete(NetContextRow)
            .where(NetContextRow.at < before)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result)

    async def ask(
        self, person_id: int, reason: str, guardian: bool, now: datetime, due: datetime
    ) -> Question:
        row = NetQuestionRow(
            person_id=person_id, asked_at=now, due_at=due, reason=reason, guardian=guardian
        )
        self.s.add(row)
        await self.s.flush()
        return _question(row)

    async def last_asked(self, person_id: int) -> datetime | None:
        found: datetime | None = await self.s.scalar(
            select(NetQuestionRow.asked_at)
            .where(NetQuestionRow.person_id == person_id)
            .order_by(NetQuestionRow.asked_at.desc(), NetQuestionRow.id.desc())
            .limit(1)
        )
        return found

    async def pending(self, person_id: int) -> Question | None:
        row = await self.s.scalar(
            select(NetQuestionRow)
            .where(NetQuestionRow.person_id == person_id)
            .order_by(NetQuestionRow.asked_at.desc(), NetQuestionRow.id.desc())
            .limit(1)
        )
        return _question(row) if row is not None and row.answer is None else None

    async def question(self, question_id: int) -> Question | None:
        row = await self.s.get(NetQuestionRow, question_id)
        return _question(row) if row is not None else None

    async def settle(self, question_id: int, answer: Answer, now: datetime) -> bool:
        result = await self.s.execute(
            update(NetQuestionRow)
            .where(NetQuestionRow.id == question_id, NetQuestionRow.answer.is_(None))
            .values(answer=answer.value, answered_at=now)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    async def due(self, now: datetime, limit: int) -> Sequence[Question]:
        rows = await self.s.scalars(
            select(NetQuestionRow)
            .where(NetQuestionRow.answer.is_(None), NetQuestionRow.due_at <= now)
            .order_by(NetQuestionRow.due_at, NetQuestionRow.id)
            .limit(limit)
        )
        return [_question(r) for r in rows]
