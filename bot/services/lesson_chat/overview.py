"""A guardian's programme as a whole: how far they are, and the lessons sent so far to reread.

Also what someone without an enrolment is told when they ask (a child gets their own list,
an adult the weekday to start), which the pause and resume commands share."""

from __future__ import annotations

from bot.domain.people import Role
from bot.domain.replies import Choice, Keyboard, Outcome, Reply, rows
from bot.ports import UnitOfWork
from bot.services.common import Who
from bot.services.lesson_chat.children import child_list, programme_of
from bot.services.lesson_chat.guards import Guards, local_date
from bot.services.lessons import Lessons, ask_weekday, when_data


class Overview:
    def __init__(self, lessons: Lessons, guards: Guards) -> None:
        self.lessons = lessons
        self.guards = guards
        self.uow = lessons.uow

    async def progress(self, who: Who) -> Outcome:
        async with self.uow() as uow:
            found = await self.guards.enrolment(uow, who)
            if found is None:
                return await self.not_enrolled(uow, who)
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
                    "paused_until": local_date(enrolment),
                    **when_data(enrolment.weekday, enrolment.hour, enrolment.minute),
                },
                keyboard=Keyboard.HELP,
            )
        )

    async def list_lessons(self, who: Who) -> Outcome:
        async with self.uow() as uow:
            found = await self.guards.enrolment(uow, who)
            if found is None:
                return await self.not_enrolled(uow, who)
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

    async def not_enrolled(self, uow: UnitOfWork, who: Who) -> Outcome:
        person = await uow.people.by_telegram_id(who.telegram_id)
        if person is None or not person.registered:
            return Outcome.of(Reply("account/fallback_new", keyboard=Keyboard.HELP))
        if person.role is Role.CHILD:
            return child_list(programme_of(self.lessons, person))
        return Outcome.of(ask_weekday("lessons/not_enrolled"))
