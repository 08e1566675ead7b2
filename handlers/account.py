"""/language, /privacy, /stop (and 退订), and the account buttons (`acc:`)."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message

from bot.domain.replies import Outcome
from bot.services.bundle import Services
from bot.services.common import Who
from bot.telegram.replies import deliver
from handlers.common import who
from handlers.lessons import forget_schedule, remember_question

STOP_WORDS = frozenset({"退订", "停止", "stop", "unsubscribe"})


async def ask_language(message: Message, bot: Bot, state: FSMContext, services: Services) -> None:
    """Offer the languages we ship."""
    assert message.from_user is not None
    locale = await services.account.locale_of(who(message.from_user))
    outcome = services.account.ask_language()
    await remember_question(state, outcome, services)
    await deliver(bot, message.chat.id, outcome, services, locale)


async def show_privacy(message: Message, bot: Bot, services: Services) -> None:
    """The privacy notice again, with where the person stands."""
    assert message.from_user is not None
    person = who(message.from_user)
    outcome = await services.account.privacy(person)
    await deliver(
        bot, message.chat.id, outcome, services, await services.account.locale_of(person)
    )


async def ask_stop(message: Message, bot: Bot, state: FSMContext, services: Services) -> None:
    """Confirm before stopping every scheduled message."""
    assert message.from_user is not None
    person = who(message.from_user)
    await state.clear()
    outcome = await services.account.ask_stop(person)
    await remember_question(state, outcome, services)
    await deliver(
        bot, message.chat.id, outcome, services, await services.account.locale_of(person)
    )


async def choose_account(
    query: CallbackQuery, bot: Bot, state: FSMContext, services: Services
) -> None:
    """Language and stop confirmations."""
    assert query.data is not None and query.message is not None
    await forget_schedule(state)
    outcome, locale = await account_action(who(query.from_user), query.data, services)
    await deliver(bot, query.message.chat.id, outcome, services, locale, callback=query)


async def account_action(person: Who, data: str, services: Services) -> tuple[Outcome, str]:
    """What an account button does, pressed or typed (handlers/typed.py), and the language
    to answer in (the new one, after a language is chosen)."""
    _, verb, value = [*data.split(":"), "", ""][:3]
    if verb == "lang":
        # The menu follows the new language by itself (bot/telegram/menus.FollowRole).
        outcome, locale = await services.account.set_language(person, value)
    else:
        if verb == "stop":
            outcome = await services.account.confirm_stop(person, value)
        else:
            outcome = Outcome(toast="toast.stale")
        locale = await services.account.locale_of(person)
    return outcome, locale


async def note_membership(event: ChatMemberUpdated, services: Services) -> None:
    """Blocking the bot arrives as status `kicked`: stop sending to them."""
    if event.new_chat_member.status == "kicked":
        await services.account.mark_unreachable(event.from_user.id)


def build() -> Router:
    """A fresh router: each dispatcher (tests, several instances) needs its own."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.register(ask_language, Command("language", "lang"))
    router.message.register(show_privacy, Command("privacy"))
    router.message.register(ask_stop, Command("stop"))
    router.message.register(
        ask_stop, F.text.func(lambda t: (t or "").strip().lower() in STOP_WORDS)
    )
    router.callback_query.register(choose_account, F.data.startswith("acc:"))
    router.my_chat_member.register(note_membership, F.chat.type == "private")
    return router
