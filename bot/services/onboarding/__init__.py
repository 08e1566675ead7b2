"""Onboarding by step: /start (arrival.py), who you are (identity.py), the privacy notice
(consent.py), a guardian's questions after it (guardian.py); the questions themselves
(questions.py) and the invitation link (invites.py) are shared. Onboarding (facade.py) routes
the buttons.

Nothing about a person is stored beyond their Telegram id and language until they (or, for a
child under 14, their guardian) agree to the privacy notice; until then answers live in the
conversation's Draft.
"""

from bot.services.onboarding.facade import Onboarding
from bot.services.onboarding.policy import STALE, OnboardingPolicy
from bot.services.onboarding.questions import (
    ask_age,
    ask_child_age,
    ask_relation,
    ask_role,
    guardian_done,
    privacy,
    prompt_for,
)

__all__ = [
    "STALE",
    "Onboarding",
    "OnboardingPolicy",
    "ask_age",
    "ask_child_age",
    "ask_relation",
    "ask_role",
    "guardian_done",
    "privacy",
    "prompt_for",
]
