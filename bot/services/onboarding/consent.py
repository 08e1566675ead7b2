"""The privacy notice answered: "more" explains, "no" forgets, "yes" registers a guardian or a
child. A child under 14 is registered as waiting for a guardian unless a guardian's link
already carried that consent; until then their age is not kept."""

from __future__ import annotations

from bot.domain.invitations import InvitationView, InviteProblem
from bot.domain.people import (
    AgeBand,
    ConsentDecision,
    ConsentStatus,
    Person,
    PersonStatus,
    Role,
    parse_enum,
)
from bot.domain.replies import Choice, Keyboard, Outcome, Reply, rows
from bot.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.common import Draft, Who, person_for
from bot.services.onboarding.invites import InviteLinks
from bot.services.onboarding.policy import STALE, OnboardingPolicy, OnboardingWork
from bot.services.onboarding.questions import ask_relation, ask_role, prompt_for


def _lost(problem: str) -> list[Reply]:
    """Say why the link could not be used, if it could not."""
    return [Reply("onboarding/invite_problem", {"problem": problem})] if problem else []


class Consent(OnboardingWork):
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, policy: OnboardingPolicy, links: InviteLinks
    ) -> None:
        super().__init__(uow, clock, policy)
        self.links = links

    async def consent(self, who: Who, value: str, draft: Draft) -> tuple[Outcome, Draft]:
        if value == "more":
            return Outcome.of(
                Reply("onboarding/privacy_more", {"role": draft.role}),
                prompt_for("consent", draft) or ask_role(),
            ), draft
        if value == "no":
            return await self._declined(who), Draft()
        if value != "yes" or draft.role not in (Role.GUARDIAN, Role.CHILD):
            return Outcome(toast=STALE), draft
        if draft.role == Role.GUARDIAN:
            return await self._guardian_agreed(who, draft)
        return await self._child_agreed(who, draft)

    async def _declined(self, who: Who) -> Outcome:
        async with self.uow() as uow:
            person = await person_for(uow, who, self.policy.default_locale)
            assert person.id is not None
            person.forget_personal_data()
            person.consent = ConsentStatus.DECLINED
            await uow.people.save(person)
            await uow.consents.record(
                person.id,
                person.id,
                ConsentDecision.DECLINED,
                self.policy.notice_version,
                self.clock.now(),
            )
            await uow.commit()
        return Outcome.of(Reply("onboarding/declined", keyboard=Keyboard.HELP))

    async def _register(
        self, uow: UnitOfWork, who: Who, role: Role, consent: ConsentStatus
    ) -> Person:
        person = await person_for(uow, who, self.policy.default_locale)
        assert person.id is not None
        now = self.clock.now()
        person.role = role
        person.consent = consent
        person.consent_at = now
        person.status = PersonStatus.ACTIVE
        await uow.people.save(person)
        await uow.consents.record(
            person.id, person.id, ConsentDecision.AGREED, self.policy.notice_version, now
        )
        return person

    async def _guardian_agreed(self, who: Who, draft: Draft) -> tuple[Outcome, Draft]:
        async with self.uow() as uow:
            person = await self._register(uow, who, Role.GUARDIAN, ConsentStatus.GIVEN)
            for_child = 0
            lost = ""
            if draft.invite:
                inv = await uow.invitations.by_code(draft.invite)
                if inv is not None and await self.links.apply(uow, person, inv):
                    for_child = inv.for_child_id or 0
                else:
                    lost = (
                        await self.links.why_lost(uow, inv) if inv else InviteProblem.UNKNOWN.value
                    )
            await uow.commit()
        thanks = Reply("onboarding/thanks_consent", {"role": "guardian"})
        replies = (thanks, *_lost(lost), ask_relation())
        return Outcome(replies=replies), Draft(step="relation", for_child=for_child)

    async def _child_agreed(self, who: Who, draft: Draft) -> tuple[Outcome, Draft]:
        band = parse_enum(AgeBand, draft.age) or AgeBand.UNSAID
        young = band.needs_guardian_consent
        async with self.uow() as uow:
            inv = await uow.invitations.by_code(draft.invite) if draft.invite else None
            guardian_link = bool(inv and inv.guardian_consent and inv.inviter_person_id)
            status = ConsentStatus.AWAITING_GUARDIAN if young else ConsentStatus.GIVEN
            person = await self._register(uow, who, Role.CHILD, status)
            # A guardian's consent travels with their link only to the child who actually uses
            # it: a one-use link another child took first, or one that expired since /start,
            # carries nobody's consent (PIPL Art. 31), so the answer is decided by the use.
            applied, lost = False, ""
            if inv is not None and (guardian_link or not young):
                applied, lost = await self._use(uow, person, inv)
            if young and not (guardian_link and applied):
                # Assent only: role and the wait are kept, the age is not, until a guardian agrees.
                await uow.commit()
                return Outcome(replies=(*_lost(lost), self._needs_guardian())), Draft()
            person.consent = ConsentStatus.GIVEN
            person.age_band = band
            await uow.people.save(person)
            await uow.commit()
        done = Reply("onboarding/child_done", keyboard=Keyboard.HELP)
        return Outcome(replies=(*_lost(lost), done)), Draft()

    async def _use(self, uow: UnitOfWork, person: Person, inv: InvitationView) -> tuple[bool, str]:
        """Use the link; whether it was used, and if not, why."""
        if await self.links.apply(uow, person, inv):
            return True, ""
        return False, await self.links.why_lost(uow, inv)

    @staticmethod
    def _needs_guardian() -> Reply:
        return Reply(
            "onboarding/child_needs_guardian",
            keyboard=Keyboard.HELP,
            choices=rows(Choice("btn.invite_guardian", "fam:guardian")),
        )
