"""Talking: what a counsellor types or sends in a case topic reaches the person, under
their pseudonym; a line starting with `!` stays on the record as a note."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.cases import Case, CaseStatus
from bot.domain.people import Person
from bot.domain.permissions import StaffAction
from bot.domain.replies import Reply
from bot.ports import CaseMessage, StaffMember, UnitOfWork
from bot.services.board import pieces
from bot.services.casework.access import role_refusal
from bot.services.casework.desk import DeskWork
from bot.services.casework.notes import is_note, write_note
from bot.services.casework.results import StaffResult

CLAIM_FIRST = "helpline/staff_claim_first"


def pseudonym_data(staff: StaffMember) -> dict[str, Any]:
    return {"n": staff.pseudonym_no}


async def speaking_to(uow: UnitOfWork, case: Case, staff: StaffMember) -> tuple[Person, int] | str:
    """The person on the other end and their chat, if this counsellor may speak to them
    now; else the template that says why (claim first, or the person is gone)."""
    if case.status is not CaseStatus.CLAIMED or case.claimed_by != staff.person_id:
        return CLAIM_FIRST
    person = await uow.people.by_id(case.person_id)
    if person is None or person.telegram_id is None:
        return "helpline/staff_person_gone"
    return person, person.telegram_id


async def spoke(
    uow: UnitOfWork,
    case: Case,
    staff: StaffMember,
    text: str,
    now: datetime,
    media: str | None = None,
) -> None:
    """On the record: what was said, and when staff last (and first) answered."""
    await uow.cases.add_message(case.id, CaseMessage(now, "out", staff.person_id, text, media))
    fields: dict[str, object] = {"last_staff_at": now}
    if case.first_response_at is None:
        fields["first_response_at"] = now
    await uow.cases.update(case.id, **fields)


class Relay(DeskWork):
    async def topic_text(
        self, telegram_id: int, chat_id: int, topic_id: int, text: str
    ) -> str | StaffResult | None:
        """A line a counsellor typed in a case topic. Returns a content key to answer with
        in the topic, or None when all is well (relayed, or noted)."""
        now = self.clock.now()
        async with self.uow() as uow:
            staff = await self.access.staff(uow, telegram_id, chat_id)
            if staff is None:
                return "ignored"
            case = await uow.cases.by_topic(chat_id, topic_id)
            if case is None:
                return "ignored"
            stripped = text.strip()
            noting = is_note(text)
            refused = role_refusal(staff, StaffAction.NOTE if noting else StaffAction.RELAY)
            if refused is not None and not (stripped.startswith("/") and not noting):
                return refused
            if noting:
                await write_note(uow, case, staff, text, now)
                await uow.commit()
                return None
            if stripped.startswith("/"):
                return "helpline/staff_unknown_command"  # never relay a mistyped command
            to = await speaking_to(uow, case, staff)
            if isinstance(to, str):
                return to
            person, chat = to
            for piece in pieces(text):  # the pseudonym in front must not push it past 4096
                await self.board.to_person(
                    uow,
                    case,
                    chat,
                    person.locale,
                    now,
                    reply=Reply("helpline/relay_out", {**pseudonym_data(staff), "body": piece}),
                )
            await spoke(uow, case, staff, text, now)
            await uow.commit()
        return None

    async def topic_media(
        self, telegram_id: int, chat_id: int, topic_id: int, message_id: int, kind: str
    ) -> str | StaffResult | None:
        now = self.clock.now()
        async with self.uow() as uow:
            staff = await self.access.staff(uow, telegram_id, chat_id)
            case = await uow.cases.by_topic(chat_id, topic_id) if staff else None
            if staff is None or case is None:
                return "ignored"
            if (refused := role_refusal(staff, StaffAction.RELAY)) is not None:
                return refused
            to = await speaking_to(uow, case, staff)
            if isinstance(to, str):
                return to
            person, chat = to
            await self.board.to_person(
                uow,
                case,
                chat,
                person.locale,
                now,
                reply=Reply("helpline/relay_out_media", pseudonym_data(staff)),
            )
            await self.board.to_person(
                uow, case, chat, person.locale, now, copy=(chat_id, message_id)
            )
            await spoke(uow, case, staff, "", now, kind)
            await uow.commit()
        return None
