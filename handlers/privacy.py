"""Data rights: `/mydata` (a summary in plain words, then the JSON file), `/delete` with its
confirmation (`pv:`) in a private chat, and `/accesslog` for supervisors in the staff chat."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.domain.replies import Outcome, Reply
from bot.services.bundle import Services
from bot.telegram.replies import deliver
from handlers.common import who

log = logging.getLogger(__name__)


async def send_my_data(message: Message, bot: Bot, services: Services) -> None:
    """`/mydata`: what we keep, in words anyone can read, then the whole as a JSON file."""
    assert message.from_user is not None
    person = who(message.from_user)
    locale = await services.account.locale_of(person)
    result = await services.privacy.export(person)
    if isinstance(result, Outcome):
        await deliver(bot, message.chat.id, result, services, locale)
        return
    if result.summary is not None:
        await deliver(bot, message.chat.id, Outcome.of(result.summary), services, locale)
    await bot.send_document(
        message.chat.id,
        BufferedInputFile(result.content, filename=result.filename),
        caption=services.catalog.render(result.caption, locale).text,
        parse_mode="HTML",
    )


async def ask_delete(message: Message, bot: Bot, services: Services) -> None:
    """`/delete`: what would go, and two buttons (or why it has to wait)."""
    assert message.from_user is not None
    person = who(message.from_user)
    locale = await services.account.locale_of(person)
    outcome = await services.privacy.ask_delete(person)
    await deliver(bot, message.chat.id, outcome, services, locale)


async def confirm_delete(
    query: CallbackQuery, bot: Bot, state: FSMContext, services: Services
) -> None:
    """The delete question's buttons, checked against the database (they can be forged)."""
    assert query.message is not None and query.data is not None
    person = who(query.from_user)
    locale = await services.account.locale_of(person)  # before the row that holds it goes
    outcome, erased = await services.privacy.confirm_delete(person, query.data)
    if erased:
        await state.clear()  # no half-finished onboarding survives them either
    await deliver(bot, query.message.chat.id, outcome, services, locale, callback=query)


async def show_access_log(message: Message, command: CommandObject, services: Services) -> None:
    """`/accesslog <child or person code>`: who viewed the file, for supervisors."""
    assert message.from_user is not None
    thread = message.message_thread_id if message.is_topic_message else None
    answer = await services.privacy.access_log(
        message.from_user.id, message.chat.id, thread, command.args or ""
    )
    if answer == "ignored":
        log.warning(
            "ignored /accesslog from non-staff user %s in chat %s",
            message.from_user.id,
            message.chat.id,
        )
    elif answer:
        await services.casework.post_general(message.chat.id, thread, Reply(answer))


def build() -> Router:
    """A fresh router: each dispatcher (tests, several instances) needs its own."""
    router = Router(name=__name__)
    private = F.chat.type == "private"
    router.message.register(send_my_data, private, Command("mydata"))
    router.message.register(ask_delete, private, Command("delete"))
    router.callback_query.register(
        confirm_delete, F.message.chat.type == "private", F.data.startswith("pv:")
    )
    router.message.register(
        show_access_log, F.chat.type.in_({"group", "supergroup"}), Command("accesslog")
    )
    return router
