"""Typed answers where a button was expected (issue 19 item 2).

Reached from the fallback, after the helpline has heard the words for risk ("我不想活了" typed
mid-questionnaire gets the safety reply, never an option). A question with buttons is waiting:
a questionnaire item, a lesson's check question or check-in, the lesson schedule. A short
message that names one of its buttons (its label, its number, a close form, 是/不是) does what
pressing it would; anything else asks the same question again, with its buttons and a line
saying to choose one, so nobody drops out of the flow into the generic reply."""

from __future__ import annotations

from collections.abc import Callable

from aiogram.fsm.context import FSMContext

from bot.domain.replies import Outcome, Reply, reply_from_data
from bot.domain.typed import SHORT, Clock, fold, pick, pick_age, read_time
from bot.services.bundle import Services
from bot.services.common import Draft, Who
from bot.services.lessons import ask_weekday
from handlers.account import account_action
from handlers.lessons import (
    ASKED,
    ASKED_AT,
    SCHEDULE_ASK,
    SCHEDULE_AT,
    SCHEDULE_DAY,
    forget_schedule,
    lesson_action,
    remember_question,
)
from handlers.screening import screening_action


async def typed_answer(
    person: Who, text: str, state: FSMContext, services: Services, locale: str, nth: int = 0
) -> Outcome | None:
    """The outcome of a typed answer to the question waiting, or None when none waits.
    A longer message is talk, not a missed button: it gets the usual warm answer (with the
    counsellor button), and then the question again, so the person is heard and stays in the
    flow. An adult who has not yet picked a lesson time is asked nothing again: their words
    get the usual answer unless they name a weekday."""
    waiting = await _waiting(person, state, services)
    if waiting is None:
        return None
    reply, numbered, formal = waiting
    action = ""
    if text and reply.template != "helpline/ask":
        # The direct question is answered by its own words only, heard by the helpline
        # (content/helpline/answers.yaml): here it is only asked again.
        read = _PICKERS.get(reply.template, _no_words)(reply, text, services)
        if isinstance(read, Outcome):
            return read
        action = read or _named_button(reply, text, services, locale, numbered)
    done = await _press(person, action, state, services)
    if done is not None and done.replies:
        return done
    return await _ask_again(person, text, reply, formal, services, nth)


def _pause_weeks(reply: Reply, text: str, services: Services) -> str:
    """ "两周", "a month": the pause of that length, if it is one of the buttons."""
    weeks = services.typed.weeks_of(text)
    if weeks is None:
        return ""
    offered = {c.action for row in reply.choices for c in row}
    return f"ls:p:{weeks * 7}" if f"ls:p:{weeks * 7}" in offered else ""


def _language(reply: Reply, text: str, services: Services) -> str:
    """ "英文", "chinese": the language's button."""
    code = services.typed.language(text)
    return f"acc:lang:{code}" if code else ""


def _lesson_hour(reply: Reply, text: str, services: Services) -> str | Outcome:
    """ "晚上七点半": the hour's button with its minutes; a time that is not a lesson's is
    answered with the times that are, and the question again."""
    clock = read_time(text, services.typed)
    if clock is None:
        return ""
    hours = [c.action for row in reply.choices for c in row]
    action = _hour_action(clock, hours, services.lessons.policy.minutes)
    if action:
        return action
    time = f"{clock.hour}:{clock.minute:02d}"
    return Outcome.of(Reply("typed/on_the_hour", {"time": time}), reply)


def _weekday(reply: Reply, text: str, services: Services) -> str:
    """ "周三", "Wednesday": the weekday's button."""
    day = services.typed.weekday(text)
    return f"ls:day:{day}" if day is not None else ""


def _no_words(reply: Reply, text: str, services: Services) -> str:
    return ""


# Pickers whose answers are words of their own (a length, a language, a time, a day), read
# before the buttons' labels; any other question is answered by naming a button.
_PICKERS: dict[str, Callable[[Reply, str, Services], str | Outcome]] = {
    "lessons/ask_pause": _pause_weeks,
    "account/ask_language": _language,
    "lessons/ask_hour": _lesson_hour,
    "lessons/ask_weekday": _weekday,
    "lessons/not_enrolled": _weekday,
}


def _named_button(reply: Reply, text: str, services: Services, locale: str, numbered: int) -> str:
    """What the button the message names (its label, its number, a close form) does."""
    rendered = services.catalog.render(reply, locale)
    buttons = [(label, act) for row in rendered.buttons for label, act, _ in row]
    chosen = pick(text, [label for label, _ in buttons], services.typed, numbered)
    return buttons[chosen][1] if chosen is not None else ""


async def _press(
    person: Who, action: str, state: FSMContext, services: Services
) -> Outcome | None:
    """What pressing the button would have done; None for no button."""
    if action.startswith("sc:"):
        done = await screening_action(person, action, services)
        if done.replies:
            await remember_question(state, done, services)
        return done
    if action.startswith("ls:"):
        return await lesson_action(person, action, services, state)
    if action.startswith("acc:"):
        await forget_schedule(state)
        done, _ = await account_action(person, action, services)
        return done
    return None


async def _ask_again(
    person: Who, text: str, reply: Reply, formal: bool, services: Services, nth: int
) -> Outcome | None:
    """An answer that changed nothing (the question was answered meanwhile) only toasts, and
    a typed message has no toast: it gets the question again, never silence."""
    if reply.template == "lessons/not_enrolled":
        return None
    if len(fold(text)) > SHORT:
        talk = await services.account.fallback(person, nth)
        return Outcome(replies=(*talk.replies, reply))
    return Outcome.of(Reply("typed/choose", {"formal": formal}), reply)


# How long the schedule picker waits for a typed weekday or hour (seconds).
SCHEDULE_WAITS = 15 * 60
# Remembered questions whose buttons are not chosen by their place (handlers/lessons.py).
UNNUMBERED = ("lessons/ask_pause", "account/ask_stop")
# Onboarding questions whose numbers are ages, not the buttons' places.
AGE_QUESTIONS = ("onboarding/ask_age", "onboarding/ask_child_age")
CONSENT_QUESTIONS = ("onboarding/privacy", "onboarding/ask_guardian_consent")


async def typed_onboarding(
    person: Who, text: str, prompt: Reply, draft: Draft, services: Services, locale: str
) -> tuple[Outcome, Draft] | None:
    """A typed answer to an onboarding question ("12岁", "同意", "祖父母"): what pressing
    its button does, or None (the question is asked again)."""
    if not text:
        return None
    rendered = services.catalog.render(prompt, locale)
    buttons = [(label, act) for row in rendered.buttons for label, act, _ in row]
    labels = [label for label, _ in buttons]
    if prompt.template in AGE_QUESTIONS:
        chosen = pick_age(text, labels)
        if chosen is None and not any(ch.isdigit() for ch in text):
            chosen = pick(text, labels, services.typed, numbered=0)
    else:
        # Consent is given in words ("同意", "I agree"), never by a bare number.
        numbered = 0 if prompt.template in CONSENT_QUESTIONS else None
        chosen = pick(text, labels, services.typed, numbered)
    if chosen is None or not buttons[chosen][1].startswith("ob:"):
        return None
    return await services.onboarding.choose(person, buttons[chosen][1], draft)


def _hour_action(clock: Clock, hours: list[str], minutes: tuple[int, ...]) -> str:
    """What the hour button a typed time stands for does, with its minutes ("晚上七点半" is
    19:30; "7点" is 19:00 when only the evening is offered), or "" when the hour is not
    offered or the minutes are not a lesson's (on the hour or half past)."""
    for hour, minute in clock.candidates():
        found = [a for a in hours if minute in minutes and a.rsplit(":", 1)[-1] == str(hour)]
        if found:
            return f"{found[0]}:{minute}" if minute else found[0]
    return ""


async def _waiting(
    person: Who, state: FSMContext, services: Services
) -> tuple[Reply, int, bool] | None:
    """The question with buttons this person was last asked and has not answered: the
    schedule's hour (its weekday pressed), a questionnaire item, a lesson's question. The
    safety net's direct question comes first: nothing else is asked while it waits."""
    asked = await services.helpline.waiting(person)
    if asked is not None:
        question, guardian = asked
        return question, 0, guardian
    data = await state.get_data()
    now = services.lessons.clock.now().timestamp()

    def recent(key: str) -> bool:
        at = data.get(key)
        return isinstance(at, int | float) and 0 <= now - at < SCHEDULE_WAITS

    remembered = data.get(ASKED)
    if recent(ASKED_AT) and isinstance(remembered, dict):
        reply = reply_from_data(remembered)
        # Only a guardian is asked how long to pause, or which child. Stopping everything is
        # said in words, never by a number; a number for a pause is its weeks.
        formal = reply.template in ("lessons/ask_pause", "screening/which_child")
        numbered = 0 if reply.template in UNNUMBERED else sum(map(len, reply.choices))
        return reply, numbered, formal
    if not recent(SCHEDULE_AT):
        data = {}
    day = data.get(SCHEDULE_DAY)
    if isinstance(day, str) and day.isdecimal() and int(day) < 7:
        return services.lessons.ask_hour(int(day)), len(services.lessons.policy.hours), True
    if data.get(SCHEDULE_ASK):
        return ask_weekday(), 7, True
    item = await services.screening.waiting(person)
    if item is not None:
        return item
    lesson = await services.lesson_chat.waiting(person)
    if lesson is not None:
        return lesson
    return None
