"""What every part of the lesson service works with: one base, so the parts are built alike."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.lessons import Programme
from bot.ports import Clock, UnitOfWorkFactory
from bot.services.lessons.policy import LessonPolicy


class LessonWork:
    """A sub-journey of the lesson programme: the database, the clock, the content, the
    settings."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        programmes: Mapping[str, Programme],
        policy: LessonPolicy,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.programmes = programmes
        self.policy = policy
