"""Closing a case with an outcome, and reopening a closed one."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.domain.case_actions import CloseAs, ShowCard
from bot.domain.cases import Case, CaseStatus, CloseOutcome, EventKind, closing_needs_note
from bot.domain.replies import Choice, Reply, rows
from bot.ports import StaffMember, UnitOfWork
from bot.services.board import card_actions
from bot.services.casework.access import GONE, NOT_STAFF, holder_refusal
from bot.services.casework.cards import moved_on, refreshed_cards
from bot.services.casework.desk import REASON_LIMIT, DeskWork
from bot.services.casework.results import Menu, Place, StaffResult


def parse_outcome(word: str) -> str | None:
    """An outcome as staff type it: `no_contact`, `no-contact`, any case."""
    value = word.strip().lower().replace("-", "_")
    return value if value in set(CloseOutcome) else None


class Closing(DeskWork):
    def close_menu(self, case_id: int) -> Menu:
        return (
            *rows(
                *(
                    Choice(f"btn.outcome.{o.value}", CloseAs(case_id, o).pack())
                    for o in CloseOutcome
                ),
                width=2,
            ),
            (Choice("btn.case.back", ShowCard(case_id).pack()),),
        )

    async def close(
        self, telegram_id: int, at: Place, case_id: int, outcome_value: str, note: str = ""
    ) -> StaffResult:
        """Close with an outcome. A red or orange case is closed only by `/close <outcome>
        <note>` typed in its topic: the outcome buttons say so instead of closing it, so the
        typed command is the confirmation, and the note goes on the record."""
        try:
            outcome = CloseOutcome(outcome_value)
        except ValueError:
            return GONE
        note = note.strip()[:REASON_LIMIT]
        now = self.clock.now()
        async with self.uow() as uow:
            acting = await self.access.acting(uow, telegram_id, at, case_id, open_only=True)
            if isinstance(acting, StaffResult):
                return acting
            staff, case = acting
            if (refused := holder_refusal(staff, case)) is not None:
                return refused
            if closing_needs_note(case) and not note:
                return StaffResult(
                    "toast.case.close_confirm",
                    {"code": case.code, "outcome": outcome.value},
                    alert=True,
                    menu=card_actions(case),
                )
            done = await uow.cases.set_status(
                case.id, case.status, status=CaseStatus.CLOSED, closed_at=now, outcome=outcome
            )
            if not done:
                return GONE
            await uow.cases.log(
                case.id,
                EventKind.CLOSED,
                now,
                staff.person_id,
                outcome=outcome.value,
                **({"note": note} if note else {}),
            )
            closed = await uow.cases.by_id(case.id) or case
            await self._closed(uow, staff, closed, outcome, note, now)
            card = await refreshed_cards(uow, closed)
            await uow.commit()
        return StaffResult("toast.case.closed", menu=card_actions(closed), cards=card)

    async def _closed(
        self,
        uow: UnitOfWork,
        staff: StaffMember,
        closed: Case,
        outcome: CloseOutcome,
        note: str,
        now: datetime,
    ) -> None:
        """The person is told (unless nobody reached them), what waited for the conversation
        goes on, and the topic says who closed it, how, and why."""
        person = await uow.people.by_id(closed.person_id)
        chat = person.telegram_id if person is not None else None
        if person is not None and chat is not None and outcome is not CloseOutcome.NO_CONTACT:
            await self.board.to_person(
                uow, closed, chat, person.locale, now, reply=Reply("helpline/closed_for_person")
            )
        if chat is not None:
            # Lessons and questionnaires that waited during the conversation resume.
            await uow.holds.release_chat(chat, self.desk.hold_kinds)
        await self.board.post(
            uow,
            closed,
            Reply(
                "helpline/staff_closed",
                {
                    "code": closed.code,
                    "outcome": outcome.value,
                    "name": staff.display_name,
                    "note": note,
                },
                choices=card_actions(closed),
            ),
            now,
        )
        await self.board.rename(uow, closed, now)

    async def close_command(
        self, telegram_id: int, chat_id: int, topic_id: int | None, args: str
    ) -> str | StaffResult:
        """`/close <outcome> <note>` in a case topic: how a red or orange case is closed, with
        a note on what happened; for the others the note is welcome and optional."""
        async with self.uow() as uow:
            if await self.access.staff(uow, telegram_id, chat_id) is None:
                return "ignored"
            case, args = await self.access.command_case(uow, chat_id, topic_id, args)
        if case is None:
            return "helpline/staff_in_topic_only"
        word, _, note = args.strip().partition(" ")
        outcome = parse_outcome(word)
        if outcome is None:
            return "helpline/staff_close_usage"
        result = await self.close(telegram_id, Place(chat_id, topic_id), case.id, outcome, note)
        if result is NOT_STAFF:
            return "ignored"
        return result if result.alert else replace(result, toast="")

    async def reopen(self, telegram_id: int, at: Place, case_id: int) -> StaffResult:
        now = self.clock.now()
        async with self.uow() as uow:
            acting = await self.access.acting(uow, telegram_id, at, case_id)
            if isinstance(acting, StaffResult):
                return acting
            staff, case = acting
            if case.status is not CaseStatus.CLOSED:
                return await moved_on(uow, case)
            if await uow.cases.open_for(case.person_id) is not None:
                return StaffResult("toast.case.has_open", alert=True)
            if await uow.cases.held_by(staff.person_id) >= self.targets.max_claims:
                # Reopening makes the case the presser's: the cap on claims holds here too.
                return StaffResult("toast.case.cap", {"max": self.targets.max_claims}, alert=True)
            await uow.cases.set_status(
                case.id,
                CaseStatus.CLOSED,
                status=CaseStatus.CLAIMED,
                claimed_by=staff.person_id,
                claimed_at=now,
                closed_at=None,
                outcome=None,
            )
            await uow.cases.log(case.id, EventKind.REOPENED, now, staff.person_id)
            again = await uow.cases.by_id(case.id) or case
            person = await uow.people.by_id(case.person_id)
            if person is not None and person.telegram_id is not None:
                await uow.holds.hold_chat(person.telegram_id, self.desk.hold_kinds)
            await self.board.rename(uow, again, now)
            await self.board.post(
                uow,
                again,
                Reply(
                    "helpline/staff_reopened",
                    {"code": case.code, "name": staff.display_name},
                    choices=card_actions(again),
                ),
                now,
            )
            card = await refreshed_cards(uow, again)
            await uow.commit()
        return StaffResult("toast.case.reopened", menu=card_actions(again), cards=card)
