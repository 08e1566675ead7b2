"""What a guardian is asked once registered: how they are related to the child, the child's
age band, and (when their link came from the child) consent for that child."""

from __future__ import annotations

from bot.domain.people import ChildAgeBand, Relation, Role, parse_enum
from bot.domain.replies import Outcome
from bot.services.common import Draft, Who
from bot.services.family import settle_guardian_consent
from bot.services.onboarding.policy import STALE, OnboardingWork
from bot.services.onboarding.questions import ask_child_age, ask_guardian_consent, guardian_done


class GuardianQuestions(OnboardingWork):
    async def relation(self, who: Who, value: str, draft: Draft) -> tuple[Outcome, Draft]:
        relation = parse_enum(Relation, value)
        if relation is None:
            return Outcome(toast=STALE), draft
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            if person is None or person.role is not Role.GUARDIAN:
                return Outcome(toast=STALE), Draft()
            person.relation = relation
            await uow.people.save(person)
            await uow.commit()
        return Outcome.of(ask_child_age()), Draft(step="child_age", for_child=draft.for_child)

    async def child_age(self, who: Who, value: str, draft: Draft) -> tuple[Outcome, Draft]:
        child_band = parse_enum(ChildAgeBand, value)
        if child_band is None:
            return Outcome(toast=STALE), draft
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            if person is None or person.role is not Role.GUARDIAN:
                return Outcome(toast=STALE), Draft()
            person.child_age_band = child_band
            await uow.people.save(person)
            await uow.commit()
        if draft.for_child:
            return Outcome.of(ask_guardian_consent()), Draft(
                step="guardian_consent", for_child=draft.for_child
            )
        return Outcome.of(guardian_done()), Draft()

    async def guardian_consent(self, who: Who, value: str, draft: Draft) -> tuple[Outcome, Draft]:
        if value not in ("yes", "no"):
            return Outcome(toast=STALE), draft
        notices = await settle_guardian_consent(
            self.uow, self.clock, self.policy.notice_version, who, draft.for_child, value == "yes"
        )
        return Outcome(replies=(guardian_done(),), notices=notices), Draft()
