"""Every free-text message from a private chat, heard first for risk, then routed.

The crisis path starts here (`Hearing.hear`, which the handlers call as `Helpline.hear`) and
reads top-down: the message read with its context (reading.py), then, in this order, an
answer to the direct question (question.py), the open case's counsellor (in_case.py), a case
at once (escalation.py), or, without a case, the question, an offer or the closed case's
counsellor (after_close.py).
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.people import Person
from bot.domain.replies import Choice, Outcome, Reply, rows
from bot.domain.safety_net import Action
from bot.ports import UnitOfWork
from bot.services.common import Who, person_for
from bot.services.helpline.after_close import AfterClose
from bot.services.helpline.escalation import Escalation
from bot.services.helpline.in_case import InCase
from bot.services.helpline.line import Heard, Line
from bot.services.helpline.question import Question
from bot.services.helpline.reading import Reader, Reading


class Hearing:
    def __init__(
        self,
        line: Line,
        reader: Reader,
        question: Question,
        in_case: InCase,
        escalation: Escalation,
        after_close: AfterClose,
    ) -> None:
        self.line = line
        self.reader = reader
        self.question = question
        self.in_case = in_case
        self.escalation = escalation
        self.after_close = after_close

    async def hear(self, who: Who, text: str, relay: bool = True) -> Heard:
        """Every free-text message from a private chat passes here first: read with the
        person's last minutes of messages, then escalated, asked about, offered a counsellor,
        relayed to their counsellor, or left to the other routers. `relay=False` for a
        caption: heard and acted on alike, but the counsellor sees it on the copied media
        (`media`), not twice."""
        now = self.line.clock.now()
        async with self.line.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            if person is not None and person.role is not None and person.role.is_staff:
                return Heard(Outcome(), handled=False)
            reading = await self.reader.read(uow, person, text, now)
            heard = await self._route(uow, who, person, reading, text, now, relay)
            await uow.commit()
        return heard

    async def _route(
        self,
        uow: UnitOfWork,
        who: Who,
        person: Person | None,
        reading: Reading,
        text: str,
        now: datetime,
        relay: bool,
    ) -> Heard:
        answered = await self.question.typed(uow, person, text, now)
        if answered is not None:
            return Heard(answered, handled=True)
        case = await uow.cases.open_for(person.id) if person and person.id else None
        if case is not None and person is not None:
            outcome = await self.in_case.hear(uow, person, case, reading, text, now, relay)
            return Heard(outcome, handled=True)
        if reading.decision.action is Action.ESCALATE:
            person = person or await person_for(uow, who, self.line.policy.default_locale)
            outcome = await self.escalation.at_once(uow, person, reading.decision, text, now)
            return Heard(outcome, handled=True)
        outcome = await self._without_case(uow, who, person, reading, text, now, relay)
        return Heard(outcome, handled=bool(outcome.replies))

    async def _without_case(
        self,
        uow: UnitOfWork,
        who: Who,
        person: Person | None,
        reading: Reading,
        text: str,
        now: datetime,
        relay: bool,
    ) -> Outcome:
        """No open case and nothing to escalate: the direct question (or, asked lately, the
        offer of a counsellor), and within a day of a case closing, its counsellor."""
        decision = reading.decision
        after = await self.after_close.closed_lately(uow, person, now)
        if decision.action is Action.ASK:
            person = person or await self._someone(uow, who, text, now)
            decision = await self.question.settle(uow, person, decision, now)
        if after is not None:
            # Within a day of closing: the counsellor who closed it hears it, not the bot.
            await self.after_close.hear(uow, after, text, now, relay)
        if decision.action is Action.ASK and person is not None:
            return await self.question.ask(uow, person, decision, now)
        if after is not None:
            return Outcome.of(await self.after_close.passed_on(uow, person, after, now))
        if decision.action is Action.OFFER:
            return _offer(reading.guardian)
        return Outcome()

    async def _someone(self, uow: UnitOfWork, who: Who, text: str, now: datetime) -> Person:
        """The question needs someone to belong to (only a Telegram id and a language, as
        for an emergency case), and its card the words."""
        person = await person_for(uow, who, self.line.policy.default_locale)
        assert person.id is not None
        await uow.net.remember(person.id, text, now)
        return person


def _offer(guardian: bool) -> Outcome:
    """A gentle check-in and the offer of a counsellor: words of medium risk, or worrying
    words when the direct question was asked lately."""
    return Outcome.of(
        Reply(
            "helpline/check_in",
            {"guardian": guardian},
            choices=rows(
                Choice("btn.checkin.talk", "help:counsellor"),
                Choice("btn.checkin.later", "help:later"),
            ),
        )
    )
