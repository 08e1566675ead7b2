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
from bot.domain.replies import Outcome
from bot.services.bundle import Services
from bot.services.common import parse_int
from handlers.common import who
from handlers.render import deliver

log = logging.getLogger(__name__)

ANSWERS = {"yes": Answer.YES, "no": Answer.NO, "skip": Answer.SKIP}
MEDIA = ("photo", "voice", "sticker", "video", "video_note", "audio", "document", "animation")


# A command with words after it: "/check 我不想活了". Telegram makes "/I" of "/I want to die" a
# command too, so any Latin word after the slash counts.
COMMAND_WITH_WORDS = re.compile(r"/[A-Za-z0-9_]+(?:@\w+)?\s+(\S[\s\S]*)")


def command_words(text: str | None) -> str:
    """The words typed after a command, or "" for a bare command or plain text."""
    match = COMMAND_WITH_WORDS.fullmatch((text or "").strip())
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
    words = command_words(event.text) if isinstance(event, Message) else ""
    if (
        words
        and services is not None
        and isinstance(event, Message)
        and event.chat.type == "private"
        and event.from_user is not None
        and services.helpline.needs_action(words)
    ):
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
    """A photo, voice or sticker reaches the counsellor when a case is open."""
    assert message.from_user is not None
    kind = next((k for k in MEDIA if getattr(message, k, None)), "other")
    if not await services.helpline.media(
        who(message.from_user), message.chat.id, message.message_id, kind
    ):
        raise SkipHandler
    if message.caption:
        # A caption is words like any other: a risky one gets its answer too (never silent).
        heard = await services.helpline.hear(who(message.from_user), message.caption)
        if heard.outcome.replies:
            locale = await services.account.locale_of(who(message.from_user))
            await deliver(bot, message.chat.id, heard.outcome, services, locale)


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
