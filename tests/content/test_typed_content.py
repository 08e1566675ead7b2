"""The typed-answer words (content/typed/answers.yaml): both languages, and no word that is
both a yes and a no."""

from __future__ import annotations

import pytest
import yaml

from bot.catalog.typed import TYPED_FILE, load_typed
from content import CONTENT_DIR

DATA = yaml.safe_load((CONTENT_DIR / TYPED_FILE).read_text("utf-8"))


def _chinese(word: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in word)


@pytest.mark.parametrize("key", ["yes", "no", "ordinals", "morning", "evening"])
def test_each_list_has_both_languages(key: str) -> None:
    words = DATA[key]
    assert any(_chinese(w) for w in words), key
    assert any(w.isascii() for w in words), key


def test_weekdays_in_both_languages_monday_first() -> None:
    assert len(DATA["weekdays"]) == 7
    for day in DATA["weekdays"]:
        assert any(_chinese(w) for w in day) and any(w.isascii() for w in day), day
    words = load_typed(CONTENT_DIR)
    assert words.weekday("周一") == 0 and words.weekday("monday") == 0


def test_no_word_is_both_yes_and_no() -> None:
    words = load_typed(CONTENT_DIR)
    assert not words.yes & words.no
