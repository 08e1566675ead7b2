"""What goes on a case's record without reaching the person: private notes, and a
mandatory report made to an authority."""

from __future__ import annotations

from datetime import datetime

from bot.domain.cases import Case, EventKind
from bot.domain.lengths import clip
from bot.domain.replies import Reply
from bot.ports import CaseMessage, StaffMember, UnitOfWork
from bot.services.casework.desk import DeskWork

NOTE_PREFIXES = ("!", "！")
AUTHORITY_UNITS = 200  # beside the case's words in the topic's post (see REASON_UNITS)


def is_note(text: str) -> bool:
    """A line typed in a case topic that is a note for colleagues, not words for the person."""
    stripped = text.strip()
    return stripped.startswith(NOTE_PREFIXES) or stripped.lower().startswith("/note")


async def write_note(
    uow: UnitOfWork, case: Case, staff: StaffMember, text: str, now: datetime
) -> None:
    body = text.strip().lstrip("!！").removeprefix("/note").strip()
    await uow.cases.add_message(case.id, CaseMessage(now, "note", staff.person_id, body))
    await uow.cases.log(case.id, EventKind.NOTE, now, staff.person_id)


class Reports(DeskWork):
    async def reported(
        self, telegram_id: int, chat_id: int, topic_id: int | None, authority: str
    ) -> str:
        """A mandatory report was made: who, when, to whom, on the case's record."""
        now = self.clock.now()
        async with self.uow() as uow:
            staff = await self.access.staff(uow, telegram_id, chat_id)
            if staff is None:
                return "ignored"
            case = await uow.cases.by_topic(chat_id, topic_id) if topic_id else None
            if case is None:
                return "helpline/staff_in_topic_only"
            if not authority.strip():
                return "helpline/staff_reported_usage"
            authority = clip(authority.strip(), AUTHORITY_UNITS)
            await uow.cases.log(
                case.id,
                EventKind.REPORTED,
                now,
                staff.person_id,
                authority=authority,
                by=staff.display_name,
            )
            await self.board.post(
                uow,
                case,
                Reply(
                    "helpline/staff_reported",
                    {
                        "code": case.code,
                        "authority": authority,
                        "name": staff.display_name,
                    },
                ),
                now,
            )
            await uow.commit()
        return ""
