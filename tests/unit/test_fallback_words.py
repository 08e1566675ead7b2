"""Which words the fallback hears for risk: those the helpline router never saw (a caption,
text after a slash), and not a bare unknown command."""

from __future__ import annotations

import datetime as dt

import pytest
from aiogram.types import Chat, Message

from handlers.fallback import unheard_words
from handlers.helpline import command_words

# aiogram costs seconds to import: the fast layer does not even collect this file.
pytestmark = pytest.mark.slow


def _message(text: str | None = None, caption: str | None = None) -> Message:
    return Message(
        message_id=1,
        date=dt.datetime(2026, 12, 7, tzinfo=dt.UTC),
        chat=Chat(id=5, type="private"),
        text=text,
        caption=caption,
    )


@pytest.mark.parametrize(
    ("text", "heard"),
    [
        ("/我不想活了", "我不想活了"),
        ("/ 我想死", "我想死"),
        ("/I want to kill myself tonight", "I want to kill myself tonight"),
        ("/accesslog 99", "accesslog 99"),
        ("/accesslog", ""),
        ("/accesslog@xinqiao_test_bot", ""),
        # Plain text was heard by the helpline router already: never twice.
        ("我不想活了", ""),
        ("hello", ""),
    ],
)
def test_text(text: str, heard: str) -> None:
    assert unheard_words(_message(text=text)) == heard


def test_a_caption_is_heard() -> None:
    assert unheard_words(_message(caption="老鼠药我已经买好了")) == "老鼠药我已经买好了"


def test_a_sticker_has_no_words() -> None:
    assert unheard_words(_message()) == ""


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("/check 我不想活了", "我不想活了"),
        ("/lessons@xinqiao_test_bot 今晚就跳", "今晚就跳"),
        ("/help I want to die", "I want to die"),
        ("/check", ""),
        ("我不想活了", ""),
        # A deep link's invitation code is machine-made: a random code is not words to triage
        # (the model once asked a grandchild opening an invitation whether they wanted to die).
        ("/start g-9fQk2xZ7", ""),
        ("/start AbC_123-xyz", ""),
        # Words typed after /start by hand are words.
        ("/start 我想死", "我想死"),
    ],
)
def test_command_words(text: str, words: str) -> None:
    assert command_words(text) == words
