"""`/file <code>`: the child's file posted where staff asked for it, every view written to
the access log before anything is shown (未成年人网络保护条例)."""

from __future__ import annotations

from bot.domain.people import Role
from bot.domain.permissions import StaffAction, may
from bot.domain.replies import Choice, Reply
from bot.services.child_file.chat_view import for_chat
from bot.services.child_file.contents import Contents
from bot.services.child_file.desk import Desk, DeskWork, within_reach
from bot.services.child_file.guardian import file_menu
from bot.services.common import person_by_ref


class Viewing(DeskWork):
    def __init__(self, desk: Desk, contents: Contents) -> None:
        super().__init__(desk)
        self.contents = contents

    async def show(
        self, telegram_id: int, chat_id: int, thread_id: int | None, ref: str
    ) -> str | None:
        """`/file <code>`: the file, posted where it was asked for. Returns a template to
        answer with instead (usage, not found), or "ignored" for non-staff."""
        now = self.clock.now()
        async with self.uow() as uow:
            staff = await self.access.staff(uow, telegram_id, chat_id)
            if staff is None:
                return "ignored"
            if not ref.strip():
                return "screening/file_usage"
            subject = await person_by_ref(uow, ref)
            if subject is None or subject.id is None or not within_reach(staff, subject):
                return "screening/file_not_found"
            await uow.screening.log_access(staff.person_id, subject.id, "file", now)
            data = for_chat(await self.contents.of(uow, subject))
            choices: tuple[tuple[Choice, ...], ...] = ()
            if (
                subject.role is Role.CHILD
                and may(staff.role, StaffAction.TELL_GUARDIAN)
                and await uow.families.guardians_of(subject.id)
            ):
                choices = file_menu(subject.id)
            await self.board.say(
                uow,
                chat_id,
                thread_id,
                Reply("screening/file", data, choices=choices),
                now,
            )
            await uow.commit()
        return None
