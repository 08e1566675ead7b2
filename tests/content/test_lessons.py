"""The curricula: every lesson valid, translated, and rendering in both languages."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.catalog import load_catalog
from bot.catalog.lessons import LessonError, load_programmes, parse_lesson
from bot.domain.lessons import Lesson
from bot.services.lessons import checkin_message, lesson_message
from content import CONTENT_DIR

LOCALES = ["zh_Hans", "en"]
PROGRAMMES = load_programmes(CONTENT_DIR)
LESSONS = [lesson for p in PROGRAMMES.values() for lesson in p.lessons]
CJK = re.compile(r"[\u4e00-\u9fff]")
BANNED = ("诊断", "抑郁症", "障碍", "diagnos", "disorder", "depression")
GUARDIAN_TOPICS = {
    "guardian-noticing",
    "guardian-close-from-afar",
    "guardian-listening",
    "guardian-study-pressure",
    "guardian-family-change",
    "guardian-bullying",
    "guardian-sleep-phones-games",
    "guardian-anger-discipline",
    "guardian-your-wellbeing",
    "guardian-seeking-help",
    "guardian-after-treatment",
    "guardian-staying-safe",
}


@pytest.fixture(scope="module")
def catalog() -> Any:
    return load_catalog(CONTENT_DIR, LOCALES, "zh_Hans")


def test_programmes_cover_what_the_policy_asks() -> None:
    assert len(PROGRAMMES["guardian"]) >= 12
    assert len(PROGRAMMES["staff"]) >= 4
    assert {lesson.id for lesson in PROGRAMMES["guardian"].lessons} >= GUARDIAN_TOPICS


def _texts(lesson: Lesson) -> list[str]:
    return [
        lesson.title,
        lesson.goal,
        *lesson.messages,
        lesson.prompt,
        *(o.label for o in lesson.options),
        *(o.feedback for o in lesson.options),
        lesson.task,
        lesson.checkin_prompt,
        *(o.label for o in lesson.checkin_options),
        *(o.reply for o in lesson.checkin_options),
    ]


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_lesson_translated_and_renders(catalog: Any, lesson: Lesson) -> None:
    zh = catalog.translations["zh_Hans"]
    for text in _texts(lesson):
        translated = zh.gettext(text)
        assert translated != text and CJK.search(translated), f"untranslated: {text!r}"
        assert "%" not in text, "a bare % breaks gettext formatting: write it in words"
        for word in BANNED:
            assert word not in text.lower() and word not in translated
        assert text.count("<b>") == translated.count("<b>")
    for locale in LOCALES:
        for part in range(lesson.parts + 1):
            reply = lesson_message(lesson, 999_999, 99, part)
            rendered = catalog.render(reply, locale)
            assert rendered.text.strip() and len(rendered.text) <= 4096
            for row in rendered.buttons:
                for label, action, _ in row:
                    assert label.strip() and len(label) <= 40
                    if locale == "zh_Hans":
                        assert CJK.search(label) or label.startswith("▶"), label
                    assert len(action.encode()) <= 64  # Telegram's callback_data limit
        rendered = catalog.render(checkin_message(lesson, 999_999, 99), locale)
        assert len(rendered.buttons) == 3
        if locale == "zh_Hans":
            assert all(CJK.search(label) for row in rendered.buttons for label, _, _ in row)
        assert all(len(a.encode()) <= 64 for row in rendered.buttons for _, a, _ in row)


def test_broken_lessons_are_refused_with_reasons() -> None:
    problems: list[str] = []
    parse_lesson(
        {
            "id": "Bad Id",
            "version": 0,
            "week": 0,
            "messages": [{"text": "x" * 400}],
            "question": {"options": [{"label": "a", "feedback": "b"}]},
            "checkin": {"after_days": 9, "options": []},
        },
        "x.yaml",
        problems,
    )
    text = " | ".join(problems)
    for expected in [
        "kebab-case",
        "version",
        "week",
        "400 characters",
        "1 messages",
        "question options",
        "exactly one",
        "after_days",
        "check-in keys",
        "title",
    ]:
        assert expected in text


def test_week_gaps_are_refused(tmp_path: Any) -> None:
    import shutil

    shutil.copytree(CONTENT_DIR / "lessons", tmp_path / "lessons")
    (tmp_path / "lessons" / "staff" / "02-talking.yaml").unlink()
    with pytest.raises(LessonError, match="without gaps"):
        load_programmes(tmp_path)
