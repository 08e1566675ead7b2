"""Pure domain rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.invitations import (
    InvitationView,
    InviteProblem,
    looks_like_code,
    new_code,
    problem_with,
)
from bot.domain.locale import Locale, guess_locale
from bot.domain.people import AgeBand, Person, Role, new_person_code, parse_enum
from bot.domain.replies import Choice, rows

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def _inv(**kw: object) -> InvitationView:
    base: dict[str, object] = {
        "code": "abc",
        "role": Role.GUARDIAN,
        "service_point_id": None,
        "inviter_person_id": None,
        "for_child_id": None,
        "guardian_consent": False,
        "max_uses": 1,
        "uses": 0,
        "expires_at": NOW + timedelta(days=1),
        "revoked": False,
    }
    base.update(kw)
    return InvitationView(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("inv", "problem"),
    [
        (None, InviteProblem.UNKNOWN),
        (_inv(), None),
        (_inv(expires_at=None), None),
        (_inv(expires_at=NOW), InviteProblem.EXPIRED),
        (_inv(uses=1), InviteProblem.USED),
        (_inv(max_uses=30, uses=29), None),
        (_inv(revoked=True, uses=1), InviteProblem.REVOKED),
    ],
)
def test_invitation_problems(inv: InvitationView | None, problem: InviteProblem | None) -> None:
    assert problem_with(inv, NOW) is problem


def test_codes_fit_telegram_deep_links() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(looks_like_code(c) and len(c) <= 64 for c in codes)
    for bad in ["", "a b", "x" * 65, "abc!", "码"]:
        assert not looks_like_code(bad)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("zh-hans", Locale.ZH_HANS),
        ("zh-CN", Locale.ZH_HANS),
        ("zh", Locale.ZH_HANS),
        ("zh-hant", Locale.ZH_HANS),
        ("en", Locale.EN),
        ("en-GB", Locale.EN),
        ("ru", Locale.ZH_HANS),
        (None, Locale.ZH_HANS),
        ("", Locale.ZH_HANS),
    ],
)
def test_guess_locale(code: str | None, expected: Locale) -> None:
    assert guess_locale(code, Locale.ZH_HANS) is expected


def test_guess_locale_falls_back_to_configured_default() -> None:
    assert guess_locale("fr", Locale.EN) is Locale.EN


def test_guardian_consent_needed_under_14_and_when_unsaid() -> None:
    assert {b for b in AgeBand if b.needs_guardian_consent} == {
        AgeBand.A8_11,
        AgeBand.A12_13,
        AgeBand.UNSAID,
    }


def test_parse_enum_tolerates_anything() -> None:
    assert parse_enum(AgeBand, "14-15") is AgeBand.A14_15
    for junk in ["", "99", "14-15 ", "\x00", "ob:age"]:
        assert parse_enum(AgeBand, junk) is None


def test_person_codes_avoid_confusable_characters() -> None:
    codes = [new_person_code() for _ in range(500)]
    assert all(c.startswith("P-") and len(c) == 8 for c in codes)
    assert not any(ch in c[2:] for c in codes for ch in "01OIL")


def test_forgetting_keeps_only_id_and_language() -> None:
    p = Person(
        telegram_id=1,
        locale="en",
        code="P-AAAAAA",
        role=Role.CHILD,
        age_band=AgeBand.A8_11,
        service_point_id=3,
    )
    p.forget_personal_data()
    assert (p.role, p.age_band, p.service_point_id) == (None, None, None)
    assert (p.telegram_id, p.locale) == (1, "en")
    assert "P-AAAAAA" not in repr(p)


def test_rows_lays_out_choices() -> None:
    a, b, c = (Choice(x, x) for x in "abc")
    assert rows(a, b, c, width=2) == ((a, b), (c,))


def test_replies_survive_the_outbox_round_trip() -> None:
    from bot.domain.replies import Keyboard, Reply, reply_from_data, reply_to_data

    reply = Reply(
        "onboarding/child_guardian_agreed",
        {"n": 3, "name": "小明"},
        choices=rows(
            Choice("btn.raw", "x:1", label_data={"text": "Yes"}),
            Choice("btn.help", url="https://example.org"),
        ),
        keyboard=Keyboard.HELP,
    )
    assert reply_from_data(reply_to_data(reply)) == reply
