"""Escalation: a message, an answer or a questionnaire that shows danger becomes a case.

The crisis path's second half, top-down: the case opened (or the open one raised), its topic
and card in the staff group, the on-duty counsellors alerted or the supervisors paged, the
person's words recorded and relayed. Screening escalates through here too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.cases import Case, CaseStatus, EventKind, Tier, Trigger
from bot.domain.outbox import Priority
from bot.domain.people import Person
from bot.domain.replies import Outcome, Reply
from bot.domain.safety_net import Decision
from bot.domain.triage import Triage
from bot.ports import CaseMessage, UnitOfWork
from bot.services.helpline.cards import case_card, evidence_quotes, tier_for
from bot.services.helpline.line import Line


@dataclass(frozen=True, slots=True)
class _Cause:
    """Why a case is opened or raised, as logged and shown to staff."""

    tier: Tier
    trigger: Trigger
    categories: list[str]
    evidence: list[str]


class Escalation:
    def __init__(self, line: Line) -> None:
        self.line = line
        self.board = line.board

    async def at_once(
        self, uow: UnitOfWork, person: Person, decision: Decision, text: str, now: datetime
    ) -> Outcome:
        """A case at once. Emergency escalation needs no fresh consent (docs/DOMAIN.md §5): a
        first message can open a case, with only the Telegram id and language kept until
        consent. A request for a person is the counsellor button, in words."""
        region = await self.line.region_of(uow, person)
        if decision.request:
            case, new = await self.for_triage(
                uow, person, Tier.YELLOW, Trigger.REQUEST, None, text, now
            )
            return self.line.requested(await self.line.staffed(uow, now), now, case, new, region)
        tier = tier_for(decision.triage) or Tier.ORANGE
        case, _ = await self.for_triage(
            uow, person, tier, Trigger.TRIAGE, decision.triage, text, now
        )
        staffed = await self.line.staffed(uow, now)
        return Outcome.of(self.line.safety_reply(staffed, now, case.tier, region))

    async def for_triage(
        self,
        uow: UnitOfWork,
        person: Person,
        tier: Tier,
        trigger: Trigger,
        triage: Triage | None,
        text: str,
        now: datetime,
        relay: bool = True,
    ) -> tuple[Case, bool]:
        """`escalate`, with the categories and evidence of a message's triage (none for a
        request for a person)."""
        categories = [c.value for c in triage.categories] if triage else []
        evidence = list(triage.matched) if triage else []
        return await self.escalate(
            uow, person, tier, trigger, categories, evidence, text, now, relay
        )

    async def escalate(
        self,
        uow: UnitOfWork,
        person: Person,
        tier: Tier,
        trigger: Trigger,
        categories: Sequence[str],
        evidence: Sequence[str],
        text: str,
        now: datetime,
        relay: bool = True,
    ) -> tuple[Case, bool]:
        """Open the person's case or raise the open one; the staff chat hears of it either way.
        Runs inside the caller's unit of work: the case and what caused it commit together.
        `relay=False`: the words reach the topic another way (a caption, on its copied media)."""
        assert person.id is not None
        cause = _Cause(tier, trigger, list(categories), list(evidence))
        chat = await self._staff_chat_for(uow, person, now)
        case, new = await uow.cases.open(
            person.id, chat, tier, trigger, cause.categories, cause.evidence, now
        )
        staffed = await self.line.staffed(uow, now)
        if new:
            await self._opened(uow, case, person, cause, text, now, staffed)
        else:
            case = await self._raised(uow, case, person, cause, now, staffed)
        if text:
            await self.record_in(uow, case, person, text, now, relay=relay and not new)
        return case, new

    async def _staff_chat_for(self, uow: UnitOfWork, person: Person, now: datetime) -> int:
        """The person's service point's staff group; of several, the one least behind (one
        group carries about six calm conversations: a new case must not queue behind a
        saturated group's chat while the point has another)."""
        if person.service_point_id is not None:
            sp = await uow.service_points.by_id(person.service_point_id)
            chats = sp.staff_chat_ids if sp is not None else ()
            if len(chats) > 1:
                backlog = await uow.outbox.backlog(chats, now)
                talking = Counter(c.staff_chat_id for c in await uow.cases.all_open())
                return min(chats, key=lambda c: (backlog.get(c, 0), talking[c], chats.index(c)))
            if chats:
                return chats[0]
        return self.line.policy.staff_chat_id or 0

    async def _opened(
        self,
        uow: UnitOfWork,
        case: Case,
        person: Person,
        cause: _Cause,
        text: str,
        now: datetime,
        staffed: bool,
    ) -> None:
        """A new case: logged, the person's lessons held, its topic opened with the card."""
        await uow.cases.log(
            case.id,
            EventKind.OPENED,
            now,
            None,
            trigger=cause.trigger.value,
            tier=cause.tier.value,
            categories=cause.categories,
            staffed=staffed,
        )
        if person.telegram_id is not None:
            await uow.holds.hold_chat(person.telegram_id, self.line.hold_kinds)
        await self.board.open_topic(uow, case, now)
        # Crisis priority, queued before the person's words: the card leads the topic.
        # The person's first words ride on the card: one post, not two, from the group's
        # 20 a minute.
        card, rest = case_card(case, person, text, self.line.target_minutes(case.tier))
        await self.board.post(uow, case, card, now, Priority.ALERT, what="card")
        if rest:
            await self.board.relay_in(uow, case, rest, now)
        if not staffed:
            await uow.cases.log(case.id, EventKind.OUT_OF_HOURS, now)
        if cause.tier is Tier.RED:
            await self.red_alert(uow, case, person, staffed, now)

    async def _raised(
        self,
        uow: UnitOfWork,
        case: Case,
        person: Person,
        cause: _Cause,
        now: datetime,
        staffed: bool,
    ) -> Case:
        """The open case heard of again: logged, and raised when the new tier is higher."""
        raised = case.tier.raised_to(cause.tier)
        await uow.cases.log(
            case.id,
            EventKind.RAISED,
            now,
            None,
            trigger=cause.trigger.value,
            tier=cause.tier.value,
            categories=cause.categories,
        )
        if raised is case.tier:
            return case
        await uow.cases.update(case.id, tier=raised)
        case = await uow.cases.by_id(case.id) or case
        await self.board.rename(uow, case, now)
        if raised is Tier.RED:
            await self.red_alert(uow, case, person, staffed, now)
        data = {
            "code": case.code,
            "tier": raised.value,
            "categories": cause.categories,
            "evidence": evidence_quotes(cause.evidence),
        }
        await self.board.post(uow, case, Reply("helpline/staff_raised", data), now, Priority.ALERT)
        return case

    async def red_alert(
        self, uow: UnitOfWork, case: Case, person: Person, staffed: bool, now: datetime
    ) -> None:
        """A case that is red now, opened so or raised: the counsellors on duty are alerted
        while it waits, and out of hours the supervisors are paged. A red case raised out of
        hours (a child pressing 我现在不安全 at 3 a.m.) used to reach no one until morning."""
        if staffed:
            if case.status is CaseStatus.WAITING:
                await self.board.alert_on_duty(uow, case, person.service_point_id, now)
            return
        await self.board.page_supervisors(
            uow,
            case,
            "helpline/page_unstaffed",
            {"tier": case.tier.value},
            now,
            f"helpline/page_unstaffed:{case.alert_level}",
        )

    async def record_in(
        self,
        uow: UnitOfWork,
        case: Case,
        person: Person,
        text: str,
        now: datetime,
        relay: bool = True,
    ) -> None:
        """The person's words on the case's record, and in its topic unless `relay=False`."""
        await uow.cases.add_message(case.id, CaseMessage(now, "in", person.id, text))
        await uow.cases.update(case.id, last_person_at=now)
        if relay:
            await self.board.relay_in(uow, case, text, now)
