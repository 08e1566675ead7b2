"""/accesslog <code>: who looked at a person's file, for supervisors only (docs/DOMAIN.md §5);
looking is itself logged, first."""

from __future__ import annotations

from typing import Any

from bot.domain.permissions import StaffAction, may
from bot.domain.replies import Reply
from bot.ports import AccessEntry, Clock, UnitOfWorkFactory
from bot.services.board import Board
from bot.services.casework import StaffAccess
from bot.services.common import person_by_ref, viewer_kind
from bot.services.privacy.shared import LocalTimes

ACCESS_LOG_LIMIT = 20


class AccessLog:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        board: Board,
        access: StaffAccess,
        times: LocalTimes,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.board = board
        self.access = access
        self.times = times

    async def access_log(
        self, telegram_id: int, chat_id: int, thread_id: int | None, ref: str
    ) -> str | None:
        """`/accesslog <code>`: supervisors only; the view is itself logged, first. Returns a
        template to answer with instead, or "ignored" for non-staff."""
        now = self.clock.now()
        async with self.uow() as uow:
            staff = await self.access.staff(uow, telegram_id, chat_id)
            if staff is None:
                return "ignored"
            if not may(staff.role, StaffAction.ACCESS_LOG):
                return "privacy/accesslog_supervisors_only"
            if not ref.strip():
                return "privacy/accesslog_usage"
            subject = await person_by_ref(uow, ref)
            if subject is None or subject.id is None:
                return "screening/file_not_found"
            await uow.privacy.log_view(
                staff.person_id, subject.id, "access_log", "staff_chat", now
            )
            total, entries = await uow.privacy.access_log(subject.id, ACCESS_LOG_LIMIT)
            guardians = {g.id for g in await uow.families.guardians_of(subject.id)}
            items = [self._item(e, subject.id, guardians) for e in entries]
            reply = Reply(
                "privacy/accesslog", {"code": subject.code, "total": total, "items": items}
            )
            await self.board.say(uow, chat_id, thread_id, reply, now)
            await uow.commit()
        return None

    def _item(self, e: AccessEntry, subject_id: int, guardians: set[int | None]) -> dict[str, Any]:
        return {
            "at": e.at.astimezone(self.times.tz).strftime("%Y-%m-%d %H:%M"),
            "who": viewer_kind(e, subject_id, guardians),
            "n": e.viewer_no or 0,
            "role": e.viewer_role.value if e.viewer_role else "",
            "what": e.what,
        }
