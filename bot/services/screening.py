"""Self-check questionnaires in chat: one item per message, resumable, safety first.

A safety answer (PHQ-A item 9 above 0, any ASQ "yes") acts the moment it is given: the safety
reply and a case in the counsellor queue, committed with the answer itself, so stopping the
questionnaire afterwards undoes nothing. Results are screening (筛查/测评), never a diagnosis.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.cases import Case, Tier, Trigger
from bot.domain.outbox import Priority
from bot.domain.people import AgeBand, ConsentStatus, Person, Role, new_person_code
from bot.domain.replies import Choice, Keyboard, Outcome, Reply, rows
from bot.domain.screening import (
    Instrument,
    Item,
    Respondent,
    Result,
    Session,
    SessionStatus,
    Subject,
    concerns,
    reading,
    score,
)
from bot.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.common import Who
from bot.services.helpline import Helpline

STALE = "toast.stale"
# The age a band stands for when checking an instrument's age range (its upper end).
_AGE = {
    AgeBand.A8_11: 11,
    AgeBand.A12_13: 13,
    AgeBand.A14_15: 15,
    AgeBand.A16_17: 17,
}


@dataclass(frozen=True, slots=True)
class Step:
    """Where a session is: the item to show next, or None when it is done."""

    item: Item | None
    position: int


def next_step(instrument: Instrument, answers: Mapping[int, int | None], position: int) -> Step:
    asked = instrument.to_ask(answers)
    return Step(asked[position] if position < len(asked) else None, position)


def _may_skip(instrument: Instrument, answers: Mapping[int, int | None], item_id: int) -> bool:
    """A skip is offered only while the form's published rule would still score it: none
    on a form that allows no blank item, and no more than its limit on one that does."""
    skipped = sum(1 for k, v in answers.items() if v is None and k != item_id)
    return skipped < instrument.max_missing


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


class Screening:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        instruments: Mapping[str, Instrument],
        helpline: Helpline,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.instruments = instruments
        self.helpline = helpline

    # -- which forms a person may take ------------------------------------------------------

    def offered_to(self, person: Person, menu: bool = True) -> list[Instrument]:
        """The forms this person may take; the ASQ is not on the menu (it follows a safety
        answer, or a counsellor asks for it) but may be started from those invitations."""
        if person.role is Role.CHILD:
            age = _AGE.get(person.age_band) if person.age_band else None
            return [
                i
                for i in self.instruments.values()
                if i.respondent is Respondent.SELF
                and i.subject is Subject.CHILD
                and (i.id != "asq" or not menu)
                and (age is None or i.ages[0] <= age <= i.ages[1])
            ]
        if person.role is Role.GUARDIAN:
            # A parent's report about the child, or an adult's form about themselves; never a
            # child's self-report (its wording and advice are for a child).
            return [
                i
                for i in self.instruments.values()
                if i.respondent is Respondent.GUARDIAN or i.subject is Subject.GUARDIAN
            ]
        return []

    async def menu(self, who: Who) -> Outcome:
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            if person is None or person.consent is not ConsentStatus.GIVEN:
                return Outcome.of(Reply("screening/needs_consent"))
            active = await uow.screening.active_for(person.id or 0)
        forms = self.offered_to(person)
        if not forms:
            return Outcome.of(Reply("screening/none_for_you"))
        choices = [
            Choice("btn.screening.form", f"sc:start:{i.id}", label_data={"name": i.name})
            for i in forms
        ]
        if active is not None:
            choices.insert(0, Choice("btn.screening.resume", "sc:resume"))
        return Outcome.of(Reply("screening/menu", choices=rows(*choices)))

    # -- starting ---------------------------------------------------------------------------

    async def add_child(self, who: Who, instrument_id: str) -> Outcome:
        """A guardian answers about a child who has no Telegram (many 8-year-olds have no
        phone): the child gets a record of their own, linked to this guardian, so the answers
        land in the child's file and not the guardian's."""
        instrument = self.instruments.get(instrument_id)
        now = self.clock.now()
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            if (
                person is None
                or person.id is None
                or person.role is not Role.GUARDIAN
                or person.consent is not ConsentStatus.GIVEN
                or instrument is None
                or instrument.respondent is not Respondent.GUARDIAN
            ):
                return Outcome(toast=STALE)
            if await uow.families.children_of(person.id):
                child = None  # pressed twice, or a child was linked meanwhile
            else:
                child = await uow.people.add(
                    Person(
                        telegram_id=None,
                        locale=person.locale,
                        code=new_person_code(),
                        role=Role.CHILD,
                        # The guardian's consent stands for a child on record (PIPL art. 31).
                        consent=ConsentStatus.GIVEN,
                        consent_at=now,
                        child_age_band=person.child_age_band,
                        service_point_id=person.service_point_id,
                    )
                )
                await uow.families.link(person.id, child.id or 0, person.relation)
                await uow.commit()
        started = await self.start(who, instrument_id, child_id=(child.id or 0) if child else 0)
        if child is None:
            return started
        added = Reply("screening/child_added", {"code": child.code})
        return Outcome(replies=(added, *started.replies), toast=started.toast)

    async def start(
        self, who: Who, instrument_id: str, confirmed: bool = False, child_id: int = 0
    ) -> Outcome:
        instrument = self.instruments.get(instrument_id)
        now = self.clock.now()
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            if person is None or person.id is None or person.consent is not ConsentStatus.GIVEN:
                return Outcome.of(Reply("screening/needs_consent"))
            if instrument is None or instrument not in self.offered_to(person, menu=False):
                return Outcome(toast=STALE)
            subject = person.id
            about_child = instrument.subject is Subject.CHILD
            if about_child and person.role is Role.GUARDIAN:
                children = [c for c in await uow.families.children_of(person.id) if c.id]
                if not children:
                    return Outcome.of(
                        Reply(
                            "screening/no_child_linked",
                            choices=rows(
                                Choice("btn.screening.add_child", f"sc:addchild:{instrument.id}")
                            ),
                        )
                    )
                chosen = next((c for c in children if c.id == child_id), None)
                if chosen is None and len(children) > 1:
                    return Outcome.of(
                        Reply(
                            "screening/which_child",
                            choices=rows(
                                *(
                                    Choice(
                                        "btn.screening.child",
                                        f"sc:child:{instrument.id}:{c.id}",
                                        label_data={"n": n},
                                    )
                                    for n, c in enumerate(children, start=1)
                                )
                            ),
                        )
                    )
                subject = (chosen or children[0]).id or 0
            last = await uow.screening.last(subject, instrument.id)
            recent = last is not None and now - last.taken_at < timedelta(
                days=instrument.recall_days
            )
            if recent and not confirmed:
                return Outcome.of(
                    Reply(
                        "screening/again",
                        {"days": instrument.recall_days},
                        choices=rows(
                            Choice("btn.screening.again", f"sc:again:{instrument.id}:{child_id}"),
                            Choice("btn.screening.not_now", "sc:later"),
                        ),
                    )
                )
            session = await uow.screening.start(
                person.id, subject, instrument.id, instrument.version, now
            )
            await uow.commit()
        return Outcome.of(
            Reply(
                "screening/intro",
                {
                    "name": instrument.name,
                    "prompt": instrument.prompt,
                    "validated": instrument.validated,
                    "count": instrument.how_many,
                    # Said before the first item: whether every question needs an answer.
                    "skips": instrument.max_missing,
                    "formal": person.role is Role.GUARDIAN,
                },
            ),
            self._item_reply(instrument, session.id, {}, 0),
        )

    def _item_reply(
        self,
        instrument: Instrument,
        session_id: int,
        answers: Mapping[int, int | None],
        position: int,
    ) -> Reply:
        step = next_step(instrument, answers, position)
        assert step.item is not None
        total = len(instrument.to_ask(answers))
        item = step.item
        choices = [
            Choice(
                "btn.screening.option",
                f"sc:a:{session_id}:{position}:{o.value}",
                label_data={"label": o.label},
            )
            for o in item.options
        ]
        nav = [Choice("btn.screening.stop", f"sc:stop:{session_id}")]
        if _may_skip(instrument, answers, item.id):
            nav.insert(0, Choice("btn.screening.skip", f"sc:s:{session_id}:{position}"))
        if position > 0:
            nav.insert(0, Choice("btn.screening.back", f"sc:b:{session_id}:{position}"))
        return Reply(
            "screening/item",
            {"n": position + 1, "total": total, "text": item.text},
            choices=(*rows(*choices), tuple(nav)),
        )

    async def resume(self, who: Who) -> Outcome:
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            session = await uow.screening.active_for(person.id or 0) if person else None
        if session is None:
            return Outcome(toast="toast.screening.nothing_to_resume")
        instrument = self.instruments.get(session.instrument)
        if instrument is None or instrument.version != session.version:
            return Outcome(toast=STALE)
        return Outcome.of(
            self._item_reply(instrument, session.id, session.answers, session.position)
        )

    async def waiting(self, who: Who) -> tuple[Reply, int, bool] | None:
        """The item this person is in the middle of, to read a typed answer against (or ask
        again), how many of its buttons are answers (the rest are back, skip, stop), and
        whether the person is addressed with 您 (a guardian). Or, after a result, the case
        offered and not yet answered (a typed 要 or 不用了 answers it)."""
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            session = await uow.screening.active_for(person.id or 0) if person else None
            offered = (
                await uow.screening.offered_for(person.id or 0)
                if person is not None and session is None
                else None
            )
        if person is None:
            return None
        formal = person.role is Role.GUARDIAN
        if offered is not None:
            return case_offer(offered.id, formal), 2, formal
        if session is None:
            return None
        instrument = self.instruments.get(session.instrument)
        if instrument is None or instrument.version != session.version:
            return None
        step = next_step(instrument, session.answers, session.position)
        if step.item is None:
            return None
        reply = self._item_reply(instrument, session.id, session.answers, session.position)
        return reply, len(step.item.options), formal

    # -- answering --------------------------------------------------------------------------

    async def _mine(
        self, uow: UnitOfWork, who: Who, session_id: int
    ) -> tuple[Person, Session, Instrument] | None:
        person = await uow.people.by_telegram_id(who.telegram_id)
        session = await uow.screening.session(session_id)
        if person is None or session is None or session.person_id != person.id:
            return None
        instrument = self.instruments.get(session.instrument)
        if instrument is None or instrument.version != session.version:
            return None
        if session.status is not SessionStatus.IN_PROGRESS:
            return None
        return person, session, instrument

    async def answer(self, who: Who, session_id: int, position: int, value: int | None) -> Outcome:
        """An answer (or a skip, value None) to the item at `position`."""
        now = self.clock.now()
        replies: list[Reply] = []
        async with self.uow() as uow:
            found = await self._mine(uow, who, session_id)
            if found is None:
                return Outcome(toast=STALE)
            person, session, instrument = found
            step = next_step(instrument, session.answers, session.position)
            if step.item is None or position != session.position:
                return Outcome(toast=STALE)  # an older message's button, or a double press
            if value is not None and value not in step.item.values:
                return Outcome(toast=STALE)
            if value is None and not _may_skip(instrument, session.answers, step.item.id):
                return Outcome(toast=STALE)  # a skip the form's rule does not allow
            answers = {**session.answers, step.item.id: value}
            if not await uow.screening.answer(session.id, position, answers, position + 1, now):
                return Outcome(toast=STALE)
            fired = session.safety_fired
            if instrument.safety_hit(step.item.id, value) and await uow.screening.mark_safety(
                session.id
            ):
                replies.append(await self._safety(uow, person, instrument, step.item, value, now))
                fired = True
            following = next_step(instrument, answers, position + 1)
            if following.item is None:
                replies.extend(
                    await self._finish(uow, person, session, instrument, answers, now, fired)
                )
            else:
                replies.append(self._item_reply(instrument, session.id, answers, position + 1))
            await uow.commit()
        return Outcome(replies=tuple(replies))

    async def back(self, who: Who, session_id: int, position: int) -> Outcome:
        now = self.clock.now()
        async with self.uow() as uow:
            found = await self._mine(uow, who, session_id)
            if found is None or position != found[1].position or position == 0:
                return Outcome(toast=STALE)
            _, session, instrument = found
            if not await uow.screening.answer(
                session.id, position, session.answers, position - 1, now
            ):
                return Outcome(toast=STALE)
            await uow.commit()
        return Outcome.of(self._item_reply(instrument, session.id, session.answers, position - 1))

    async def stop(self, who: Who, session_id: int) -> Outcome:
        now = self.clock.now()
        async with self.uow() as uow:
            found = await self._mine(uow, who, session_id)
            if found is None:
                return Outcome(toast=STALE)
            await uow.screening.close(session_id, SessionStatus.ABANDONED.value, now)
            await uow.commit()
        return Outcome.of(Reply("screening/stopped"))

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
            opened = await self._open_screening_case(
                uow, person, session, instrument, result, session.answers, now
            )
            await uow.commit()
        return Outcome.of(opened)

    async def _safety(
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

    async def _open_screening_case(
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

    async def _finish(
        self,
        uow: UnitOfWork,
        person: Person,
        session: Session,
        instrument: Instrument,
        answers: Mapping[int, int | None],
        now: datetime,
        fired: bool,
    ) -> list[Reply]:
        result = score(instrument, answers)
        await uow.screening.record(session.subject_id, person.id, answers, result, now)
        await uow.screening.close(session.id, SessionStatus.COMPLETED.value, now)
        replies = [await self._summary(uow, person, instrument, result, now)]
        if fired and instrument.id != "asq" and "asq" in self.instruments:
            # A safety answer on a longer form is followed by the suicide-risk questions.
            # Out of hours it says nobody is on duty yet, and when someone will be.
            staffed = await self.helpline.staffed_now(uow, now)
            timing = self.helpline.safety_reply(staffed, now, Tier.RED).data
            replies.append(
                Reply(
                    "screening/offer_asq",
                    {"staffed": staffed, "back": timing["back"]},
                    choices=rows(Choice("btn.screening.start", "sc:start:asq")),
                )
            )
        tier = result.tier
        if tier in (Tier.ORANGE, Tier.RED) and not fired:
            if concerns(instrument, result):
                # Feeling unsafe at home or school (a subscale naming abuse or neglect) is a
                # safety answer in all but name: the case opens at once, and the person is told.
                replies.append(
                    await self._open_screening_case(
                        uow, person, session, instrument, result, answers, now
                    )
                )
            else:
                # No case opens behind anyone's back: without a safety answer the person is
                # asked first, and a no is respected (a safety answer has already opened one).
                await uow.screening.close(session.id, SessionStatus.CASE_OFFERED.value, now)
                replies.append(case_offer(session.id, person.role is Role.GUARDIAN))
        elif tier is Tier.YELLOW:
            replies.append(
                Reply(
                    "screening/offer_counsellor",
                    {"formal": person.role is Role.GUARDIAN},
                    choices=rows(Choice("btn.checkin.talk", "help:counsellor")),
                )
            )
        return replies
