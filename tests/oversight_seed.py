"""A small world of cases, follow-ups, referrals, screenings and lessons for the oversight
figures, laid out around one local week so every figure can be worked out by hand.

`T0` is a Monday 00:00 in Asia/Shanghai; the week is [T0, T0 + 7 days). `EXPECTED` is what the
figures must say for that week, worked out from the comments below, not by running the code.

    python -m tests.oversight_seed docs/digest.png    # docs/oversight.md's picture of the chart
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import update

from bot.db.models import EnrolmentRow
from bot.db.uow import SqlUnitOfWorkFactory
from bot.domain.cases import (
    CaseStatus,
    CloseOutcome,
    EventKind,
    ReferralStatus,
    Targets,
    Tier,
    Trigger,
)
from bot.domain.lessons import Enrolment, EnrolmentStatus, Progress
from bot.domain.oversight import Figures, Period, last_slot
from bot.domain.people import Person, PersonStatus, Role, ServicePointKind, new_person_code
from bot.domain.screening import Result
from bot.ports import ChartRenderer
from bot.services.board import Board
from bot.services.oversight import DigestPolicy, Oversight
from tests.support import FixedClock

if TYPE_CHECKING:  # the database tests use the seed without the bot
    from tests.e2e.harness import World

# Monday 2026-02-23 00:00 in Shanghai.
T0 = datetime(2026, 2, 22, 16, 0, tzinfo=UTC)
CHAT = -100500


@dataclass
class Seeded:
    t0: datetime
    sp_a: int = 0
    sp_b: int = 0
    ids: dict[str, int] = field(default_factory=dict)


def _d(t0: datetime, days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    return t0 + timedelta(days=days, hours=hours, minutes=minutes)


async def seed(
    uow: SqlUnitOfWorkFactory,
    t0: datetime = T0,
    chat: int = CHAT,
    chat_a: int | None = None,
    chat_b: int | None = None,
    tg_base: int = 9_000_000,
) -> Seeded:
    s = Seeded(t0)
    tg = iter(range(tg_base, tg_base + 100))

    async with uow() as u:
        a = await u.service_points.add(
            "SP-A", "城关镇儿童之家", ServicePointKind.CHILDREN_HOME, staff_chat_id=chat_a
        )
        b = await u.service_points.add(
            "SP-B", "河西社工站", ServicePointKind.SOCIAL_WORK_STATION, staff_chat_id=chat_b
        )
        s.sp_a, s.sp_b = a.id, b.id

        async def person(name: str, role: Role, sp: int | None, **kw: Any) -> int:
            p = await u.people.add(
                Person(
                    telegram_id=next(tg),
                    locale="zh_Hans",
                    code=new_person_code(),
                    role=role,
                    service_point_id=sp,
                    **kw,
                )
            )
            assert p.id is not None
            s.ids[name] = p.id
            return p.id

        c1 = await person("c1", Role.CHILD, a.id)
        c2 = await person("c2", Role.CHILD, a.id)
        c3 = await person("c3", Role.CHILD, b.id)
        c4 = await person("c4", Role.CHILD, a.id)
        staff = await person("s1", Role.COUNSELLOR, None)
        await u.commit()

    async def case(
        pid: int,
        tier: Tier,
        opened: datetime,
        *,
        response: float | None = None,
        taken: float | None = None,
        taken_as: EventKind = EventKind.CLAIMED,
        closed: datetime | None = None,
        outcome: CloseOutcome | None = None,
    ) -> int:
        async with uow() as u:
            c, _ = await u.cases.open(pid, chat, tier, Trigger.TRIAGE, [], [], opened)
            if response is not None:
                await u.cases.update(c.id, first_response_at=_d(opened, minutes=response))
            if taken is not None:
                await u.cases.log(c.id, taken_as, _d(opened, minutes=taken), staff)
            if closed is not None:
                await u.cases.set_status(
                    c.id,
                    CaseStatus.WAITING,
                    status=CaseStatus.CLOSED,
                    closed_at=closed,
                    outcome=outcome,
                )
            await u.commit()
        return c.id

    # Cases. Opened in the week: 1, 2, 3, 4. Case 5 opened before and closed in it; case 6
    # opens after it.
    case5 = await case(
        c1,
        Tier.RED,
        _d(t0, -2),
        response=4,
        taken=1,
        closed=_d(t0, 0.5),
        outcome=CloseOutcome.EMERGENCY,
    )
    case1 = await case(
        c1,
        Tier.RED,
        _d(t0, 1, 10),
        response=3,
        taken=2,
        closed=_d(t0, 1, 11),
        outcome=CloseOutcome.SUPPORTED,
    )
    case2 = await case(c2, Tier.ORANGE, _d(t0, 2), response=20, taken=10)  # still open
    case3 = await case(
        c3,
        Tier.YELLOW,
        _d(t0, 2, 5),
        response=30,
        taken=25,
        taken_as=EventKind.TRANSFERRED,
        closed=_d(t0, 3),
        outcome=CloseOutcome.REFERRED,
    )
    case4 = await case(c4, Tier.RED, _d(t0, 6, 1))  # never answered: overdue at the end
    await case(c3, Tier.GREEN, _d(t0, 7, 1))  # after the week
    s.ids.update(case1=case1, case2=case2, case3=case3, case4=case4, case5=case5)

    async with uow() as u:
        # Follow-ups (created, due, done).
        f1 = await u.cases.add_follow_up(case1, staff, _d(t0, 3), "", staff, _d(t0, 1))
        await u.cases.update_follow_up(f1.id, done_at=_d(t0, 3, 1))
        await u.cases.add_follow_up(case2, staff, _d(t0, 5), "", staff, _d(t0, 2))
        await u.cases.add_follow_up(case3, staff, _d(t0, 9), "", staff, _d(t0, 3))
        f4 = await u.cases.add_follow_up(case5, staff, _d(t0, -0.5), "", staff, _d(t0, -1))
        await u.cases.update_follow_up(f4.id, done_at=_d(t0, -0.4))
        # Referrals, made in the week unless said otherwise, with their status now.
        r1 = await u.cases.refer(case1, "r-12356", staff, _d(t0, 1))
        await u.cases.set_referral(r1.id, ReferralStatus.ACCEPTED, _d(t0, 2))
        r2 = await u.cases.refer(case3, "r-clinic", staff, _d(t0, 3))
        await u.cases.set_referral(r2.id, ReferralStatus.ATTENDED, _d(t0, 4))
        await u.cases.refer(case5, "r-12356", staff, _d(t0, -1))  # before the week
        await u.cases.refer(case2, "r-12356", staff, _d(t0, 2))  # suggested
        await u.commit()

    async def screened(pid: int, instrument: str, tier: Tier | None, at: datetime) -> None:
        async with uow() as u:
            result = Result(instrument, 1, "test", 5, tier=tier)
            await u.screening.record(pid, pid, {1: 1}, result, at)
            await u.commit()

    # Screenings. c1: yellow before the week, orange in it (worse). c2: green then yellow,
    # both in it (worse). c3: orange before, yellow in it (better). c4: a first one (orange),
    # and a green of another instrument before it (not comparable). A guardian's own WHO-5
    # (no tier, and not a child). c1 red after the week (not counted).
    await screened(c1, "phq-a", Tier.YELLOW, _d(t0, -10))
    await screened(c1, "phq-a", Tier.ORANGE, _d(t0, 1))
    await screened(c2, "phq-a", Tier.GREEN, _d(t0, 1, 3))
    await screened(c2, "phq-a", Tier.YELLOW, _d(t0, 4))
    await screened(c3, "gad-7", Tier.ORANGE, _d(t0, -5))
    await screened(c3, "gad-7", Tier.YELLOW, _d(t0, 2))
    await screened(c4, "gad-7", Tier.GREEN, _d(t0, -3))
    await screened(c4, "phq-a", Tier.ORANGE, _d(t0, 2, 2))
    await screened(c1, "phq-a", Tier.RED, _d(t0, 8))

    # Guardians: (name, service point, enrolment status, person status, created, last active)
    guardians = (
        ("g1", a.id, EnrolmentStatus.ACTIVE, PersonStatus.ACTIVE, -30, 2),
        ("g2", a.id, EnrolmentStatus.PAUSED, PersonStatus.ACTIVE, 1, 1),
        ("g3", b.id, EnrolmentStatus.ACTIVE, PersonStatus.INACTIVE, -10, -9),  # blocked us
        ("g4", a.id, EnrolmentStatus.STOPPED, PersonStatus.ACTIVE, -20, -15),
        ("g5", b.id, EnrolmentStatus.ACTIVE, PersonStatus.STOPPED, 3, 3),  # sent /stop
        ("g6", a.id, EnrolmentStatus.COMPLETED, PersonStatus.ACTIVE, -100, -2),
    )
    enrolment: dict[str, int] = {}
    async with uow() as u:
        for name, sp, status, person_status, created, active in guardians:
            p = await u.people.add(
                Person(
                    telegram_id=next(tg),
                    locale="zh_Hans",
                    code=new_person_code(),
                    role=Role.GUARDIAN,
                    service_point_id=sp,
                    status=person_status,
                )
            )
            assert p.id is not None
            s.ids[name] = p.id
            e = await u.enrolments.add(
                Enrolment(p.id, "guardian", 6, 19, "Asia/Shanghai", _d(t0, active), status=status)
            )
            assert e.id is not None
            enrolment[name] = e.id
            if name == "g1":  # the guardian's own WHO-5: no tier, and not about a child
                await u.screening.record(
                    p.id, p.id, {1: 1}, Result("who-5", 1, "test", 60), _d(t0, 3)
                )
            # Not a column the code sets: the row's insert time. Set here to be exact.
            await u.session.execute(
                update(EnrolmentRow)
                .where(EnrolmentRow.id == e.id)
                .values(created_at=_d(t0, created))
            )
        e = await u.enrolments.add(Enrolment(staff, "staff", 0, 9, "Asia/Shanghai", _d(t0, 1)))
        assert e.id is not None
        enrolment["s1"] = e.id

        def lesson(
            who: str,
            lesson_id: str,
            week: int,
            delivered: float | None,
            *,
            read: int = 0,
            answered: bool = False,
            checkin: str | None = None,
        ) -> Progress:
            at = None if delivered is None else _d(t0, delivered)
            return Progress(
                enrolment[who],
                lesson_id,
                1,
                week,
                scheduled_for=at or _d(t0, 5),
                delivered_at=at,
                parts_read=read,
                answered_at=_d(t0, 6, 23) if answered else None,
                task_shown_at=_d(t0, 6, 23) if answered else None,
                checkin_answer=checkin,
                checkin_answered_at=_d(t0, 8) if checkin else None,
            )

        # Lessons: delivered (days after T0), messages read, question answered, check-in.
        await u.progress.add_many(
            [
                lesson(
                    "g1", "guardian-noticing", 1, 0.5, read=2, answered=True, checkin="went_well"
                ),
                lesson("g2", "guardian-noticing", 1, 1.5, checkin="not_yet"),
                lesson("g3", "guardian-noticing", 1, 2, read=3, answered=True),
                lesson("g4", "guardian-noticing", 1, -2, read=1),  # before the week
                lesson("g6", "guardian-close-from-afar", 2, 6, read=1, checkin="not_easy"),
                lesson("g5", "guardian-close-from-afar", 2, None),  # queued, not delivered
                lesson("s1", "staff-recognising", 1, 1),
            ]
        )
        await u.commit()
    return s


# What the figures say about the week [T0, T0 + 7 days), as of its end, worked out by hand.
MIN = timedelta(minutes=1)
EXPECTED: dict[str, Any] = {
    "cases_by_tier": {"red": 2, "orange": 1, "yellow": 1, "green": 0},
    "cases_by_outcome": {"emergency": 1, "supported": 1, "referred": 1},
    # First responses 3 (red), 20 (orange), 30 (yellow) minutes; case 4 never answered.
    # Nearest rank: median = 2nd of 3 = 20, p90 = 3rd of 3 = 30; on time: 3 <= 5, 30 <= 60.
    "first_response_all": (3, 20 * MIN, 30 * MIN, 2, 1),  # (n, median, p90, within, unanswered)
    "first_response_red": (1, 3 * MIN, 3 * MIN, 1, 1),
    # Claims at 2, 10 and 25 (a hand-over) minutes; all within their tier's target.
    "claim_all": (3, 10 * MIN, 25 * MIN, 3, 1),
    "open_cases": 2,  # cases 2 and 4
    "overdue_cases": 1,  # case 4: red, unanswered for 23 hours
    "follow_ups": (2, 1, 2, 1),  # (open, overdue, due in the week, done in the week)
    "referrals_by_status": {"accepted": 1, "attended": 1, "suggested": 1},
    "screenings": {
        "gad-7": {"yellow": 1},
        "phq-a": {"green": 1, "orange": 2, "yellow": 1},
        "who-5": {"none": 1},
    },
    "worsened": 2,  # c1 (yellow -> orange across the week's start) and c2 (green -> yellow)
    # (enrolled, new, active, paused, stopped, completed, blocked, engaged)
    "guardians": (6, 2, 1, 1, 2, 1, 1, 3),
    # per lesson: (programme, lesson, delivered, opened, task_done, checkin_answered, answered)
    "funnel": [
        ("guardian", "guardian-noticing", 3, 2, 1, 2, 2),
        ("guardian", "guardian-close-from-afar", 1, 1, 1, 1, 0),
        ("staff", "staff-recognising", 1, 0, 0, 0, 0),
    ],
    # Per local day, Monday first.
    "series_cases": [
        {},
        {"red": 1},
        {"orange": 1, "yellow": 1},
        {},
        {},
        {},
        {"red": 1},
    ],
    "series_lessons": [1, 2, 1, 0, 0, 0, 1],
    "series_screenings": [0, 2, 2, 1, 1, 0, 0],
}
# The same for service point A (c1, c2, c4; g1, g2, g4, g6) and B (c3; g3, g5).
EXPECTED_A: dict[str, Any] = {
    "cases_by_tier": {"red": 2, "orange": 1, "yellow": 0, "green": 0},
    "cases_by_outcome": {"emergency": 1, "supported": 1},
    "open_overdue": (2, 1),
    "follow_ups": (1, 1, 2, 1),
    "referrals_by_status": {"accepted": 1, "suggested": 1},
    "screenings": {"phq-a": {"green": 1, "orange": 2, "yellow": 1}, "who-5": {"none": 1}},
    "worsened": 2,
    "guardians": (4, 1, 1, 1, 1, 1, 0, 2),
    "funnel_total": (3, 2, 2, 3, 1),  # (delivered, opened, task_done, checkin, answered)
}
EXPECTED_B: dict[str, Any] = {
    "cases_by_tier": {"red": 0, "orange": 0, "yellow": 1, "green": 0},
    "cases_by_outcome": {"referred": 1},
    "open_overdue": (0, 0),
    "follow_ups": (1, 0, 0, 0),
    "referrals_by_status": {"attended": 1},
    "screenings": {"gad-7": {"yellow": 1}},
    "worsened": 0,
    "guardians": (2, 1, 0, 0, 1, 0, 1, 1),
    "funnel_total": (1, 1, 0, 0, 1),
}


class _NoCharts:
    def week_chart(self, figures: Figures, locale: str) -> bytes:
        return b""


def figures_service(
    uow: SqlUnitOfWorkFactory, now: datetime, charts: ChartRenderer | None = None
) -> Oversight:
    """The Oversight service as far as figures go (no staff chats, no sending)."""
    return Oversight(
        uow,
        FixedClock(now),
        charts or _NoCharts(),
        cast(Any, None),  # casework: only `/stats` asks it who is staff
        Board("zh_Hans"),
        Targets(),  # 5 / 15 / 60 / 1440 minutes
        DigestPolicy(timezone="Asia/Shanghai"),
    )


async def _picture() -> bytes:
    """Seed a fresh SQLite database and draw the week's chart, as the digest would."""
    from zoneinfo import ZoneInfo

    from bot.catalog import load_catalog
    from bot.catalog.charts import PillowCharts
    from bot.db import migrate
    from bot.db.engine import make_engine, make_sessionmaker
    from bot.domain.oversight import Period
    from content import CONTENT_DIR

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/seed.db")
        await migrate.upgrade(engine)
        uow = SqlUnitOfWorkFactory(make_sessionmaker(engine))
        await seed(uow)
        tz = ZoneInfo("Asia/Shanghai")
        period = Period.week_before(T0 + timedelta(days=7, hours=9), tz)
        figures = await figures_service(uow, period.end).figures(period)
        catalog = load_catalog(CONTENT_DIR, ["zh_Hans", "en"], "zh_Hans")
        await engine.dispose()
        return PillowCharts(catalog, "Asia/Shanghai").week_chart(figures, "zh_Hans")


# The seed laid into the week before the last digest, for the end-to-end tests.
TZ = ZoneInfo("Asia/Shanghai")
CASES_CHAT = -100777  # the seeded cases live elsewhere: their posts stay out of this chat


async def seeded_week(world: World) -> tuple[datetime, Period]:
    """Last Monday 09:00 (local) and the week before it, with the seed laid in that week."""
    slot = last_slot(world.clock.now(), 0, 9, TZ)
    period = Period.week_before(slot, TZ)
    await seed(world.uow, t0=period.start, chat=CASES_CHAT)
    return slot, period


if __name__ == "__main__":
    Path(sys.argv[1] if len(sys.argv) > 1 else "docs/digest.png").write_bytes(
        asyncio.run(_picture())
    )
