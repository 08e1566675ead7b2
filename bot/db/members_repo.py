"""Who the bot has seen in its staff groups (see ChatMemberRow)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ChatMemberRow
from bot.ports import SeenMember


class SqlMemberRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def seen(
        self,
        chat_id: int,
        telegram_id: int,
        now: datetime,
        present: bool,
        admin: bool | None,
        update_id: int | None = None,
    ) -> None:
        changes: dict[str, Any] = {"present": present, "seen_at": now}
        if admin is not None or not present:
            changes["admin"] = bool(admin)  # someone who left is nobody's administrator
        values = {
            "chat_id": chat_id,
            "telegram_id": telegram_id,
            "admin": bool(admin),
            "update_id": update_id,
            **changes,
        }
        dialect = self.s.bind.dialect.name if self.s.bind else "sqlite"
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(ChatMemberRow).values(**values)
        known = ChatMemberRow.update_id
        if update_id is not None:
            changes["update_id"] = update_id
        await self.s.execute(
            statement.on_conflict_do_update(
                index_elements=["chat_id", "telegram_id"],
                set_=changes,
                where=or_(
                    statement.excluded.update_id.is_(None),
                    known.is_(None),
                    statement.excluded.update_id > known,
                ),
            )
        )

    async def admins_are(self, chat_id: int, telegram_ids: Sequence[int], now: datetime) -> None:
        listed = list(dict.fromkeys(telegram_ids))
        demoted = update(ChatMemberRow).where(
            ChatMemberRow.chat_id == chat_id, ChatMemberRow.admin.is_(True)
        )
        if listed:
            demoted = demoted.where(ChatMemberRow.telegram_id.not_in(listed))
        await self.s.execute(
            demoted.values(admin=False).execution_options(synchronize_session=False)
        )
        for telegram_id in listed:
            await self.seen(chat_id, telegram_id, now, present=True, admin=True)

    async def present(self, chat_id: int) -> Sequence[SeenMember]:
        rows = await self.s.execute(
            select(ChatMemberRow.telegram_id, ChatMemberRow.admin, ChatMemberRow.seen_at)
            .where(ChatMemberRow.chat_id == chat_id, ChatMemberRow.present.is_(True))
            .order_by(ChatMemberRow.telegram_id)
        )
        return [SeenMember(t, bool(a), at) for t, a, at in rows]
