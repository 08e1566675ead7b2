"""Anything no other router took: re-ask the current question, or say what the bot can do."""

from __future__ import annotations

import re

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.domain.replies import Outcome, Reply
from bot.services.bundle import Services
from bot.services.helpline import Heard
from bot.services.onboarding import prompt_for
from bot.telegram.replies import deliver
from handlers.common import COMMAND_WORD, STAFF_COMMANDS, load_draft, save_draft, who
from handlers.helpline import media_kind
from handlers.typed import typed_answer, typed_onboarding

# A command and nothing else ("/accesslog" outside the staff chat): no words to hear.
BARE_COMMAND = re.compile(r"/[A-Za-z0-9_]+(@\w+)?\s*")


def unheard_words(message: Message) -> str:
    """Words the helpline router did not hear for risk: it hears plain text only. A photo's
    caption (a child may write their danger under a picture), and text after a slash that no
    handler took ("/我不想活了", or "/I want to die", where Telegram makes "/I" a command),
    reach nobody but this handler, so they are heard here first."""
    if message.caption:
        return message.caption
    text = message.text or ""
    if not text.startswith("/") or BARE_COMMAND.fullmatch(text):
        return ""
    return text[1:].strip()


def typed_words(message: Message) -> str:
    """What may be a typed answer: plain text only (a sticker or a command is not one, and
    gets the question again)."""
    text = message.text or ""
    return "" if text.startswith("/") else text


async def answer_anything(
    message: Message,
    bot: Bot,
    state: FSMContext,
    services: Services,
    words_heard: Heard | None = None,
) -> None:
    """Text, stickers, photos, anything: never silence, and exactly one reply."""
    assert message.from_user is not None
    person = who(message.from_user)
    if words_heard is not None and words_heard.outcome.replies:
        return  # risky words after a command, answered already (helpline.hear_command_words)
    kind = media_kind(message)
    # A voice note's or photo's caption was heard already, on its way here (relay_media).
    words = "" if words_heard is not None or kind else unheard_words(message)
    command = COMMAND_WORD.match(message.text or "")
    if words and command and command.group(1).lower() in STAFF_COMMANDS:
        words = words if services.helpline.needs_action(words, words_only=True) else ""
    if words:
        heard = await services.helpline.hear(person, words)
        if heard.handled and heard.outcome.replies:  # the safety reply, or a check-in
            locale = await services.account.locale_of(person)
            await deliver(bot, message.chat.id, heard.outcome, services, locale)
            return
        # Anything else (nothing to act on, or relayed into their open case) is still answered.
    draft = await load_draft(state)
    prompt = prompt_for(draft.step, draft)
    locale = await services.account.locale_of(person)
    typed: Outcome | None = None
    typed_text = typed_words(message)
    if prompt is not None:
        onboarded = await typed_onboarding(person, typed_text, prompt, draft, services, locale)
        if onboarded is not None:
            outcome, draft = onboarded
            await save_draft(state, draft)
        else:
            outcome = Outcome.of(Reply("onboarding/use_buttons"), prompt)
    elif kind:
        # A voice message, photo, location... answered as what it is, not as words.
        outcome = await services.account.media(person, kind, message.message_id)
    # A question with buttons is waiting: the typed words answer it, or it is asked again.
    elif typed := await typed_answer(
        person, typed_text, state, services, locale, message.message_id
    ):
        outcome = typed
        locale = await services.account.locale_of(person)  # a language typed takes effect
    else:
        outcome = await services.account.fallback(person, message.message_id)
    await deliver(bot, message.chat.id, outcome, services, locale)


async def refuse_unknown_button(query: CallbackQuery, services: Services) -> None:
    """Forged, foreign or outdated callback data: a polite toast, nothing else."""
    locale = await services.account.locale_of(who(query.from_user))
    await query.answer(services.catalog.text("toast.stale", locale))


def build() -> Router:
    """A fresh router: each dispatcher (tests, several instances) needs its own."""
    router = Router(name=__name__)
    router.message.register(answer_anything, F.chat.type == "private")
    router.callback_query.register(refuse_unknown_button)
    return router
