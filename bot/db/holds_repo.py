"""Outbox rows that wait: for a case's forum topic to exist, or for a case to close.

Case rows carry keys `case:<id>:...`, so everything that belongs to one case is found by prefix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CaseRow, OutboxRow
from bot.db.outbox_repo import wake_sender_on_commit
from bot.domain.lengths import units
from bot.domain.outbox import OutboxStatus
from bot.ports import Keyboarded

PENDING = OutboxStatus.PENDING.value
HELD = OutboxStatus.HELD.value


def case_prefix(case_id: int) -> str:
    return f"case:{case_id}:"


class SqlHoldRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def hold_chat(self, chat_id: int, kinds: Sequence[str]) -> int:
        result = await self.s.execute(
            update(OutboxRow)
            .where(
                OutboxRow.chat_id == chat_id,
                OutboxRow.status == PENDING,
                OutboxRow.kind.in_(kinds),
            )
            .values(status=HELD)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def hold_keys(self, keys: Sequence[str]) -> int:
        if not keys:
            return 0
        result = await self.s.execute(
            update(OutboxRow)
            .where(OutboxRow.key.in_(keys), OutboxRow.status == PENDING)
            .values(status=HELD)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def hold_during_cases(self, keys: Sequence[str]) -> int:
        if not keys:
            return 0
        in_case = select(CaseRow.person_id).where(CaseRow.status != "closed")
        result = await self.s.execute(
            update(OutboxRow)
            .where(
                OutboxRow.key.in_(keys),
                OutboxRow.status == PENDING,
                OutboxRow.person_id.in_(in_case),
            )
            .values(status=HELD)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def release_chat(self, chat_id: int, kinds: Sequence[str]) -> int:
        # due_at is kept: a check-in due in nine days must not go the moment a case closes.
        result = await self.s.execute(
            update(OutboxRow)
            .where(
                OutboxRow.chat_id == chat_id,
                OutboxRow.status == HELD,
                OutboxRow.kind.in_(kinds),
            )
            .values(status=PENDING)
        )
        return _woke(self.s, result)

    async def attach_topic(self, case_id: int, topic_id: int | None) -> int:
        result = await self.s.execute(
            update(OutboxRow)
            .where(OutboxRow.key.startswith(case_prefix(case_id)), OutboxRow.status == HELD)
            .values(status=PENDING, thread_id=topic_id)
        )
        return _woke(self.s, result)

    async def append(
        self, case_id: int, kind: str, line: str, limit: int, per_line: int = 0
    ) -> bool:
        found = await self.s.scalar(
            select(OutboxRow.id)
            .where(
                OutboxRow.key.startswith(case_prefix(case_id)),
                OutboxRow.kind == kind,
                OutboxRow.status.in_((PENDING, HELD)),
            )
            .order_by(OutboxRow.id.desc())
            .limit(1)
        )
        if found is None:
            return False
        # Take the row's write lock before reading it: two messages from the same child are
        # handled at once, and a read-then-write without the lock loses one of them (SQLite
        # starts its transaction only at the first write; PostgreSQL holds the row).
        locked = await self.s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == found, OutboxRow.status.in_((PENDING, HELD)))
            .values(status=OutboxRow.status)
        )
        if not getattr(locked, "rowcount", 0):
            return False  # the sender took it meanwhile
        row = (
            await self.s.execute(
                select(OutboxRow.payload, OutboxRow.status)
                .where(OutboxRow.id == found)
                .execution_options(populate_existing=True)
            )
        ).first()
        if row is None or row.status not in (PENDING, HELD):
            return False
        payload = dict(row.payload or {})
        lines = [str(x) for x in payload.get("lines") or []]
        # Telegram counts UTF-16 units, and each line brings its prefix: a burst of short
        # lines counted by characters alone merged into a post Telegram refused (400).
        if sum(units(x) + per_line for x in [*lines, line]) > limit:
            return False
        payload["lines"] = [*lines, line]
        await self.s.execute(
            update(OutboxRow).where(OutboxRow.id == found).values(payload=payload)
        )
        wake_sender_on_commit(self.s)
        return True

    async def sent(self, key: str) -> tuple[OutboxStatus, int | None] | None:
        row = (
            await self.s.execute(
                select(OutboxRow.status, OutboxRow.message_id).where(OutboxRow.key == key)
            )
        ).first()
        return (OutboxStatus(row.status), row.message_id) if row else None

    async def keyboarded(self, prefixes: Sequence[str]) -> list[Keyboarded]:
        # The payload is encrypted at rest: the buttons are read here, not in SQL.
        found = await self.s.execute(
            select(
                OutboxRow.id,
                OutboxRow.key,
                OutboxRow.chat_id,
                OutboxRow.status,
                OutboxRow.message_id,
                OutboxRow.payload,
            )
            .where(or_(*(OutboxRow.key.startswith(p, autoescape=True) for p in prefixes)))
            .order_by(OutboxRow.id)
        )
        out = []
        for row in found:
            actions = tuple(
                str(c.get("action", ""))
                for line in _reply(row.payload).get("choices") or ()
                for c in line
            )
            if actions:
                out.append(
                    Keyboarded(
                        row.id,
                        row.key,
                        row.chat_id,
                        OutboxStatus(row.status),
                        row.message_id,
                        actions,
                    )
                )
        return out

    async def keyboarded_before(
        self, chat_id: int, row_id: int, skip_prefixes: Sequence[str], limit: int = 3
    ) -> list[Keyboarded]:
        # Each background post takes the buttons off those before it, so only the last few
        # can still carry any: reading (and decrypting) a chat's whole history is not needed.
        found = await self.s.execute(
            select(OutboxRow.id, OutboxRow.key, OutboxRow.message_id, OutboxRow.payload)
            .where(
                OutboxRow.chat_id == chat_id,
                OutboxRow.id < row_id,
                OutboxRow.status == OutboxStatus.SENT.value,
                OutboxRow.message_id.is_not(None),
                *(~OutboxRow.key.startswith(p, autoescape=True) for p in skip_prefixes),
            )
            .order_by(OutboxRow.id.desc())
            .limit(limit)
        )
        out = []
        for row in found:
            reply = _reply(row.payload)
            actions = tuple(
                str(c.get("action", "")) for line in reply.get("choices") or () for c in line
            )
            # A lesson or check-in is composed when sent: its row holds no buttons to read, so
            # it may carry some until it is known to have lost them (clear_keyboard).
            if actions or "choices" not in reply:
                out.append(
                    Keyboarded(
                        row.id, row.key, chat_id, OutboxStatus.SENT, row.message_id, actions
                    )
                )
        return out

    async def clear_keyboard(self, row_id: int) -> None:
        stored = (
            await self.s.execute(select(OutboxRow.payload).where(OutboxRow.id == row_id))
        ).scalar_one_or_none()
        if stored is None:
            return
        payload = dict(stored)
        if isinstance(payload.get("reply"), dict):
            payload["reply"] = {**payload["reply"], "choices": []}
        else:
            payload["choices"] = []
        await self.s.execute(
            update(OutboxRow).where(OutboxRow.id == row_id).values(payload=payload)
        )


def _reply(payload: Any) -> dict[str, Any]:
    """The reply an outbox row sends: a case post nests it, a direct message is one."""
    if not isinstance(payload, dict):
        return {}
    nested = payload.get("reply")
    return nested if isinstance(nested, dict) else payload


def _woke(session: AsyncSession, result: Any) -> int:
    """Rows made due wake the sender when the unit of work commits."""
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        wake_sender_on_commit(session)
    return count
