"""What each setting becomes in the policies the core takes (bot/policies.py), read without
wiring a bot."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from bot import policies
from bot.config import Settings
from bot.domain.cases import Tier
from bot.domain.locale import LOCALES, Locale


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test says counts: none of the machine's own settings."""
    for key in Settings.model_fields:
        monkeypatch.delenv(key.upper(), raising=False)


def _settings(**overrides: object) -> Settings:
    return Settings(_env_file=None, **overrides)  # no .env either


def test_response_targets_are_the_minutes_set_per_tier() -> None:
    targets = policies.response_targets(
        _settings(target_red_min=3, target_green_min=600, claimed_silence_min=7, max_claims=2)
    )
    assert targets.first_response[Tier.RED] == timedelta(minutes=3)
    assert targets.first_response[Tier.ORANGE] == timedelta(minutes=15)  # the default
    assert targets.first_response[Tier.GREEN] == timedelta(hours=10)
    assert targets.claimed_silence == timedelta(minutes=7)
    assert targets.max_claims == 2


def test_the_helpline_keeps_the_duty_hours_days_and_holidays_in_the_local_zone() -> None:
    settings = _settings(
        duty_hours="09:00-17:30",
        duty_days="0,1,2,3,4",
        holidays="2026-10-01",
        timezone="Asia/Urumqi",
        staff_chat_id=-100123,
    )
    targets = policies.response_targets(settings)
    policy = policies.helpline_policy(settings, targets)
    assert policy.targets is targets
    assert (policy.duty.start, policy.duty.end) == (time(9), time(17, 30))
    assert policy.duty.weekdays == frozenset(range(5))
    assert policy.duty.holidays == frozenset({date(2026, 10, 1)})
    assert policy.duty.timezone == "Asia/Urumqi"
    assert policy.staff_chat_id == -100123


def test_lessons_take_the_slot_and_quiet_hours_set() -> None:
    policy = policies.lesson_policy(
        _settings(lesson_weekday=2, lesson_hour=20, quiet_hours="22:00-06:30")
    )
    assert (policy.default_weekday, policy.default_hour) == (2, 20)
    assert policy.quiet == policies.quiet_hours(_settings(quiet_hours="22:00-06:30"))
    assert policy.quiet != policies.quiet_hours(_settings())


def test_rate_limits_are_the_settings_numbers() -> None:
    limits = policies.rate_limits(
        _settings(rate_global_per_s=12, rate_private_per_s=0.5, rate_group_per_min=15)
    )
    assert (limits.global_per_s, limits.private_per_s, limits.group_per_min) == (12, 0.5, 15)


def test_no_staff_chat_set_means_none_known_from_the_settings() -> None:
    assert policies.staff_chats(_settings()) == frozenset()
    assert policies.staff_chats(_settings(staff_chat_id=-1009)) == frozenset({-1009})


def test_the_default_locale_comes_first_and_every_locale_is_offered() -> None:
    for locale in LOCALES:
        ordered = policies.locales_default_first(_settings(default_locale=Locale(locale)))
        assert ordered[0] == locale
        assert sorted(ordered) == sorted(LOCALES)


def test_an_instance_is_named_by_the_setting_else_by_host_and_pid() -> None:
    assert policies.instance_name(_settings(instance_name="east-1")) == "east-1"
    host, _, pid = policies.instance_name(_settings()).rpartition(":")
    assert host and pid.isdigit()


def test_the_digest_and_onboarding_read_their_settings() -> None:
    settings = _settings(digest_weekday="off", digest_hour=8, admin_ids="11,12", invite_days=3)
    digest = policies.digest_policy(settings)
    assert digest.weekday is None and digest.hour == 8
    onboarding = policies.onboarding_policy(settings, "xinqiao_bot")
    assert onboarding.admin_ids == frozenset({11, 12})
    assert onboarding.invite_days == 3
    assert onboarding.deep_link("abc") == "https://t.me/xinqiao_bot?start=abc"


def test_school_hours_are_read_like_duty_hours() -> None:
    assert policies.school_hours(_settings(school_hours="07:30-16:00")) == (time(7, 30), time(16))
