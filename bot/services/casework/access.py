"""Who may act on a case, decided in one place.

Every action checks, against the database, that the actor is active staff, that the case
belongs to the chat they act in and the button was pressed in the case's own topic, and that
they may act on it (callback data can be forged, and an old card may outlive what it was made
for, docs/DOMAIN.md §6). Each way of being turned away has one answer, here.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.cases import Case, CaseStatus, may_act_on
from bot.domain.numbers import parse_int
from bot.domain.people import Role
from bot.domain.permissions import StaffAction, may
from bot.ports import StaffMember, UnitOfWork, UnitOfWorkFactory
from bot.services.casework.results import Place, StaffResult

NOT_STAFF = StaffResult("toast.case.not_staff", alert=True)
# A case button pressed in a private chat by someone it is not for: the same words as any
# other forged or outdated button there, which tell a stranger nothing.
STALE = StaffResult("toast.stale")
GONE = StaffResult("toast.case.gone", alert=True)
NOT_YOURS = StaffResult("toast.case.not_yours", alert=True)

Acting = tuple[StaffMember, Case]


def wrong_place(case: Case) -> StaffResult:
    return StaffResult("toast.case.wrong_place", {"code": case.code}, alert=True)


def role_refusal(staff: StaffMember | None, action: StaffAction) -> StaffResult | None:
    """What a staff member whose role does not include the action is told, in its name."""
    if staff is None or may(staff.role, action):
        return None
    return StaffResult(f"toast.role.{staff.role.value}", alert=True)


def holder_refusal(staff: StaffMember, case: Case) -> StaffResult | None:
    """Release, close, transfer and re-tier: a waiting case is anyone's on staff, a claimed
    one its holder's, and a supervisor's always."""
    if may_act_on(case, staff.person_id, staff.role is Role.SUPERVISOR):
        return None
    return NOT_YOURS


class StaffAccess:
    def __init__(self, uow: UnitOfWorkFactory, staff_chats: Callable[[], frozenset[int]]) -> None:
        self.uow = uow
        self.staff_chats = staff_chats

    async def chats(self, uow: UnitOfWork) -> frozenset[int]:
        """The configured staff chat and every service point's."""
        chats = set(self.staff_chats())
        chats.update(c for sp in await uow.service_points.all() for c in sp.staff_chat_ids)
        return frozenset(chats)

    async def is_staff_chat(self, chat_id: int) -> bool:
        async with self.uow() as uow:
            return chat_id in await self.chats(uow)

    async def staff(self, uow: UnitOfWork, telegram_id: int, chat_id: int) -> StaffMember | None:
        """Active staff acting in a staff chat; anyone else is nobody here."""
        if chat_id not in await self.chats(uow):
            return None
        return await uow.staff.by_telegram_id(telegram_id)

    async def is_staff(self, telegram_id: int, chat_id: int) -> bool:
        """Active staff acting in a staff chat (for commands that answer before any case)."""
        async with self.uow() as uow:
            return await self.staff(uow, telegram_id, chat_id) is not None

    async def refusal(
        self, telegram_id: int, chat_id: int, action: StaffAction
    ) -> StaffResult | None:
        """The refusal when a staff member's role does not include the action
        (bot/domain/permissions.py); None when it does, and for anyone who is not staff
        here, whom the action's own checks turn away as before."""
        async with self.uow() as uow:
            if chat_id == telegram_id:  # a button in their own chat with the bot
                staff = await uow.staff.by_telegram_id(telegram_id)
            else:
                staff = await self.staff(uow, telegram_id, chat_id)
        return role_refusal(staff, action)

    async def case_in(self, uow: UnitOfWork, case_id: int, chat_id: int) -> Case | None:
        """The case, if it is this staff chat's."""
        case = await uow.cases.by_id(case_id)
        return case if case is not None and case.staff_chat_id == chat_id else None

    async def acting(
        self,
        uow: UnitOfWork,
        telegram_id: int,
        at: Place,
        case_id: int,
        *,
        privately: bool = False,
        open_only: bool = False,
    ) -> Acting | StaffResult:
        """Who acts on which case, if they may act on it from where they pressed: the case's
        own topic (its staff chat's general thread while it has none), or, for `privately`
        actions, the presser's own chat with the bot. A button copied or left over in another
        case's topic would otherwise act on a case nobody there is looking at. `open_only`:
        a closed case is gone for this action."""
        found = await self._acting(uow, telegram_id, at, case_id, privately)
        if (
            open_only
            and not isinstance(found, StaffResult)
            and found[1].status is CaseStatus.CLOSED
        ):
            return GONE
        return found

    async def _acting(
        self, uow: UnitOfWork, telegram_id: int, at: Place, case_id: int, privately: bool
    ) -> Acting | StaffResult:
        if at.chat_id == telegram_id:
            staff = await uow.staff.by_telegram_id(telegram_id) if privately else None
            case = await uow.cases.by_id(case_id) if staff is not None else None
            if staff is None or case is None:
                return STALE
            if case.staff_chat_id not in await self.chats(uow):
                return GONE
            return staff, case
        found = await self.staff(uow, telegram_id, at.chat_id)
        if found is None:
            return NOT_STAFF
        case = await self.case_in(uow, case_id, at.chat_id)
        if case is None:
            return GONE
        if at.thread_id != case.topic_id:
            return wrong_place(case)
        return found, case

    async def command_case(
        self, uow: UnitOfWork, chat_id: int, topic_id: int | None, args: str
    ) -> tuple[Case | None, str]:
        """The case a command is about: the topic's, or, in the general thread, the one its
        first word names (C-0042), for a case whose topic could not be made. The rest of the
        words come back for the command."""
        if topic_id is not None:
            return await uow.cases.by_topic(chat_id, topic_id), args
        first, _, rest = args.strip().partition(" ")
        case_id = parse_int(first[2:]) if first.upper().startswith("C-") else None
        case = await self.case_in(uow, case_id, chat_id) if case_id is not None else None
        return (case, rest) if case is not None and case.topic_id is None else (None, args)
