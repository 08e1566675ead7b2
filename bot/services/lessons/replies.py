"""The lesson messages themselves (a part with "next", the check question, the check-in) and
the weekday picker: pure functions of the content, shared by the outbox and the reader."""

from __future__ import annotations

from bot.domain.lessons import Lesson
from bot.domain.replies import Choice, Reply, rows
from bot.services.lessons.policy import WEEKDAYS


def ask_weekday(template: str = "lessons/ask_weekday") -> Reply:
    return Reply(
        template,
        choices=rows(*(Choice(f"btn.day.{d}", f"ls:day:{d}") for d in WEEKDAYS), width=4),
    )


def when_data(weekday: int, hour: int, minute: int = 0) -> dict[str, int]:
    return {"weekday": weekday, "hour": hour, "minute": minute}


def lesson_message(lesson: Lesson, enrolment_id: int, index: int, part: int) -> Reply:
    """Part `part` of a lesson: a message with "next", or the check question."""
    return _lesson_part(
        lesson, part, f"ls:n:{enrolment_id}:{index}", f"ls:a:{enrolment_id}:{index}"
    )


def child_lesson_message(lesson: Lesson, index: int, part: int) -> Reply:
    """The same for a child's lesson, which belongs to no enrolment: only its index travels."""
    return _lesson_part(lesson, part, f"ls:k:{index}", f"ls:ka:{index}")


def _lesson_part(lesson: Lesson, part: int, step: str, answer: str) -> Reply:
    last = len(lesson.messages) - 1
    if part <= last:
        label = "btn.lesson.next" if part < last else "btn.lesson.question"
        return Reply(
            "lessons/part",
            {
                "title": lesson.title,
                "text": lesson.messages[part],
                "n": part + 1,
                "total": len(lesson.messages),
                "first": part == 0,
                # Under the last message, so whoever reads to the end sees what it rests on.
                "sources": lesson.sources if part == last else "",
            },
            choices=rows(Choice(label, f"{step}:{part + 1}")),
        )
    return Reply(
        "lessons/question",
        {"prompt": lesson.prompt},
        choices=rows(
            *(
                Choice("btn.raw", f"{answer}:{i}", label_data={"text": o.label})
                for i, o in enumerate(lesson.options)
            )
        ),
    )


def checkin_message(lesson: Lesson, enrolment_id: int, index: int) -> Reply:
    return Reply(
        "lessons/checkin",
        {"prompt": lesson.checkin_prompt, "task": lesson.task},
        choices=rows(
            *(
                Choice(
                    "btn.raw", f"ls:c:{enrolment_id}:{index}:{o.key}", label_data={"text": o.label}
                )
                for o in lesson.checkin_options
            )
        ),
    )
