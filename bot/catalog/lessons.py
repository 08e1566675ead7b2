"""Load and validate the curricula in content/lessons/<programme>/*.yaml.

The rules are the ones content/lessons/README.md gives authors; a broken lesson stops start-up
with every problem listed, rather than reaching a guardian half-written.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.domain.lessons import (
    CHECKIN_KEYS,
    CHILD_PREFIX,
    CheckinOption,
    Lesson,
    Programme,
    QuestionOption,
)

ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
LIMITS = {
    "title": 60,
    "message": 350,
    "label": 30,
    "feedback": 350,
    "task": 250,
    "sources": 300,
}


class LessonError(ValueError):
    """One or more lessons break the authoring rules."""


def _text(data: dict[str, Any], key: str, where: str, problems: list[str], limit: int) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}: {key} must be non-empty text")
        return ""
    if len(value) > limit:
        problems.append(f"{where}: {key} is {len(value)} characters (at most {limit})")
    return value


def _positive(data: dict[str, Any], key: str, where: str, problems: list[str]) -> int:
    value = data.get(key)
    if not isinstance(value, int) or value < 1:
        problems.append(f"{where}: {key} must be a positive whole number")
    return value if isinstance(value, int) else 0


def _messages(data: dict[str, Any], where: str, problems: list[str]) -> tuple[str, ...]:
    messages = [
        _text(
            m if isinstance(m, dict) else {},
            "text",
            f"{where} message {i + 1}",
            problems,
            LIMITS["message"],
        )
        for i, m in enumerate(data.get("messages") or [])
    ]
    if not 3 <= len(messages) <= 5:
        problems.append(f"{where}: {len(messages)} messages (3 to 5 wanted)")
    return tuple(messages)


def _question_options(
    question: dict[str, Any], where: str, problems: list[str]
) -> tuple[QuestionOption, ...]:
    options = []
    for i, raw in enumerate(question.get("options") or []):
        o = raw if isinstance(raw, dict) else {}
        w = f"{where} option {i + 1}"
        options.append(
            QuestionOption(
                _text(o, "label", w, problems, LIMITS["label"]),
                _text(o, "feedback", w, problems, LIMITS["feedback"]),
                o.get("best") is True,
            )
        )
    if not 2 <= len(options) <= 4:
        problems.append(f"{where}: {len(options)} question options (2 to 4 wanted)")
    if sum(o.best for o in options) != 1:
        problems.append(f"{where}: exactly one question option must be best")
    return tuple(options)


def _checkin(
    data: dict[str, Any], where: str, problems: list[str], on_demand: bool
) -> tuple[int, tuple[CheckinOption, ...]]:
    """The check-in's delay in days and its options (a children's lesson has none)."""
    if on_demand and "checkin" in data:
        problems.append(f"{where}: a children's lesson has no check-in")
    checkin = data.get("checkin") or {}
    after = checkin.get("after_days")
    if not on_demand and (not isinstance(after, int) or not 2 <= after <= 5):
        problems.append(f"{where}: checkin.after_days must be 2 to 5")
    options = []
    for i, raw in enumerate(checkin.get("options") or []):
        o = raw if isinstance(raw, dict) else {}
        w = f"{where} check-in option {i + 1}"
        options.append(
            CheckinOption(
                str(o.get("key", "")),
                _text(o, "label", w, problems, LIMITS["label"]),
                _text(o, "reply", w, problems, LIMITS["feedback"]),
            )
        )
    if not on_demand and tuple(o.key for o in options) != CHECKIN_KEYS:
        problems.append(f"{where}: check-in keys must be {', '.join(CHECKIN_KEYS)} in order")
    return (after if isinstance(after, int) else 3), tuple(options)


def parse_lesson(data: Any, where: str, problems: list[str]) -> Lesson | None:
    if not isinstance(data, dict):
        problems.append(f"{where}: not a mapping")
        return None
    lesson_id = str(data.get("id", ""))
    if not ID_RE.match(lesson_id):
        problems.append(f"{where}: id {lesson_id!r} is not kebab-case")
    version = _positive(data, "version", where, problems)
    week = _positive(data, "week", where, problems)
    messages = _messages(data, where, problems)
    question = data.get("question") or {}
    options = _question_options(question, where, problems)
    # A child reads a lesson when they choose to: nobody comes back to ask how the task went.
    on_demand = str(data.get("programme", "")).startswith(CHILD_PREFIX)
    after, c_options = _checkin(data, where, problems, on_demand)
    checkin = data.get("checkin") or {}
    task = data.get("task") or {}
    return Lesson(
        id=lesson_id,
        version=version,
        programme=str(data.get("programme", "")),
        week=week,
        title=_text(data, "title", where, problems, LIMITS["title"]),
        goal=_text(data, "goal", where, problems, LIMITS["message"]),
        messages=messages,
        prompt=_text(question, "prompt", f"{where} question", problems, LIMITS["message"]),
        options=options,
        task=_text(
            task if isinstance(task, dict) else {},
            "text",
            f"{where} task",
            problems,
            LIMITS["task"],
        ),
        checkin_after_days=after,
        checkin_prompt=""
        if on_demand
        else _text(checkin, "prompt", f"{where} check-in", problems, LIMITS["message"]),
        checkin_options=c_options,
        sources=_text(data, "sources", where, problems, LIMITS["sources"]),
    )


def load_programmes(content_dir: Path) -> dict[str, Programme]:
    root = content_dir / "lessons"
    problems: list[str] = []
    programmes: dict[str, Programme] = {}
    seen: dict[str, str] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        lessons: list[Lesson] = []
        for path in sorted(folder.glob("*.yaml")):
            where = str(path.relative_to(content_dir))
            try:
                data = yaml.safe_load(path.read_text("utf-8"))
            except yaml.YAMLError as exc:
                problems.append(f"{where}: not valid YAML ({exc})")
                continue
            lesson = parse_lesson(data, where, problems)
            if lesson is None:
                continue
            if lesson.programme != folder.name:
                problems.append(f"{where}: programme {lesson.programme!r} != folder {folder.name}")
            if lesson.id in seen:
                problems.append(f"{where}: id {lesson.id} also in {seen[lesson.id]}")
            seen[lesson.id] = where
            lessons.append(lesson)
        weeks = sorted(lesson.week for lesson in lessons)
        if weeks != list(range(1, len(lessons) + 1)):
            problems.append(
                f"lessons/{folder.name}: weeks {weeks} must run 1, 2, 3 … without gaps"
            )
        if lessons:
            programmes[folder.name] = Programme(folder.name, lessons)
    if problems:
        raise LessonError("; ".join(problems))
    return programmes
