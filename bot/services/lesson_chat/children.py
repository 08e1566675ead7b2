"""A child's own lessons: read when they like, in their age band, nothing recorded.

Apart from the guardians' lessons because nothing here is scheduled, checked against an
enrolment or written down: a child's button carries only which lesson and which part."""

from __future__ import annotations

from bot.domain.lessons import Programme, child_programme
from bot.domain.people import Person, Role
from bot.domain.replies import Choice, Keyboard, Outcome, Reply, rows
from bot.services.common import Who
from bot.services.lesson_chat.guards import ints
from bot.services.lessons import STALE, Lessons, child_lesson_message


def programme_of(lessons: Lessons, child: Person) -> Programme:
    return lessons.programmes[child_programme(child.age_band)]


def child_list(programme: Programme) -> Outcome:
    """The titles of the child's lessons, each a button that opens it."""
    return Outcome.of(
        Reply(
            "lessons/child_list",
            choices=rows(
                *(
                    Choice("btn.raw", f"ls:k:{i}:0", label_data={"text": lesson.title})
                    for i, lesson in enumerate(programme.lessons)
                )
            ),
        )
    )


class ChildLessons:
    def __init__(self, lessons: Lessons) -> None:
        self.lessons = lessons
        self.uow = lessons.uow

    async def _child(self, who: Who) -> Programme | None:
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
        if person is None or not person.registered or person.role is not Role.CHILD:
            return None
        return programme_of(self.lessons, person)

    async def child_part(self, who: Who, i: str, k: str) -> Outcome:
        ids = ints(i, k)
        programme = await self._child(who)
        lesson = programme.at(ids[0]) if programme is not None and ids is not None else None
        if lesson is None or ids is None or ids[1] > lesson.parts:
            return Outcome(toast=STALE)
        return Outcome.of(child_lesson_message(lesson, *ids))

    async def child_answer(self, who: Who, i: str, o: str) -> Outcome:
        ids = ints(i, o)
        programme = await self._child(who)
        lesson = programme.at(ids[0]) if programme is not None and ids is not None else None
        if lesson is None or ids is None or ids[1] >= len(lesson.options):
            return Outcome(toast=STALE)
        chosen = lesson.options[ids[1]]
        return Outcome(
            replies=(
                Reply("lessons/feedback", {"text": chosen.feedback, "best": chosen.best}),
                Reply("lessons/child_task", {"task": lesson.task}, keyboard=Keyboard.HELP),
            )
        )
