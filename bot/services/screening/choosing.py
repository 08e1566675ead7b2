"""Which self-checks a person may take, and the `/check` menu that lists them."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.people import AgeBand, ConsentStatus, Person, Role
from bot.domain.replies import Choice, Outcome, Reply, rows
from bot.domain.screening import Instrument, Respondent, Subject
from bot.services.common import Who
from bot.services.screening.desk import DeskWork

# The age a band stands for when checking an instrument's age range (its upper end).
_AGE = {
    AgeBand.A8_11: 11,
    AgeBand.A12_13: 13,
    AgeBand.A14_15: 15,
    AgeBand.A16_17: 17,
}


def offered_to(
    instruments: Mapping[str, Instrument], person: Person, menu: bool = True
) -> list[Instrument]:
    """The forms this person may take; the ASQ is not on the menu (it follows a safety
    answer, or a counsellor asks for it) but may be started from those invitations."""
    if person.role is Role.CHILD:
        age = _AGE.get(person.age_band) if person.age_band else None
        return [
            i
            for i in instruments.values()
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
            for i in instruments.values()
            if i.respondent is Respondent.GUARDIAN or i.subject is Subject.GUARDIAN
        ]
    return []


class Choosing(DeskWork):
    def offered_to(self, person: Person, menu: bool = True) -> list[Instrument]:
        return offered_to(self.instruments, person, menu)

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
