"""The Sender port over the outbox: telling someone about what another person did (a child
told that their guardian agreed) is sent on the bot's own initiative, so it is durable too."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping

from bot.domain.outbox import NewMessage, Priority
from bot.domain.replies import Reply, reply_from_data, reply_to_data
from bot.ports import Clock, UnitOfWorkFactory

REPLY_KIND = "reply"


class OutboxSender:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, nudge: Callable[[], None] = lambda: None
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.nudge = nudge

    async def send(self, telegram_id: int, locale: str, reply: Reply) -> bool:
        async with self.uow() as uow:
            await uow.outbox.enqueue(
                [
                    NewMessage(
                        key=f"{REPLY_KIND}:{telegram_id}:{uuid.uuid4().hex}",
                        chat_id=telegram_id,
                        kind=REPLY_KIND,
                        priority=Priority.NOTICE,
                        locale=locale,
                        due_at=self.clock.now(),
                        payload=reply_to_data(reply),
                    )
                ]
            )
            await uow.commit()
        self.nudge()
        return True


async def compose_reply(
    uow: UnitOfWorkFactory, kind: str, payload: Mapping[str, object]
) -> Reply | None:
    """The outbox composer for queued replies."""
    try:
        return reply_from_data(payload)
    except (KeyError, TypeError, ValueError):
        return None
