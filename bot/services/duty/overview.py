"""What staff ask to see in the staff chat: who is on duty as they go on or off, the queue,
and the follow-ups, each as one message cut to fit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.case_actions import FollowUpDone, NextCase
from bot.domain.cases import CaseStatus
from bot.domain.lengths import clip, units
from bot.domain.replies import Choice, Reply, rows
from bot.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.board import Board
from bot.services.casework import StaffAccess
from bot.services.duty.replies import NOTE_IN_LIST_UNITS, answer, fitting, words_of


class Overview:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, board: Board, access: StaffAccess
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.board = board
        self.access = access

    async def _answer(
        self, uow: UnitOfWork, chat_id: int, thread_id: int | None, reply: Reply
    ) -> None:
        await answer(uow, self.board, self.clock, chat_id, thread_id, reply)

    async def set_duty(
        self, telegram_id: int, chat_id: int, thread_id: int | None, on: bool
    ) -> bool:
        async with self.uow() as uow:
            staff = await self.access.staff(uow, telegram_id, chat_id)
            if staff is None:
                return False
            await uow.staff.set_duty(staff.person_id, on)
            # Read back in the same transaction: the roster as it now stands.
            on_duty = [s for s in await uow.staff.active() if s.on_duty]
            names, hidden = fitting([s.display_name for s in on_duty], units)
            await self._answer(
                uow,
                chat_id,
                thread_id,
                Reply(
                    "helpline/staff_duty",
                    {
                        "name": staff.display_name,
                        "on": on,
                        "count": len(on_duty),
                        "names": names,
                        "hidden": hidden,
                    },
                ),
            )
        return True

    async def show_queue(self, telegram_id: int, chat_id: int, thread_id: int | None) -> bool:
        now = self.clock.now()
        async with self.uow() as uow:
            if await self.access.staff(uow, telegram_id, chat_id) is None:
                return False
            cases = await uow.cases.queue(chat_id)
            names = {s.person_id: s.display_name for s in await uow.staff.active()}
            items = [
                {
                    "icon": c.tier.icon,
                    "code": c.code,
                    "tier": c.tier.value,
                    "status": c.status.value,
                    "minutes": int(c.waiting(now).total_seconds() // 60),
                    "who": names.get(c.claimed_by or 0, ""),
                }
                for c in cases
            ]
            waiting = sum(1 for c in cases if c.status is CaseStatus.WAITING)
            choices = rows(Choice("btn.case.next", NextCase().pack())) if waiting else ()
            shown, hidden = fitting(items, words_of("who"))
            await self._answer(
                uow,
                chat_id,
                thread_id,
                Reply(
                    "helpline/staff_queue",
                    {"items": shown, "hidden": hidden, "waiting": waiting},
                    choices=choices,
                ),
            )
        return True

    async def show_follow_ups(self, telegram_id: int, chat_id: int, thread_id: int | None) -> bool:
        now = self.clock.now()
        async with self.uow() as uow:
            if await self.access.staff(uow, telegram_id, chat_id) is None:
                return False
            items = await self._follow_ups(uow, chat_id, now)
            shown, hidden = fitting(items, words_of("who", "note"))
            choices = rows(
                *[
                    Choice(
                        "btn.fu.done", FollowUpDone(i["id"]).pack(), label_data={"code": i["code"]}
                    )
                    for i in items
                    if i["due_now"]
                ][:10],
                width=2,
            )
            await self._answer(
                uow,
                chat_id,
                thread_id,
                Reply(
                    "helpline/staff_follow_ups",
                    {"items": shown, "hidden": hidden},
                    choices=choices,
                ),
            )
        return True

    @staticmethod
    async def _follow_ups(uow: UnitOfWork, chat_id: int, now: datetime) -> list[dict[str, Any]]:
        """The open follow-ups of this staff chat's cases, as lines of the list."""
        names = {s.person_id: s.display_name for s in await uow.staff.active()}
        items: list[dict[str, Any]] = []
        for fu in await uow.cases.follow_ups_open():
            case = await uow.cases.by_id(fu.case_id)
            if case is None or case.staff_chat_id != chat_id:
                continue
            items.append(
                {
                    "id": fu.id,
                    "code": case.code,
                    "due": fu.due_at.date().isoformat(),
                    "due_now": fu.due_at <= now,
                    "overdue": fu.due_at < now,
                    "who": names.get(fu.assignee_id, "?"),
                    "note": clip(fu.note, NOTE_IN_LIST_UNITS),
                }
            )
        return items
