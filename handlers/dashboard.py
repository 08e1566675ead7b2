"""`/dashboard` in a private chat: a one-time sign-in link for a supervisor, a kind no for
anyone else."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.domain.replies import Outcome, Reply
from bot.services.bundle import Services
from bot.telegram.replies import deliver
from handlers.common import who


async def send_dashboard_link(message: Message, bot: Bot, services: Services) -> None:
    """The link goes only into the supervisor's own private chat, never a group."""
    assert message.from_user is not None
    person = who(message.from_user)
    locale = await services.account.locale_of(person)
    if services.dashboard is None:
        outcome = Outcome.of(Reply("dashboard/not_configured"))
    else:
        outcome = await services.dashboard.ask_link(person)
    await deliver(bot, message.chat.id, outcome, services, locale)


def build() -> Router:
    """A fresh router: each dispatcher (tests, several instances) needs its own."""
    router = Router(name=__name__)
    router.message.register(send_dashboard_link, F.chat.type == "private", Command("dashboard"))
    return router
