"""Self-check questionnaires in a private chat: `/check`, then one item per message."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.domain.replies import Outcome
from bot.services.bundle import Services
from bot.services.common import Who
from bot.services.screening import Screening
from bot.telegram.replies import deliver
from handlers.common import who
from handlers.lessons import forget_schedule, remember_question


async def show_checks(message: Message, bot: Bot, state: FSMContext, services: Services) -> None:
    """`/check`: the self-checks this person may take."""
    assert message.from_user is not None
    await forget_schedule(state)  # a typed "2" now answers the form, not a weekday
    person = who(message.from_user)
    outcome = await services.screening.menu(person)
    locale = await services.account.locale_of(person)
    await deliver(bot, message.chat.id, outcome, services, locale)


def _ints(parts: list[str]) -> list[int] | None:
    # isdecimal, not isdigit: a forged "²" passes isdigit() and then int() raises on it.
    if not all(p.isdecimal() and len(p) < 10 for p in parts):
        return None
    return [int(p) for p in parts]


async def press_screening(
    query: CallbackQuery, bot: Bot, state: FSMContext, services: Services
) -> None:
    """Every questionnaire button; forged or stale data gets the polite stale toast."""
    assert query.message is not None and query.data is not None
    person = who(query.from_user)
    outcome = await screening_action(person, query.data, services)
    if outcome.replies:
        await remember_question(state, outcome, services)  # "which child?" waits for a word
    locale = await services.account.locale_of(person)
    await deliver(bot, query.message.chat.id, outcome, services, locale, callback=query)


async def screening_action(person: Who, data: str, services: Services) -> Outcome:
    """What a questionnaire button does, pressed or typed (handlers/typed.py)."""
    parts = data.split(":")
    action, args = parts[1] if len(parts) > 1 else "", parts[2:]
    if action in _IN_FORM:
        return await _in_form(person, action, _ints(args), services.screening)
    return await _around_form(person, action, args, services.screening)


# The buttons under an item, and how many numbers each carries: session, position, value.
_IN_FORM = {"a": 3, "s": 2, "b": 2, "stop": 1}


async def _in_form(person: Who, action: str, n: list[int] | None, sc: Screening) -> Outcome:
    """An answer, a skip, a step back or a stop, on the item shown."""
    if not n or len(n) != _IN_FORM[action]:
        return Outcome(toast="toast.stale")
    if action == "a":
        return await sc.answer(person, n[0], n[1], n[2])
    if action == "s":
        return await sc.answer(person, n[0], n[1], None)
    if action == "b":
        return await sc.back(person, n[0], n[1])
    return await sc.stop(person, n[0])


async def _around_form(person: Who, action: str, args: list[str], sc: Screening) -> Outcome:
    """Starting a form (for a child, again), resuming one, and the case offered after it."""
    outcome = Outcome(toast="toast.stale")
    if action == "start" and len(args) == 1:
        outcome = await sc.start(person, args[0])
    elif action == "addchild" and len(args) == 1:
        outcome = await sc.add_child(person, args[0])
    elif action in ("again", "child") and len(args) == 2 and (n := _ints(args[1:])):
        outcome = await sc.start(person, args[0], confirmed=action == "again", child_id=n[0])
    elif action == "resume":
        outcome = await sc.resume(person)
    elif action in ("case", "nocase") and len(args) == 1 and (n := _ints(args)):
        outcome = await sc.case_answer(person, n[0], yes=action == "case")
    elif action == "later":
        outcome = Outcome(toast="toast.saved")
    return outcome


def build() -> Router:
    """A fresh router: each dispatcher (tests, several instances) needs its own."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.message.register(show_checks, Command("check", "selfcheck"))
    router.callback_query.register(press_screening, F.data.startswith("sc:"))
    return router
