"""A person with an open case is heard by the counsellor, not the bot.

Their words go to the case's topic; danger in them raises the case; the bot says only what
keeps them from silence until a counsellor has answered.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.cases import Case, Tier, Trigger
from bot.domain.people import Person
from bot.domain.replies import Outcome
from bot.domain.safety_net import Action, Decision
from bot.ports import UnitOfWork
from bot.services.helpline.cards import tier_for
from bot.services.helpline.escalation import Escalation
from bot.services.helpline.line import Line
from bot.services.helpline.reading import Reader, Reading


class InCase:
    def __init__(self, line: Line, reader: Reader, escalation: Escalation) -> None:
        self.line = line
        self.reader = reader
        self.escalation = escalation

    async def hear(
        self,
        uow: UnitOfWork,
        person: Person,
        case: Case,
        reading: Reading,
        text: str,
        now: datetime,
        relay: bool = True,
    ) -> Outcome:
        """A counsellor owns the conversation: the words are relayed, and the case is raised
        when they show danger. Until a counsellor has answered, the person is not left in
        silence: the safety reply with the new response time; afterwards one quiet line of
        hotlines, so as not to talk over the counsellor."""
        decision = reading.decision
        if reading.earlier and decision.action is not Action.NONE:
            decision = self._news(case, decision, text, reading.guardian)
        answered = case.first_response_at is not None
        region = await self.line.region_of(uow, person)
        if decision.action is Action.ESCALATE and not decision.request:
            tier = tier_for(decision.triage) or Tier.ORANGE
            case, _ = await self.escalation.for_triage(
                uow, person, tier, Trigger.TRIAGE, decision.triage, text, now, relay
            )
            if answered:
                return self.line.quiet_hotlines(region)
            staffed = await self.line.staffed(uow, now)
            return Outcome.of(self.line.safety_reply(staffed, now, case.tier, region))
        if decision.request:
            case, new = await self.escalation.for_triage(
                uow, person, Tier.YELLOW, Trigger.REQUEST, None, text, now, relay
            )
            if answered:
                return Outcome()
            return self.line.requested(await self.line.staffed(uow, now), now, case, new, region)
        await self.escalation.record_in(uow, case, person, text, now, relay)
        if decision.action is Action.ASK and not answered:
            return self.line.quiet_hotlines(region)
        return Outcome()

    def _news(self, case: Case, decision: Decision, text: str, guardian: bool) -> Decision:
        """In an open case, what only the earlier words made risky has been acted on: the
        case exists (or was raised) for them. "好的" after "药我都攒好了" is not a new danger,
        and answering it with the safety reply again would be noise. Context still counts
        where it raises the case (high and then a time: critical)."""
        alone = self.reader.alone(text, guardian)
        if alone.action is Action.ESCALATE:
            return decision if not alone.request else alone
        if decision.action is Action.ESCALATE and not decision.request:
            tier = tier_for(decision.triage) or Tier.ORANGE
            if case.tier.raised_to(tier) is not case.tier:
                return decision
        return alone
