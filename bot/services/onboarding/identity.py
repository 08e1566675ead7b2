"""Who is speaking: the role button (staff are pointed to their own way in, nothing stored)
and, for a child, the age band that decides whether a guardian must agree too."""

from __future__ import annotations

from bot.domain.people import AgeBand, Role, parse_enum
from bot.domain.replies import Keyboard, Outcome, Reply
from bot.services.common import Draft, Who
from bot.services.onboarding.policy import STALE, OnboardingWork
from bot.services.onboarding.questions import ask_age, privacy


class WhoYouAre(OnboardingWork):
    async def role(self, who: Who, value: str, draft: Draft) -> tuple[Outcome, Draft]:
        if value == "staff":
            return await self._staff(who), Draft()
        if value not in (Role.GUARDIAN, Role.CHILD):
            return Outcome(toast=STALE), draft
        if value == Role.CHILD:
            return Outcome.of(ask_age()), Draft(step="age", role=value, invite=draft.invite)
        return Outcome.of(privacy(value, False)), Draft(step="consent", role=value)

    async def _staff(self, who: Who) -> Outcome:
        async with self.uow() as uow:
            staff = await uow.staff.by_telegram_id(who.telegram_id)
        if staff is not None or who.telegram_id in self.policy.admin_ids:
            return Outcome.of(Reply("onboarding/staff_known", keyboard=Keyboard.HELP))
        return Outcome.of(
            Reply(
                "onboarding/staff_unknown",
                {"telegram_id": who.telegram_id},
                keyboard=Keyboard.HELP,
            )
        )

    async def age(self, who: Who, value: str, draft: Draft) -> tuple[Outcome, Draft]:
        band = parse_enum(AgeBand, value)
        if band is None:
            return Outcome(toast=STALE), draft
        guardian_ok = False
        if draft.invite:
            async with self.uow() as uow:
                inv = await uow.invitations.by_code(draft.invite)
            guardian_ok = bool(inv and inv.guardian_consent)
        needs_guardian = band.needs_guardian_consent and not guardian_ok
        new = Draft(step="consent", role=Role.CHILD.value, age=value, invite=draft.invite)
        return Outcome.of(privacy(Role.CHILD.value, needs_guardian)), new
