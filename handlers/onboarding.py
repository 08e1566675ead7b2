"""/start, deep-link invitations, and the onboarding buttons (`ob:` and `fam:`)."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.domain.replies import Outcome
from bot.services.bundle import Services
from bot.telegram.replies import deliver
from handlers.common import load_draft, save_draft, who


async def start(
    message: Message, command: CommandObject, bot: Bot, state: FSMContext, services: Services
) -> None:
    """Welcome, or welcome back; a deep-link payload is an invitation code."""
    assert message.from_user is not None
    draft = await load_draft(state)
    outcome, draft, locale = await services.onboarding.start(
        who(message.from_user), (command.args or "").strip(), draft
    )
    await save_draft(state, draft)
    await deliver(bot, message.chat.id, outcome, services, locale)


async def invite_child(message: Message, bot: Bot, services: Services) -> None:
    """A guardian asks for a link for their child."""
    assert message.from_user is not None
    person = who(message.from_user)
    outcome = await services.family.offer_child_invite(person)
    if outcome.toast:  # not a registered guardian: say what /invite is for instead of a toast
        outcome = await services.account.fallback(person)
    locale = await services.account.locale_of(person)
    await deliver(bot, message.chat.id, outcome, services, locale)


async def choose_onboarding(
    query: CallbackQuery, bot: Bot, state: FSMContext, services: Services
) -> None:
    """A button in the onboarding questions."""
    assert query.data is not None and query.message is not None
    draft = await load_draft(state)
    outcome, draft = await services.onboarding.choose(who(query.from_user), query.data, draft)
    await save_draft(state, draft)
    locale = await services.account.locale_of(who(query.from_user))
    await deliver(
        bot,
        query.message.chat.id,
        outcome,
        services,
        locale,
        callback=query,
    )


async def choose_family(query: CallbackQuery, bot: Bot, services: Services) -> None:
    """Invitation links a guardian makes for a child, or a young child for a guardian."""
    assert query.data is not None and query.message is not None
    person = who(query.from_user)
    family = services.family
    match query.data:
        case "fam:child":
            outcome = await family.offer_child_invite(person)
        case "fam:child:yes" | "fam:child:no":
            outcome = await family.make_child_invite(person, query.data.endswith("yes"))
        case "fam:guardian":
            outcome = await family.make_guardian_invite(person)
        case _:
            outcome = Outcome(toast="toast.stale")
    locale = await services.account.locale_of(person)
    await deliver(bot, query.message.chat.id, outcome, services, locale, callback=query)


def build() -> Router:
    """A fresh router: each dispatcher (tests, several instances) needs its own."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.register(start, CommandStart())
    router.message.register(invite_child, Command("invite"))
    router.callback_query.register(choose_onboarding, F.data.startswith("ob:"))
    router.callback_query.register(choose_family, F.data.startswith("fam:"))
    return router
