"""The staff roles as 民发〔2023〕61号 names them, and the one table of what each may do
(bot/domain/permissions.py), kept the same as docs/helpline.md's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.domain.people import STAFF_ROLES, Role
from bot.domain.permissions import PERMISSIONS, StaffAction, may, sees_only_own_point
from bot.services.duty import StaffChange

A = StaffAction
README = Path(__file__).resolve().parents[2] / "docs" / "helpline.md"
CLINICAL = {A.CLAIM, A.DUTY, A.RELAY, A.RETIER, A.CLOSE, A.TRANSFER, A.SAFETY_PLAN, A.MISSED}


def test_every_staff_role_has_a_row_and_nobody_else_does() -> None:
    assert (
        set(PERMISSIONS)
        == set(STAFF_ROLES)
        == {
            Role.COUNSELLOR,
            Role.SUPERVISOR,
            Role.DIRECTOR,
            Role.TOWNSHIP,
        }
    )
    assert all(r.is_staff for r in STAFF_ROLES)
    assert not Role.CHILD.is_staff and not Role.GUARDIAN.is_staff
    for action in StaffAction:
        assert not may(None, action) and not may(Role.CHILD, action)
        assert not may(Role.GUARDIAN, action)


def test_the_clinical_supervisor_keeps_everything_and_a_counsellor_what_it_had() -> None:
    assert PERMISSIONS[Role.SUPERVISOR] == frozenset(StaffAction)
    assert set(StaffAction) - PERMISSIONS[Role.COUNSELLOR] == {
        A.STAFF_MANAGE,
        A.DASHBOARD,
        A.ACCESS_LOG,
    }


def test_a_childrens_director_visits_refers_and_follows_up_but_never_speaks_for_a_case() -> None:
    for action in (A.NOTE, A.VISIT, A.CARE_PLAN, A.REFER, A.FOLLOW_UP, A.FILE, A.SCREEN):
        assert may(Role.DIRECTOR, action), action
    assert may(Role.DIRECTOR, A.REPORT)  # mandatory reporting binds them too
    for action in (*CLINICAL, A.TELL_GUARDIAN, A.STAFF_MANAGE, A.DASHBOARD, A.ACCESS_LOG):
        assert not may(Role.DIRECTOR, action), action
    assert sees_only_own_point(Role.DIRECTOR)


def test_a_township_supervisor_oversees_without_clinical_actions() -> None:
    assert PERMISSIONS[Role.TOWNSHIP] == {A.QUEUE, A.FOLLOW_UP, A.STATS, A.INVITE, A.STAFF_LIST}
    assert not PERMISSIONS[Role.TOWNSHIP] & (CLINICAL | {A.NOTE, A.FILE, A.STAFF_MANAGE})
    assert sees_only_own_point(Role.TOWNSHIP)
    assert not sees_only_own_point(Role.SUPERVISOR)


@pytest.mark.parametrize(
    ("word", "role"),
    [
        ("counsellor", Role.COUNSELLOR),
        ("心理老师", Role.COUNSELLOR),
        ("supervisor", Role.SUPERVISOR),
        ("督导", Role.SUPERVISOR),
        ("director", Role.DIRECTOR),
        ("儿童主任", Role.DIRECTOR),
        ("township", Role.TOWNSHIP),
        ("儿童督导员", Role.TOWNSHIP),  # the township role, never a clinical supervisor
    ],
)
def test_staff_add_takes_each_role_in_both_languages(word: str, role: Role) -> None:
    change = StaffChange.parse(f"add 12345 {word} 王老师", None)
    assert change is not None and change.role is role


ROLE_COLUMNS = {"心理老师": Role.COUNSELLOR, "督导": Role.SUPERVISOR}
ROLE_COLUMNS |= {"儿童主任": Role.DIRECTOR, "儿童督导员": Role.TOWNSHIP}
# The doc's rows, by their first words, and the action each row is.
ROWS = {
    "`/queue`": A.QUEUE,
    "claim": A.CLAIM,
    "`/onduty`": A.DUTY,
    "write to the child": A.RELAY,
    "private note": A.NOTE,
    "`/visit`": A.VISIT,
    "`/plan care`": A.CARE_PLAN,
    "`/plan safety`": A.SAFETY_PLAN,
    "re-tier": A.RETIER,
    "close": A.CLOSE,
    "transfer": A.TRANSFER,
    "refer": A.REFER,
    "follow-ups": A.FOLLOW_UP,
    "`/file`": A.FILE,
    "`/screen`": A.SCREEN,
    "invite the guardian": A.TELL_GUARDIAN,
    "`/reported`": A.REPORT,
    "`/missed`": A.MISSED,
    "`/invite": A.INVITE,
    "`/stats`": A.STATS,
    "web dashboard": A.DASHBOARD,
    "`/staff list`": A.STAFF_LIST,
    "`/staff add`": A.STAFF_MANAGE,
    "`/accesslog`": A.ACCESS_LOG,
}


def test_the_readme_shows_the_same_table() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Staff roles", 1)[1]
    table = section[section.index("\n| action") :].split("\n\n", 1)[0]
    lines = [ln for ln in table.splitlines() if ln.startswith("| ")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    roles = [ROLE_COLUMNS[c] for c in header[1:]]
    seen = set()
    for line in lines[1:]:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        action = next(a for start, a in ROWS.items() if cells[0].startswith(start))
        seen.add(action)
        for role, mark in zip(roles, cells[1:], strict=True):
            assert (mark == "✓") is may(role, action), (cells[0], role, mark)
    assert seen == set(StaffAction)
