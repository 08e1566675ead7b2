"""`/staff`: supervisors add, remove and list staff in the staff chat.

Apart from the rest of duty because it changes who may act at all, and removing someone asks
Telegram to take them out of every staff group.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.numbers import parse_int
from bot.domain.people import Person, Role, new_person_code
from bot.domain.permissions import StaffAction, may
from bot.domain.replies import Reply
from bot.ports import Clock, StaffMember, UnitOfWork, UnitOfWorkFactory
from bot.services.board import Board
from bot.services.casework import StaffAccess
from bot.services.duty.replies import answer, staff_list, staff_removed
from bot.services.roster import Roster

ROLE_WORDS = {
    "counsellor": Role.COUNSELLOR,
    "心理老师": Role.COUNSELLOR,
    "supervisor": Role.SUPERVISOR,
    "督导": Role.SUPERVISOR,
    "director": Role.DIRECTOR,
    "儿童主任": Role.DIRECTOR,
    # The township's 儿童督导员 is never a clinical 督导: a word of its own.
    "township": Role.TOWNSHIP,
    "儿童督导员": Role.TOWNSHIP,
}


@dataclass(frozen=True, slots=True)
class StaffChange:
    """`/staff add <role> <name>` replying to a colleague's message, or with their id."""

    action: str
    telegram_id: int | None = None
    role: Role | None = None
    name: str = ""

    @staticmethod
    def parse(args: str, replied_to: int | None) -> StaffChange | None:
        words = args.split()
        if not words:
            return None
        action = words[0].lower()
        if action == "list":
            return StaffChange("list")
        target, rest = _target(words[1:], replied_to)
        if target is None:
            return None
        if action == "remove":
            return StaffChange("remove", target)
        if action != "add" or not rest:
            return None
        role = ROLE_WORDS.get(rest[0].lower())
        name = " ".join(rest[1:]).strip()[:100]
        if role is None or not name:
            return None
        return StaffChange("add", target, role, name)


def _target(rest: list[str], replied_to: int | None) -> tuple[int | None, list[str]]:
    """Who the change is about: an id typed first, else the author of the replied message."""
    # Only a number that can be a Telegram id (they fit in 52 bits) is taken for one:
    # int() raises on "²", which str.isdigit() lets through.
    typed = parse_int(rest[0], 2**53, -(2**53)) if rest else None
    if typed is not None:
        return typed, rest[1:]
    return replied_to, rest


async def register_staff(
    uow: UnitOfWork,
    telegram_id: int,
    role: Role,
    name: str,
    service_point_id: int | None,
    locale: str,
) -> StaffMember:
    """Make (or update) a staff member, with the person row they need."""
    person = await uow.people.by_telegram_id(telegram_id)
    if person is None:
        person = await uow.people.add(
            Person(telegram_id=telegram_id, locale=locale, code=new_person_code("S"), role=role)
        )
    else:
        person.role = role
        await uow.people.save(person)
    assert person.id is not None
    return await uow.staff.add(person.id, role, name, service_point_id)


class StaffChanges:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        board: Board,
        access: StaffAccess,
        roster: Roster,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.board = board
        self.access = access
        self.roster = roster

    async def manage_staff(
        self,
        telegram_id: int,
        chat_id: int,
        thread_id: int | None,
        args: str,
        replied_to: int | None,
    ) -> bool:
        """Supervisors add, remove and list staff; anyone else is ignored (and logged)."""
        async with self.uow() as uow:
            actor = await self.access.staff(uow, telegram_id, chat_id)
            if actor is None:
                return False
            change = StaffChange.parse(args, replied_to)
            if change is None:
                await self._answer(uow, chat_id, thread_id, Reply("helpline/staff_usage"))
                return True
            reply = _refusal(actor, change) or await self._add(uow, change, chat_id)
            if reply is not None:
                await self._answer(uow, chat_id, thread_id, reply)
                return True
        # Telegram is asked outside any transaction: a slow answer holds no database lock.
        reply = await self._remove_or_list(change, chat_id)
        async with self.uow() as uow:
            await self._answer(uow, chat_id, thread_id, reply)
        return True

    async def _answer(
        self, uow: UnitOfWork, chat_id: int, thread_id: int | None, reply: Reply
    ) -> None:
        await answer(uow, self.board, self.clock, chat_id, thread_id, reply)

    async def _add(self, uow: UnitOfWork, change: StaffChange, chat_id: int) -> Reply | None:
        """The colleague on the roster, at this staff chat's service point; None when the
        change is not an add."""
        if change.action != "add" or not change.telegram_id or not change.role:
            return None
        sp = await uow.service_points.by_staff_chat(chat_id)
        member = await register_staff(
            uow,
            change.telegram_id,
            change.role,
            change.name,
            sp.id if sp else None,
            self.board.locale,
        )
        return Reply(
            "helpline/staff_added",
            {"name": member.display_name, "role": member.role.value, "n": member.pseudonym_no},
        )

    async def _remove_or_list(self, change: StaffChange, chat_id: int) -> Reply:
        if change.action == "remove" and change.telegram_id:
            return staff_removed(await self.roster.remove(change.telegram_id), chat_id)
        strangers, admins_known = await self.roster.strangers(chat_id)
        async with self.uow() as uow:
            members = await uow.staff.active()
        return staff_list(members, strangers, admins_known)


def _refusal(actor: StaffMember, change: StaffChange) -> Reply | None:
    """Anyone on staff may list; only a role that manages staff may change the roster."""
    if change.action != "list" and not may(actor.role, StaffAction.STAFF_MANAGE):
        return Reply("helpline/staff_supervisors_only")
    return None
