"""Starting a form: whose file the answers go to (a guardian picks the child, or adds one who
has no Telegram), a second go within the form's recall period confirmed, then the intro and
the first item."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.people import ConsentStatus, Person, Role, new_person_code
from bot.domain.replies import Choice, Outcome, Reply, rows
from bot.domain.screening import Instrument, Respondent, Subject
from bot.ports import UnitOfWork
from bot.services.common import Who
from bot.services.screening.choosing import offered_to
from bot.services.screening.desk import STALE, DeskWork
from bot.services.screening.items import item_reply


def intro(instrument: Instrument, person: Person) -> Reply:
    return Reply(
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
    )


def which_child(instrument: Instrument, children: list[Person]) -> Reply:
    return Reply(
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


def again(instrument: Instrument, child_id: int) -> Reply:
    """The form was taken within its recall period: a second go is confirmed first."""
    return Reply(
        "screening/again",
        {"days": instrument.recall_days},
        choices=rows(
            Choice("btn.screening.again", f"sc:again:{instrument.id}:{child_id}"),
            Choice("btn.screening.not_now", "sc:later"),
        ),
    )


class Starting(DeskWork):
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
                child = await self._child_on_record(uow, person, now)
                await uow.commit()
        started = await self.start(who, instrument_id, child_id=(child.id or 0) if child else 0)
        if child is None:
            return started
        added = Reply("screening/child_added", {"code": child.code})
        return Outcome(replies=(added, *started.replies), toast=started.toast)

    @staticmethod
    async def _child_on_record(uow: UnitOfWork, guardian: Person, now: datetime) -> Person:
        child = await uow.people.add(
            Person(
                telegram_id=None,
                locale=guardian.locale,
                code=new_person_code(),
                role=Role.CHILD,
                # The guardian's consent stands for a child on record (PIPL art. 31).
                consent=ConsentStatus.GIVEN,
                consent_at=now,
                child_age_band=guardian.child_age_band,
                service_point_id=guardian.service_point_id,
            )
        )
        await uow.families.link(guardian.id or 0, child.id or 0, guardian.relation)
        return child

    async def start(
        self, who: Who, instrument_id: str, confirmed: bool = False, child_id: int = 0
    ) -> Outcome:
        instrument = self.instruments.get(instrument_id)
        now = self.clock.now()
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            if person is None or person.id is None or person.consent is not ConsentStatus.GIVEN:
                return Outcome.of(Reply("screening/needs_consent"))
            if instrument is None or instrument not in offered_to(
                self.instruments, person, menu=False
            ):
                return Outcome(toast=STALE)
            subject = await self._subject(uow, person, person.id, instrument, child_id)
            if isinstance(subject, Reply):
                return Outcome.of(subject)
            recent = await self._taken_lately(uow, subject, instrument, now)
            if recent and not confirmed:
                return Outcome.of(again(instrument, child_id))
            session = await uow.screening.start(
                person.id, subject, instrument.id, instrument.version, now
            )
            await uow.commit()
        return Outcome.of(intro(instrument, person), item_reply(instrument, session.id, {}, 0))

    @staticmethod
    async def _subject(
        uow: UnitOfWork, person: Person, person_id: int, instrument: Instrument, child_id: int
    ) -> int | Reply:
        """Whose file the answers go to: the person's own, or, for a guardian's form about a
        child, the child pressed (asked for among several, offered to add when none)."""
        if instrument.subject is not Subject.CHILD or person.role is not Role.GUARDIAN:
            return person_id
        children = [c for c in await uow.families.children_of(person_id) if c.id]
        if not children:
            return Reply(
                "screening/no_child_linked",
                choices=rows(Choice("btn.screening.add_child", f"sc:addchild:{instrument.id}")),
            )
        chosen = next((c for c in children if c.id == child_id), None)
        if chosen is None and len(children) > 1:
            return which_child(instrument, children)
        return (chosen or children[0]).id or 0

    @staticmethod
    async def _taken_lately(
        uow: UnitOfWork, subject: int, instrument: Instrument, now: datetime
    ) -> bool:
        last = await uow.screening.last(subject, instrument.id)
        return last is not None and now - last.taken_at < timedelta(days=instrument.recall_days)
