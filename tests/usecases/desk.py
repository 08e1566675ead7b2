"""The helpline's use cases wired as the bot wires them, minus Telegram: the real services and
SQL unit of work on a copied, migrated SQLite file, a fixed clock and a transport that only
remembers. Services are called as the handlers call them; the outbox is read as rows.

Copying a migrated file costs about a millisecond where migrating costs seconds; the in-memory
fakes would have needed eleven more repositories, each a second implementation to keep true.
"""

from __future__ import annotations

import itertools
import time as monotonic_time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import time
from functools import cache
from typing import Any

from sqlalchemy import select

from bot.catalog.answers import load_answers
from bot.catalog.helpline import load_canned, load_directory
from bot.db.models import OutboxRow
from bot.db.uow import SqlUnitOfWorkFactory
from bot.domain.cases import Case, DutyHours, Targets
from bot.domain.outbox import SendOutcome, SendResult
from bot.domain.people import ConsentStatus, Person, Role, ServicePointKind, new_person_code
from bot.domain.ratelimit import Limits, RateLimiter
from bot.ports import Removal
from bot.services.board import Board
from bot.services.casework import Casework
from bot.services.duty import Duty, register_staff
from bot.services.helpline import Helpline, HelplinePolicy
from bot.services.lessons import LESSON_KINDS, LessonPolicy, Lessons
from bot.services.outbox import REPLIES, Delivery
from bot.services.roster import Roster
from content import CONTENT_DIR
from tests import shipped
from tests.support import FixedClock

STAFF_CHAT = -1001
# Another service point's staff group: its cases are not the first group's business.
OTHER_CHAT = -1002
ROUND_THE_CLOCK = DutyHours(start=time(0), end=time(0))
CRITICAL = "我今晚就想自杀，药已经准备好了"
MEDIUM = "最近没人在乎我，我好孤单"


@cache
def catalogs() -> dict[str, Any]:
    """What the bot loads from content/ at start, once per test run (shared with the content
    tests through tests/shipped.py where they read the same)."""
    return {
        "net": shipped.safety_net(),
        "policy": shipped.net_policy(),
        "answers": load_answers(CONTENT_DIR),
        "hotlines": shipped.hotlines(),
        "directory": load_directory(CONTENT_DIR),
        "canned": load_canned(CONTENT_DIR),
        "programmes": shipped.programmes(),
    }


class Telegram:
    """Accepts everything; a new topic gets the next thread id, as Telegram's would."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, int | None, Any]] = []
        self._ids = itertools.count(1000)

    async def deliver(
        self, chat_id: int, thread_id: int | None, reply: Any, locale: str
    ) -> SendResult:
        self.sent.append((chat_id, thread_id, reply))
        return SendResult(SendOutcome.SENT, message_id=next(self._ids))

    def to(self, chat_id: int) -> list[Any]:
        return [r for c, _, r in self.sent if c == chat_id]


class NoAdmin:
    async def remove(self, chat_id: int, user_id: int) -> Removal:
        return Removal.ABSENT

    async def administrators(self, chat_id: int) -> Sequence[int] | None:
        return None


@dataclass
class Desk:
    uow: SqlUnitOfWorkFactory
    clock: FixedClock
    telegram: Telegram = field(default_factory=Telegram)

    def __post_init__(self) -> None:
        c = catalogs()
        uow, clock = self.uow, self.clock
        chats = frozenset({STAFF_CHAT})
        self.board = Board("zh_Hans")
        self.targets = Targets()
        self.helpline = Helpline(
            uow,
            clock,
            c["net"],
            c["hotlines"],
            self.board,
            HelplinePolicy(targets=self.targets, duty=ROUND_THE_CLOCK, staff_chat_id=STAFF_CHAT),
            hold_kinds=LESSON_KINDS,
            net=c["policy"],
            answers=c["answers"],
        )
        self.casework = Casework(
            uow,
            clock,
            self.board,
            self.targets,
            c["directory"],
            c["canned"],
            lambda: chats,
            hold_kinds=LESSON_KINDS,
        )
        roster = Roster(uow, clock, NoAdmin(), lambda: chats)
        access, claims = self.casework.access, self.casework.claims
        self.duty = Duty(uow, clock, self.board, access, claims, roster)
        self.lessons = Lessons(uow, clock, c["programmes"], LessonPolicy())
        self.delivery = Delivery(
            uow,
            clock,
            self.telegram,
            RateLimiter(
                Limits(global_per_s=1e6, private_burst=1e6, group_per_min=1e6),
                monotonic_time.monotonic(),
            ),
            # The kinds as each producer declares them, as bot/app.py wires them.
            [self.lessons.row_kinds(), self.board.row_kinds(uow), REPLIES],
            serialize_writes=True,
        )
        uow.on_outbox_commit(self.delivery.nudge)

    async def send_all(self) -> int:
        """The sender empties the outbox, as often as released posts make new work."""
        total = 0
        while sent := await self.delivery.drain(self.clock.now()):
            total += sent
        return total

    # -- people -----------------------------------------------------------------------------

    async def person(
        self, telegram_id: int, role: Role = Role.CHILD, service_point_id: int | None = None
    ) -> Person:
        async with self.uow() as u:
            person = await u.people.add(
                Person(
                    telegram_id=telegram_id,
                    locale="zh_Hans",
                    code=new_person_code(),
                    role=role,
                    consent=ConsentStatus.GIVEN,
                    service_point_id=service_point_id,
                )
            )
            await u.commit()
        return person

    async def staff(
        self, telegram_id: int, role: Role = Role.COUNSELLOR, on_duty: bool = True
    ) -> int:
        """A staff member of the main staff group; returns their person id."""
        async with self.uow() as u:
            member = await register_staff(
                u, telegram_id, role, f"老师{telegram_id}", None, "zh_Hans"
            )
            await u.staff.set_duty(member.person_id, on_duty)
            await u.commit()
        return member.person_id

    async def other_point(self) -> int:
        """A second service point with its own staff group; returns its id."""
        async with self.uow() as u:
            sp = await u.service_points.add(
                "SP2", "二号站", ServicePointKind.OTHER, staff_chat_id=OTHER_CHAT
            )
            await u.commit()
        return sp.id

    # -- what the database says --------------------------------------------------------------

    async def case(self, case_id: int = 1) -> Case:
        async with self.uow() as u:
            case = await u.cases.by_id(case_id)
        assert case is not None
        return case

    async def rows(self, prefix: str = "") -> list[OutboxRow]:
        async with self.uow() as u:
            found = list(
                await u.session.scalars(
                    select(OutboxRow)
                    .where(OutboxRow.key.startswith(prefix))
                    .order_by(OutboxRow.id)
                )
            )
            u.session.expunge_all()  # readable after the unit of work ends
        return found
