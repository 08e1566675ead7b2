"""The hotlines, for anyone, in any state: no consent and no registration needed."""

from __future__ import annotations

from bot.domain.hotlines import HotlineBook
from bot.domain.replies import Keyboard, Outcome, Reply
from bot.ports import Clock


class Safety:
    def __init__(self, hotlines: HotlineBook, clock: Clock) -> None:
        self.hotlines = hotlines
        self.clock = clock

    def help(self, region: str | None = None) -> Outcome:
        """The lines that answer at this hour first, then the others with their hours."""
        data = self.hotlines.shown(region, self.clock.now())
        return Outcome.of(Reply("safety/help", dict(data), keyboard=Keyboard.HELP))
