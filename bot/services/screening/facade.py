"""Self-checks as the handlers see them: one object whose use cases live in the sub-journeys
(choosing, starting, answering, resuming, results, cases), which share one desk."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.screening import Instrument
from bot.ports import Clock, UnitOfWorkFactory
from bot.services.helpline import Helpline
from bot.services.screening.answering import Answering
from bot.services.screening.cases import Cases
from bot.services.screening.choosing import Choosing
from bot.services.screening.desk import Desk
from bot.services.screening.results import Results
from bot.services.screening.resuming import Resuming
from bot.services.screening.starting import Starting


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
        desk = Desk(uow, clock, instruments, helpline)
        self.choosing = Choosing(desk)
        self.starting = Starting(desk)
        self.resuming = Resuming(desk)
        self.cases = Cases(desk)
        self.results = Results(desk, self.cases)
        self.answering = Answering(desk, self.cases, self.results)
        # The use cases by the names the handlers have always called them.
        self.offered_to = self.choosing.offered_to
        self.menu = self.choosing.menu
        self.add_child = self.starting.add_child
        self.start = self.starting.start
        self.resume = self.resuming.resume
        self.waiting = self.resuming.waiting
        self.answer = self.answering.answer
        self.back = self.answering.back
        self.stop = self.answering.stop
        self.case_answer = self.cases.case_answer
