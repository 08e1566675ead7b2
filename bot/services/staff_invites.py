"""Invitation links made by staff, in the staff chat or from the command line."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.numbers import parse_int
from bot.domain.people import Person, PersonStatus, Role, new_person_code
from bot.domain.replies import Outcome, Reply
from bot.ports import Clock, ServicePoint, StaffMember, UnitOfWork, UnitOfWorkFactory
from bot.services.family import make_invitation

MAX_USES = 500
MAX_DAYS = 365


@dataclass(frozen=True, slots=True)
class InviteRequest:
    role: Role
    uses: int = 1
    days: int = 0  # 0: the configured default

    @staticmethod
    def parse(args: str) -> InviteRequest | None:
        """`guardian|child [uses] [days]`, in either language's words; None if it is not that."""
        words = args.split()
        if not words:
            return None
        role = {
            "guardian": Role.GUARDIAN,
            "监护人": Role.GUARDIAN,
            "家长": Role.GUARDIAN,
            "child": Role.CHILD,
            "儿童": Role.CHILD,
            "孩子": Role.CHILD,
        }.get(words[0].lower())
        # parse_int, not str.isdigit(): int() raises on "²", which isdigit() accepts.
        given = words[1:3]
        numbers = [n for n in map(parse_int, given) if n is not None]
        if role is None or len(numbers) != len(given):
            return None
        uses = numbers[0] if numbers else 1
        days = numbers[1] if len(numbers) > 1 else 0
        if not (1 <= uses <= MAX_USES and 0 <= days <= MAX_DAYS):
            return None
        return InviteRequest(role, uses, days)


class StaffInvites:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        invite_days: int,
        bot_username: str,
        admin_ids: frozenset[int],
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.invite_days = invite_days
        self.bot_username = bot_username
        self.admin_ids = admin_ids

    async def staff_member(self, uow: UnitOfWork, telegram_id: int) -> StaffMember | None:
        """Registered staff, or a supervisor named in ADMIN_IDS (registered on first use)."""
        member = await uow.staff.by_telegram_id(telegram_id)
        if member is not None or telegram_id not in self.admin_ids:
            return member
        person = await uow.people.by_telegram_id(telegram_id)
        if person is None:
            person = await uow.people.add(
                Person(telegram_id=telegram_id, locale="zh_Hans", code=new_person_code("S"))
            )
        person.role = Role.SUPERVISOR
        person.status = PersonStatus.ACTIVE
        await uow.people.save(person)
        assert person.id is not None
        return await uow.staff.add(person.id, Role.SUPERVISOR, f"Supervisor {telegram_id}", None)

    async def from_staff_chat(self, telegram_id: int, chat_id: int, args: str) -> Outcome | None:
        """None means: not staff, say nothing (the caller logs it)."""
        async with self.uow() as uow:
            member = await self.staff_member(uow, telegram_id)
            if member is None:
                return None
            request = InviteRequest.parse(args)
            if request is None:
                await uow.commit()
                return Outcome.of(Reply("staff/invite_usage", {"max_uses": MAX_USES}))
            sp = await self._service_point(uow, member, chat_id)
            outcome = await self._create(uow, request, sp, member.person_id)
            await uow.commit()
        return outcome

    async def from_cli(self, role: Role, sp_code: str, uses: int, days: int) -> Outcome:
        async with self.uow() as uow:
            sp = await uow.service_points.by_code(sp_code) if sp_code else None
            if sp_code and sp is None:
                return Outcome.of(Reply("staff/unknown_service_point", {"code": sp_code}))
            outcome = await self._create(uow, InviteRequest(role, uses, days), sp, None)
            await uow.commit()
        return outcome

    async def _service_point(
        self, uow: UnitOfWork, member: StaffMember, chat_id: int
    ) -> ServicePoint | None:
        if member.service_point_id is not None:
            return await uow.service_points.by_id(member.service_point_id)
        sp = await uow.service_points.by_staff_chat(chat_id)
        if sp is not None:
            return sp
        points = await uow.service_points.all()
        return points[0] if len(points) == 1 else None

    async def _create(
        self,
        uow: UnitOfWork,
        request: InviteRequest,
        sp: ServicePoint | None,
        created_by: int | None,
    ) -> Outcome:
        days = request.days or self.invite_days
        inv = await uow.invitations.add(
            make_invitation(
                self.clock,
                days,
                request.role,
                service_point_id=sp.id if sp else None,
                created_by_id=created_by,
                max_uses=request.uses,
            )
        )
        return Outcome.of(
            Reply(
                "staff/invite_link",
                {
                    "link": f"https://t.me/{self.bot_username}?start={inv.code}",
                    "code": inv.code,
                    "role": request.role.value,
                    "uses": request.uses,
                    "days": days,
                    "service_point": sp.name if sp else "",
                },
            )
        )
