"""Crisis help first: /help and the counsellor button answer in any state, with no consent."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, Filter
from aiogram.types import CallbackQuery, Message

from bot.services.bundle import Services
from handlers.common import who
from handlers.render import deliver


async def send_help(message: Message, bot: Bot, services: Services) -> None:
    """`/help`: a counsellor is asked for, and the hotlines are there at once."""
    assert message.from_user is not None
    locale = await services.account.locale_of(who(message.from_user))
    outcome = await services.helpline.request(who(message.from_user))
    await deliver(bot, message.chat.id, outcome, services, locale)


async def send_hotlines(message: Message, bot: Bot, services: Services) -> None:
    """`/hotlines`: the numbers alone, without asking for anyone."""
    assert message.from_user is not None
    locale = await services.account.locale_of(who(message.from_user))
    await deliver(bot, message.chat.id, services.safety.help(), services, locale)


class HelpButton(Filter):
    """Matches the help keyboard's label in any shipped language."""

    async def __call__(self, message: Message, services: Services) -> bool:
        return (message.text or "").strip() in services.help_labels


async def ask_counsellor(message: Message, bot: Bot, services: Services) -> None:
    """The persistent "talk to a counsellor" button, in whichever language it was shown."""
    assert message.from_user is not None
    locale = await services.account.locale_of(who(message.from_user))
    outcome = await services.helpline.request(who(message.from_user))
    await deliver(bot, message.chat.id, outcome, services, locale)


async def press_counsellor(query: CallbackQuery, bot: Bot, services: Services) -> None:
    """An inline "talk to a counsellor" button (e.g. after a hard week's check-in)."""
    assert query.message is not None
    locale = await services.account.locale_of(who(query.from_user))
    outcome = await services.helpline.request(who(query.from_user))
    await deliver(bot, query.message.chat.id, outcome, services, locale, callback=query)


def build() -> Router:
    """A fresh router: each dispatcher (tests, several instances) needs its own."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.message.register(send_help, Command("help", "sos"))
    router.message.register(send_hotlines, Command("hotlines"))
    router.message.register(ask_counsellor, HelpButton())
    router.callback_query.register(press_counsellor, F.data == "help:counsellor")
    return router
