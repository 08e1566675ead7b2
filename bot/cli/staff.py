"""`python -m bot staff add|remove|list`: the duty roster from the command line (the first
supervisor has to come from somewhere before anyone can use `/staff` in the staff chat)."""

from __future__ import annotations

import argparse

from bot.cli.database import migrated_uow
from bot.config import load_settings
from bot.domain.clock import SystemClock
from bot.domain.people import Role
from bot.ports import Removal, StaffChatAdmin
from bot.services.duty import register_staff
from bot.services.roster import Roster


async def add(args: argparse.Namespace) -> int:
    settings = load_settings()
    name = args.name.strip()
    if not name or len(name) > 100:
        print("--name must be 1-100 characters")
        return 2
    async with migrated_uow(settings) as uow, uow() as u:
        sp_id = None
        if args.service_point:
            sp = await u.service_points.by_code(args.service_point)
            if sp is None:
                print(f"no service point with code {args.service_point}")
                return 1
            sp_id = sp.id
        member = await register_staff(
            u, args.telegram_id, Role(args.role), name, sp_id, settings.default_locale.value
        )
        await u.commit()
    print(f"{member.display_name}: {member.role.value}, pseudonym number {member.pseudonym_no}")
    return 0


class _Unreachable:
    """Without BOT_TOKEN the command line cannot ask Telegram anything."""

    async def remove(self, chat_id: int, user_id: int) -> Removal:
        return Removal.FAILED

    async def administrators(self, chat_id: int) -> list[int] | None:
        return None


OUTCOME = {
    Removal.REMOVED: "removed from the group (they can be invited again later)",
    Removal.BANNED: "removed, but still banned: unban them in the group's settings before "
    "inviting them again",
    Removal.ABSENT: "not in the group",
    Removal.OWNER: "NOT removed: they own the group, and nobody can remove an owner",
    Removal.ADMIN: "NOT removed: an administrator the bot did not appoint; take away their "
    "administrator rights in the group's settings, then run this again",
    Removal.NO_RIGHTS: "NOT removed: the bot is not an administrator allowed to ban members "
    "there; remove them from the member list yourself",
    Removal.FAILED: "NOT removed: Telegram did not answer; run this again, or remove them from "
    "the member list yourself",
}


async def remove(args: argparse.Namespace) -> int:
    """Retire them, then take them out of every staff group. Exit 0: done; 1: not staff and
    in no staff group; 3: retired, but still in a staff group (each is named)."""
    settings = load_settings()
    main_chats = frozenset({settings.staff_chat_id} if settings.staff_chat_id else ())
    bot = None
    admin: StaffChatAdmin = _Unreachable()
    if settings.bot_token is not None:
        from bot.telegram.chat_admin import TelegramStaffChatAdmin
        from bot.telegram.client import make_bot

        bot = make_bot(settings)
        admin = TelegramStaffChatAdmin(bot)
    try:
        async with migrated_uow(settings) as uow:
            done = await Roster(uow, SystemClock(), admin, lambda: main_chats).remove(
                args.telegram_id
            )
    finally:
        if bot is not None:
            await bot.session.close()
    if done.was_staff:
        print(f"{done.name} is no longer staff")
    else:
        print(f"no active staff member with Telegram id {args.telegram_id}")
    for g in done.groups:
        where = f"service point {g.place}" if g.place else "main staff group"
        print(f"  {where} ({g.chat_id}): {OUTCOME[g.result]}")
    if done.still_in:
        if bot is None:
            print("BOT_TOKEN is not set, so Telegram could not be asked.")
        print(
            "Until they are out of every staff group, they can still read every case card "
            "and message posted there."
        )
        return 3
    return 0 if done.was_staff or any(g.result is not Removal.ABSENT for g in done.groups) else 1


async def list_staff(args: argparse.Namespace) -> int:
    settings = load_settings()
    async with migrated_uow(settings) as uow, uow() as u:
        members = await u.staff.active()
    for m in members:
        duty = "on duty" if m.on_duty else "off duty"
        print(f"{m.telegram_id}\t{m.role.value}\t#{m.pseudonym_no}\t{duty}\t{m.display_name}")
    if not members:
        print("no staff yet: python -m bot staff add --telegram-id N --role supervisor --name …")
    return 0
