"""The outbox: durable, idempotent by key, claimed most-urgent-first."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any
from typing import cast as cast_table

from sqlalchemy import Table, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import InstanceRow, OutboxRow, PersonRow
from bot.domain.outbox import NewMessage, OutboxItem, OutboxStatus, Priority
from bot.domain.people import PersonStatus

# Set on a session whose transaction made outbox rows due; its unit of work wakes the sender
# when it commits (bot/db/uow.py), so no use case has to remember to.
WAKE_SENDER = "xq_wake_sender"


def wake_sender_on_commit(session: AsyncSession) -> None:
    session.info[WAKE_SENDER] = True


def insert_ignoring(session: AsyncSession, table: Any, unique: str | tuple[str, ...]) -> Any:
    """INSERT … ON CONFLICT DO NOTHING on either backend (a statement, to add RETURNING to)."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    columns = [unique] if isinstance(unique, str) else list(unique)
    return insert(table).on_conflict_do_nothing(index_elements=columns)


async def insert_ignoring_duplicates(
    session: AsyncSession,
    table: Any,
    rows: Sequence[dict[str, Any]],
    unique: str | tuple[str, ...],
) -> int:
    """Insert the rows not already there; returns how many were new."""
    if not rows:
        return 0
    result = await session.execute(insert_ignoring(session, table, unique), list(rows))
    return int(getattr(result, "rowcount", 0) or 0)


def _table() -> Table:
    return cast_table(Table, OutboxRow.__table__)


# What a claim reads back: OutboxItem's fields, in its order.
_ITEM_FIELDS = (
    "id",
    "key",
    "chat_id",
    "thread_id",
    "person_id",
    "priority",
    "kind",
    "payload",
    "locale",
    "attempts",
    "due_at",
)


class SqlOutboxRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def enqueue(self, messages: Sequence[NewMessage]) -> int:
        rows = [
            {
                "key": m.key,
                "chat_id": m.chat_id,
                "thread_id": m.thread_id,
                "person_id": m.person_id,
                "priority": int(m.priority),
                "kind": m.kind,
                "payload": dict(m.payload),
                "locale": m.locale,
                "status": OutboxStatus.PENDING.value,
                "attempts": 0,
                "due_at": m.due_at,
                "created_at": m.due_at,
            }
            for m in messages
        ]
        if rows:
            wake_sender_on_commit(self.s)
        return await insert_ignoring_duplicates(
            self.s,
            OutboxRow.__table__,
            rows,
            "key",
        )

    async def claim(
        self,
        now: datetime,
        limit: int,
        owner: int | None = None,
        closed: Collection[int] = (),
        alerts_only: Collection[int] = (),
    ) -> Sequence[OutboxItem]:
        """Mark up to `limit` due rows 'sending' and return them, most urgent first.

        Rows to `closed` chats (no budget left right now) stay unclaimed, and to `alerts_only`
        chats only alerts are claimed: a claimed row holds its chat's one place in flight, so
        a relay waiting for the group's next token would hold back a new case's card.

        Unsolicited rows (notices, lessons) to a person who said /stop or whose data is gone
        are cancelled here, at the last moment before sending: whatever queued them earlier.

        Core statements, no ORM objects: at broadcast rates this runs every second or so.
        """
        while True:
            items = await self._claim_once(now, limit, owner, closed, alerts_only)
            wanted = await self._drop_unwanted(items)
            if wanted or not items:  # all cancelled must not read as "nothing due"
                return wanted

    async def _claim_once(
        self,
        now: datetime,
        limit: int,
        owner: int | None,
        closed: Collection[int],
        alerts_only: Collection[int],
    ) -> list[OutboxItem]:
        table = _table()
        c = table.c
        order = (c.priority, c.due_at, c.id)
        # A chat with a message in flight waits: its messages go out one at a time, in order.
        busy = select(c.chat_id).where(c.status == OutboxStatus.SENDING.value)
        conditions = [
            c.status == OutboxStatus.PENDING.value,
            c.due_at <= now,
            c.chat_id.not_in(busy),
        ]
        # So does a chat whose row waits to be tried again: that row keeps its place (a newer
        # post of the same case must not overtake it), and only what is more urgent goes
        # first. Asked apart (a handful of rows, by their own index): as a correlated
        # subquery it cost SQLite its ordered index walk and halved a broadcast's rate.
        waiting = await self.s.execute(
            select(c.chat_id, func.min(c.priority))
            .where(c.not_before > now, c.status == OutboxStatus.PENDING.value)
            .group_by(c.chat_id)
        )
        conditions += [
            or_(c.chat_id != chat_id, c.priority < priority) for chat_id, priority in waiting
        ]
        if closed:
            conditions.append(c.chat_id.not_in(list(closed)))
        if alerts_only:
            conditions.append(
                or_(c.chat_id.not_in(list(alerts_only)), c.priority <= int(Priority.ALERT))
            )
        due = await self.s.execute(
            select(c.id, c.chat_id)
            .where(*conditions)
            .order_by(*order)
            .limit(limit)
            # PostgreSQL: several senders never claim the same row; SQLite ignores this.
            .with_for_update(skip_locked=True)
        )
        # One message per chat per claim keeps each chat's order without a per-chat lock.
        ids: list[int] = []
        seen: set[int] = set()
        for row_id, chat_id in due:
            if chat_id not in seen:
                seen.add(chat_id)
                ids.append(row_id)
        if not ids:
            return []
        rows = await self.s.execute(
            update(table)
            .where(c.id.in_(ids), c.status == OutboxStatus.PENDING.value)
            .values(
                status=OutboxStatus.SENDING.value,
                claimed_at=now,
                claimed_by=owner,
                attempts=c.attempts + 1,
            )
            .returning(*(c[name] for name in _ITEM_FIELDS))
        )
        items = [
            OutboxItem(
                id=row.id,
                key=row.key,
                chat_id=row.chat_id,
                thread_id=row.thread_id,
                person_id=row.person_id,
                priority=Priority(row.priority),
                kind=row.kind,
                payload=row.payload,
                locale=row.locale,
                attempts=row.attempts,
                due_at=row.due_at,
            )
            for row in rows
        ]
        items.sort(key=lambda i: (i.priority, i.due_at, i.id))
        return items

    async def _drop_unwanted(self, items: list[OutboxItem]) -> list[OutboxItem]:
        asked = {i.chat_id for i in items if i.priority.unsolicited and i.chat_id > 0}
        if not asked:
            return items
        wanted = set(
            await self.s.scalars(
                select(PersonRow.telegram_id).where(
                    PersonRow.telegram_id.in_(asked),
                    PersonRow.status != PersonStatus.STOPPED.value,
                )
            )
        )
        unwanted = [i.id for i in items if i.chat_id in asked - wanted and i.priority.unsolicited]
        if not unwanted:
            return items
        await self.s.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(unwanted))
            .values(status=OutboxStatus.CANCELLED.value, last_error="stopped or erased")
            .execution_options(synchronize_session=False)
        )
        gone = set(unwanted)
        return [i for i in items if i.id not in gone]

    async def cancel_unsolicited(self, chat_id: int) -> int:
        """The person said /stop: nothing queued on our own initiative goes to them."""
        result = await self.s.execute(
            update(OutboxRow)
            .where(
                OutboxRow.chat_id == chat_id,
                OutboxRow.status.in_((OutboxStatus.PENDING.value, OutboxStatus.HELD.value)),
                OutboxRow.priority >= int(Priority.NOTICE),
            )
            .values(status=OutboxStatus.CANCELLED.value, last_error="stopped")
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def backlog(self, chat_ids: Sequence[int], now: datetime) -> Mapping[int, int]:
        """Rows due and waiting for each of these chats: how far behind a staff group is."""
        if not chat_ids:
            return {}
        rows = await self.s.execute(
            select(OutboxRow.chat_id, func.count())
            .where(
                OutboxRow.chat_id.in_(list(chat_ids)),
                OutboxRow.status.in_((OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)),
                OutboxRow.due_at <= now,
                or_(OutboxRow.not_before.is_(None), OutboxRow.not_before <= now),
            )
            .group_by(OutboxRow.chat_id)
        )
        return {int(chat): int(n) for chat, n in rows}

    async def mark_sent_many(self, sent: Sequence[tuple[int, int | None]], now: datetime) -> None:
        if not sent:
            return
        table = _table()
        # Core, not ORM bulk-by-primary-key: one executemany with our own bind names.
        await self.s.execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(
                status=OutboxStatus.SENT.value,
                sent_at=now,
                last_error=None,
                message_id=bindparam("msg_id"),
            ),
            [{"row_id": row_id, "msg_id": msg_id} for row_id, msg_id in sent],
        )

    async def retry(self, item_id: int, not_before: datetime, error: str) -> None:
        # due_at stays: it is the row's place in line.
        await self._set(
            item_id,
            status=OutboxStatus.PENDING.value,
            not_before=not_before,
            last_error=error[:200],
        )

    async def give_up(self, item_id: int, status: OutboxStatus, error: str) -> None:
        await self._set(item_id, status=status.value, last_error=error[:200])

    async def block_chat(self, chat_id: int, error: str) -> int:
        result = await self.s.execute(
            update(OutboxRow)
            .where(
                OutboxRow.chat_id == chat_id,
                OutboxRow.status.in_((OutboxStatus.PENDING.value, OutboxStatus.HELD.value)),
            )
            .values(status=OutboxStatus.BLOCKED.value, last_error=error[:200])
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def requeue_orphaned(self, unowned_before: datetime) -> int:
        """Rows left 'sending' by an instance that is gone go back to the queue; rows claimed
        by no instance (a command-line run) only once claimed before `unowned_before`."""
        live = select(InstanceRow.id)
        result = await self.s.execute(
            update(OutboxRow)
            .where(
                OutboxRow.status == OutboxStatus.SENDING.value,
                (OutboxRow.claimed_by.is_(None) & (OutboxRow.claimed_at < unowned_before))
                | OutboxRow.claimed_by.not_in(live),
            )
            .values(status=OutboxStatus.PENDING.value, claimed_by=None)
            .execution_options(synchronize_session=False)
        )
        count = int(getattr(result, "rowcount", 0) or 0)
        if count:
            wake_sender_on_commit(self.s)
        return count

    async def counts(self) -> Mapping[str, int]:
        rows = await self.s.execute(
            select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
        )
        return {status: int(n) for status, n in rows}

    async def pending_by_priority(self) -> Mapping[int, int]:
        waiting = (OutboxStatus.PENDING.value, OutboxStatus.HELD.value)
        rows = await self.s.execute(
            select(OutboxRow.priority, func.count())
            .where(OutboxRow.status.in_(waiting))
            .group_by(OutboxRow.priority)
        )
        return {int(priority): int(n) for priority, n in rows}

    async def _set(self, item_id: int, **values: Any) -> None:
        await self.s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == item_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
