"""aiogram adapters: one router per journey. Safety is included first so /help and the
counsellor button work in every state."""

from aiogram import Router

from handlers import (
    account,
    errors,
    fallback,
    helpline,
    lessons,
    onboarding,
    safety,
    screening,
    staff,
)


def build_router() -> Router:
    root = Router(name="xinqiao")
    root.include_routers(
        errors.build(),
        safety.build(),
        helpline.build(),
        staff.build(),
        onboarding.build(),
        account.build(),
        lessons.build(),
        screening.build(),
        fallback.build(),
    )
    return root
