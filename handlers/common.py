"""Helpers shared by the routers: who sent an update, and their conversation draft."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.types import User

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
