"""Posts to staff outside any case's topic: the staff chat's general thread, and alerts
straight to staff members' private chats with the bot."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from bot.domain.case_actions import Claim
from bot.domain.cases import Case
from bot.domain.outbox import STAFF_POST, NewMessage, Priority
from bot.domain.people import Role
from bot.domain.replies import Choice, Reply, reply_to_data, rows
from bot.ports import StaffMember, UnitOfWork


class StaffPosts:
    def __init__(self, staff_locale: str) -> None:
        self.locale = staff_locale

    async def say(
        self,
        uow: UnitOfWork,
        chat_id: int,
        thread_id: int | None,
        reply: Reply,
        now: datetime,
        priority: Priority = Priority.INTERACTIVE,
        key: str = "",
    ) -> None:
        """A post in a staff chat that belongs to no case (the queue, follow-ups, duty)."""
        await uow.outbox.enqueue(
            [
                NewMessage(
                    key=key or f"{STAFF_POST}{chat_id}:{uuid.uuid4().hex}",
                    chat_id=chat_id,
                    thread_id=thread_id,
                    kind="reply",
                    priority=priority,
                    locale=self.locale,
                    due_at=now,
                    payload=reply_to_data(reply),
                )
            ]
        )

    async def page_supervisors(
        self,
        uow: UnitOfWork,
        case: Case,
        template: str,
        data: Mapping[str, object],
        now: datetime,
        tag: str,
    ) -> None:
        """A direct message to every supervisor about a case; `tag` keeps each page once."""
        sups = [s for s in await uow.staff.active() if s.role is Role.SUPERVISOR]
        reply = Reply(template, {"code": case.code, **data})
        await self._direct(uow, sups, reply, now, lambda s: f"page:{case.id}:{s.person_id}:{tag}")

    async def alert_on_duty(
        self, uow: UnitOfWork, case: Case, service_point_id: int | None, now: datetime
    ) -> int:
        """A red case, straight to each on-duty counsellor's private chat with the bot, with a
        claim button: the group may be behind on its 20 posts a minute, a private chat is
        not. Discreet: a counsellor's phone is seen by others too, so no words of the child."""
        on_duty = [
            s
            for s in await uow.staff.active()
            if s.on_duty and s.service_point_id in (None, service_point_id)
        ]
        reply = Reply(
            "helpline/dm_red_case",
            {"code": case.code, "tier": case.tier.value, "categories": list(case.categories)},
            choices=rows(Choice("btn.case.claim", Claim(case.id).pack())),
        )
        tier = case.tier.value
        return await self._direct(
            uow, on_duty, reply, now, lambda s: f"dm:{case.id}:{s.person_id}:{tier}"
        )

    async def _direct(
        self,
        uow: UnitOfWork,
        members: Sequence[StaffMember],
        reply: Reply,
        now: datetime,
        key: Callable[[StaffMember], str],
    ) -> int:
        """The same alert in each of these staff members' private chats with the bot."""
        return await uow.outbox.enqueue(
            [
                NewMessage(
                    key=key(s),
                    chat_id=s.telegram_id,
                    kind="reply",
                    priority=Priority.ALERT,
                    locale=self.locale,
                    due_at=now,
                    payload=reply_to_data(reply),
                )
                for s in members
            ]
        )
