"""Menus per role (issue 19 item 3): what each kind of person sees, and that every entry is
content with a handler behind it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.domain.menus import COMMANDS, Menu, description_key, menu_for
from bot.domain.people import Role
from tests import shipped

HANDLERS = Path(__file__).resolve().parents[2] / "handlers"


def test_a_child_never_sees_the_guardians_controls() -> None:
    for menu in (Menu.CHILD, Menu.STRANGER):
        assert not {"schedule", "pause", "resume", "invite"} & set(COMMANDS[menu])
    assert {"schedule", "pause", "invite"} <= set(COMMANDS[Menu.GUARDIAN])


def test_only_supervisors_get_the_dashboard() -> None:
    having = {m for m, names in COMMANDS.items() if "dashboard" in names}
    assert having == {Menu.SUPERVISOR}


@pytest.mark.parametrize(
    ("role", "staff", "menu"),
    [
        (None, None, Menu.STRANGER),
        (Role.CHILD, None, Menu.CHILD),
        (Role.GUARDIAN, None, Menu.GUARDIAN),
        (Role.GUARDIAN, Role.COUNSELLOR, Menu.STAFF),
        (Role.COUNSELLOR, None, Menu.STRANGER),  # retired: no active staff record
        (Role.COUNSELLOR, Role.SUPERVISOR, Menu.SUPERVISOR),
    ],
)
def test_menu_follows_role(role: Role | None, staff: Role | None, menu: Menu) -> None:
    assert menu_for(role, staff) is menu


def test_every_entry_has_words_in_both_languages_and_a_handler() -> None:
    catalog = shipped.catalog()
    registered = set(
        re.findall(r'"([a-z_]+)"', " ".join(re.findall(r"Command\(([^)]*)\)", _handlers())))
    )
    registered.add("start")  # aiogram's CommandStart()
    for menu, names in COMMANDS.items():
        for name in names:
            assert name in registered, (menu, name)
            zh = catalog.text(description_key(menu, name), "zh_Hans")
            en = catalog.text(description_key(menu, name), "en")
            assert zh != en and 1 <= len(zh) <= 256 and 1 <= len(en) <= 256, (menu, name)


def _handlers() -> str:
    return " ".join(p.read_text("utf-8") for p in HANDLERS.rglob("*.py"))
