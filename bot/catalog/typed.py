"""Load the words typed answers are read with from content/typed/answers.yaml."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.domain.typed import Vocabulary, fold, vocabulary_of

TYPED_FILE = "typed/answers.yaml"
_LISTS = (
    "yes",
    "no",
    "ordinals",
    "morning",
    "noon",
    "evening",
    "half",
    "hour_marks",
    "minute_marks",
    "weeks",
    "months",
)


class TypedContentError(ValueError):
    """The typed-answers file is malformed: which key, and why."""


def load_typed(content_dir: Path) -> Vocabulary:
    path = content_dir / TYPED_FILE
    data = yaml.safe_load(path.read_text("utf-8"))
    keys = {*_LISTS, "weekdays", "languages"}
    if not isinstance(data, dict) or set(data) != keys:
        raise TypedContentError(f"{path}: expected exactly the keys {sorted(keys)}")
    for key in _LISTS:
        words = data[key]
        if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
            raise TypedContentError(f"{path}: {key}: expected a list of words")
    both = {fold(w) for w in data["yes"]} & {fold(w) for w in data["no"]}
    if both:
        raise TypedContentError(f"{path}: {sorted(both)} under both yes and no")
    days = data["weekdays"]
    if not (
        isinstance(days, list)
        and len(days) == 7
        and all(isinstance(d, list) and all(isinstance(w, str) for w in d) for d in days)
    ):
        raise TypedContentError(f"{path}: weekdays: expected seven lists, Monday first")
    languages = data["languages"]
    if not (
        isinstance(languages, dict)
        and all(isinstance(v, list) for v in languages.values())
        and all(isinstance(w, str) for v in languages.values() for w in v)
    ):
        raise TypedContentError(f"{path}: languages: expected a list of words per locale")
    return vocabulary_of({k: data[k] for k in _LISTS}, days, languages)
