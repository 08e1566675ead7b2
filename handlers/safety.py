"""Crisis help first: /help and the counsellor button answer in any state, with no consent."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import CallbackQuery, Message

from bot.domain.replies import Outcome
from bot.services.bundle import Services
from bot.services.helpline import Heard
from bot.telegram.replies import deliver
from handlers.common import who


def _asks_if_safe(outcome: Outcome) -> bool:
    """The safety reply (it asks "are you safe right now?"): what a risky message calls for."""
    return any(
        choice.action == "safe:yes"
        for reply in outcome.replies
        for row in reply.choices
        for choice in row
    )


async def send_help(
    message: Message,
    command: CommandObject,
    bot: Bot,
    services: Services,
    words_heard: Heard | None = None,
) -> None:
    """`/help`: a counsellor is asked for, and the hotlines are there at once. Words after it
    ("/help 我不想活了") are heard for risk first: a child in danger gets the safety reply and
    a case at the tier their words call for, not the calmer "a counsellor will write"."""
    assert message.from_user is not None
    person = who(message.from_user)
    locale = await services.account.locale_of(person)
    if words_heard is not None and _asks_if_safe(words_heard.outcome):
        return  # risky words after the command: answered already (helpline.hear_command_words)
    if command.args and words_heard is None:
        heard = await services.helpline.hear(person, command.args)
        if heard.handled and _asks_if_safe(heard.outcome):
            await deliver(bot, message.chat.id, heard.outcome, services, locale)
            return
    outcome = await services.helpline.request(person)
    await deliver(bot, message.chat.id, outcome, services, locale)


async def send_hotlines(message: Message, bot: Bot, services: Services) -> None:
    """`/hotlines`: the numbers alone (with the person's own region's), asking for nobody."""
    assert message.from_user is not None
    person = who(message.from_user)
    locale = await services.account.locale_of(person)
    region = await services.helpline.region_for(person)
    await deliver(bot, message.chat.id, services.safety.help(region), services, locale)


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
