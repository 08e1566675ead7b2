"""What a form tells the counsellors: the safety path the moment a safety item is answered,
the case a result opens (at once for feeling unsafe, or after the person says yes to the
offer), and a concern on a case that was already open."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.domain.cases import Case, Tier, Trigger
from bot.domain.outbox import Priority
from bot.domain.people import Person, Role
from bot.domain.replies import Choice, Keyboard, Outcome, Reply, rows
from bot.domain.screening import Instrument, Item, Result, Session, concerns, score
from bot.ports import UnitOfWork
from bot.services.common import Who
from bot.services.screening.desk import STALE, DeskWork


def evidence(
    instrument: Instrument, result: Result, answers: Mapping[int, int | None]
) -> list[str]:
    """What the case card quotes: the band, and each positive subscale with its answers (the
    counsellor sees at once that item 6 of mood-kids, "unsafe at home or school", was hit)."""
    out = [f"{instrument.id}: {result.band}"]
    for sub in instrument.subscales:
        if f"{sub.id}_positive" in result.flags:
            hits = ", ".join(f"item {i} = {answers.get(i)}" for i in sub.items)
            out.append(f"{instrument.id} {sub.id}: {hits}")
    return out


def case_offer(session_id: int, formal: bool) -> Reply:
    """After an orange or red result without a safety answer: may a counsellor contact you?"""
    return Reply(
        "screening/case_offer",
        {"formal": formal},
        choices=rows(
            Choice("btn.screening.case_yes", f"sc:case:{session_id}"),
            Choice("btn.screening.case_no", f"sc:nocase:{session_id}"),
        ),
    )


class Cases(DeskWork):
    async def case_answer(self, who: Who, session_id: int, yes: bool) -> Outcome:
        """The person's answer to the case offered after an orange or red result."""
        now = self.clock.now()
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            session = await uow.screening.session(session_id)
            if person is None or session is None or session.person_id != person.id:
                return Outcome(toast=STALE)
            instrument = self.instruments.get(session.instrument)
            if instrument is None or not await uow.screening.settle(session.id, now):
                return Outcome(toast=STALE)  # answered already, or never offered
            formal = person.role is Role.GUARDIAN
            if not yes:
                await uow.commit()
                return Outcome.of(
                    Reply("screening/case_declined", {"formal": formal}, keyboard=Keyboard.HELP)
                )
            result = score(instrument, session.answers)
            opened = await self.open_case(
                uow, person, session, instrument, result, session.answers, now
            )
            await uow.commit()
        return Outcome.of(opened)

    async def safety_now(
        self,
        uow: UnitOfWork,
        person: Person,
        instrument: Instrument,
        item: Item,
        value: int | None,
        now: datetime,
    ) -> Reply:
        """The safety path, now: a case for the counsellors and the calm reply to the person."""
        tier = Tier.RED
        await self.helpline.escalate(
            uow,
            person,
            tier,
            Trigger.SCREENING,
            ["suicide"],
            [f"{instrument.id} item {item.id} = {value}"],
            "",
            now,
        )
        staffed = await self.helpline.staffed_now(uow, now)
        region = await self.helpline.region_of(uow, person)
        return self.helpline.safety_reply(staffed, now, tier, region)

    async def open_case(
        self,
        uow: UnitOfWork,
        person: Person,
        session: Session,
        instrument: Instrument,
        result: Result,
        answers: Mapping[int, int | None],
        now: datetime,
    ) -> Reply:
        """The case a result opens (after a yes, or at once for feeling unsafe), and what the
        person is told of it in the same answer."""
        tier = result.tier or Tier.ORANGE
        quoted = evidence(instrument, result, answers)
        if session.subject_id != person.id:
            # A guardian's answers about a child: the card names whose file holds them.
            subject = await uow.people.by_id(session.subject_id)
            quoted[0] += f" ({subject.code})" if subject and subject.code else ""
        # The case is with whoever answered: a guardian worried about a child talks to the
        # counsellor themselves.
        before = await uow.cases.open_for(person.id or 0)
        case, new = await self.helpline.escalate(
            uow, person, tier, Trigger.SCREENING, concerns(instrument, result), quoted, "", now
        )
        await self._tell_open_case(uow, before, case, instrument, result, answers, now)
        # Told honestly: who was told, when they will write, and the hotlines (the safety
        # reply's own figures, so the two never disagree).
        staffed = await self.helpline.staffed_now(uow, now)
        region = await self.helpline.region_of(uow, person)
        timing = self.helpline.safety_reply(staffed, now, tier, region).data
        formal = person.role is Role.GUARDIAN
        return Reply(
            "screening/case_opened",
            {**timing, "again": not new, "formal": formal},
            keyboard=Keyboard.HELP,
        )

    async def _tell_open_case(
        self,
        uow: UnitOfWork,
        before: Case | None,
        case: Case,
        instrument: Instrument,
        result: Result,
        answers: Mapping[int, int | None],
        now: datetime,
    ) -> None:
        """A concern (possible abuse or neglect) on a case that was already open at this tier
        or above: escalate posts nothing then, yet the counsellor must read it."""
        named = concerns(instrument, result)
        if before is None or not named or before.tier.rank < case.tier.rank:
            return  # a new case's card, or the "raised" post, already says it
        await self.helpline.board.post(
            uow,
            case,
            Reply(
                "screening/staff_concern",
                {
                    "code": case.code,
                    "categories": named,
                    "evidence": evidence(instrument, result, answers),
                },
            ),
            now,
            Priority.ALERT,
        )
