"""/start: a newcomer is welcomed and asked the first question (who they are, unless their
link says so); someone registered hears they are known, welcomed back, or their link applied."""

from __future__ import annotations

from bot.domain.invitations import InvitationView
from bot.domain.people import Person, PersonStatus, Role
from bot.domain.replies import Keyboard, Outcome, Reply
from bot.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.common import Draft, Who, person_for
from bot.services.onboarding.invites import InviteLinks
from bot.services.onboarding.policy import OnboardingPolicy, OnboardingWork
from bot.services.onboarding.questions import ask_age, ask_role, privacy


class Arrival(OnboardingWork):
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, policy: OnboardingPolicy, links: InviteLinks
    ) -> None:
        super().__init__(uow, clock, policy)
        self.links = links

    async def start(self, who: Who, payload: str, draft: Draft) -> tuple[Outcome, Draft, str]:
        """Returns what to say, the new draft, and the locale to say it in."""
        async with self.uow() as uow:
            person = await person_for(uow, who, self.policy.default_locale)
            replies: list[Reply] = []
            invite: InvitationView | None = None
            if payload:
                invite, problem = await self.links.check(uow, payload, person)
                if problem is not None:
                    replies.append(Reply("onboarding/invite_problem", {"problem": problem.value}))
            if person.registered:
                replies.extend(await self._returning(uow, person, invite))
                await uow.commit()
                return Outcome(replies=tuple(replies)), Draft(), person.locale
            await uow.commit()
        new = await self._welcome(invite, replies)
        return Outcome(replies=tuple(replies)), new, person.locale

    async def _welcome(self, invite: InvitationView | None, replies: list[Reply]) -> Draft:
        """Welcome a newcomer and ask the first question their link has not answered."""
        new = Draft(step="role")
        invited: dict[str, object] = {"service_point": ""}
        if invite is not None:
            new = Draft(invite=invite.code, role=invite.role.value)
            invited = await self.links.invited_by(invite)
        replies.append(Reply("onboarding/welcome", invited, keyboard=Keyboard.HELP))
        if not new.role:
            replies.append(ask_role())
        elif new.role == Role.CHILD:
            new.step = "age"
            replies.append(ask_age())
        else:
            new.step = "consent"
            replies.append(privacy(new.role, False))
        return new

    async def _returning(
        self, uow: UnitOfWork, person: Person, invite: InvitationView | None
    ) -> list[Reply]:
        out: list[Reply] = []
        if invite is not None:
            if invite.role is not person.role:
                out.append(Reply("onboarding/invite_wrong_role", {"role": invite.role.value}))
            elif await self.links.apply(uow, person, invite):
                out.append(Reply("onboarding/invite_applied"))
        if person.status is not PersonStatus.ACTIVE:
            person.status = PersonStatus.ACTIVE
            await uow.people.save(person)
            out.append(Reply("onboarding/welcome_back", keyboard=Keyboard.HELP))
        elif not out:
            out.append(Reply("onboarding/already", {"role": person.role}, keyboard=Keyboard.HELP))
        return out
