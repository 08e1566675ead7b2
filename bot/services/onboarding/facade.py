"""Onboarding as the handlers see it: /start, and every `ob:` button routed to the step that
answers it (a button for any other step than the current one is stale)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.domain.replies import Outcome
from bot.ports import Clock, UnitOfWorkFactory
from bot.services.common import Draft, Who
from bot.services.onboarding.arrival import Arrival
from bot.services.onboarding.consent import Consent
from bot.services.onboarding.guardian import GuardianQuestions
from bot.services.onboarding.identity import WhoYouAre
from bot.services.onboarding.invites import InviteLinks
from bot.services.onboarding.policy import STALE, OnboardingPolicy, OnboardingWork

Step = Callable[[Who, str, Draft], Awaitable[tuple[Outcome, Draft]]]


class Onboarding(OnboardingWork):
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, policy: OnboardingPolicy) -> None:
        super().__init__(uow, clock, policy)
        links = InviteLinks(uow, clock)
        self.arrival = Arrival(uow, clock, policy, links)
        self.identity = WhoYouAre(uow, clock, policy)
        self.consent = Consent(uow, clock, policy, links)
        self.guardian = GuardianQuestions(uow, clock, policy)
        self.start = self.arrival.start
        # Each button's verb: the step it answers, and who answers it.
        self._steps: dict[str, tuple[str, Step]] = {
            "role": ("role", self.identity.role),
            "age": ("age", self.identity.age),
            "consent": ("consent", self.consent.consent),
            "rel": ("relation", self.guardian.relation),
            "cage": ("child_age", self.guardian.child_age),
            "gc": ("guardian_consent", self.guardian.guardian_consent),
        }

    async def choose(self, who: Who, action: str, draft: Draft) -> tuple[Outcome, Draft]:
        """Handle an `ob:` button; anything not valid for the current step is stale."""
        parts = action.split(":")
        verb, value = (parts[1], parts[2]) if len(parts) == 3 else (parts[-1], "")
        if verb not in self._steps:
            return Outcome(toast=STALE), draft
        step, answer = self._steps[verb]
        if draft.step != step:
            return Outcome(toast=STALE), draft
        return await answer(who, value, draft)
