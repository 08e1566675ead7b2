"""The inbox: each update from Telegram, stored before it is acknowledged or handled."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import InboxRow, InstanceRow
from bot.db.outbox_repo import insert_ignoring, insert_ignoring_duplicates
from bot.domain.clock import utcnow

RECEIVED = "received"
HANDLING = "handling"
DONE = "done"
FAILED = "failed"

# The table, not the mapped class: an ORM bulk insert costs as much again in Python.
_INBOX = cast(Table, InboxRow.__table__)


def _rows(
    updates: Sequence[tuple[int, str]],
    now: datetime,
    status: str,
    attempts: int,
    owner: int | None,
) -> list[dict[str, object]]:
    return [
        {
            "update_id": update_id,
            "received_at": now,
            "status": status,
            "attempts": attempts,
            "owner": owner,
            "payload": raw,
        }
        for update_id, raw in updates
    ]


class SqlInboxRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def store(self, updates: Sequence[tuple[int, str]], now: datetime) -> int:
        rows = _rows(updates, now, RECEIVED, 0, None)
        return await insert_ignoring_duplicates(self.s, _INBOX, rows, "update_id")

    async def store_handling(
        self, updates: Sequence[tuple[int, str]], now: datetime, owner: int | None
    ) -> Sequence[int]:
        if not updates:
            return []
        stmt = insert_ignoring(self.s, _INBOX, "update_id").returning(_INBOX.c.update_id)
        result = await self.s.execute(stmt, _rows(updates, now, HANDLING, 1, owner))
        return sorted(int(i) for i in result.scalars())

    async def claim(self, limit: int, owner: int | None = None) -> Sequence[tuple[int, str, int]]:
        # SKIP LOCKED lets several instances take turns on PostgreSQL; SQLite has one writer.
        oldest = (
            select(InboxRow.update_id)
            .where(InboxRow.status == RECEIVED)
            .order_by(InboxRow.update_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = await self.s.execute(
            update(InboxRow)
            .where(InboxRow.update_id.in_(oldest.scalar_subquery()))
            .values(status=HANDLING, attempts=InboxRow.attempts + 1, owner=owner)
            .returning(InboxRow.update_id, InboxRow.payload, InboxRow.attempts)
            .execution_options(synchronize_session=False)
        )
        return sorted((int(r[0]), str(r[1] or ""), int(r[2])) for r in rows)

    async def done(self, update_ids: Sequence[int], now: datetime) -> None:
        if not update_ids:
            return
        await self.s.execute(
            update(InboxRow)
            .where(InboxRow.update_id.in_(list(update_ids)))
            .values(status=DONE, handled_at=now, payload=None, error=None)
            .execution_options(synchronize_session=False)
        )

    async def failed(self, update_id: int, error: str, give_up: bool) -> None:
        values: dict[str, object] = {"status": FAILED if give_up else RECEIVED, "error": error}
        if give_up:
            values["payload"] = None  # nothing more will read the person's words
        await self.s.execute(
            update(InboxRow)
            .where(InboxRow.update_id == update_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def requeue_orphaned(self) -> int:
        # Read inside the statement: an instance that registered a moment ago is there already
        # (it registers before it claims), so its fresh work is never taken from it.
        live = select(InstanceRow.id)
        result = await self.s.execute(
            update(InboxRow)
            .where(
                InboxRow.status == HANDLING,
                InboxRow.owner.is_(None) | InboxRow.owner.not_in(live),
            )
            .values(status=RECEIVED, owner=None)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def prune(self, before: datetime) -> int:
        result = await self.s.execute(
            delete(InboxRow).where(
                InboxRow.status.in_((DONE, FAILED)), InboxRow.received_at < before
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def counts(self) -> Mapping[str, int]:
        rows = await self.s.execute(
            select(InboxRow.status, func.count()).group_by(InboxRow.status)
        )
        return {str(status): int(n) for status, n in rows}

    async def try_write(self, owner: int | None) -> None:
        # A row like a stored update's, under an id Telegram never uses (negative, one per
        # instance, so that probes of several instances never wait for each other's row).
        row = _rows([(-1 - (owner or 0), "")], utcnow(), "probe", 0, owner)
        await self.s.execute(_INBOX.insert(), row)
