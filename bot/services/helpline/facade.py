"""The helpline as the handlers, screening and the scheduler see it: one object whose use
cases live in the sub-journeys (hearing, escalation, the direct question, an open case,
after a case closed, media, the person's buttons), all working with one `Line`.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.asking import TypedAnswers
from bot.domain.cases import Case, CaseStatus
from bot.domain.hotlines import HotlineBook
from bot.domain.safety_net import NetPolicy
from bot.ports import Classifier, Clock, UnitOfWorkFactory
from bot.services.board import Board
from bot.services.common import Who
from bot.services.helpline.after_close import AfterClose
from bot.services.helpline.buttons import Buttons
from bot.services.helpline.escalation import Escalation
from bot.services.helpline.hearing import Hearing
from bot.services.helpline.in_case import InCase
from bot.services.helpline.line import HelplinePolicy, Line
from bot.services.helpline.media import Media
from bot.services.helpline.question import Question
from bot.services.helpline.reading import Reader


class Helpline:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        triager: Classifier,
        hotlines: HotlineBook,
        board: Board,
        policy: HelplinePolicy,
        hold_kinds: Sequence[str] = (),
        net: NetPolicy | None = None,
        answers: TypedAnswers | None = None,
    ) -> None:
        self.line = Line(
            uow,
            clock,
            triager,
            hotlines,
            board,
            policy,
            net or NetPolicy(),
            answers or TypedAnswers(),
            tuple(hold_kinds),
        )
        line = self.line
        self.uow, self.clock, self.board, self.policy = uow, clock, board, policy
        self.hotlines, self.net, self.answers = hotlines, line.net, line.answers
        self.hold_kinds = line.hold_kinds
        self.reader = Reader(line)
        self.escalation = Escalation(line)
        self.question = Question(line, self.escalation)
        self.in_case = InCase(line, self.reader, self.escalation)
        self.after_close = AfterClose(line)
        self.hearing = Hearing(
            line, self.reader, self.question, self.in_case, self.escalation, self.after_close
        )
        self.buttons = Buttons(line, self.escalation)
        self.media_copies = Media(line, self.after_close)
        # The use cases by the names the handlers, screening and the jobs have always used.
        self.hear = self.hearing.hear
        self.needs_action = self.reader.needs_action
        self.escalate = self.escalation.escalate
        self.staffed_now = line.staffed
        self.safety_reply = line.safety_reply
        self.region_of = line.region_of
        self.waiting = self.question.waiting
        self.answer = self.question.answer
        self.unanswered = self.question.unanswered
        self.tick = self.question.tick
        self.request = self.buttons.request
        self.safe_answer = self.buttons.safe_answer
        self.check_in_later = self.buttons.check_in_later
        self.media = self.media_copies.media

    @property
    def triager(self) -> Classifier:
        """The classifier every part reads with: a test may swap in a scripted one."""
        return self.line.triager

    @triager.setter
    def triager(self, triager: Classifier) -> None:
        self.line.triager = triager

    async def region_for(self, who: Who) -> str | None:
        async with self.uow() as uow:
            return await self.region_of(uow, await uow.people.by_telegram_id(who.telegram_id))

    async def open_case_of(self, telegram_id: int) -> Case | None:
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(telegram_id)
            if person is None or person.id is None:
                return None
            case = await uow.cases.open_for(person.id)
        return case if case is not None and case.status is not CaseStatus.CLOSED else None
