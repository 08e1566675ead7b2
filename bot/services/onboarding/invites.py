"""The link someone came by: whether it still works, who sent it (in words the invited person
knows), and using it (service point, family). Both /start and the consent step need these."""

from __future__ import annotations

from bot.domain.invitations import InvitationView, InviteProblem, looks_like_code, problem_with
from bot.domain.people import Person, Relation, Role
from bot.ports import Clock, UnitOfWork, UnitOfWorkFactory


class InviteLinks:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow = uow
        self.clock = clock

    async def check(
        self, uow: UnitOfWork, payload: str, person: Person
    ) -> tuple[InvitationView | None, InviteProblem | None]:
        if not looks_like_code(payload):
            return None, InviteProblem.MALFORMED
        inv = await uow.invitations.by_code(payload)
        problem = problem_with(inv, self.clock.now())
        if problem is InviteProblem.USED and person.registered:
            # Opening your own link twice is not a problem worth a warning.
            return None, None
        return (inv, None) if problem is None else (None, problem)

    async def invited_by(self, invite: InvitationView) -> dict[str, object]:
        """Who sent the link, in words the invited person knows: for a child their guardian as
        they call them ("你的奶奶") and where that guardian is registered; otherwise the service
        point. Never a staff member's name (staff names are for colleagues) nor a code."""
        async with self.uow() as uow:
            sp = (
                await uow.service_points.by_id(invite.service_point_id)
                if invite.service_point_id is not None
                else None
            )
            guardian = (
                await uow.people.by_id(invite.inviter_person_id)
                if invite.inviter_person_id is not None and invite.role is Role.CHILD
                else None
            )
        relation = ""
        if guardian is not None and guardian.role is Role.GUARDIAN:
            relation = (guardian.relation or Relation.OTHER).value
        return {
            "service_point": sp.name if sp else "",
            "invited_as": invite.role.value,
            "inviter": relation,
        }

    async def apply(self, uow: UnitOfWork, person: Person, inv: InvitationView) -> bool:
        """Use the code for this person: service point, and the family the link stands for."""
        assert person.id is not None
        if not await uow.invitations.consume(inv.code, person.id, self.clock.now()):
            return False
        if inv.service_point_id is not None and person.service_point_id is None:
            person.service_point_id = inv.service_point_id
            await uow.people.save(person)
        if inv.inviter_person_id is not None and person.role is Role.CHILD:
            await uow.families.link(inv.inviter_person_id, person.id, None)
        return True

    async def why_lost(self, uow: UnitOfWork, inv: InvitationView) -> str:
        """Why a link that was fine at /start could not be used now (taken, expired, revoked)."""
        problem = problem_with(await uow.invitations.by_code(inv.code), self.clock.now())
        return (problem or InviteProblem.USED).value
