"""Staff roles in staff views, in both languages: 儿童主任 and 儿童督导员 beside 心理老师 and 督导,
the township role never shown as a clinical supervisor, and each role's refusal written."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.people import STAFF_ROLES, Role
from bot.domain.replies import Reply

NAMES = {
    Role.COUNSELLOR: ("心理老师", "counsellor"),
    Role.SUPERVISOR: ("督导", "clinical supervisor"),
    Role.DIRECTOR: ("儿童主任", "children's director"),
    Role.TOWNSHIP: ("儿童督导员", "township children's supervisor"),
}


def members(role: Role) -> dict[str, Any]:
    one = {"name": "王老师", "role": role.value, "n": 4, "on_duty": False}
    return {"members": [one], "strangers": [], "admins_known": True}


@pytest.mark.parametrize("role", sorted(STAFF_ROLES))
def test_staff_list_and_added_name_each_role_in_both_languages(catalog: Any, role: Role) -> None:
    zh_name, en_name = NAMES[role]
    zh = catalog.render(Reply("helpline/staff_list", members(role)), "zh_Hans").text
    en = catalog.render(Reply("helpline/staff_list", members(role)), "en").text
    assert f"· {zh_name} ·" in zh, zh
    assert f"· {en_name} ·" in en, en
    added = {"name": "王老师", "role": role.value, "n": 4}
    zh = catalog.render(Reply("helpline/staff_added", added), "zh_Hans").text
    en = catalog.render(Reply("helpline/staff_added", added), "en").text
    assert zh_name in zh and en_name in en
    # Only the roles that talk with children are told the name children see.
    talks = role in (Role.COUNSELLOR, Role.SUPERVISOR)
    assert ("心理老师 4" in zh) is talks, zh
    assert ("Counsellor 4" in en) is talks, en


def test_the_township_role_is_never_shown_as_a_clinical_supervisor(catalog: Any) -> None:
    zh = catalog.render(Reply("helpline/staff_list", members(Role.TOWNSHIP)), "zh_Hans").text
    assert "· 督导 ·" not in zh and "儿童督导员" in zh
    en = catalog.render(Reply("helpline/staff_list", members(Role.TOWNSHIP)), "en").text
    assert "clinical" not in en


@pytest.mark.parametrize("role", sorted(STAFF_ROLES))
def test_each_role_has_its_refusal_in_both_languages(catalog: Any, role: Role) -> None:
    zh = catalog.text(f"toast.role.{role.value}", "zh_Hans")
    en = catalog.text(f"toast.role.{role.value}", "en")
    assert zh and en and zh != en and not zh.startswith("toast.")
    assert len(zh) <= 200 and len(en) <= 200  # a Telegram alert's limit
    if role in (Role.DIRECTOR, Role.TOWNSHIP):
        assert NAMES[role][0] in zh and NAMES[role][1] in en


def test_the_usage_names_every_role(catalog: Any) -> None:
    for locale in ("zh_Hans", "en"):
        text = catalog.render(Reply("helpline/staff_usage"), locale).text
        for word in ("counsellor", "supervisor", "director", "township"):
            assert word in text, (locale, word)
    zh = catalog.render(Reply("helpline/staff_usage"), "zh_Hans").text
    assert "儿童主任" in zh and "儿童督导员" in zh
