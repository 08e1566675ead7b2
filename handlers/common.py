"""Helpers shared by the routers: who sent an update, and their conversation draft."""

from __future__ import annotations

import re

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


# The command word of a message that has more after it ("/check 我不想活了").
COMMAND_WORD = re.compile(r"/([A-Za-z0-9_]+)(?:@\w+)?\s")

# The staff group's commands, typed in a private chat (a child trying "/screen C-0001 asq 7",
# or a counsellor's habit): their arguments are not words for a counsellor, so they are relayed
# into nobody's case; only risk in them is acted on (see `answer_anything`).
STAFF_COMMANDS = frozenset(
    {
        "accesslog",
        "canned",
        "claim",
        "close",
        "file",
        "followups",
        "guardian",
        "missed",
        "next",
        "note",
        "offduty",
        "onduty",
        "plan",
        "queue",
        "refer",
        "reported",
        "screen",
        "staff",
        "stats",
        "tier",
        "visit",
    }
)
