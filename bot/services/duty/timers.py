"""Who is on duty, the queue and follow-up lists, and the timers that act on their own.

Timers (docs/DOMAIN.md §3): a missed first-response target re-alerts the staff chat, twice the
target pages supervisors directly, a claimed case whose counsellor went quiet returns to the
queue, and a follow-up that falls due reminds its assignee in the staff chat.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from bot.domain.case_actions import FollowUpDone, NextCase
from bot.domain.cases import CaseStatus, EventKind, SlaStep, sla_step
from bot.domain.lengths import clip, how_many, units
from bot.domain.numbers import parse_int
from bot.domain.outbox import Priority
from bot.domain.people import Person, Role, new_person_code
from bot.domain.permissions import StaffAction, may
from bot.domain.replies import Choice, Reply, rows
from bot.ports import (
    Clock,
    Removal,
    SeenMember,
    StaffMember,
    UnitOfWork,
    UnitOfWorkFactory,
)
from bot.services.board import Board, card_actions
from bot.services.casework import Claims, StaffAccess
from bot.services.roster import Removed, Roster

# A list is one Telegram message of at most 4,096 UTF-16 units: it shows what fits, in its
# order (most urgent first), and says how many it left out. Each line's words (a name, a note)
# count on top of ROW_UNITS, a bound on its icons, code, date and labels in either language
# (tests/content/test_lengths.py renders the worst case).
LIST_UNITS = 3500
ROW_UNITS = 80
NOTE_IN_LIST_UNITS = 200
# Of a staff list's budget, what the people seen in the group who are not staff may take.
STRANGERS_UNITS = 900

T = TypeVar("T")


def fitting(
    items: Sequence[T], words: Callable[[T], int], budget: int = LIST_UNITS
) -> tuple[list[T], int]:
    """The head of `items` that fits in one message, and how many are left out."""
    shown = how_many((ROW_UNITS + words(i) for i in items), budget)
    return list(items[:shown]), len(items) - shown


def staff_list(
    members: Sequence[StaffMember], strangers: Sequence[SeenMember], admins_known: bool
) -> Reply:
    """`/staff list`: the roster, and who else the bot has seen in the group, both cut to
    share one message (a group of hundreds must not make the answer too long to send)."""
    shown, hidden = fitting(
        [
            {
                "name": m.display_name,
                "role": m.role.value,
                "n": m.pseudonym_no,
                "on_duty": m.on_duty,
            }
            for m in members
        ],
        _words("name"),
        LIST_UNITS - STRANGERS_UNITS,
    )
    seen, unseen = fitting(
        [{"id": s.telegram_id, "admin": s.admin} for s in strangers],
        lambda s: 0,
        STRANGERS_UNITS,
    )
    return Reply(
        "helpline/staff_list",
        {
            "members": shown,
            "hidden": hidden,
            "strangers": seen,
            "strangers_hidden": unseen,
            "admins_known": admins_known,
        },
    )


def _words(*keys: str) -> Callable[[dict[str, Any]], int]:
    return lambda item: sum(units(str(item[k])) for k in keys)


def staff_removed(removed: Removed, chat_id: int) -> Reply:
    """`/staff remove`: retired or not, and each staff group's outcome, in one message."""
    # Groups they were not in need no line, unless that is all there is to say; where they
    # could not be removed comes first, should there be more groups than one message holds.
    groups = sorted(
        (g for g in removed.groups if g.result is not Removal.ABSENT),
        key=lambda g: g.result is Removal.REMOVED,
    )
    shown, hidden = fitting(
        [
            {"here": g.chat_id == chat_id, "place": g.place, "result": g.result.value}
            for g in groups
        ],
        # Each line says what happened in a sentence of up to ~200 units besides the place.
        lambda g: units(str(g["place"])) + 200,
        LIST_UNITS - ROW_UNITS * 4,
    )
    return Reply(
        "helpline/staff_removed",
        {
            "ok": removed.was_staff,
            "name": removed.name,
            "groups": shown,
            "hidden": hidden,
            "still": bool(removed.still_in),
        },
    )


@dataclass(frozen=True, slots=True)
class StaffChange:
    """`/staff add <role> <name>` replying to a colleague's message, or with their id."""

    action: str
    telegram_id: int | None = None
    role: Role | None = None
    name: str = ""

    @staticmethod
    def parse(args: str, replied_to: int | None) -> StaffChange | None:
        words = args.split()
        if not words:
            return None
        action = words[0].lower()
        rest = words[1:]
        if action == "list":
            return StaffChange("list")
        target = replied_to
        # Only a number that can be a Telegram id (they fit in 52 bits) is taken for one:
        # int() raises on "²", which str.isdigit() lets through.
        typed = parse_int(rest[0], 2**53, -(2**53)) if rest else None
        if typed is not None:
            target = typed
            rest = rest[1:]
        if target is None:
            return None
        if action == "remove":
            return StaffChange("remove", target)
        if action != "add" or not rest:
            return None
        role = {
            "counsellor": Role.COUNSELLOR,
            "心理老师": Role.COUNSELLOR,
            "supervisor": Role.SUPERVISOR,
            "督导": Role.SUPERVISOR,
            "director": Role.DIRECTOR,
            "儿童主任": Role.DIRECTOR,
            # The township's 儿童督导员 is never a clinical 督导: a word of its own.
            "township": Role.TOWNSHIP,
            "儿童督导员": Role.TOWNSHIP,
        }.get(rest[0].lower())
        name = " ".join(rest[1:]).strip()[:100]
        if role is None or not name:
            return None
        return StaffChange("add", target, role, name)


async def register_staff(
    uow: UnitOfWork,
    telegram_id: int,
    role: Role,
    name: str,
    service_point_id: int | None,
    locale: str,
) -> StaffMember:
    """Make (or update) a staff member, with the person row they need."""
    person = await uow.people.by_telegram_id(telegram_id)
    if person is None:
        person = await uow.people.add(
            Person(telegram_id=telegram_id, locale=locale, code=new_person_code("S"), role=role)
        )
    else:
        person.role = role
        await uow.people.save(person)
    assert person.id is not None
    return await uow.staff.add(person.id, role, name, service_point_id)


class Duty:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        board: Board,
        access: StaffAccess,
        claims: Claims,
        roster: Roster,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.board = board
        self.access = access
        self.claims = claims
        self.roster = roster
        self.targets = claims.targets

    async def _answer(
        self, uow: UnitOfWork, chat_id: int, thread_id: int | None, reply: Reply
    ) -> None:
        await self.board.say(uow, chat_id, thread_id, reply, self.clock.now())
        await uow.commit()

    async def set_duty(
        self, telegram_id: int, chat_id: int, thread_id: int | None, on: bool
    ) -> bool:
        async with self.uow() as uow:
            staff = await self.access.staff(uow, telegram_id, chat_id)
            if staff is None:
                return False
            await uow.staff.set_duty(staff.person_id, on)
            # Read back in the same transaction: the roster as it now stands.
            on_duty = [s for s in await uow.staff.active() if s.on_duty]
            names, hidden = fitting([s.display_name for s in on_duty], units)
            await self._answer(
                uow,
                chat_id,
                thread_id,
                Reply(
                    "helpline/staff_duty",
                    {
                        "name": staff.display_name,
                        "on": on,
                        "count": len(on_duty),
                        "names": names,
                        "hidden": hidden,
                    },
                ),
            )
        return True

    async def show_queue(self, telegram_id: int, chat_id: int, thread_id: int | None) -> bool:
        now = self.clock.now()
        async with self.uow() as uow:
            if await self.access.staff(uow, telegram_id, chat_id) is None:
                return False
            cases = await uow.cases.queue(chat_id)
            names = {s.person_id: s.display_name for s in await uow.staff.active()}
            items = [
                {
                    "icon": c.tier.icon,
                    "code": c.code,
                    "tier": c.tier.value,
                    "status": c.status.value,
                    "minutes": int(c.waiting(now).total_seconds() // 60),
                    "who": names.get(c.claimed_by or 0, ""),
                }
                for c in cases
            ]
            waiting = sum(1 for c in cases if c.status is CaseStatus.WAITING)
            choices = rows(Choice("btn.case.next", NextCase().pack())) if waiting else ()
            shown, hidden = fitting(items, _words("who"))
            await self._answer(
                uow,
                chat_id,
                thread_id,
                Reply(
                    "helpline/staff_queue",
                    {"items": shown, "hidden": hidden, "waiting": waiting},
                    choices=choices,
                ),
            )
        return True

    async def show_follow_ups(self, telegram_id: int, chat_id: int, thread_id: int | None) -> bool:
        now = self.clock.now()
        async with self.uow() as uow:
            if await self.access.staff(uow, telegram_id, chat_id) is None:
                return False
            names = {s.person_id: s.display_name for s in await uow.staff.active()}
            items: list[dict[str, Any]] = []
            for fu in await uow.cases.follow_ups_open():
                case = await uow.cases.by_id(fu.case_id)
                if case is None or case.staff_chat_id != chat_id:
                    continue
                items.append(
                    {
                        "id": fu.id,
                        "code": case.code,
                        "due": fu.due_at.date().isoformat(),
                        "due_now": fu.due_at <= now,
                        "overdue": fu.due_at < now,
                        "who": names.get(fu.assignee_id, "?"),
                        "note": clip(fu.note, NOTE_IN_LIST_UNITS),
                    }
                )
            shown, hidden = fitting(items, _words("who", "note"))
            choices = rows(
                *[
                    Choice(
                        "btn.fu.done", FollowUpDone(i["id"]).pack(), label_data={"code": i["code"]}
                    )
                    for i in items
                    if i["due_now"]
                ][:10],
                width=2,
            )
            await self._answer(
                uow,
                chat_id,
                thread_id,
                Reply(
                    "helpline/staff_follow_ups",
                    {"items": shown, "hidden": hidden},
                    choices=choices,
                ),
            )
        return True

    async def manage_staff(
        self,
        telegram_id: int,
        chat_id: int,
        thread_id: int | None,
        args: str,
        replied_to: int | None,
    ) -> bool:
        """Supervisors add, remove and list staff; anyone else is ignored (and logged)."""
        async with self.uow() as uow:
            actor = await self.access.staff(uow, telegram_id, chat_id)
            if actor is None:
                return False
            change = StaffChange.parse(args, replied_to)
            if (
                change is not None
                and change.action != "list"
                and not may(actor.role, StaffAction.STAFF_MANAGE)
            ):
                await self._answer(
                    uow, chat_id, thread_id, Reply("helpline/staff_supervisors_only")
                )
                return True
            if change is None:
                await self._answer(uow, chat_id, thread_id, Reply("helpline/staff_usage"))
                return True
            if change.action == "add" and change.telegram_id and change.role:
                sp = await uow.service_points.by_staff_chat(chat_id)
                member = await register_staff(
                    uow,
                    change.telegram_id,
                    change.role,
                    change.name,
                    sp.id if sp else None,
                    self.board.locale,
                )
                reply = Reply(
                    "helpline/staff_added",
                    {
                        "name": member.display_name,
                        "role": member.role.value,
                        "n": member.pseudonym_no,
                    },
                )
                await self._answer(uow, chat_id, thread_id, reply)
                return True
        # Telegram is asked outside any transaction: a slow answer holds no database lock.
        if change.action == "remove" and change.telegram_id:
            reply = staff_removed(await self.roster.remove(change.telegram_id), chat_id)
        else:
            reply = await self._list(chat_id)
        async with self.uow() as uow:
            await self._answer(uow, chat_id, thread_id, reply)
        return True

    async def _list(self, chat_id: int) -> Reply:
        strangers, admins_known = await self.roster.strangers(chat_id)
        async with self.uow() as uow:
            members = await uow.staff.active()
        return staff_list(members, strangers, admins_known)

    # -- timers ---------------------------------------------------------------------------

    async def tick(self, now: datetime | None = None) -> dict[str, int]:
        """Run every timer once; returns what it did (for logs and tests)."""
        now = now or self.clock.now()
        done = {"realert": 0, "supervisor": 0, "release": 0, "follow_up": 0, "rescued": 0}
        async with self.uow() as uow:
            for case in await uow.cases.all_open():
                if case.topic_id is None and await self.board.rescue_topicless(uow, case, now):
                    done["rescued"] += 1
                step = sla_step(case, now, self.targets)
                if step is SlaStep.RELEASE:
                    await self.claims.release_silent(uow, case, now)
                    done["release"] += 1
                elif step is SlaStep.REALERT:
                    await uow.cases.update(case.id, alert_level=1)
                    await uow.cases.log(case.id, EventKind.SLA_REALERT, now)
                    minutes = int(case.waiting(now).total_seconds() // 60)
                    await self.board.post(
                        uow,
                        case,
                        Reply(
                            "helpline/staff_overdue",
                            {"code": case.code, "tier": case.tier.value, "minutes": minutes},
                            choices=card_actions(case),
                        ),
                        now,
                        Priority.ALERT,
                    )
                    done["realert"] += 1
                elif step is SlaStep.SUPERVISOR:
                    await uow.cases.update(case.id, alert_level=2)
                    await uow.cases.log(case.id, EventKind.SLA_SUPERVISOR, now)
                    minutes = int(case.waiting(now).total_seconds() // 60)
                    await self.board.page_supervisors(
                        uow,
                        case,
                        "helpline/page_overdue",
                        {"tier": case.tier.value, "minutes": minutes},
                        now,
                        "sla",
                    )
                    done["supervisor"] += 1
            names = {s.person_id: s for s in await uow.staff.active()}
            for fu in await uow.cases.follow_ups_due(now):
                fu_case = await uow.cases.by_id(fu.case_id)
                if fu_case is None:
                    continue
                await uow.cases.update_follow_up(fu.id, reminded_at=now)
                assignee = names.get(fu.assignee_id)
                await self.board.post(
                    uow,
                    fu_case,
                    Reply(
                        "helpline/staff_follow_up_due",
                        {
                            "code": fu_case.code,
                            "note": fu.note,
                            "name": assignee.display_name if assignee else "",
                            "tg": assignee.telegram_id if assignee else 0,
                        },
                        choices=rows(
                            Choice(
                                "btn.fu.done",
                                FollowUpDone(fu.id).pack(),
                                label_data={"code": fu_case.code},
                            )
                        ),
                    ),
                    now,
                )
                done["follow_up"] += 1
            await uow.commit()
        return done
