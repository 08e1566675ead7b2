"""Weekly lessons: /schedule, /pause, /resume, /progress, /lessons, /training, `ls:` buttons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.domain.replies import Outcome, reply_to_data
from bot.services.bundle import Services
from bot.services.common import Who
from bot.services.lessons import ask_weekday
from bot.telegram.replies import deliver
from handlers.common import who

# The weekday pressed in the schedule picker, kept (in the conversation's state) for the hour.
SCHEDULE_DAY = "schedule_day"
SCHEDULE_ASK = "schedule_ask"  # /schedule asked for a weekday
# When: a picker left unanswered stops waiting (see handlers/typed.py), so that a typed answer
# to a questionnaire begun later is not read as a weekday.
SCHEDULE_AT = "schedule_at"
# Another question with buttons just asked (how long to pause, which language, which child),
# as reply data, and when: a typed answer is read against it for as long as the picker waits.
ASKED = "asked"
ASKED_AT = "asked_at"
# The questions kept so: their buttons are the whole answer, and asking again is cheap.
REMEMBERED = (
    "lessons/ask_pause",
    "account/ask_language",
    "account/ask_stop",
    "screening/which_child",
)


async def _say(message: Message, bot: Bot, services: Services, outcome: Outcome) -> None:
    assert message.from_user is not None
    locale = await services.account.locale_of(who(message.from_user))
    await deliver(bot, message.chat.id, outcome, services, locale)


async def ask_schedule(message: Message, bot: Bot, state: FSMContext, services: Services) -> None:
    """Pick a new weekday and hour (or enrol, if not yet)."""
    assert message.from_user is not None
    await forget_schedule(state)
    outcome = await services.lesson_chat.progress(who(message.from_user))
    if outcome.replies and outcome.replies[0].template == "lessons/progress":
        outcome = Outcome.of(ask_weekday())
        await state.update_data({SCHEDULE_ASK: True, SCHEDULE_AT: _now(services)})
    await _say(message, bot, services, outcome)


async def show_progress(message: Message, bot: Bot, services: Services) -> None:
    """A row of ✅📖⬜ and what comes next."""
    assert message.from_user is not None
    await _say(message, bot, services, await services.lesson_chat.progress(who(message.from_user)))


async def list_lessons(message: Message, bot: Bot, services: Services) -> None:
    """Past lessons to reread; a child's own lessons to read."""
    assert message.from_user is not None
    await _say(
        message, bot, services, await services.lesson_chat.list_lessons(who(message.from_user))
    )


async def ask_pause(message: Message, bot: Bot, state: FSMContext, services: Services) -> None:
    """How long to pause."""
    assert message.from_user is not None
    outcome = await services.lesson_chat.ask_pause(who(message.from_user))
    await remember_question(state, outcome, services)
    await _say(message, bot, services, outcome)


async def resume(message: Message, bot: Bot, services: Services) -> None:
    """Lessons again from the next slot."""
    assert message.from_user is not None
    await _say(message, bot, services, await services.lesson_chat.resume(who(message.from_user)))


async def choose_lesson(
    query: CallbackQuery, bot: Bot, state: FSMContext, services: Services
) -> None:
    """Every `ls:` button; the services check it belongs to the presser."""
    assert query.data is not None and query.message is not None
    person = who(query.from_user)
    outcome = await lesson_action(person, query.data, services, state)
    locale = await services.account.locale_of(person)
    await deliver(bot, query.message.chat.id, outcome, services, locale, callback=query)


async def lesson_action(person: Who, data: str, services: Services, state: FSMContext) -> Outcome:
    """What a lesson button does, pressed or typed (handlers/typed.py). The weekday chosen is
    remembered until the hour is, so that an hour typed instead of pressed has its day."""
    parts = data.split(":")
    verb, args = parts[1] if len(parts) > 1 else "", parts[2:]
    if verb in ("day", "hour"):
        return await _schedule(person, verb, args, services, state)
    action = _reading(services, verb, len(args))
    outcome = await action(person, *args) if action else Outcome(toast="toast.stale")
    await forget_schedule(state)  # another question now waits: not the schedule's
    return outcome


async def _schedule(
    person: Who, verb: str, args: list[str], services: Services, state: FSMContext
) -> Outcome:
    """The weekly slot's two pickers: the weekday is kept until the hour comes."""
    match verb, len(args):
        case "day", 1:
            outcome = await services.lessons.choose_day(person, args[0])
            if outcome.replies:
                await state.update_data({SCHEDULE_DAY: args[0], SCHEDULE_AT: _now(services)})
        case "hour", 2 | 3:  # weekday, hour and, typed as 七点半, its minutes
            outcome = await services.lessons.set_schedule(person, *args)
            if outcome.replies:
                await forget_schedule(state)
        case _:
            outcome = Outcome(toast="toast.stale")
    return outcome


def _reading(
    services: Services, verb: str, arity: int
) -> Callable[..., Awaitable[Outcome]] | None:
    """The reader's use case a button names (with that many arguments), if any."""
    chat = services.lesson_chat
    actions: dict[tuple[str, int], Callable[..., Awaitable[Outcome]]] = {
        ("n", 3): chat.next_part,
        ("a", 3): chat.answer,
        ("c", 3): chat.checkin,
        ("r", 2): chat.reread,
        ("k", 2): chat.child_part,
        ("ka", 2): chat.child_answer,
        ("p", 1): chat.pause,
    }
    return actions.get((verb, arity))


def _now(services: Services) -> float:
    return services.lessons.clock.now().timestamp()


async def remember_question(state: FSMContext, outcome: Outcome, services: Services) -> None:
    """Keep the question just asked, if it is one a typed answer may answer (REMEMBERED);
    whatever was waiting before is forgotten either way: this is the question now."""
    await forget_schedule(state)
    last = outcome.replies[-1] if outcome.replies else None
    if last is not None and last.template in REMEMBERED:
        await state.update_data({ASKED: reply_to_data(last), ASKED_AT: _now(services)})


async def forget_schedule(state: FSMContext) -> None:
    """Forget the pickers waiting for a typed answer: another question now waits."""
    data = await state.get_data()
    keys = (SCHEDULE_DAY, SCHEDULE_ASK, SCHEDULE_AT, ASKED, ASKED_AT)
    if any(k in data for k in keys):
        await state.set_data({k: v for k, v in data.items() if k not in keys})


def build() -> Router:
    """A fresh router: each dispatcher (tests, several instances) needs its own."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.register(ask_schedule, Command("schedule", "training"))
    router.message.register(show_progress, Command("progress"))
    router.message.register(list_lessons, Command("lessons"))
    router.message.register(ask_pause, Command("pause"))
    router.message.register(resume, Command("resume"))
    router.callback_query.register(choose_lesson, F.data.startswith("ls:"))
    return router
