"""The hotlines, for anyone, in any state: no consent and no registration needed."""

from __future__ import annotations

from bot.domain.hotlines import HotlineBook
from bot.domain.replies import Keyboard, Outcome, Reply


class Safety:
    def __init__(self, hotlines: HotlineBook) -> None:
        self.hotlines = hotlines

    def _with_hotlines(self, template: str, region: str | None) -> Outcome:
        lines = self.hotlines.for_region(region)
        data = {
            "emergency": [h for h in lines if h.emergency],
            "lines": [h for h in lines if not h.emergency],
        }
        return Outcome.of(Reply(template, data, keyboard=Keyboard.HELP))

    def help(self, region: str | None = None) -> Outcome:
        return self._with_hotlines("safety/help", region)
