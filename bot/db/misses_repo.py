"""Missed-risk reports in SQL, and the two lookups recording one needs: the case post a
counsellor replied to (by its Telegram message id) and the person's messages in the case."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CaseMessageRow, CaseRow, MissedRiskRow, OutboxRow
from bot.domain.misses import Inbound
from bot.domain.outbox import OutboxStatus
from bot.domain.triage import RiskLevel
from bot.ports import Miss, NewMiss, Relayed

# The outbox kinds of case posts (bot/services/board.py): the words in, the card, media in.
CASE_POSTS = ("case_in", "case_post", "case_copy")


def _split(categories: str) -> tuple[str, ...]:
    return tuple(c for c in categories.split(",") if c)


class SqlMissRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def relayed(self, chat_id: int, message_id: int) -> Relayed | None:
        row = (
            await self.s.execute(
                select(OutboxRow.kind, OutboxRow.key, OutboxRow.payload).where(
                    OutboxRow.chat_id == chat_id,
                    OutboxRow.message_id == message_id,
                    OutboxRow.kind.in_(CASE_POSTS),
                    OutboxRow.status == OutboxStatus.SENT.value,
                )
            )
        ).first()
        if row is None or not isinstance(row.payload, dict):
            return None
        case_id = row.payload.get("case_id")
        if not isinstance(case_id, int):
            return None
        return Relayed(case_id, row.kind, row.key, dict(row.payload))

    async def inbound(self, case_id: int) -> Sequence[Inbound]:
        rows = await self.s.execute(
            select(CaseMessageRow.id, CaseMessageRow.body)
            .where(CaseMessageRow.case_id == case_id, CaseMessageRow.direction == "in")
            .order_by(CaseMessageRow.id)
        )
        return [Inbound(i, body) for i, body in rows if body]

    async def record(self, miss: NewMiss) -> bool:
        values = {
            "case_id": miss.case_id,
            "at": miss.at,
            "reported_by": miss.reported_by,
            "level": miss.level.value,
            "categories": ",".join(miss.categories)[:200],
            "given_level": miss.given_level.value,
            "given_categories": ",".join(miss.given_categories)[:200],
            "case_tier": miss.case_tier.value,
            "body": miss.body,
            "note": miss.note,
        }
        # One report per message (a unique index): a second word on it replaces the first.
        found = await self.s.execute(
            update(MissedRiskRow)
            .where(MissedRiskRow.case_message_id == miss.case_message_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if getattr(found, "rowcount", 0):
            return False
        self.s.add(MissedRiskRow(case_message_id=miss.case_message_id, **values))
        await self.s.flush()
        return True

    async def since(self, since: datetime, limit: int) -> Sequence[Miss]:
        rows = await self.s.execute(
            select(MissedRiskRow, CaseRow.person_id)
            .join(CaseRow, CaseRow.id == MissedRiskRow.case_id)
            .where(MissedRiskRow.at >= since, MissedRiskRow.body != "")
            .order_by(MissedRiskRow.at, MissedRiskRow.id)
            .limit(limit)
        )
        return [
            Miss(
                at=r.at,
                level=RiskLevel(r.level),
                categories=_split(r.categories),
                given_level=RiskLevel(r.given_level),
                given_categories=_split(r.given_categories),
                case_tier=r.case_tier,
                body=r.body,
                note=r.note,
                subject_id=person_id,
            )
            for r, person_id in rows
        ]

    async def times(self, since: datetime, until: datetime) -> Sequence[datetime]:
        rows = await self.s.scalars(
            select(MissedRiskRow.at)
            .where(MissedRiskRow.at >= since, MissedRiskRow.at < until)
            .order_by(MissedRiskRow.at)
        )
        return list(rows)
