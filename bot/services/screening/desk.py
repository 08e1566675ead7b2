"""What every self-check sub-journey works with, handed in one value, and the guards they
share: whose session a button is about, and whether its form is still the one it began on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.domain.people import Person
from bot.domain.screening import Instrument, Session, SessionStatus
from bot.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.common import Who
from bot.services.helpline import Helpline

STALE = "toast.stale"

Mine = tuple[Person, Session, Instrument]


@dataclass(frozen=True, slots=True)
class Desk:
    uow: UnitOfWorkFactory
    clock: Clock
    instruments: Mapping[str, Instrument]
    helpline: Helpline

    def form_of(self, session: Session) -> Instrument | None:
        """The form a session was started on, or None once that form has another version:
        its positions and answers would not mean the same items any more."""
        instrument = self.instruments.get(session.instrument)
        if instrument is None or instrument.version != session.version:
            return None
        return instrument

    async def mine(self, uow: UnitOfWork, who: Who, session_id: int) -> Mine | None:
        """The presser's own session, in progress, on the form it began on; anything else is
        an old or forged button."""
        person = await uow.people.by_telegram_id(who.telegram_id)
        session = await uow.screening.session(session_id)
        if person is None or session is None or session.person_id != person.id:
            return None
        instrument = self.form_of(session)
        if instrument is None or session.status is not SessionStatus.IN_PROGRESS:
            return None
        return person, session, instrument


class DeskWork:
    """A sub-journey of a self-check: its use cases share the desk."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.uow = desk.uow
        self.clock = desk.clock
        self.instruments = desk.instruments
        self.helpline = desk.helpline
