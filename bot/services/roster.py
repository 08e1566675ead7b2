"""Who is in the staff groups: taking a removed colleague out of them, and finding people
there who are not staff.

Retiring a staff member in the database takes away what they may do, not what they can read:
every case card and relayed message is posted in the staff groups, and whoever is in a group
reads it. So removal also takes the person out of every staff group (the bot is an
administrator there), and says plainly where it could not.

A bot cannot list a group's members, only its administrators. The bot keeps a record of the
people it has seen in each staff group (joining, leaving, writing, or listed as administrators)
and `/staff list` names those who are not staff. What it has not seen it cannot name, and the
list says so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.ports import Clock, Removal, SeenMember, StaffChatAdmin, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

# A message in a staff group is recorded once per person per this long and process: a busy
# group does not write to the database for every line.
REMEMBER = timedelta(minutes=10)
REMEMBER_AT_MOST = 10_000


@dataclass(frozen=True, slots=True)
class GroupRemoval:
    chat_id: int
    place: str  # the service point whose group it is; "" for the main staff group
    result: Removal


@dataclass(frozen=True, slots=True)
class Removed:
    """What `/staff remove` did: retired (or was not staff), and each staff group's outcome."""

    was_staff: bool
    name: str
    groups: tuple[GroupRemoval, ...]

    @property
    def still_in(self) -> tuple[GroupRemoval, ...]:
        """Groups they may still be reading."""
        return tuple(g for g in self.groups if not g.result.out)


class Roster:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        admin: StaffChatAdmin,
        main_chats: Callable[[], frozenset[int]],
        bot_id: int | None = None,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.admin = admin
        self.main_chats = main_chats
        self.bot_id = bot_id
        self._recent: dict[tuple[int, int], tuple[bool, datetime]] = {}

    async def _groups(self, uow: UnitOfWork) -> dict[int, str]:
        """Every staff group, with the service point it belongs to ("" for none)."""
        groups = dict.fromkeys(self.main_chats(), "")
        for sp in await uow.service_points.all():
            if sp.staff_chat_id is not None:
                groups.setdefault(sp.staff_chat_id, sp.name)
        return groups

    async def remove(self, telegram_id: int) -> Removed:
        """Retire them if they are staff, then take them out of every staff group. The
        database comes first: whatever Telegram says, they may no longer act."""
        now = self.clock.now()
        async with self.uow() as uow:
            member = await uow.staff.by_telegram_id(telegram_id)
            retired = member is not None and await uow.staff.retire(member.person_id)
            groups = await self._groups(uow)
            await uow.commit()
        results = []
        for chat_id, place in sorted(groups.items()):
            if telegram_id == self.bot_id:
                result = Removal.ADMIN  # never itself: it would stop serving the group
            else:
                result = await self.admin.remove(chat_id, telegram_id)
            results.append(GroupRemoval(chat_id, place, result))
        async with self.uow() as uow:
            for g in results:
                if g.result.out:
                    await uow.members.seen(g.chat_id, telegram_id, now, present=False, admin=None)
            await uow.commit()
        self._recent = {k: v for k, v in self._recent.items() if k[1] != telegram_id}
        log.info(
            "staff: removed %s (staff: %s): %s",
            telegram_id,
            retired,
            ", ".join(f"{g.chat_id}={g.result.value}" for g in results),
        )
        return Removed(retired, member.display_name if member else "", tuple(results))

    async def note(
        self,
        chat_id: int,
        telegram_id: int,
        present: bool,
        admin: bool | None = None,
        update_id: int | None = None,
    ) -> None:
        """Someone joined, left or wrote in a group (learnt from that update): recorded if
        it is a staff group. A message (admin None, present) is recorded once per REMEMBER."""
        now = self.clock.now()
        key = (chat_id, telegram_id)
        last = self._recent.get(key)
        if admin is None and present and last is not None and last[0] and now - last[1] < REMEMBER:
            return
        if len(self._recent) >= REMEMBER_AT_MOST:
            self._recent.clear()
        async with self.uow() as uow:
            if chat_id not in await self._groups(uow):
                self._recent[key] = (True, now)  # not a staff group: nothing to record
                return
            await uow.members.seen(chat_id, telegram_id, now, present, admin, update_id)
            await uow.commit()
        self._recent[key] = (present, now)

    async def strangers(self, chat_id: int) -> tuple[Sequence[SeenMember], bool]:
        """People recorded in this staff group who are not active staff, after asking
        Telegram for the group's administrators; and whether Telegram answered (if not,
        the list holds only what was recorded before)."""
        now = self.clock.now()
        admins = await self.admin.administrators(chat_id)
        async with self.uow() as uow:
            if admins is not None:
                await uow.members.admins_are(chat_id, admins, now)
                await uow.commit()
            found = []
            for seen in await uow.members.present(chat_id):
                if seen.telegram_id == self.bot_id:
                    continue
                if await uow.staff.by_telegram_id(seen.telegram_id) is None:
                    found.append(seen)
        return found, admins is not None
