"""Load the typed answers to the direct question from content/helpline/answers.yaml."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.domain.asking import Answer, TypedAnswers

ANSWERS_FILE = "helpline/answers.yaml"
_KEYS = {"yes": Answer.YES, "no": Answer.NO, "skip": Answer.SKIP}


class AnswersContentError(ValueError):
    """The answers file is malformed: which key, and why."""


def load_answers(content_dir: Path) -> TypedAnswers:
    path = content_dir / ANSWERS_FILE
    data = yaml.safe_load(path.read_text("utf-8"))
    if not isinstance(data, dict) or set(data) != set(_KEYS):
        raise AnswersContentError(f"{path}: expected exactly the keys {sorted(_KEYS)}")
    lists: dict[Answer, list[str]] = {}
    seen: dict[str, str] = {}
    for key, words in data.items():
        if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
            raise AnswersContentError(f"{path}: {key}: expected a list of words")
        for w in words:
            folded = w.strip().casefold()
            if folded in seen and seen[folded] != key:
                raise AnswersContentError(f"{path}: {w!r} is under both {seen[folded]} and {key}")
            seen[folded] = key
        lists[_KEYS[key]] = list(words)
    return TypedAnswers.of(lists)
