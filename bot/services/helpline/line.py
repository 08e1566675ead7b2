"""What every part of the helpline works with, and what they all tell the person.

One `Line` is shared by the sub-journeys (reading, escalation, the direct question, an open
case, after a case closed): the hotlines, duty hours and response times are said the same
way wherever a reply is made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.asking import TypedAnswers
from bot.domain.cases import Case, DutyHours, Targets, Tier
from bot.domain.hotlines import HotlineBook
from bot.domain.locale import Locale
from bot.domain.people import Person
from bot.domain.replies import Choice, Keyboard, Outcome, Reply, rows
from bot.domain.safety_net import NetPolicy
from bot.ports import Classifier, Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.board import Board


@dataclass(frozen=True, slots=True)
class HelplinePolicy:
    targets: Targets = field(default_factory=Targets)
    duty: DutyHours = field(default_factory=DutyHours)
    staff_chat_id: int | None = None
    default_locale: Locale = Locale.ZH_HANS


@dataclass(frozen=True, slots=True)
class Heard:
    """What the handler does with a message: answer it here, or let other routers have it."""

    outcome: Outcome
    handled: bool


@dataclass(slots=True)
class Line:
    """Not frozen: the classifier can be swapped for a scripted one (tests/e2e/
    test_safety_net.py), and every part must then read with the same one."""

    uow: UnitOfWorkFactory
    clock: Clock
    triager: Classifier
    hotlines: HotlineBook
    board: Board
    policy: HelplinePolicy
    net: NetPolicy
    answers: TypedAnswers
    # Outbox kinds that wait while a person is in a conversation with a counsellor.
    hold_kinds: tuple[str, ...] = ()

    def hotline_data(self, region: str | None = None) -> dict[str, object]:
        """The lines that answer at this hour first (a reply never claims a closed line)."""
        return dict(self.hotlines.shown(region, self.clock.now()))

    async def staffed(self, uow: UnitOfWork, now: datetime) -> bool:
        if not self.policy.duty.is_open(now) or self.policy.staff_chat_id is None:
            return False
        return any(s.on_duty for s in await uow.staff.active())

    def when_data(self, now: datetime, tier: Tier) -> dict[str, object]:
        opening = self.policy.duty.next_opening(now)
        # `back`: when counsellors are next on duty, for a person told that nobody is now.
        return {
            "minutes": self.target_minutes(tier),
            "opens": opening.isoformat(timespec="minutes"),
            "back": self.policy.duty.back(now),
        }

    def target_minutes(self, tier: Tier) -> int:
        return int(self.policy.targets.target(tier).total_seconds() // 60)

    async def region_of(self, uow: UnitOfWork, person: Person | None) -> str | None:
        """Hotlines differ by province: the person's service point says where they are."""
        if person is None or person.service_point_id is None:
            return None
        sp = await uow.service_points.by_id(person.service_point_id)
        return sp.region if sp and sp.region else None

    def safety_reply(
        self, staffed: bool, now: datetime, tier: Tier, region: str | None = None
    ) -> Reply:
        """The reply to danger: the hotlines, when a counsellor answers, "are you safe?"."""
        return Reply(
            "helpline/safety_now",
            {**self.hotline_data(region), **self.when_data(now, tier), "staffed": staffed},
            choices=rows(
                Choice("btn.safe.yes", "safe:yes"), Choice("btn.safe.no", "safe:no"), width=2
            ),
            keyboard=Keyboard.KEEP,
        )

    def quiet_hotlines(self, region: str | None) -> Outcome:
        """One quiet line of hotlines, so as not to talk over a counsellor."""
        return Outcome.of(Reply("helpline/quiet_hotlines", self.hotline_data(region)))

    def requested(
        self, staffed: bool, now: datetime, case: Case, new: bool, region: str | None
    ) -> Outcome:
        """The answer to asking for a person (the button, or in words): honest timing."""
        template = "helpline/requested" if staffed else "helpline/requested_unstaffed"
        data = {**self.hotline_data(region), **self.when_data(now, case.tier), "again": not new}
        return Outcome.of(Reply(template, data))
