"""The direct question's answers, pressed or typed (issue 17 item 3).

A child who writes "有" instead of pressing the button has answered just the same: read as
free text it would get the bot's general reply, and a yes would wait ten minutes to become a
yellow case instead of a red one now."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Answer(StrEnum):
    """How the direct question was settled."""

    YES = "yes"
    NO = "no"
    SKIP = "skip"  # did not want to say (or did not know)
    TIMEOUT = "timeout"  # no answer in time


_TRIM = " \t\r\n。．.!！?？~～…,，、✏️"


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip(_TRIM).strip().casefold()


@dataclass(frozen=True, slots=True)
class TypedAnswers:
    """Whole messages that answer the question (content/helpline/answers.yaml)."""

    words: Mapping[str, Answer] = field(default_factory=dict)

    @staticmethod
    def of(lists: Mapping[Answer, Iterable[str]]) -> TypedAnswers:
        return TypedAnswers({_key(w): a for a, ws in lists.items() for w in ws if _key(w)})

    def read(self, text: str) -> Answer | None:
        """The answer this message is, if it is nothing but an answer."""
        return self.words.get(_key(text))
