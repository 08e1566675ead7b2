"""The safety net with a few sentences' verdicts fixed by the test (Scripted), and a child
brought to its direct question about ending their life."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.domain.safety_net import Signal
from bot.domain.triage import RiskLevel, Triage
from bot.ports import Classifier
from tests.e2e.chat import buttons
from tests.e2e.harness import World

MEANS = "药我都攒好了"
ASK = {
    "zh_Hans": ("你是不是有结束自己生命的想法", ["有", "没有", "不想说", "💬"]),
    "en": ("Are you having thoughts of ending your life", ["Yes", "No", "rather not", "💬"]),
}
LANGS = {"zh_Hans": "zh-hans", "en": "en"}


class Scripted:
    """The shipped classifier, except for a few sentences whose verdict a test fixes."""

    def __init__(
        self,
        real: Classifier,
        lines: Mapping[str, Triage],
        pairs: Mapping[tuple[str, str], Triage] | None = None,
    ) -> None:
        self.real = real
        self.lines = dict(lines)
        self.pairs = dict(pairs or {})
        self.seen: list[tuple[str, tuple[str, ...]]] = []

    def classify(self, text: str, earlier: Sequence[str] = ()) -> Triage:
        self.seen.append((text, tuple(earlier)))
        for (first, second), verdict in self.pairs.items():
            if text == second and first in earlier:
                return verdict
        if text in self.lines:
            return self.lines[text]
        return self.real.classify(text, earlier)


# A means word without intent, and a model score in the band where the net asks about it.
MEANS_ONLY = Triage(RiskLevel.LOW, matched=("药",), score=0.5, signals=(Signal.MEANS.value,))


def script(world: World, **kw: Any) -> Scripted:
    helpline = world.app.services.helpline
    scripted = Scripted(helpline.triager, **kw)
    helpline.triager = scripted
    return scripted


async def asked(world: World, lang: str, text: str = MEANS) -> tuple[int, dict[str, Any]]:
    script(world, lines={text: MEANS_ONLY})
    child = await world.user("小明", LANGS[lang])
    question = await world.say(child, text)
    words, labels = ASK[lang]
    assert words in question["text"], question["text"]
    assert "110" in question["text"] and "12356" in question["text"]  # hotlines visible
    got = buttons(question)
    assert len(got) == 4 and all(any(w in b for b in got) for w in labels), got
    return child, question
