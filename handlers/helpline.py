"""The person's side of the helpline, right after safety: every private message is heard for
risk first, and a person with an open case talks to their counsellor, not to the bot."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.domain.asking import Answer
from bot.domain.numbers import parse_int
from bot.domain.replies import Outcome
from bot.services.bundle import Services
from bot.telegram.replies import deliver
from handlers.common import COMMAND_WORD, STAFF_COMMANDS, who

log = logging.getLogger(__name__)

ANSWERS = {"yes": Answer.YES, "no": Answer.NO, "skip": Answer.SKIP}
# What a person can send besides words, each relayed as itself (copyMessage) inside a case.
MEDIA = (
    "photo",
    "voice",
    "sticker",
    "video",
    "video_note",
    "audio",
    "document",
    "animation",
    "venue",
    "location",
)


def media_kind(message: Message) -> str | None:
    """Which of MEDIA the message is (a venue carries a location too: it is a venue)."""
    return next((k for k in MEDIA if getattr(message, k, None)), None)


# A command with words after it: "/check 我不想活了". Telegram makes "/I" of "/I want to die" a
# command too, so any Latin word after the slash counts.
COMMAND_WITH_WORDS = re.compile(r"/[A-Za-z0-9_]+(?:@\w+)?\s+(\S[\s\S]*)")


# A deep link's payload (t.me/bot?start=CODE): an invitation code, machine-made, never words.
START_PAYLOAD = re.compile(r"/start(?:@\w+)?\s+[A-Za-z0-9_-]{1,64}")


def command_words(text: str | None) -> str:
    """The words typed after a command, or "" for a bare command, plain text or a deep link's
    code (a random code can score like anything to the model)."""
    text = (text or "").strip()
    if START_PAYLOAD.fullmatch(text):
        return ""
    match = COMMAND_WITH_WORDS.fullmatch(text)
    return match.group(1).strip() if match else ""


async def hear_command_words(
    handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
    event: TelegramObject,
    data: dict[str, Any],
) -> Any:
    """Outer middleware: risky words typed after a command ("/check 我不想活了", "/lessons
    今晚就跳") used to reach only the command, which has no ear for them: the child got a
    questionnaire menu and nobody heard. They get the safety reply and a case first, then the
    command still does what was asked. Only words that need action are heard here (a command's
    ordinary arguments are not talk to a counsellor); `words_heard` tells the handlers that
    hear their own arguments (/help, the fallback) not to hear them twice."""
    services: Services | None = data.get("services")
    if (
        not isinstance(event, Message)
        or event.chat.type != "private"
        or event.from_user is None
        or services is None
    ):
        return await handler(event, data)
    words = command_words(event.text)
    # Only a message with words after a command pays for more than one regex: this runs on
    # every private update.
    if words:
        command = COMMAND_WORD.match(event.text or "")
        staff_command = command is not None and command.group(1).lower() in STAFF_COMMANDS
        if services.helpline.needs_action(words, words_only=staff_command):
            try:
                heard = await services.helpline.hear(who(event.from_user), words)
                if heard.handled:
                    data["words_heard"] = heard
                    if heard.outcome.replies:
                        locale = await services.account.locale_of(who(event.from_user))
                        await deliver(data["bot"], event.chat.id, heard.outcome, services, locale)
            except Exception:
                # The command itself must still be answered: never silent twice over.
                log.exception("could not hear the words after a command")
    return await handler(event, data)


async def hear_text(message: Message, bot: Bot, services: Services) -> None:
    """Triage, relay to an open case, or let the other routers answer."""
    assert message.from_user is not None and message.text is not None
    heard = await services.helpline.hear(who(message.from_user), message.text)
    if not heard.handled:
        raise SkipHandler
    if heard.outcome.replies:
        locale = await services.account.locale_of(who(message.from_user))
        await deliver(bot, message.chat.id, heard.outcome, services, locale)


async def hear_edit(message: Message, bot: Bot, services: Services) -> None:
    """An edited message is heard again: a child may go back and add what they could not say
    at first. What needs action gets it (safety reply, case, or the counsellor sees the new
    wording, marked ✏️); an edit that needs nothing gets no second answer."""
    assert message.from_user is not None and message.text is not None
    if message.text.startswith("/"):
        return
    heard = await services.helpline.hear(who(message.from_user), f"✏️ {message.text}")
    if heard.handled and heard.outcome.replies:
        locale = await services.account.locale_of(who(message.from_user))
        await deliver(bot, message.chat.id, heard.outcome, services, locale)


async def relay_media(message: Message, bot: Bot, services: Services) -> None:
    """A voice note, photo, sticker, video, file or location reaches the counsellor as itself
    when a case is open (or closed within the day); otherwise the fallback answers it as what
    it is (handlers/fallback.py). A caption is words like any other, heard for risk first: a
    child may write their danger under a picture, and the picture then follows the card."""
    assert message.from_user is not None
    person = who(message.from_user)
    heard = None
    if message.caption:
        heard = await services.helpline.hear(person, message.caption, relay=False)
    kind = media_kind(message) or "other"
    relayed = await services.helpline.media(person, message.chat.id, message.message_id, kind)
    outcome = heard.outcome if heard is not None and heard.outcome.replies else relayed.outcome
    if outcome.replies:  # never silent, and one answer: the safety reply before anything
        locale = await services.account.locale_of(person)
        await deliver(bot, message.chat.id, outcome, services, locale)
        return
    if not relayed.handled:
        raise SkipHandler


async def answer_safe(query: CallbackQuery, bot: Bot, services: Services) -> None:
    """ "Are you safe right now?" — yes or no."""
    assert query.message is not None
    safe = query.data == "safe:yes"
    outcome = await services.helpline.safe_answer(who(query.from_user), safe)
    locale = await services.account.locale_of(who(query.from_user))
    await deliver(bot, query.message.chat.id, outcome, services, locale, callback=query)


async def answer_question(query: CallbackQuery, bot: Bot, services: Services) -> None:
    """有 / 没有 / 不想说 to the direct question; an old or repeated press is only thanked."""
    assert query.message is not None and query.data is not None
    _, word, ref = [*query.data.split(":"), "", ""][:3]
    question_id = parse_int(ref)
    answer = ANSWERS.get(word)
    if question_id is None or answer is None:
        outcome = Outcome(toast="toast.ask.answered")
    else:
        outcome = await services.helpline.answer(who(query.from_user), question_id, answer)
    locale = await services.account.locale_of(who(query.from_user))
    await deliver(bot, query.message.chat.id, outcome, services, locale, callback=query)


async def not_now(query: CallbackQuery, bot: Bot, services: Services) -> None:
    """The gentle check-in declined: that is fine, and the way back stays open."""
    assert query.message is not None
    locale = await services.account.locale_of(who(query.from_user))
    outcome = services.helpline.check_in_later()
    await deliver(bot, query.message.chat.id, outcome, services, locale, callback=query)


def build() -> Router:
    """A fresh router: each dispatcher (tests, several instances) needs its own."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.message.register(hear_text, F.text, ~F.text.startswith("/"))
    router.message.register(relay_media, F.content_type.in_(set(MEDIA)))
    router.edited_message.filter(F.chat.type == "private")
    router.edited_message.register(hear_edit, F.text)
    router.callback_query.register(answer_safe, F.data.in_({"safe:yes", "safe:no"}))
    router.callback_query.register(not_now, F.data == "help:later")
    router.callback_query.register(answer_question, F.data.startswith("ask:"))
    return router
