"""The Sender port over the outbox: telling someone about what another person did (a child
told that their guardian agreed) is sent on the bot's own initiative, so it is durable too."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta

from bot.domain.outbox import NewMessage, Priority
from bot.domain.replies import Reply, reply_from_data, reply_to_data
from bot.ports import Clock, UnitOfWorkFactory
from bot.services.outbox.kinds import RowKinds

REPLY_KIND = "reply"


class OutboxSender:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow = uow
        self.clock = clock

    async def send(self, telegram_id: int, locale: str, reply: Reply) -> bool:
        await self._queue(telegram_id, locale, [reply], None, Priority.NOTICE)
        return True

    async def send_later(
        self, chat_id: int, locale: str, replies: Sequence[Reply], thread_id: int | None = None
    ) -> None:
        # Ahead of notices and lessons: someone asked and is waiting for these.
        await self._queue(chat_id, locale, replies, thread_id, Priority.INTERACTIVE)

    async def _queue(
        self,
        chat_id: int,
        locale: str,
        replies: Sequence[Reply],
        thread_id: int | None,
        priority: Priority,
    ) -> None:
        now = self.clock.now()
        async with self.uow() as uow:
            # The outbox sends several at once; a second apart keeps one chat's answers in
            # the order they were written (unless the first is refused again).
            await uow.outbox.enqueue(
                [
                    NewMessage(
                        key=f"{REPLY_KIND}:{chat_id}:{uuid.uuid4().hex}",
                        chat_id=chat_id,
                        thread_id=thread_id,
                        kind=REPLY_KIND,
                        priority=priority,
                        locale=locale,
                        due_at=now + timedelta(seconds=n),
                        payload=reply_to_data(reply),
                    )
                    for n, reply in enumerate(replies)
                ]
            )
            await uow.commit()


async def compose_reply(
    uow: UnitOfWorkFactory, kind: str, payload: Mapping[str, object]
) -> Reply | None:
    """The outbox composer for queued replies."""
    try:
        return reply_from_data(payload)
    except (KeyError, TypeError, ValueError):
        return None


# Queued replies (this module) and anything else that queues a plain Reply as its payload.
REPLIES = RowKinds((REPLY_KIND,), compose_reply)
