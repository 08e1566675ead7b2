"""What a person does with their lessons, by sub-journey: inside a lesson (next, answer,
check-in, reread), the overview (progress, list), pausing, and a child's own lessons.
`LessonChat` (facade.py) is what the handlers call."""

from bot.services.lesson_chat.facade import LessonChat

__all__ = ["LessonChat"]
