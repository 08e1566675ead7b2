"""Telling a child's guardian, from the file: an invitation to talk, never the results (the
guardian may be part of the problem, so the counsellor decides). The child hears of it
first unless that would put them in danger, and then the reason goes on the record."""

from __future__ import annotations

from datetime import datetime

from bot.domain.case_actions import TellChildFirst, TellGuardian, WhyNotFirst
from bot.domain.cases import Case, CaseStatus, EventKind
from bot.domain.lengths import clip
from bot.domain.outbox import NewMessage, Priority
from bot.domain.people import Person, Role
from bot.domain.replies import Choice, Reply, reply_to_data, rows
from bot.ports import StaffMember, UnitOfWork
from bot.services.casework import NOT_STAFF, REASON_UNITS, STALE, StaffResult
from bot.services.child_file.desk import Desk, DeskWork
from bot.services.child_file.hours import outside_school_and_quiet
from bot.services.common import person_by_ref


def file_menu(subject_id: int) -> tuple[tuple[Choice, ...], ...]:
    return rows(Choice("btn.file.tell_guardian", TellGuardian(subject_id).pack()))


async def guardians(uow: UnitOfWork, subject_id: int) -> list[Person]:
    """The child's guardians the bot can write to."""
    return [g for g in await uow.families.guardians_of(subject_id) if g.telegram_id is not None]


async def case_of(uow: UnitOfWork, subject_id: int) -> Case | None:
    """The case a guardian invitation is recorded on: the child's open case, else their
    newest."""
    newest = None
    for case_id in reversed(await uow.cases.ids_for(subject_id)):
        case = await uow.cases.by_id(case_id)
        if case is None:
            continue
        if case.status is not CaseStatus.CLOSED:
            return case
        newest = newest or case
    return newest


class GuardianInvites(DeskWork):
    def __init__(self, desk: Desk) -> None:
        super().__init__(desk)
        self.quiet = desk.quiet
        self.school = desk.school

    async def tell_guardian(self, telegram_id: int, chat_id: int, subject_id: int) -> StaffResult:
        """The file's 👪 button. The child hears of it before their guardian does, unless
        telling them would put them in danger: the counsellor chooses, and skipping the child
        takes a reason on the record (`/guardian`). A child with no chat here cannot be told
        here: the guardian is invited, and the post says so."""
        async with self.uow() as uow:
            found = await self._child_with_guardians(uow, telegram_id, chat_id, subject_id)
            if isinstance(found, StaffResult):
                return found
            staff, subject = found
            if subject.telegram_id is None:
                return await self._invite(uow, staff, subject, told_child=False, reason="")
        return StaffResult(
            menu=(
                (Choice("btn.file.child_first", TellChildFirst(subject_id).pack()),),
                (Choice("btn.file.not_first", WhyNotFirst(subject_id).pack()),),
            )
        )

    async def tell_child_first(
        self, telegram_id: int, chat_id: int, subject_id: int
    ) -> StaffResult:
        """💬 on the file: the child is told, then the guardian is invited."""
        async with self.uow() as uow:
            found = await self._child_with_guardians(uow, telegram_id, chat_id, subject_id)
            if isinstance(found, StaffResult):
                return found
            staff, subject = found
            return await self._invite(uow, staff, subject, told_child=True, reason="")

    async def why_needed(self, telegram_id: int, chat_id: int, subject_id: int) -> StaffResult:
        """⚠️ on the file: no button can carry a reason, so the counsellor is told how to give
        one. Nothing is sent."""
        async with self.uow() as uow:
            if await self.access.staff(uow, telegram_id, chat_id) is None:
                return NOT_STAFF
            subject = await uow.people.by_id(subject_id)
        if subject is None or subject.role is not Role.CHILD:
            return STALE
        return StaffResult("toast.file.give_reason", {"code": subject.code}, alert=True)

    async def guardian_command(
        self, telegram_id: int, chat_id: int, thread_id: int | None, args: str
    ) -> str | StaffResult:
        """`/guardian <code> <reason>`: the guardian is invited without telling the child
        first, because telling them would put them in danger; the reason is kept on the
        child's case."""
        async with self.uow() as uow:
            staff = await self.access.staff(uow, telegram_id, chat_id)
            if staff is None:
                return "ignored"
            ref, _, reason = args.strip().partition(" ")
            if not ref or not reason.strip():
                return "screening/guardian_usage"
            subject = await person_by_ref(uow, ref)
            if subject is None or subject.id is None or subject.role is not Role.CHILD:
                return "screening/file_not_found"
            if not await guardians(uow, subject.id):
                return StaffResult("toast.file.no_guardian")
            if await case_of(uow, subject.id) is None:
                return "screening/guardian_no_case"
            return await self._invite(
                uow, staff, subject, told_child=False, reason=clip(reason.strip(), REASON_UNITS)
            )

    async def _child_with_guardians(
        self, uow: UnitOfWork, telegram_id: int, chat_id: int, subject_id: int
    ) -> tuple[StaffMember, Person] | StaffResult:
        """The staff member and the child of a guardian-invitation button, or the refusal: not
        staff here, not a child (an old or forged button), or no guardian to invite."""
        staff = await self.access.staff(uow, telegram_id, chat_id)
        if staff is None:
            return NOT_STAFF
        subject = await uow.people.by_id(subject_id)
        if subject is None or subject.role is not Role.CHILD:
            return STALE
        if not await guardians(uow, subject_id):
            return StaffResult("toast.file.no_guardian", alert=True)
        return staff, subject

    async def _invite(
        self, uow: UnitOfWork, staff: StaffMember, subject: Person, told_child: bool, reason: str
    ) -> StaffResult:
        """The invitation to the guardians (never the results), after the child's own message
        when they are told first; on the child's case, the record of who chose what and why."""
        assert subject.id is not None
        now = self.clock.now()
        await uow.outbox.enqueue(await self._messages(uow, subject, subject.id, told_child, now))
        await uow.screening.log_access(staff.person_id, subject.id, "told_guardian", now)
        no_chat = subject.telegram_id is None
        case = await case_of(uow, subject.id)
        if case is not None:
            await self._record(uow, case, staff, told_child, no_chat, reason, now)
        await uow.commit()
        if told_child:
            return StaffResult("toast.file.child_told_first", menu=file_menu(subject.id))
        if no_chat:
            return StaffResult("toast.file.no_child_chat", alert=True)
        return StaffResult("toast.file.guardian_told", menu=file_menu(subject.id))

    async def _messages(
        self, uow: UnitOfWork, subject: Person, subject_id: int, told_child: bool, now: datetime
    ) -> list[NewMessage]:
        """The child's message, when they are told first, then each guardian's invitation,
        which never arrives before the child's."""
        day = now.date().isoformat()
        guardians_at = self.quiet.defer(now, self.tz)
        messages = []
        if told_child and subject.telegram_id is not None:
            child_at = outside_school_and_quiet(now, self.tz, self.quiet, True, self.school)
            guardians_at = max(guardians_at, child_at)
            messages.append(
                NewMessage(
                    key=f"tellchild:{subject_id}:{day}",
                    chat_id=subject.telegram_id,
                    kind="reply",
                    priority=Priority.NOTICE,
                    locale=subject.locale,
                    due_at=child_at,
                    payload=reply_to_data(Reply("screening/guardian_will_be_told")),
                    person_id=subject_id,
                )
            )
        invitation = reply_to_data(
            Reply(
                "screening/tell_guardian",
                choices=rows(Choice("btn.checkin.talk", "help:counsellor")),
            )
        )
        messages += [
            NewMessage(
                key=f"tell:{subject_id}:{g.id}:{day}",
                chat_id=g.telegram_id or 0,
                kind="reply",
                priority=Priority.NOTICE,
                locale=g.locale,
                due_at=guardians_at,
                payload=invitation,
                person_id=g.id,
            )
            for g in await guardians(uow, subject_id)
        ]
        return messages

    async def _record(
        self,
        uow: UnitOfWork,
        case: Case,
        staff: StaffMember,
        told_child: bool,
        no_chat: bool,
        reason: str,
        now: datetime,
    ) -> None:
        """On the child's case: who chose what and why, logged and posted in its topic."""
        await uow.cases.log(
            case.id,
            EventKind.GUARDIAN_INVITED,
            now,
            staff.person_id,
            child_told=told_child,
            no_chat=no_chat,
            reason=reason,
        )
        await self.board.post(
            uow,
            case,
            Reply(
                "screening/guardian_invited",
                {
                    "code": case.code,
                    "name": staff.display_name,
                    "child_told": told_child,
                    "no_chat": no_chat,
                    "reason": reason,
                },
            ),
            now,
        )
