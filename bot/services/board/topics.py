"""What becomes of a case's held posts: they go into its topic once Telegram has made it, or
into the staff chat's general thread if it cannot be made."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain.cases import Case
from bot.domain.outbox import OutboxItem, OutboxStatus
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.board.rows import TOPIC, topic_key


async def topics_made(
    uow_factory: UnitOfWorkFactory, items: Sequence[OutboxItem], now: datetime
) -> int:
    """A case's topic exists now: note its id and let the posts waiting for it go.
    Returns how many posts were let go (the sender should look again at once)."""
    released = 0
    for item in items:
        if item.kind != TOPIC:
            continue
        case_id = int(str(item.payload.get("case_id", 0)))
        async with uow_factory() as uow:
            found = await uow.holds.sent(item.key)
            if found is None or found[0] is not OutboxStatus.SENT or found[1] is None:
                continue
            await uow.cases.update(case_id, topic_id=found[1])
            released += await uow.holds.attach_topic(case_id, found[1])
            await uow.commit()
    return released


async def rescue_topicless(uow: UnitOfWork, case: Case, now: datetime) -> bool:
    """If the topic could not be made (not a forum, no rights), post in the chat itself:
    a case card in the general thread beats a card nobody sees."""
    found = await uow.holds.sent(topic_key(case.id))
    if case.topic_id is not None or found is None:
        return False
    if found[0] in (OutboxStatus.FAILED, OutboxStatus.BLOCKED):
        return await uow.holds.attach_topic(case.id, None) > 0
    return False
