"""The settings read as the policies the domain and the services take: response targets, duty
hours, quiet hours, Telegram's rate limits, the weekly digest's hour.

Each is a plain value made from Settings with no I/O, so bot/app.py only passes them on, and a
test can see what a setting becomes without wiring a bot. Only the composition root imports
this module (pyproject.toml, [tool.importlinter]).
"""

from __future__ import annotations

import os
import socket
from datetime import time, timedelta

from bot.config import Settings
from bot.domain.cases import DutyHours, Targets, Tier, parse_duty_hours
from bot.domain.lessons import QuietHours
from bot.domain.locale import LOCALES
from bot.domain.ratelimit import Limits
from bot.services.helpline import HelplinePolicy
from bot.services.lessons import LessonPolicy
from bot.services.onboarding import OnboardingPolicy
from bot.services.oversight import DigestPolicy


def lesson_policy(settings: Settings) -> LessonPolicy:
    return LessonPolicy(
        timezone=settings.timezone,
        default_weekday=settings.lesson_weekday,
        default_hour=settings.lesson_hour,
        quiet=quiet_hours(settings),
    )


def quiet_hours(settings: Settings) -> QuietHours:
    return QuietHours.parse(settings.quiet_hours)


def rate_limits(settings: Settings) -> Limits:
    """The bot's whole budget (RATE_GLOBAL_PER_S), shared by the live instances."""
    return Limits(
        global_per_s=settings.rate_global_per_s,
        private_per_s=settings.rate_private_per_s,
        group_per_min=settings.rate_group_per_min,
    )


def response_targets(settings: Settings) -> Targets:
    """How soon each tier's case must have a first answer, and when a claim goes stale."""
    return Targets(
        first_response={
            Tier.RED: timedelta(minutes=settings.target_red_min),
            Tier.ORANGE: timedelta(minutes=settings.target_orange_min),
            Tier.YELLOW: timedelta(minutes=settings.target_yellow_min),
            Tier.GREEN: timedelta(minutes=settings.target_green_min),
        },
        claimed_silence=timedelta(minutes=settings.claimed_silence_min),
        max_claims=settings.max_claims,
    )


def duty_hours(settings: Settings) -> DutyHours:
    start, end = parse_duty_hours(settings.duty_hours)
    return DutyHours(
        start=start,
        end=end,
        weekdays=frozenset(settings.duty_days),
        holidays=frozenset(settings.holidays),
        timezone=settings.timezone,
    )


def helpline_policy(settings: Settings, targets: Targets) -> HelplinePolicy:
    return HelplinePolicy(
        targets=targets,
        duty=duty_hours(settings),
        staff_chat_id=settings.staff_chat_id,
        default_locale=settings.default_locale,
    )


def onboarding_policy(settings: Settings, bot_username: str) -> OnboardingPolicy:
    return OnboardingPolicy(
        default_locale=settings.default_locale,
        admin_ids=frozenset(settings.admin_ids),
        invite_days=settings.invite_days,
        bot_username=bot_username,
    )


def digest_policy(settings: Settings) -> DigestPolicy:
    return DigestPolicy(
        weekday=settings.digest_weekday,
        hour=settings.digest_hour,
        timezone=settings.timezone,
        main_chat=settings.staff_chat_id,
    )


def staff_chats(settings: Settings) -> frozenset[int]:
    """The main staff group named in the settings (service points add theirs in the
    database)."""
    return frozenset({settings.staff_chat_id} if settings.staff_chat_id else ())


def locales_default_first(settings: Settings) -> tuple[str, ...]:
    default = settings.default_locale.value
    return (default, *(x for x in LOCALES if x != default))


def instance_name(settings: Settings) -> str:
    """How this process appears among the instances: INSTANCE_NAME, else host and pid."""
    return settings.instance_name or f"{socket.gethostname()}:{os.getpid()}"


def school_hours(settings: Settings) -> tuple[time, time]:
    """No pushes to children in these hours, Monday to Friday (equal ends: none)."""
    return parse_duty_hours(settings.school_hours)
