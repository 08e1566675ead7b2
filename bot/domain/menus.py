"""Which commands each kind of person sees in Telegram's menu.

A child never sees /schedule, /pause, /resume or /invite (the guardian's "invite my child"):
those belong to the guardian who set the lessons up. Someone whose role is not known yet sees
the short menu every stranger sees; the menu of their role replaces it once they have one.
"""

from __future__ import annotations

from enum import StrEnum

from bot.domain.people import Role


class Menu(StrEnum):
    STRANGER = "stranger"
    CHILD = "child"
    GUARDIAN = "guardian"
    STAFF = "staff"
    SUPERVISOR = "supervisor"
    STAFF_GROUP = "staff_group"


COMMANDS: dict[Menu, tuple[str, ...]] = {
    Menu.STRANGER: ("start", "help", "hotlines", "language", "privacy"),
    Menu.CHILD: (
        "help",
        "hotlines",
        "check",
        "lessons",
        "language",
        "privacy",
        "mydata",
        "delete",
        "stop",
    ),
    Menu.GUARDIAN: (
        "help",
        "hotlines",
        "check",
        "progress",
        "lessons",
        "schedule",
        "pause",
        "resume",
        "invite",
        "language",
        "privacy",
        "mydata",
        "delete",
        "stop",
    ),
    Menu.STAFF: ("hotlines", "language", "privacy", "mydata"),
    Menu.SUPERVISOR: ("dashboard", "hotlines", "language", "privacy", "mydata"),
    Menu.STAFF_GROUP: (
        "queue",
        "next",
        "onduty",
        "offduty",
        "followups",
        "file",
        "tier",
        "plan",
        "visit",
        "canned",
        "screen",
        "close",
        "reported",
        "missed",
        "invite",
        "staff",
        "stats",
        "accesslog",
    ),
}

# In the staff group the same command can mean something else (/invite there makes a link for
# a family or a colleague), so its descriptions have keys of their own.
KEY_PREFIX: dict[Menu, str] = {Menu.STAFF_GROUP: "cmd.group."}


def menu_for(role: Role | None, staff_role: Role | None) -> Menu:
    """Staff by their active staff record (a retired counsellor is a stranger again)."""
    if staff_role is Role.SUPERVISOR:
        return Menu.SUPERVISOR
    if staff_role is Role.COUNSELLOR:
        return Menu.STAFF
    if role is Role.CHILD:
        return Menu.CHILD
    if role is Role.GUARDIAN:
        return Menu.GUARDIAN
    return Menu.STRANGER


def description_key(menu: Menu, command: str) -> str:
    return f"{KEY_PREFIX.get(menu, 'cmd.')}{command}"
