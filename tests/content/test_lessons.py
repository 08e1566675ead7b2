"""The curricula: every lesson valid, translated, and rendering in both languages."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.catalog.lessons import LessonError, load_programmes, parse_lesson
from bot.domain.lessons import CHILD_OLDER, CHILD_YOUNGER, Lesson
from bot.domain.people import AgeBand
from bot.services.lessons import checkin_message, child_lesson_message, lesson_message
from content import CONTENT_DIR
from tests import shipped
from tests.shipped import LOCALES

PROGRAMMES = shipped.programmes()
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
    "guardian-moving-to-a-new-town",
    "guardian-body-safety",
}


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
        lesson.sources,
        *([lesson.checkin_prompt] if lesson.checkin_options else []),
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
        if not lesson.checkin_options:  # a child's lesson: no check-in comes
            continue
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


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_every_lesson_names_its_sources_at_its_end(catalog: Any, lesson: Lesson) -> None:
    assert lesson.sources.strip()
    last = len(lesson.messages) - 1
    for locale, word in (("zh_Hans", "来源："), ("en", "Sources: ")):
        reply = (
            child_lesson_message(lesson, 0, last)
            if lesson.programme.startswith("child-")
            else lesson_message(lesson, 1, 0, last)
        )
        text = catalog.render(reply, locale).text
        assert word in text and catalog.translations[locale].gettext(lesson.sources) in text
        for part in range(last):  # only at the end: the reader is not slowed down before it
            assert word not in catalog.render(lesson_message(lesson, 1, 0, part), locale).text
    # The policy every lesson rests on is cited by its number, never paraphrased away.
    zh = catalog.translations["zh_Hans"].gettext(lesson.sources)
    assert "〔" not in lesson.sources or "〔" in zh


def test_a_lesson_without_sources_is_refused() -> None:
    problems: list[str] = []
    data = {"id": "x", "version": 1, "programme": "guardian", "week": 1, "title": "t"}
    parse_lesson(data, "x.yaml", problems)
    assert any("sources" in p for p in problems)


def test_children_have_their_own_short_lessons_in_two_age_bands(catalog: Any) -> None:
    zh = catalog.translations["zh_Hans"]
    for name in (CHILD_YOUNGER, CHILD_OLDER):
        lessons = PROGRAMMES[name].lessons
        titles = " ".join(zh.gettext(lesson.title) for lesson in lessons)
        # Naming feelings, coping with setbacks (应对挫折), where to get help.
        assert "心情" in titles or "感受" in titles, titles
        assert "搞砸" in titles or "挫折" in titles, titles
        assert "帮" in titles, titles
        for lesson in lessons:
            assert len(lesson.messages) == 3 and not lesson.checkin_options
            assert all(len(m) <= 250 for m in lesson.messages), lesson.id
            text = " ".join(zh.gettext(t) for t in _texts(lesson))
            assert "您" not in text, lesson.id  # a child is spoken to as 你
    help_older = zh.gettext(PROGRAMMES[CHILD_OLDER].lessons[-1].messages[-1])
    assert "110" in help_older and "/help" in help_older and "/hotlines" in help_older


def test_a_childs_age_band_picks_their_lessons() -> None:
    from bot.domain.lessons import child_programme

    assert child_programme(AgeBand.A8_11) == CHILD_YOUNGER
    assert child_programme(AgeBand.UNSAID) == CHILD_YOUNGER  # the more protected case
    assert child_programme(None) == CHILD_YOUNGER
    for band in (AgeBand.A12_13, AgeBand.A14_15, AgeBand.A16_17):
        assert child_programme(band) == CHILD_OLDER


def test_a_childrens_lesson_with_a_checkin_is_refused() -> None:
    problems: list[str] = []
    parse_lesson(
        {"id": "x", "version": 1, "programme": "child-8-11", "week": 1, "checkin": {}},
        "x.yaml",
        problems,
    )
    assert any("no check-in" in p for p in problems)
    assert not any("check-in keys" in p or "after_days" in p for p in problems)


def test_guardians_learn_body_safety_migrant_life_and_minors_mode(catalog: Any) -> None:
    zh = catalog.translations["zh_Hans"]
    by_id = PROGRAMMES["guardian"].by_id

    def text(lesson_id: str, translate: bool) -> str:
        parts = _texts(by_id[lesson_id])
        return " ".join(zh.gettext(t) if translate else t for t in parts)

    for translate in (False, True):
        sleep = text("guardian-sleep-phones-games", translate)
        assert "未成年人模式" in sleep and "防沉迷" in sleep
    assert "流动儿童" in text("guardian-moving-to-a-new-town", True)
    body = text("guardian-body-safety", True)
    assert "诱骗" in body and "110" in body and "隐私部位" in body
    assert "grooming" in text("guardian-body-safety", False)
