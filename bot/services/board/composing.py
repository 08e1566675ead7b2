"""What a case's row says when its turn comes: the outbox composer for the board's kinds.

A row may wait a while for the group's budget, so titles and a card's buttons are read from
the case as it is when the row goes out, not as it was when the row was queued.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from bot.domain.cases import CaseStatus, topic_name
from bot.domain.outbox import CopyOf, NewTopic, RenameTopic
from bot.domain.replies import Reply, reply_from_data
from bot.ports import UnitOfWorkFactory
from bot.services.board.card import card_actions, shows_state
from bot.services.board.rows import POST, RELAY_IN, RENAME, TOPIC

Composed = Reply | NewTopic | RenameTopic | CopyOf


async def compose(
    uow_factory: UnitOfWorkFactory, kind: str, payload: Mapping[str, object]
) -> Composed | None:
    """What a case row says when its turn comes (the outbox composer for KINDS)."""
    try:
        if kind in (TOPIC, RENAME):
            return await _title(uow_factory, kind, int(str(payload["case_id"])))
        if "from_chat" in payload:
            return CopyOf(int(str(payload["from_chat"])), int(str(payload["message_id"])))
        if kind == RELAY_IN:
            lines = [str(x) for x in payload.get("lines") or []]  # type: ignore[attr-defined]
            return Reply("helpline/relay_in", {"lines": lines})
        return await _post(uow_factory, kind, payload)
    except (KeyError, TypeError, ValueError):
        return None


async def _title(
    uow_factory: UnitOfWorkFactory, kind: str, case_id: int
) -> NewTopic | RenameTopic | None:
    """The topic's name: its tier and state now."""
    async with uow_factory() as uow:
        case = await uow.cases.by_id(case_id)
    if case is None:
        return None
    if kind == TOPIC:
        return NewTopic(topic_name(case))
    return RenameTopic(topic_name(case), closed=case.status is CaseStatus.CLOSED)


async def _post(
    uow_factory: UnitOfWorkFactory, kind: str, payload: Mapping[str, object]
) -> Reply | None:
    data = payload.get("reply")
    if not isinstance(data, Mapping):
        return None
    reply = reply_from_data(data)
    if kind == POST and shows_state(reply, int(str(payload["case_id"]))):
        # Queued a while ago (the group's budget was spent): its buttons are the
        # case's as it is when it is shown, not when it was written.
        async with uow_factory() as uow:
            case = await uow.cases.by_id(int(str(payload["case_id"])))
        if case is not None:
            reply = replace(reply, choices=card_actions(case))
    return reply
