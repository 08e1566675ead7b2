"""The dashboard's sign-in links and sessions in SQL, and the one list it needs that casework
does not already have (every referral)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.cases_repo import _referral
from bot.db.models import DashboardSessionRow, DashboardTokenRow, ReferralRow
from bot.ports import DashboardSession, Referral


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


class SqlDashboardRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add_token(
        self, token_hash: str, person_id: int, expires_at: datetime, now: datetime
    ) -> None:
        self.s.add(
            DashboardTokenRow(
                token_hash=token_hash, person_id=person_id, created_at=now, expires_at=expires_at
            )
        )
        await self.s.flush()

    async def token_holder(self, token_hash: str, now: datetime) -> int | None:
        found = await self.s.scalar(
            select(DashboardTokenRow.person_id).where(
                DashboardTokenRow.token_hash == token_hash,
                DashboardTokenRow.used_at.is_(None),
                DashboardTokenRow.expires_at > now,
            )
        )
        return int(found) if found is not None else None

    async def use_token(self, token_hash: str, now: datetime) -> int | None:
        # One conditional UPDATE: of two requests with the same token, the database lets
        # exactly one change the row (the other finds used_at already set).
        result = await self.s.execute(
            update(DashboardTokenRow)
            .where(
                DashboardTokenRow.token_hash == token_hash,
                DashboardTokenRow.used_at.is_(None),
                DashboardTokenRow.expires_at > now,
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(result) != 1:
            return None
        found = await self.s.scalar(
            select(DashboardTokenRow.person_id).where(DashboardTokenRow.token_hash == token_hash)
        )
        return int(found) if found is not None else None

    async def add_session(
        self, session_hash: str, person_id: int, locale: str, expires_at: datetime, now: datetime
    ) -> None:
        self.s.add(
            DashboardSessionRow(
                session_hash=session_hash,
                person_id=person_id,
                locale=locale,
                created_at=now,
                expires_at=expires_at,
            )
        )
        await self.s.flush()

    async def session(self, session_hash: str, now: datetime) -> DashboardSession | None:
        row = await self.s.scalar(
            select(DashboardSessionRow).where(
                DashboardSessionRow.session_hash == session_hash,
                DashboardSessionRow.expires_at > now,
            )
        )
        return DashboardSession(row.person_id, row.locale, row.expires_at) if row else None

    async def set_locale(self, session_hash: str, locale: str) -> None:
        await self.s.execute(
            update(DashboardSessionRow)
            .where(DashboardSessionRow.session_hash == session_hash)
            .values(locale=locale)
        )

    async def end_session(self, session_hash: str) -> None:
        await self.s.execute(
            delete(DashboardSessionRow).where(DashboardSessionRow.session_hash == session_hash)
        )

    async def end_sessions_of(self, person_id: int) -> int:
        result = await self.s.execute(
            delete(DashboardSessionRow).where(DashboardSessionRow.person_id == person_id)
        )
        return _rowcount(result)

    async def prune(self, now: datetime) -> int:
        sessions = await self.s.execute(
            delete(DashboardSessionRow).where(DashboardSessionRow.expires_at <= now)
        )
        tokens = await self.s.execute(
            delete(DashboardTokenRow).where(
                or_(DashboardTokenRow.expires_at <= now, DashboardTokenRow.used_at.is_not(None))
            )
        )
        return _rowcount(sessions) + _rowcount(tokens)

    async def referrals(self, limit: int) -> Sequence[Referral]:
        rows = await self.s.scalars(
            select(ReferralRow)
            .order_by(ReferralRow.updated_at.desc(), ReferralRow.id.desc())
            .limit(limit)
        )
        return [_referral(r) for r in rows]
