"""`python -m bot staff add|remove|list`: the duty roster from the command line (the first
supervisor has to come from somewhere before anyone can use `/staff` in the staff chat)."""

from __future__ import annotations

import argparse

from bot.cli.database import migrated_uow
from bot.config import load_settings
from bot.domain.people import Role
from bot.services.duty import register_staff


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


async def remove(args: argparse.Namespace) -> int:
    settings = load_settings()
    async with migrated_uow(settings) as uow, uow() as u:
        member = await u.staff.by_telegram_id(args.telegram_id)
        if member is None or not await u.staff.retire(member.person_id):
            print(f"no active staff member with Telegram id {args.telegram_id}")
            return 1
        await u.commit()
    print(f"{member.display_name} is no longer staff")
    return 0


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
