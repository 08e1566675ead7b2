"""Telling a case's staff what Telegram refused for good, which they would otherwise never
see: a child who blocked the bot (403), a post about the case that could not be made (400), a
counsellor's words that did not reach the child."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain.cases import Case
from bot.domain.outbox import NewMessage, OutboxItem, Priority, SendOutcome, SendResult
from bot.domain.replies import Reply, reply_to_data
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.board.card import card_actions
from bot.services.board.rows import KINDS, POST, RELAY_OUT, RENAME, TOPIC, case_key
from bot.services.board.topics import rescue_topicless


class Refusals:
    def __init__(self, staff_locale: str) -> None:
        self.locale = staff_locale

    async def after_failed(
        self,
        uow_factory: UnitOfWorkFactory,
        refused: Sequence[tuple[OutboxItem, SendResult]],
        now: datetime,
    ) -> int:
        """Staff hear of each refusal in its own transaction. Returns how many notes were
        queued."""
        told = 0
        for item, result in refused:
            async with uow_factory() as uow:
                if await self._tell(uow, item, result, now):
                    told += 1
                await uow.commit()
        return told

    async def _tell(
        self, uow: UnitOfWork, item: OutboxItem, result: SendResult, now: datetime
    ) -> bool:
        if item.payload.get("failure_note"):
            return False  # a note about a failure failed too: do not go round in circles
        if result.outcome is SendOutcome.FORBIDDEN and item.chat_id > 0:
            return await self._blocked(uow, item, now)
        if item.kind not in KINDS or "case_id" not in item.payload:
            return False
        case = await uow.cases.by_id(int(str(item.payload["case_id"])))
        if case is None:
            return False
        if item.kind == TOPIC:  # no topic: the case's posts go to the chat's general thread
            return await rescue_topicless(uow, case, now)
        if item.kind == RENAME:
            return False  # the title lags behind; the card and the posts still say it all
        return await self._failed(uow, case, item, result, now)

    async def _blocked(self, uow: UnitOfWork, item: OutboxItem, now: datetime) -> bool:
        """A person who blocked the bot, whatever row found out: news for their open case."""
        person = await uow.people.by_telegram_id(item.chat_id)
        case = None
        if person is not None and person.id is not None:
            case = await uow.cases.open_for(person.id)
        if case is None:
            return False
        reply = Reply("helpline/staff_person_blocked", {"code": case.code})
        await self._note(uow, case, reply, now, f"blocked:{item.id}", in_topic=True)
        return True

    async def _failed(
        self, uow: UnitOfWork, case: Case, item: OutboxItem, result: SendResult, now: datetime
    ) -> bool:
        template = (
            "helpline/staff_relay_failed"
            if item.kind == RELAY_OUT
            else "helpline/staff_post_failed"
        )
        reply = Reply(template, {"code": case.code, "reason": result.error[:200]})
        # A post into the topic may have failed because of the topic: say it in the chat.
        await self._note(
            uow, case, reply, now, f"failed:{item.id}", in_topic=item.kind == RELAY_OUT
        )
        return True

    async def _note(
        self, uow: UnitOfWork, case: Case, reply: Reply, now: datetime, what: str, in_topic: bool
    ) -> None:
        reply = Reply(reply.template, reply.data, choices=card_actions(case))
        await uow.outbox.enqueue(
            [
                NewMessage(
                    key=case_key(case.id, what),
                    chat_id=case.staff_chat_id,
                    thread_id=case.topic_id if in_topic else None,
                    kind=POST,
                    priority=Priority.ALERT,
                    locale=self.locale,
                    due_at=now,
                    payload={
                        "case_id": case.id,
                        "reply": reply_to_data(reply),
                        "failure_note": True,
                    },
                )
            ]
        )
