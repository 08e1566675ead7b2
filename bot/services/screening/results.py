"""The end of a form: the result recorded, the summary the person reads, and what follows it
(the ASQ after a safety answer, a case opened or offered, a counsellor offered)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.domain.cases import Tier
from bot.domain.people import Person, Role
from bot.domain.replies import Choice, Reply, rows
from bot.domain.screening import (
    Instrument,
    Result,
    Session,
    SessionStatus,
    concerns,
    reading,
    score,
)
from bot.ports import UnitOfWork
from bot.services.screening.cases import Cases, case_offer
from bot.services.screening.desk import Desk, DeskWork


def summary_reply(instrument: Instrument, result: Result, formal: bool, staffed: bool) -> Reply:
    """The end of a form, as the person reads it (see `reading` for what is left out)."""
    seen = reading(instrument, result)
    advised = {seen.band.advice} if seen.band else set()
    subscales = []
    for s in (s for s in seen.subscales if s.summary):
        # Two subscales with the same advice: said once.
        subscales.append({"summary": s.summary, "advice": "" if s.advice in advised else s.advice})
        advised.add(s.advice)
    return Reply(
        "screening/summary",
        {
            "complete": result.complete,
            "summary": seen.band.summary if seen.band else "",
            "advice": seen.band.advice if seen.band else "",
            "subscales": subscales,
            "safety": seen.safety,
            "staffed": staffed,
            "credit": instrument.credit,
            "tier": result.tier.value if result.tier else "",
            "formal": formal,
        },
    )


class Results(DeskWork):
    def __init__(self, desk: Desk, cases: Cases) -> None:
        super().__init__(desk)
        self.cases = cases

    async def finish(
        self,
        uow: UnitOfWork,
        person: Person,
        session: Session,
        instrument: Instrument,
        answers: Mapping[int, int | None],
        now: datetime,
        fired: bool,
    ) -> list[Reply]:
        """The last item answered: the result on the file of whom the form is about, the
        session closed, and what the person reads. `fired`: a safety answer was given in
        this session."""
        result = score(instrument, answers)
        await uow.screening.record(session.subject_id, person.id, answers, result, now)
        await uow.screening.close(session.id, SessionStatus.COMPLETED.value, now)
        replies = [await self._summary(uow, person, instrument, result, now)]
        if fired and instrument.id != "asq" and "asq" in self.instruments:
            replies.append(await self._asq_offer(uow, now))
        after = await self._after_tier(
            uow, person, session, instrument, result, answers, now, fired
        )
        if after is not None:
            replies.append(after)
        return replies

    async def _summary(
        self,
        uow: UnitOfWork,
        person: Person,
        instrument: Instrument,
        result: Result,
        now: datetime,
    ) -> Reply:
        """What the person reads at the end: a safety answer acknowledged first, honestly
        about whether a counsellor is on duty, and never a band's reassurance after a flag."""
        staffed = (
            await self.helpline.staffed_now(uow, now)
            if reading(instrument, result).safety
            else False
        )
        # Guardians, often grandparents, are addressed with 您; children with 你.
        return summary_reply(instrument, result, person.role is Role.GUARDIAN, staffed)

    async def _asq_offer(self, uow: UnitOfWork, now: datetime) -> Reply:
        """A safety answer on a longer form is followed by the suicide-risk questions. Out of
        hours it says nobody is on duty yet, and when someone will be."""
        staffed = await self.helpline.staffed_now(uow, now)
        timing = self.helpline.safety_reply(staffed, now, Tier.RED).data
        return Reply(
            "screening/offer_asq",
            {"staffed": staffed, "back": timing["back"]},
            choices=rows(Choice("btn.screening.start", "sc:start:asq")),
        )

    async def _after_tier(
        self,
        uow: UnitOfWork,
        person: Person,
        session: Session,
        instrument: Instrument,
        result: Result,
        answers: Mapping[int, int | None],
        now: datetime,
        fired: bool,
    ) -> Reply | None:
        """What a result's tier leads to: a counsellor offered after yellow; after orange or
        red, a case opened or offered, unless a safety answer has already opened one."""
        formal = person.role is Role.GUARDIAN
        if result.tier is Tier.YELLOW:
            return Reply(
                "screening/offer_counsellor",
                {"formal": formal},
                choices=rows(Choice("btn.checkin.talk", "help:counsellor")),
            )
        if result.tier not in (Tier.ORANGE, Tier.RED) or fired:
            return None
        if concerns(instrument, result):
            # Feeling unsafe at home or school (a subscale naming abuse or neglect) is a
            # safety answer in all but name: the case opens at once, and the person is told.
            return await self.cases.open_case(
                uow, person, session, instrument, result, answers, now
            )
        # No case opens behind anyone's back: without a safety answer the person is asked
        # first, and a no is respected.
        await uow.screening.close(session.id, SessionStatus.CASE_OFFERED.value, now)
        return case_offer(session.id, formal)
