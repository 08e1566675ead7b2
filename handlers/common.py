"""Helpers shared by the routers: who sent an update, and their conversation draft."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.types import Message, TelegramObject, User

from bot.services.common import Draft, Who


def who(user: User) -> Who:
    return Who(telegram_id=user.id, language_code=user.language_code)


async def load_draft(state: FSMContext) -> Draft:
    return Draft.load(await state.get_data())


async def save_draft(state: FSMContext, draft: Draft) -> None:
    if draft.step or draft.invite or draft.for_child:
        await state.set_data(draft.dump())
    else:
        await state.clear()


async def replace_nul(
    handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
    event: TelegramObject,
    data: dict[str, Any],
) -> Any:
    """Outer middleware: U+0000 in a message (Telegram passes it on) cannot be stored in a
    PostgreSQL text column, so a child's words holding one would be lost whole. It means
    nothing to anyone: it becomes U+FFFD here, one UTF-16 unit for one, so the entities'
    offsets still hold."""
    if isinstance(event, Message):
        changes = {
            name: value.replace("\x00", "\ufffd")
            for name in ("text", "caption")
            if isinstance(value := getattr(event, name), str) and "\x00" in value
        }
        if changes:
            event = event.model_copy(update=changes)
    return await handler(event, data)
