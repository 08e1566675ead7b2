"""Typed answers to the direct question: only a whole answer counts."""

from __future__ import annotations

import pytest

from bot.catalog.answers import load_answers
from bot.domain.asking import Answer, TypedAnswers
from content import CONTENT_DIR

ANSWERS = load_answers(CONTENT_DIR)


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("有", Answer.YES),
        ("有。", Answer.YES),
        (" 嗯嗯 ", Answer.YES),
        ("YES!", Answer.YES),
        ("没有", Answer.NO),
        ("No.", Answer.NO),
        ("不想说", Answer.SKIP),
        ("不知道…", Answer.SKIP),
        ("I'd rather not say", Answer.SKIP),
        ("✏️ 有", Answer.YES),  # an edited message arrives marked
    ],
)
def test_whole_answers_are_read(text: str, answer: Answer) -> None:
    assert ANSWERS.read(text) is answer


@pytest.mark.parametrize("text", ["有人欺负我", "没有人在乎我", "是我哥打的", "no one cares", ""])
def test_a_longer_message_is_not_an_answer(text: str) -> None:
    assert ANSWERS.read(text) is None


def test_no_word_answers_two_ways() -> None:
    built = TypedAnswers.of({Answer.YES: ["有"], Answer.NO: ["没有"]})
    assert built.read("有") is Answer.YES and built.read("没有") is Answer.NO
    assert TypedAnswers().read("有") is None
