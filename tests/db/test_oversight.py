"""Oversight figures on SQLite and PostgreSQL, against values worked out by hand
(tests/oversight_seed.py says how each one follows from the seeded rows)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.db.models import OutboxRow
from bot.db.uow import SqlUnitOfWorkFactory
from bot.domain.cases import Targets, Tier, Trigger
from bot.domain.outbox import Photo
from bot.domain.oversight import Durations, Figures, Period, Step
from bot.domain.people import Person, Role, new_person_code
from bot.services.board import Board
from bot.services.oversight import DIGEST_KIND, DigestPolicy, Oversight
from tests.oversight_seed import EXPECTED, EXPECTED_A, EXPECTED_B, T0, figures_service, seed
from tests.support import FixedClock

TZ = ZoneInfo("Asia/Shanghai")
WEEK = Period(T0, T0 + timedelta(days=7))
AFTER = T0 + timedelta(days=9)  # the figures are asked for two days after the week


def _durations(d: Durations) -> tuple[Any, ...]:
    return (d.n, d.median, d.p90, d.within_target, d.unanswered)


def _guardians(f: Figures) -> tuple[int, ...]:
    g = f.guardians
    return (g.enrolled, g.new, g.active, g.paused, g.stopped, g.completed, g.blocked, g.engaged)


def _follow_ups(f: Figures) -> tuple[int, ...]:
    return (f.follow_ups_open, f.follow_ups_overdue, f.follow_ups_due, f.follow_ups_done)


def _funnel_total(f: Figures) -> tuple[int, ...]:
    t = f.funnel_total("guardian")
    return (t.delivered, t.opened, t.task_done, t.checkin_answered, t.answered)


async def test_the_weeks_figures_match_the_hand_computed_ones(uow: SqlUnitOfWorkFactory) -> None:
    await seed(uow)
    f = await figures_service(uow, AFTER).figures(WEEK)
    assert f.as_of == WEEK.end and f.step is Step.DAY
    assert f.cases_by_tier == EXPECTED["cases_by_tier"]
    assert f.cases_total == 4
    assert f.cases_by_outcome == EXPECTED["cases_by_outcome"]
    assert _durations(f.first_response_all) == EXPECTED["first_response_all"]
    assert f.first_response_all.share_within == 0.5  # 2 of 4, the unanswered one missed
    assert _durations(f.first_response[Tier.RED.value]) == EXPECTED["first_response_red"]
    assert f.first_response[Tier.RED.value].target == timedelta(minutes=5)
    assert f.first_response[Tier.GREEN.value].n == 0
    assert f.first_response[Tier.GREEN.value].median is None
    assert _durations(f.claim_all) == EXPECTED["claim_all"]
    assert (f.open_cases, f.overdue_cases) == (EXPECTED["open_cases"], EXPECTED["overdue_cases"])
    assert _follow_ups(f) == EXPECTED["follow_ups"]
    assert f.referrals_by_status == EXPECTED["referrals_by_status"]
    assert f.screenings == EXPECTED["screenings"]
    assert f.screenings_total == 6
    assert f.worsened == EXPECTED["worsened"]
    assert _guardians(f) == EXPECTED["guardians"]
    funnel = [
        (r.programme, r.lesson, r.delivered, r.opened, r.task_done, r.checkin_answered, r.answered)
        for r in f.funnel
    ]
    assert funnel == EXPECTED["funnel"]
    assert [dict(p.cases) for p in f.series] == [
        {"red": 0, "orange": 0, "yellow": 0, "green": 0, **day} for day in EXPECTED["series_cases"]
    ]
    assert [p.lessons for p in f.series] == EXPECTED["series_lessons"]
    assert [p.screenings for p in f.series] == EXPECTED["series_screenings"]
    assert [p.day.isoformat() for p in f.series][0::6] == ["2026-02-23", "2026-03-01"]


async def test_a_service_point_sees_only_its_own_people(uow: SqlUnitOfWorkFactory) -> None:
    s = await seed(uow)
    service = figures_service(uow, AFTER)
    for sp, expected in ((s.sp_a, EXPECTED_A), (s.sp_b, EXPECTED_B)):
        f = await service.figures(WEEK, sp)
        assert f.service_point_id == sp
        assert f.cases_by_tier == expected["cases_by_tier"]
        assert f.cases_by_outcome == expected["cases_by_outcome"]
        assert (f.open_cases, f.overdue_cases) == expected["open_overdue"]
        assert _follow_ups(f) == expected["follow_ups"]
        assert f.referrals_by_status == expected["referrals_by_status"]
        assert f.screenings == expected["screenings"]
        assert f.worsened == expected["worsened"]
        assert _guardians(f) == expected["guardians"]
        assert _funnel_total(f) == expected["funnel_total"]
    b = await service.figures(WEEK, s.sp_b)
    assert _durations(b.first_response_all) == (
        1,
        timedelta(minutes=30),
        timedelta(minutes=30),
        1,
        0,
    )
    assert all(row.programme == "guardian" for row in b.funnel)  # staff belong to no point


async def test_an_empty_period_has_zeros_and_no_times(uow: SqlUnitOfWorkFactory) -> None:
    await seed(uow)
    empty = Period.parse("2025-01", T0, "Asia/Shanghai")
    f = await figures_service(uow, AFTER).figures(empty)
    assert f.cases_total == 0 and f.cases_by_outcome == {}
    assert _durations(f.first_response_all) == (0, None, None, 0, 0)
    assert f.first_response_all.share_within is None
    assert (f.open_cases, f.overdue_cases) == (0, 0)
    assert _follow_ups(f) == (0, 0, 0, 0)
    assert f.screenings == {} and f.worsened == 0 and f.funnel == ()
    assert len(f.series) == 31 and not any(p.lessons or sum(p.cases.values()) for p in f.series)
    # Enrolment states are as they stand now: the guardians are there, none new or engaged.
    assert _guardians(f)[:2] == (6, 0) and f.guardians.engaged == 0


async def test_one_case_is_its_own_median_and_90th_percentile(
    uow: SqlUnitOfWorkFactory,
) -> None:
    async with uow() as u:
        child = Person(telegram_id=1, locale="zh_Hans", code=new_person_code(), role=Role.CHILD)
        p = await u.people.add(child)
        assert p.id is not None
        opened = T0 + timedelta(hours=1)
        case, _ = await u.cases.open(p.id, -1, Tier.ORANGE, Trigger.REQUEST, [], [], opened)
        await u.cases.update(case.id, first_response_at=T0 + timedelta(hours=1, minutes=16))
        await u.commit()
    f = await figures_service(uow, AFTER).figures(WEEK)
    one = f.first_response_all
    assert _durations(one) == (1, timedelta(minutes=16), timedelta(minutes=16), 0, 0)
    assert f.first_response["orange"].target == timedelta(minutes=15)  # missed by a minute
    assert f.claim_all.n == 0 and f.claim_all.unanswered == 1


async def test_a_month_is_cut_into_weeks_and_a_year_into_months(
    uow: SqlUnitOfWorkFactory,
) -> None:
    await seed(uow)
    service = figures_service(uow, AFTER)
    quarter = Period.parse("2026-01-01..2026-03-31", AFTER, "Asia/Shanghai")
    f = await service.figures(quarter)
    assert f.step is Step.WEEK and len(f.series) == 13
    assert sum(sum(p.cases.values()) for p in f.series) == f.cases_total == 6
    assert sum(p.lessons for p in f.series) == 6  # the one before the week too
    year = await service.figures(Period.parse("2025-04-01..2026-03-31", AFTER, "Asia/Shanghai"))
    assert year.step is Step.MONTH and len(year.series) == 12
    assert sum(p.screenings for p in year.series) == year.screenings_total == 10


async def test_the_weekly_digest_is_queued_once_per_chat_and_week(
    uow: SqlUnitOfWorkFactory,
) -> None:
    s = await seed(uow, chat_a=-2001)  # service point A has its own staff chat; B has none
    monday_nine = T0 + timedelta(days=7, hours=9)  # Monday 2026-03-02 09:00 in Shanghai
    clock = FixedClock(monday_nine - timedelta(minutes=1))
    oversight = _oversight(
        uow, clock, DigestPolicy(weekday=0, hour=9, timezone="Asia/Shanghai", main_chat=-1000)
    )
    # 08:59: too early for this week's, and last Monday's is a week old.
    assert await oversight.queue_weekly(clock.now()) == 0
    async with uow() as u:
        assert await _digests(u) == []
    assert await oversight.queue_weekly(monday_nine) == 2
    assert await oversight.queue_weekly(monday_nine + timedelta(minutes=5)) == 0  # same week
    assert await oversight.queue_weekly(monday_nine + timedelta(hours=13)) == 0  # too late
    async with uow() as u:
        rows = await _digests(u)
    assert sorted(chat for chat, _, _ in rows) == [-2001, -1000]
    assert {key for _, key, _ in rows} == {"digest:-1000:2026-W10", "digest:-2001:2026-W10"}
    payloads = {chat: payload for chat, _, payload in rows}
    assert payloads[-1000]["sp"] is None and payloads[-2001]["sp"] == s.sp_a
    assert payloads[-1000]["start"] == WEEK.start.isoformat()
    assert payloads[-1000]["end"] == WEEK.end.isoformat()
    # A week later: the next week's digest, once more per chat.
    assert await oversight.queue_weekly(monday_nine + timedelta(days=7, hours=2)) == 2


async def test_the_digest_row_composes_a_chart_and_its_caption(
    uow: SqlUnitOfWorkFactory,
) -> None:
    s = await seed(uow)
    charts = _Charts()
    oversight = _oversight(uow, FixedClock(AFTER), DigestPolicy(timezone="Asia/Shanghai"), charts)
    payload = {
        "start": WEEK.start.isoformat(),
        "end": WEEK.end.isoformat(),
        "sp": s.sp_a,
        "locale": "en",
        "weekly": True,
    }
    photo = await oversight.compose(uow, DIGEST_KIND, payload)
    assert isinstance(photo, Photo) and photo.image == b"PNG"
    assert charts.drawn == [("en", s.sp_a)]
    assert photo.caption is not None and photo.caption.template == "oversight/digest"
    data = photo.caption.data
    assert data["place"] == "城关镇儿童之家" and data["weekly"] is True
    assert (data["first"], data["last"]) == ("2026-02-23", "2026-03-01")
    assert data["cases"] == 3 and data["overdue"] == 1 and data["worsened"] == 2
    assert (data["delivered"], data["opened"], data["checked_in"], data["tried"]) == (3, 2, 3, 2)
    assert await oversight.compose(uow, DIGEST_KIND, {"start": "yesterday"}) is None


class _Charts:
    def __init__(self) -> None:
        self.drawn: list[tuple[str, int | None]] = []

    def week_chart(self, figures: Figures, locale: str) -> bytes:
        self.drawn.append((locale, figures.service_point_id))
        return b"PNG"


def _oversight(
    uow: SqlUnitOfWorkFactory, clock: FixedClock, policy: DigestPolicy, charts: Any = None
) -> Oversight:
    casework = cast(Any, None)  # only `/stats` asks who is staff; the e2e tests cover it
    return Oversight(
        uow, clock, charts or _Charts(), casework, Board("zh_Hans"), Targets(), policy
    )


async def _digests(u: Any) -> list[tuple[int, str, dict[str, Any]]]:
    rows = await u.session.execute(
        select(OutboxRow.chat_id, OutboxRow.key, OutboxRow.payload).where(
            OutboxRow.kind == DIGEST_KIND
        )
    )
    return [(int(c), str(k), dict(p)) for c, k, p in rows]
