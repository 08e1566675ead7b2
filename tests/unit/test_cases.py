"""Case rules as pure functions: queue order, timers, duty hours."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.domain.cases import (
    Case,
    CaseStatus,
    DutyHours,
    SlaStep,
    Targets,
    Tier,
    Trigger,
    case_code,
    closing_needs_note,
    lowers_red,
    may_act_on,
    parse_duty_hours,
    queue_key,
    sla_step,
    topic_name,
)

T0 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


def case(tier: Tier = Tier.RED, opened: datetime = T0, case_id: int = 1, **kw: object) -> Case:
    base = Case(
        id=case_id,
        code=case_code(case_id),
        person_id=case_id,
        tier=tier,
        status=CaseStatus.WAITING,
        trigger=Trigger.TRIAGE,
        categories=(),
        opened_at=opened,
        staff_chat_id=-100,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_queue_is_tier_first_then_longest_waiting() -> None:
    old_yellow = case(Tier.YELLOW, T0 - timedelta(hours=3), 1)
    new_red = case(Tier.RED, T0, 2)
    old_red = case(Tier.RED, T0 - timedelta(minutes=1), 3)
    orange = case(Tier.ORANGE, T0 - timedelta(hours=1), 4)
    ordered = sorted([old_yellow, new_red, old_red, orange], key=queue_key)
    assert [c.id for c in ordered] == [3, 2, 4, 1]


def test_tiers_only_rise_on_new_triggers() -> None:
    assert Tier.YELLOW.raised_to(Tier.RED) is Tier.RED
    assert Tier.RED.raised_to(Tier.YELLOW) is Tier.RED


def test_topic_name_is_code_and_tier_never_a_name() -> None:
    """What the title is made of (tests/content/test_catalogs.py renders it)."""
    title = topic_name(case(Tier.ORANGE, case_id=427))
    assert title.template == "helpline/topic_name"
    assert dict(title.data) == {"icon": "🟠", "code": "C-0427", "tier": "orange", "closed": False}
    assert topic_name(case(status=CaseStatus.CLOSED)).data["closed"] is True


def test_sla_realert_then_supervisor_each_once() -> None:
    targets = Targets()
    c = case(Tier.RED)
    assert sla_step(c, T0 + timedelta(minutes=4), targets) is None
    assert sla_step(c, T0 + timedelta(minutes=5), targets) is SlaStep.REALERT
    assert sla_step(replace(c, alert_level=1), T0 + timedelta(minutes=6), targets) is None
    assert sla_step(replace(c, alert_level=1), T0 + timedelta(minutes=10), targets) is (
        SlaStep.SUPERVISOR
    )
    assert sla_step(replace(c, alert_level=2), T0 + timedelta(hours=5), targets) is None
    answered = replace(c, first_response_at=T0 + timedelta(minutes=1))
    assert sla_step(answered, T0 + timedelta(hours=1), targets) is None


def test_claimed_case_silent_too_long_goes_back_only_if_the_person_is_waiting() -> None:
    targets = Targets(claimed_silence=timedelta(minutes=10))
    claimed = case(status=CaseStatus.CLAIMED, claimed_at=T0, first_response_at=None)
    assert sla_step(claimed, T0 + timedelta(minutes=9), targets) is not SlaStep.RELEASE
    assert sla_step(claimed, T0 + timedelta(minutes=10), targets) is SlaStep.RELEASE
    # The counsellor spoke last and the child has not answered: nothing to release.
    spoke = replace(
        claimed,
        last_staff_at=T0 + timedelta(minutes=2),
        last_person_at=T0,
        first_response_at=T0 + timedelta(minutes=2),
    )
    assert sla_step(spoke, T0 + timedelta(minutes=30), targets) is None
    # The child wrote after the counsellor's last line, and nobody answered for 10 minutes.
    waiting = replace(spoke, last_person_at=T0 + timedelta(minutes=3))
    assert sla_step(waiting, T0 + timedelta(minutes=12), targets) is SlaStep.RELEASE
    assert sla_step(
        replace(claimed, status=CaseStatus.CLOSED), T0 + timedelta(days=1), targets
    ) is (None)


def test_duty_hours_days_holidays_and_next_opening() -> None:
    duty = DutyHours(time(8), time(22), frozenset(range(5)), frozenset({date(2026, 12, 1)}))
    assert duty.is_open(T0)  # Monday 10:00 local
    night = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # Monday 23:00 local
    assert not duty.is_open(night)
    # Tuesday is a holiday: the next opening is Wednesday 08:00 local.
    assert duty.next_opening(night) == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    saturday = datetime(2026, 12, 5, 4, 0, tzinfo=UTC)
    assert not duty.is_open(saturday)
    assert DutyHours(time(0), time(0)).is_open(night)  # equal ends: round the clock
    overnight = DutyHours(time(20), time(8))
    assert overnight.is_open(night) and not overnight.is_open(T0)


def test_parse_duty_hours() -> None:
    assert parse_duty_hours("08:00-22:00") == (time(8), time(22))
    with pytest.raises(ValueError, match="08:00-22:00"):
        parse_duty_hours("8 till late")


def test_who_may_change_a_case() -> None:
    waiting, held = case(), case(status=CaseStatus.CLAIMED, claimed_by=7)
    assert may_act_on(waiting, 8, supervisor=False)
    assert may_act_on(held, 7, supervisor=False) and not may_act_on(held, 8, supervisor=False)
    assert may_act_on(held, 8, supervisor=True)
    assert lowers_red(case(Tier.RED), Tier.ORANGE) and lowers_red(case(Tier.RED), Tier.GREEN)
    assert not lowers_red(case(Tier.ORANGE), Tier.GREEN)
    assert not lowers_red(case(Tier.YELLOW), Tier.RED)
    assert [closing_needs_note(case(t)) for t in Tier] == [True, True, False, False]
