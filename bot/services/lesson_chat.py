"""What a guardian does inside a lesson: next, answer, check-in, reread, progress, pause."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.lessons import (
    Enrolment,
    EnrolmentStatus,
    Lesson,
    PauseReason,
    Programme,
    child_programme,
    next_slot,
)
from bot.domain.people import Person, Role
from bot.domain.replies import Choice, Keyboard, Outcome, Reply, rows
from bot.ports import UnitOfWork
from bot.services.common import Who
from bot.services.lessons import (
    PAUSE_CHOICES,
    STALE,
    Lessons,
    ask_weekday,
    checkin_message,
    child_lesson_message,
    lesson_message,
    programme_for,
    when_data,
)


def _ints(*values: str) -> tuple[int, ...] | None:
    # isdecimal, not isdigit: a forged "²" passes isdigit() and then int() raises on it.
    if not all(v.isdecimal() and len(v) < 10 for v in values):
        return None
    return tuple(int(v) for v in values)


class LessonChat:
    """Every entry point checks that the enrolment in the button belongs to the presser."""

    def __init__(self, lessons: Lessons) -> None:
        self.lessons = lessons
        self.uow = lessons.uow
        self.clock = lessons.clock

    async def _mine(
        self, uow: UnitOfWork, who: Who, enrolment_id: int, index: int
    ) -> tuple[Person, Enrolment, Lesson, int] | None:
        """The person's enrolment, the lesson and its progress row id, if all check out."""
        person = await uow.people.by_telegram_id(who.telegram_id)
        enrolment = await uow.enrolments.by_id(enrolment_id)
        if person is None or enrolment is None or enrolment.person_id != person.id:
            return None
        lesson = self.lessons.programmes[enrolment.programme].at(index)
        if lesson is None or enrolment.id is None:
            return None
        # Only lessons that were actually sent to this person can be opened.
        progress = await uow.progress.get(enrolment.id, lesson.id)
        if progress is None or progress.id is None:
            return None
        return person, enrolment, lesson, progress.id

    async def _touch(self, uow: UnitOfWork, enrolment: Enrolment) -> None:
        assert enrolment.id is not None
        now = self.clock.now()
        if enrolment.status is EnrolmentStatus.PAUSED and (
            enrolment.pause_reason is PauseReason.SILENT
        ):
            # They came back on their own: the programme resumes where it stopped.
            await uow.enrolments.update(
                enrolment.id,
                last_active_at=now,
                status=EnrolmentStatus.ACTIVE,
                pause_reason=None,
                next_due_at=next_slot(
                    now, enrolment.weekday, enrolment.hour, enrolment.tz, enrolment.minute
                ),
            )
        else:
            await uow.enrolments.update(enrolment.id, last_active_at=now)

    async def next_part(self, who: Who, e: str, i: str, k: str) -> Outcome:
        ids = _ints(e, i, k)
        if ids is None:
            return Outcome(toast=STALE)
        enrolment_id, index, part = ids
        async with self.uow() as uow:
            found = await self._mine(uow, who, enrolment_id, index)
            if found is None or part > found[2].parts:
                return Outcome(toast=STALE)
            _, enrolment, lesson, progress_id = found
            await uow.progress.read_up_to(progress_id, part)
            await self._touch(uow, enrolment)
            await uow.commit()
        return Outcome.of(lesson_message(lesson, enrolment_id, index, part))

    async def answer(self, who: Who, e: str, i: str, o: str) -> Outcome:
        ids = _ints(e, i, o)
        if ids is None:
            return Outcome(toast=STALE)
        enrolment_id, index, option = ids
        async with self.uow() as uow:
            found = await self._mine(uow, who, enrolment_id, index)
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
            await self._touch(uow, enrolment)
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
        ids = _ints(e, i)
        if ids is None:
            return Outcome(toast=STALE)
        enrolment_id, index = ids
        async with self.uow() as uow:
            found = await self._mine(uow, who, enrolment_id, index)
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
            await self._touch(uow, enrolment)
            await uow.commit()
        choices = rows(Choice("btn.help", "help:counsellor")) if key == "not_easy" else ()
        return Outcome.of(
            Reply("lessons/checkin_reply", {"text": option.reply, "key": key}, choices=choices)
        )

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

    async def reread(self, who: Who, e: str, i: str) -> Outcome:
        ids = _ints(e, i)
        if ids is None:
            return Outcome(toast=STALE)
        async with self.uow() as uow:
            found = await self._mine(uow, who, ids[0], ids[1])
        if found is None:
            return Outcome(toast=STALE)
        return Outcome.of(lesson_message(found[2], ids[0], ids[1], 0))

    async def _enrolment(self, uow: UnitOfWork, who: Who) -> tuple[Person, Enrolment] | None:
        person = await uow.people.by_telegram_id(who.telegram_id)
        if person is None or person.id is None or not person.registered:
            return None
        if person.role is Role.CHILD:  # children have no schedule: see child_lessons
            return None
        enrolment = await uow.enrolments.get(person.id, programme_for(person))
        return (person, enrolment) if enrolment is not None else None

    async def progress(self, who: Who) -> Outcome:
        async with self.uow() as uow:
            found = await self._enrolment(uow, who)
            if found is None:
                return await self._not_enrolled(uow, who)
            _, enrolment = found
            assert enrolment.id is not None
            done = {p.lesson_id: p for p in await uow.progress.for_enrolment(enrolment.id)}
        programme = self.lessons.programmes[enrolment.programme]
        marks = []
        for lesson in programme.lessons:
            p = done.get(lesson.id)
            if p is None:
                marks.append("⬜")
            elif p.answer_index is not None:
                marks.append("✅")
            else:
                marks.append("📖")
        current = programme.at(max(0, enrolment.next_index - 1))
        return Outcome.of(
            Reply(
                "lessons/progress",
                {
                    "marks": "".join(marks),
                    "done": sum(m == "✅" for m in marks),
                    "total": len(programme),
                    "goal": current.goal if current else "",
                    "status": enrolment.status.value,
                    "paused_until": _local_date(enrolment),
                    **when_data(enrolment.weekday, enrolment.hour, enrolment.minute),
                },
                keyboard=Keyboard.HELP,
            )
        )

    async def list_lessons(self, who: Who) -> Outcome:
        async with self.uow() as uow:
            found = await self._enrolment(uow, who)
            if found is None:
                return await self._not_enrolled(uow, who)
            _, enrolment = found
            assert enrolment.id is not None
            sent = await uow.progress.for_enrolment(enrolment.id)
        programme = self.lessons.programmes[enrolment.programme]
        choices = []
        for p in sent:
            lesson = programme.by_id.get(p.lesson_id)
            if lesson is None:
                continue
            index = programme.lessons.index(lesson)
            choices.append(
                Choice(
                    "btn.lesson.item",
                    f"ls:r:{enrolment.id}:{index}",
                    label_data={"week": lesson.week, "title": lesson.title},
                )
            )
        if not choices:
            return Outcome.of(Reply("lessons/none_yet"))
        return Outcome.of(Reply("lessons/list", choices=rows(*choices)))

    async def _not_enrolled(self, uow: UnitOfWork, who: Who) -> Outcome:
        person = await uow.people.by_telegram_id(who.telegram_id)
        if person is None or not person.registered:
            return Outcome.of(Reply("account/fallback_new", keyboard=Keyboard.HELP))
        if person.role is Role.CHILD:
            return self._child_list(self._programme_of(person))
        return Outcome.of(ask_weekday("lessons/not_enrolled"))

    # -- a child's own lessons: read when they like, in their age band, nothing recorded ----

    def _programme_of(self, child: Person) -> Programme:
        return self.lessons.programmes[child_programme(child.age_band)]

    async def _child(self, who: Who) -> Programme | None:
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
        if person is None or not person.registered or person.role is not Role.CHILD:
            return None
        return self._programme_of(person)

    @staticmethod
    def _child_list(programme: Programme) -> Outcome:
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

    async def child_part(self, who: Who, i: str, k: str) -> Outcome:
        ids = _ints(i, k)
        programme = await self._child(who)
        lesson = programme.at(ids[0]) if programme is not None and ids is not None else None
        if lesson is None or ids is None or ids[1] > lesson.parts:
            return Outcome(toast=STALE)
        return Outcome.of(child_lesson_message(lesson, *ids))

    async def child_answer(self, who: Who, i: str, o: str) -> Outcome:
        ids = _ints(i, o)
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

    async def ask_pause(self, who: Who) -> Outcome:
        async with self.uow() as uow:
            found = await self._enrolment(uow, who)
            if found is None:
                return await self._not_enrolled(uow, who)
        return Outcome.of(
            Reply(
                "lessons/ask_pause",
                choices=rows(
                    *(Choice(f"btn.pause.{d}", f"ls:p:{d}") for d in PAUSE_CHOICES), width=2
                ),
            )
        )

    async def pause(self, who: Who, days: str) -> Outcome:
        if not days.isdecimal() or int(days) not in PAUSE_CHOICES:  # int() raises on "²"
            return Outcome(toast=STALE)
        async with self.uow() as uow:
            found = await self._enrolment(uow, who)
            if found is None:
                return Outcome(toast=STALE)
            _, enrolment = found
            if enrolment.status is EnrolmentStatus.COMPLETED:
                return Outcome.of(Reply("lessons/completed"))
            assert enrolment.id is not None
            enrolment.paused_until = (
                self.clock.now() + timedelta(days=int(days)) if int(days) else None
            )
            await uow.enrolments.update(
                enrolment.id,
                status=EnrolmentStatus.PAUSED,
                pause_reason=PauseReason.ASKED,
                paused_until=enrolment.paused_until,
                last_active_at=self.clock.now(),
            )
            await uow.commit()
        return Outcome.of(
            Reply("lessons/paused", {"until": _local_date(enrolment)}, keyboard=Keyboard.HELP)
        )

    async def resume(self, who: Who) -> Outcome:
        async with self.uow() as uow:
            found = await self._enrolment(uow, who)
            if found is None:
                return await self._not_enrolled(uow, who)
            _, enrolment = found
            if enrolment.status is not EnrolmentStatus.PAUSED:
                return Outcome.of(Reply("lessons/not_paused", keyboard=Keyboard.HELP))
            assert enrolment.id is not None
            now = self.clock.now()
            await uow.enrolments.update(
                enrolment.id,
                status=EnrolmentStatus.ACTIVE,
                paused_until=None,
                pause_reason=None,
                last_active_at=now,
                next_due_at=next_slot(
                    now, enrolment.weekday, enrolment.hour, enrolment.tz, enrolment.minute
                ),
            )
            await uow.commit()
        return Outcome.of(
            Reply(
                "lessons/resumed",
                when_data(enrolment.weekday, enrolment.hour, enrolment.minute),
                keyboard=Keyboard.HELP,
            )
        )


def _local_date(enrolment: Enrolment) -> str:
    if enrolment.paused_until is None:
        return ""
    return enrolment.paused_until.astimezone(enrolment.tz).date().isoformat()
