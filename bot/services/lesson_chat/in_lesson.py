"""What a guardian does inside one lesson: read on, answer its question, answer the check-in
a few days later, read it again; and which of those questions still waits for an answer."""

from __future__ import annotations

from bot.domain.people import Role
from bot.domain.replies import Choice, Keyboard, Outcome, Reply, rows
from bot.services.common import Who
from bot.services.lesson_chat.guards import Guards, ints
from bot.services.lessons import (
    STALE,
    Lessons,
    ask_weekday,
    checkin_message,
    lesson_message,
    programme_for,
)


class InLesson:
    def __init__(self, lessons: Lessons, guards: Guards) -> None:
        self.lessons = lessons
        self.guards = guards
        self.uow = lessons.uow
        self.clock = lessons.clock

    async def next_part(self, who: Who, e: str, i: str, k: str) -> Outcome:
        ids = ints(e, i, k)
        if ids is None:
            return Outcome(toast=STALE)
        enrolment_id, index, part = ids
        async with self.uow() as uow:
            found = await self.guards.mine(uow, who, enrolment_id, index)
            if found is None or part > found[2].parts:
                return Outcome(toast=STALE)
            _, enrolment, lesson, progress_id = found
            await uow.progress.read_up_to(progress_id, part)
            await self.guards.touch(uow, enrolment)
            await uow.commit()
        return Outcome.of(lesson_message(lesson, enrolment_id, index, part))

    async def answer(self, who: Who, e: str, i: str, o: str) -> Outcome:
        ids = ints(e, i, o)
        if ids is None:
            return Outcome(toast=STALE)
        enrolment_id, index, option = ids
        async with self.uow() as uow:
            found = await self.guards.mine(uow, who, enrolment_id, index)
            if found is None or option >= len(found[2].options):
                return Outcome(toast=STALE)
            _, enrolment, lesson, progress_id = found
            now = self.clock.now()
            first = await uow.progress.update(
                progress_id,
                only_if_unset="answer_index",
                answer_index=option,
                answered_at=now,
                task_shown_at=now,
            )
            await uow.progress.read_up_to(progress_id, lesson.parts)
            await self.guards.touch(uow, enrolment)
            await uow.commit()
        chosen = lesson.options[option]
        replies = [Reply("lessons/feedback", {"text": chosen.feedback, "best": chosen.best})]
        if first:
            replies.append(
                Reply(
                    "lessons/task",
                    {"task": lesson.task, "days": lesson.checkin_after_days},
                    keyboard=Keyboard.HELP,
                )
            )
        return Outcome(replies=tuple(replies))

    async def checkin(self, who: Who, e: str, i: str, key: str) -> Outcome:
        ids = ints(e, i)
        if ids is None:
            return Outcome(toast=STALE)
        enrolment_id, index = ids
        async with self.uow() as uow:
            found = await self.guards.mine(uow, who, enrolment_id, index)
            if found is None:
                return Outcome(toast=STALE)
            _, enrolment, lesson, progress_id = found
            option = next((o for o in lesson.checkin_options if o.key == key), None)
            if option is None:
                return Outcome(toast=STALE)
            await uow.progress.update(
                progress_id,
                only_if_unset="checkin_answer",
                checkin_answer=key,
                checkin_answered_at=self.clock.now(),
            )
            await self.guards.touch(uow, enrolment)
            await uow.commit()
        choices = rows(Choice("btn.help", "help:counsellor")) if key == "not_easy" else ()
        return Outcome.of(
            Reply("lessons/checkin_reply", {"text": option.reply, "key": key}, choices=choices)
        )

    async def reread(self, who: Who, e: str, i: str) -> Outcome:
        ids = ints(e, i)
        if ids is None:
            return Outcome(toast=STALE)
        async with self.uow() as uow:
            found = await self.guards.mine(uow, who, ids[0], ids[1])
        if found is None:
            return Outcome(toast=STALE)
        return Outcome.of(lesson_message(found[2], ids[0], ids[1], 0))

    async def waiting(self, who: Who) -> tuple[Reply, int, bool] | None:
        """The question with buttons this person has not answered yet, newest first: a
        lesson's check question once they have read to it, a check-in that was sent, or, for
        a registered adult with no lessons yet, the weekday to start them. With how many of
        its buttons are numbered answers (lessons are for adults: addressed with 您)."""
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            if person is None or person.id is None or not person.registered:
                return None
            if person.role is Role.CHILD:
                return None
            programme = self.lessons.programmes[programme_for(person)]
            enrolment = await uow.enrolments.get(person.id, programme.name)
            if enrolment is None or enrolment.id is None:
                return ask_weekday("lessons/not_enrolled"), 7, True
            rows_ = await uow.progress.for_enrolment(enrolment.id)
        index_of = {lesson.id: i for i, lesson in enumerate(programme.lessons)}
        for progress in sorted(rows_, key=lambda p: p.scheduled_for, reverse=True):
            index = index_of.get(progress.lesson_id)
            lesson = programme.at(index) if index is not None else None
            if lesson is None:
                continue
            if progress.checkin_sent_at is not None and progress.checkin_answer is None:
                checkin = checkin_message(lesson, enrolment.id, index or 0)
                return checkin, len(lesson.checkin_options), True
            if progress.answer_index is None and progress.parts_read >= lesson.parts:
                question = lesson_message(lesson, enrolment.id, index or 0, lesson.parts)
                return question, len(lesson.options), True
            return None  # the newest lesson waits for nothing typed
        return None
