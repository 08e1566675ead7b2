"""Onboarding's settings and the base its steps share (the database, the clock, the policy)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.locale import Locale
from bot.domain.people import NOTICE_VERSION
from bot.ports import Clock, UnitOfWorkFactory

STALE = "toast.stale"


@dataclass(frozen=True, slots=True)
class OnboardingPolicy:
    default_locale: Locale
    admin_ids: frozenset[int]
    invite_days: int
    bot_username: str
    notice_version: str = NOTICE_VERSION

    def deep_link(self, code: str) -> str:
        return f"https://t.me/{self.bot_username}?start={code}"


class OnboardingWork:
    """A part of onboarding: the steps it answers share these."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, policy: OnboardingPolicy) -> None:
        self.uow = uow
        self.clock = clock
        self.policy = policy
