"""The lesson programme as the handlers, jobs and composition root see it: one object whose
use cases live in the sub-journeys (scheduling, the fan-out, our outbox rows, silence)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.lessons import Programme
from bot.ports import Clock, UnitOfWorkFactory
from bot.services.lessons.fanout import WeeklyFanOut
from bot.services.lessons.policy import LessonPolicy
from bot.services.lessons.rows import LessonRows
from bot.services.lessons.scheduling import Scheduling
from bot.services.lessons.silence import Silence
from bot.services.lessons.work import LessonWork


class Lessons(LessonWork):
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        programmes: Mapping[str, Programme],
        policy: LessonPolicy,
    ) -> None:
        super().__init__(uow, clock, programmes, policy)
        parts = (uow, clock, programmes, policy)
        self.scheduling = Scheduling(*parts)
        self.fan_out = WeeklyFanOut(*parts)
        self.rows = LessonRows(*parts)
        self.silence = Silence(*parts)
        # The use cases by the names the handlers, jobs and tests have always called them.
        self.ask_hour = self.scheduling.ask_hour
        self.choose_day = self.scheduling.choose_day
        self.set_schedule = self.scheduling.set_schedule
        self.bring_forward = self.scheduling.bring_forward
        self.queue_due = self.fan_out.queue_due
        self.row_kinds = self.rows.row_kinds
        self.compose = self.rows.compose
        self.settle_sent = self.rows.settle_sent
        self.settle_pending = self.rows.settle_pending
        self.review_silence = self.silence.review_silence
        self.resume_due = self.silence.resume_due
