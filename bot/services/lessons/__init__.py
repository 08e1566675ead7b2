"""The weekly lesson programme, by sub-journey: choosing the slot (scheduling.py), the weekly
fan-out (fanout.py), what our outbox rows say and what follows their sending (rows.py), and
silence (silence.py). Reading a lesson is LessonChat's (bot.services.lesson_chat); see
docs/lessons.md for the flow diagram.

Callback data (all validated against the database, never trusted):
  ls:day:D            choose weekday D (0 = Monday)
  ls:hour:D:H         choose weekday D at hour H
  ls:n:E:K            enrolment E: show part K of its current lesson (messages, then question)
  ls:a:E:L:I          enrolment E, lesson index L: answer option I of the check question
  ls:c:E:L:KEY        enrolment E, lesson index L: check-in answer KEY
  ls:r:E:L            reread lesson index L
  ls:k:L:K            a child: show part K of lesson L of their age band's programme
  ls:ka:L:I           a child: answer option I of that lesson's check question
  ls:p:DAYS           pause for DAYS days (0: until /resume)
"""

from bot.services.lessons.facade import Lessons
from bot.services.lessons.fanout import FanOut
from bot.services.lessons.policy import (
    LESSON_KINDS,
    PAUSE_CHOICES,
    STALE,
    WEEKDAYS,
    LessonPolicy,
    programme_for,
)
from bot.services.lessons.replies import (
    ask_weekday,
    checkin_message,
    child_lesson_message,
    lesson_message,
    when_data,
)

__all__ = [
    "LESSON_KINDS",
    "PAUSE_CHOICES",
    "STALE",
    "WEEKDAYS",
    "FanOut",
    "LessonPolicy",
    "Lessons",
    "ask_weekday",
    "checkin_message",
    "child_lesson_message",
    "lesson_message",
    "programme_for",
    "when_data",
]
