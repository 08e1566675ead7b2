"""A case's own rows: its forum topic, the posts into it (held until the topic exists), and a
counsellor's words out to the person."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from bot.domain.cases import Case
from bot.domain.outbox import NewMessage, Priority
from bot.domain.replies import Reply, reply_to_data
from bot.ports import UnitOfWork
from bot.services.board.rows import (
    COPY,
    LINE_COST,
    MERGE_LIMIT,
    POST,
    RELAY_IN,
    RELAY_OUT,
    RENAME,
    TOPIC,
    case_key,
    pieces,
)


class CasePosts:
    def __init__(self, staff_locale: str) -> None:
        self.locale = staff_locale

    async def open_topic(self, uow: UnitOfWork, case: Case, now: datetime) -> None:
        await self._queue(uow, case, TOPIC, {}, now, Priority.ALERT, what="topic")

    async def post(
        self,
        uow: UnitOfWork,
        case: Case,
        reply: Reply,
        now: datetime,
        priority: Priority = Priority.STAFF,
        what: str = "",
    ) -> None:
        await self._queue(uow, case, POST, {"reply": reply_to_data(reply)}, now, priority, what)

    async def relay_in(self, uow: UnitOfWork, case: Case, line: str, now: datetime) -> None:
        """The person's words into the topic; merged into an unsent post if there is one."""
        for piece in pieces(line):
            if await uow.holds.append(case.id, RELAY_IN, piece, MERGE_LIMIT, LINE_COST):
                continue
            await self._queue(uow, case, RELAY_IN, {"lines": [piece]}, now, Priority.RELAY)

    async def copy_in(
        self, uow: UnitOfWork, case: Case, from_chat: int, message_id: int, now: datetime
    ) -> None:
        payload = {"from_chat": from_chat, "message_id": message_id}
        await self._queue(uow, case, COPY, payload, now, Priority.RELAY)

    async def rename(self, uow: UnitOfWork, case: Case, now: datetime) -> None:
        if case.topic_id is not None:
            await self._queue(uow, case, RENAME, {}, now)

    async def to_person(
        self,
        uow: UnitOfWork,
        case: Case,
        telegram_id: int,
        locale: str,
        now: datetime,
        reply: Reply | None = None,
        copy: tuple[int, int] | None = None,
        key: str = "",
    ) -> int:
        """A counsellor's words or media to the person: first in line, never forwarded.
        Returns 0 if a message with this `key` was queued before (a ✅ pressed twice)."""
        payload: dict[str, object] = {"case_id": case.id}
        if reply is not None:
            payload["reply"] = reply_to_data(reply)
        if copy is not None:
            payload["from_chat"], payload["message_id"] = copy
        return await uow.outbox.enqueue(
            [
                NewMessage(
                    key=case_key(case.id, f"out:{key or uuid.uuid4().hex}"),
                    chat_id=telegram_id,
                    kind=RELAY_OUT,
                    priority=Priority.RELAY,
                    locale=locale,
                    due_at=now,
                    payload=payload,
                    person_id=case.person_id,
                )
            ]
        )

    async def _queue(
        self,
        uow: UnitOfWork,
        case: Case,
        kind: str,
        payload: Mapping[str, object],
        now: datetime,
        priority: Priority = Priority.STAFF,
        what: str = "",
    ) -> str:
        """A row into the case's topic; held while the topic is still being made."""
        key = case_key(case.id, what or f"{kind}:{uuid.uuid4().hex}")
        await uow.outbox.enqueue(
            [
                NewMessage(
                    key=key,
                    chat_id=case.staff_chat_id,
                    thread_id=case.topic_id,
                    kind=kind,
                    priority=priority,
                    locale=self.locale,
                    due_at=now,
                    payload={"case_id": case.id, **payload},
                )
            ]
        )
        if case.topic_id is None and kind != TOPIC:
            await uow.holds.hold_keys([key])
        return key
