"""The direct question: "are you having thoughts of ending your life?", 有 / 没有 / 不想说.

Asked when the words are worrying but not clear; answered by a press, by the same words
typed, or by nobody in time (then a yellow case, so a human looks). What is kept: who, when,
by when, and why (never their words).
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.asking import Answer
from bot.domain.cases import Case, Tier, Trigger
from bot.domain.people import Person, Role
from bot.domain.replies import Choice, Outcome, Reply, rows
from bot.domain.safety_net import Decision, may_ask, settle
from bot.domain.triage import Category
from bot.ports import UnitOfWork
from bot.services.common import Who
from bot.services.helpline.escalation import Escalation
from bot.services.helpline.line import Line

# The words quoted on the card of a case the direct question led to.
ASKED_WORDS = 5
DUE_BATCH = 100


class Question:
    def __init__(self, line: Line, escalation: Escalation) -> None:
        self.line = line
        self.escalation = escalation
        self.uow = line.uow
        self.clock = line.clock

    # -- asking ---------------------------------------------------------------------------

    async def settle(
        self, uow: UnitOfWork, person: Person, decision: Decision, now: datetime
    ) -> Decision:
        """One question per stretch of time: asked recently, the person is offered a
        counsellor instead."""
        assert person.id is not None
        last = await uow.net.last_asked(person.id)
        return settle(decision, may_ask(last, now, self.line.net))

    async def ask(
        self, uow: UnitOfWork, person: Person, decision: Decision, now: datetime
    ) -> Outcome:
        """The direct question, with 有 / 没有 / 不想说, the counsellor button and the
        hotlines."""
        assert person.id is not None
        guardian = person.role is Role.GUARDIAN
        question = await uow.net.ask(
            person.id, decision.reason[:16], guardian, now, now + self.line.net.answer_within
        )
        region = await self.line.region_of(uow, person)
        return Outcome.of(self._reply(question.id, guardian, region))

    def _reply(self, q: int, guardian: bool, region: str | None) -> Reply:
        return Reply(
            "helpline/ask",
            {**self.line.hotline_data(region), "guardian": guardian},
            choices=(
                (
                    Choice("btn.ask.yes", f"ask:yes:{q}"),
                    Choice("btn.ask.no", f"ask:no:{q}"),
                    Choice("btn.ask.skip", f"ask:skip:{q}"),
                ),
                (Choice("btn.help", "help:counsellor"),),
            ),
        )

    async def waiting(self, who: Who) -> tuple[Reply, bool] | None:
        """The direct question this person was asked and has not answered in time yet, to ask
        again after a typed message that is none of its answers (and showed no risk: that was
        heard first), and whether they are addressed with 您. Only the words in
        content/helpline/answers.yaml answer it: never a number or a guess."""
        now = self.clock.now()
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            if person is None or person.id is None:
                return None
            question = await uow.net.pending(person.id)
            if question is None or question.due_at <= now:
                return None
            guardian = person.role is Role.GUARDIAN
            region = await self.line.region_of(uow, person)
        return self._reply(question.id, guardian, region), guardian

    # -- answering ------------------------------------------------------------------------

    async def typed(
        self, uow: UnitOfWork, person: Person | None, text: str, now: datetime
    ) -> Outcome | None:
        """A whole-message answer (有, 没有, 不想说) to a waiting question is that answer,
        even where read with the words that led to the question it would escalate: the
        answer decides (有 is red at once), not a second reading of the same words. None when
        the message is no answer or no question waits."""
        typed = self.line.answers.read(text)
        if typed is None or person is None or person.id is None:
            return None
        question = await uow.net.pending(person.id)
        if question is None or question.due_at <= now:
            return None
        # "有" typed instead of pressed is the same answer.
        return await self._answer(uow, person, question.id, typed, now)

    async def answer(self, who: Who, question_id: int, answer: Answer) -> Outcome:
        """A press of 有 / 没有 / 不想说. A stale or repeated press, or someone else's
        button, is thanked and changes nothing."""
        now = self.clock.now()
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            question = await uow.net.question(question_id)
            if person is None or question is None or question.person_id != person.id:
                return Outcome(toast="toast.ask.answered")
            outcome = await self._answer(uow, person, question_id, answer, now)
            await uow.commit()
        return outcome

    async def _answer(
        self, uow: UnitOfWork, person: Person, question_id: int, answer: Answer, now: datetime
    ) -> Outcome:
        """有 escalates at once as critical; 不想说 opens a yellow case so a human looks;
        没有 gets a warm reply and the offer of a counsellor. Only the first answer counts
        (one conditional UPDATE), so a double press or a press racing the timer makes one
        case, whichever instance handles it."""
        if not await uow.net.settle(question_id, answer, now):
            return Outcome(toast="toast.ask.answered")
        if answer is Answer.NO:
            return Outcome.of(
                Reply(
                    "helpline/ask_no",
                    {"guardian": person.role is Role.GUARDIAN},
                    choices=rows(Choice("btn.checkin.talk", "help:counsellor")),
                ),
                toast="toast.thanks",
            )
        region = await self.line.region_of(uow, person)
        case = await self._unsure_case(uow, person, answer, now)
        staffed = await self.line.staffed(uow, now)
        if answer is Answer.YES:
            return Outcome.of(self.line.safety_reply(staffed, now, case.tier, region))
        data = {**self.line.hotline_data(region), **self.line.when_data(now, case.tier)}
        return Outcome.of(Reply("helpline/ask_skip", {**data, "staffed": staffed}))

    async def _unsure_case(
        self, uow: UnitOfWork, person: Person, answer: Answer, now: datetime
    ) -> Case:
        """The case an answer calls for, with the words that led to the question (from the
        context still kept) on its card."""
        assert person.id is not None
        net = self.line.net
        words = await uow.net.earlier(
            person.id, now - net.answer_within - net.context_window, ASKED_WORDS
        )
        triage = self.line.triager.classify(words[-1], words[:-1]) if words else None
        categories = [c.value for c in triage.categories] if triage else []
        evidence = list(triage.matched) if triage else []
        if answer is Answer.YES:
            tier, trigger = Tier.RED, Trigger.ASKED
            if Category.SUICIDE.value not in categories:
                categories.append(Category.SUICIDE.value)
        else:
            tier, trigger = Tier.YELLOW, Trigger.UNCONFIRMED
        case, _ = await self.escalation.escalate(
            uow, person, tier, trigger, categories, evidence, "\n".join(words), now
        )
        return case

    # -- nobody answered ------------------------------------------------------------------

    async def unanswered(self, now: datetime) -> int:
        """Questions nobody answered in time become yellow cases ("possible risk,
        unconfirmed"), so a human looks. Claimed one by one with the same conditional UPDATE
        as a press: a restart, a late press or a second instance makes no second case."""
        done = 0
        async with self.uow() as uow:
            due = await uow.net.due(now, DUE_BATCH)
        for question in due:
            async with self.uow() as uow:
                person = await uow.people.by_id(question.person_id)
                if person is None or not await uow.net.settle(question.id, Answer.TIMEOUT, now):
                    continue
                await self._unsure_case(uow, person, Answer.TIMEOUT, now)
                await uow.commit()
            done += 1
        return done

    async def tick(self, now: datetime) -> dict[str, int]:
        """The safety net's timer: unanswered questions first (their cards quote the words
        still kept), then the words older than the context window go."""
        asked = await self.unanswered(now)
        async with self.uow() as uow:
            forgotten = await uow.net.forget_before(now - self.line.net.context_window)
            await uow.commit()
        return {"unanswered": asked, "forgotten": forgotten}
