"""aiogram routers, one per journey, and nothing else: what they stand on (replies, the inbox,
menus, retries) is bot/telegram/. Safety is included first so /help and the counsellor button
work in every state."""

from aiogram import Router

from bot.telegram.inline_filters import run_filters_inline
from bot.telegram.menus import FollowRole
from handlers import (
    account,
    dashboard,
    errors,
    fallback,
    helpline,
    lessons,
    members,
    onboarding,
    privacy,
    safety,
    screening,
    staff,
)


def build_router() -> Router:
    root = Router(name="xinqiao")
    root.message.outer_middleware(members.note_group_message)
    root.message.outer_middleware(helpline.hear_command_words)
    follow_role = FollowRole()
    root.message.outer_middleware(follow_role)
    root.callback_query.outer_middleware(follow_role)
    root.include_routers(
        errors.build(),
        safety.build(),
        helpline.build(),
        privacy.build(),  # before staff: its router takes every group message
        dashboard.build(),
        members.build(),
        staff.build(),
        onboarding.build(),
        account.build(),
        lessons.build(),
        screening.build(),
        fallback.build(),
    )
    run_filters_inline(root)  # not one thread hand-off per filter (bot/telegram/inline_filters.py)
    return root
