"""Old buttons go when the bot posts into a private chat by itself (issue 19).

A lesson, a check-in, a reminder, a screening invitation or a counsellor's words arrive in the
background; the buttons of the bot's earlier background post in that chat (last week's
check-in, an unanswered invitation) belong to a moment that has passed, and a press on them
would act on it. After each batch, the earlier posts in those chats that still carry buttons
lose them: an edit queued through the outbox like any other message, so it waits its turn
behind crisis relays and within Telegram's limits, and the row forgets its buttons so it is
never edited twice. A staff member's direct message about a waiting case keeps its ✋: the
case work decides about those (bot/services/casework.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.domain.outbox import NewMessage, OutboxItem, Priority, Unbutton
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.outbox.kinds import RowKinds

UNBUTTON_KIND = "unbutton"
# Rows whose buttons are somebody else's to manage: a staff member's direct message about a
# case, and these edits themselves. And a lesson's "next" button: it only reads on, so it is
# never stale, and a grandmother who had not read last week's lesson when the check-in came
# would otherwise be left holding its first part with no way to read the rest.
KEPT = ("dm:", f"{UNBUTTON_KIND}:", "lesson:")
# Rows that make nothing stale by arriving: the same, but a new lesson does (last week's
# unanswered check-in goes when this week's lesson comes).
QUIET = ("dm:", f"{UNBUTTON_KIND}:")


async def unbutton_stale(uow: UnitOfWork, items: Sequence[OutboxItem], now: datetime) -> int:
    """Queue the edits that take stale buttons off; how many. The caller commits."""
    newest: dict[int, int] = {}  # chat -> its newest row in the batch
    locale = {item.chat_id: (item.locale, item.person_id) for item in items}
    for item in items:
        private = item.chat_id > 0 and item.thread_id is None
        if private and not item.key.startswith(QUIET) and item.id > newest.get(item.chat_id, 0):
            newest[item.chat_id] = item.id
    edits = []
    for chat_id, row_id in newest.items():
        for old in await uow.holds.keyboarded_before(chat_id, row_id, KEPT):
            if old.message_id is None:
                continue
            await uow.holds.clear_keyboard(old.row_id)
            edits.append(
                NewMessage(
                    key=f"{UNBUTTON_KIND}:{chat_id}:{old.message_id}",
                    chat_id=chat_id,
                    kind=UNBUTTON_KIND,
                    priority=Priority.LESSON,
                    locale=locale[chat_id][0],
                    due_at=now,
                    payload={"message_id": old.message_id},
                    person_id=locale[chat_id][1],
                )
            )
    if edits:
        await uow.outbox.enqueue(edits)
    return len(edits)


async def compose_unbutton(
    uow: UnitOfWorkFactory, kind: str, payload: Mapping[str, object]
) -> Unbutton | None:
    """The outbox composer for the edits."""
    message_id = payload.get("message_id")
    return Unbutton(message_id) if isinstance(message_id, int) else None


def row_kinds(uow_factory: UnitOfWorkFactory) -> RowKinds:
    """The edits, and after every batch (whatever its kinds) the sweep that queues them."""

    async def sweep(items: Sequence[OutboxItem], now: datetime) -> int:
        async with uow_factory() as uow:
            queued = await unbutton_stale(uow, items, now)
            if queued:
                await uow.commit()
        return queued

    return RowKinds((UNBUTTON_KIND,), compose_unbutton, after_sent=sweep, sees_all=True)
