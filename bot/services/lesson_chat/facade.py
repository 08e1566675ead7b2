"""Lessons as the person talks with them, one object for the handlers; each sub-journey
(inside a lesson, the programme's overview, pausing, a child's own lessons) has its module.
Every entry point checks that the enrolment in the button belongs to the presser (guards.py)."""

from __future__ import annotations

from bot.services.lesson_chat.children import ChildLessons
from bot.services.lesson_chat.guards import Guards
from bot.services.lesson_chat.in_lesson import InLesson
from bot.services.lesson_chat.overview import Overview
from bot.services.lesson_chat.pausing import Pausing
from bot.services.lessons import Lessons


class LessonChat:
    def __init__(self, lessons: Lessons) -> None:
        self.lessons = lessons
        self.uow = lessons.uow
        self.clock = lessons.clock
        guards = Guards(lessons)
        self.in_lesson = InLesson(lessons, guards)
        self.overview = Overview(lessons, guards)
        self.pausing = Pausing(lessons, guards, self.overview)
        self.children = ChildLessons(lessons)
        # The use cases by the names the handlers have always called them.
        self.next_part = self.in_lesson.next_part
        self.answer = self.in_lesson.answer
        self.checkin = self.in_lesson.checkin
        self.reread = self.in_lesson.reread
        self.waiting = self.in_lesson.waiting
        self.progress = self.overview.progress
        self.list_lessons = self.overview.list_lessons
        self.ask_pause = self.pausing.ask_pause
        self.pause = self.pausing.pause
        self.resume = self.pausing.resume
        self.child_part = self.children.child_part
        self.child_answer = self.children.child_answer
