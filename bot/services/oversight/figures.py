"""The figures for a period and a service point, counted from a dozen aggregate statements
(bot/db/oversight_repo.py, nothing per person) into one `Figures` value: what the digest, the
chart, `/stats` and the dashboard all show."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.cases import Tier
from bot.domain.oversight import Figures, Period, buckets, by_tier, response_times, series_of
from bot.ports import UnitOfWork


async def count_figures(
    uow: UnitOfWork,
    period: Period,
    service_point_id: int | None,
    *,
    now: datetime,
    tz: ZoneInfo,
    targets: Mapping[Tier, timedelta],
) -> Figures:
    """The period's figures as of its end, or as of now while it runs."""
    sp = service_point_id
    repo = uow.oversight
    as_of = min(period.end, now)
    cuts = buckets(period, tz)
    timings = await repo.case_timings(period, sp)
    response, response_all = response_times(timings, targets, lambda c: c.first_response_at)
    claim, claim_all = response_times(timings, targets, lambda c: c.claimed_at)
    open_cases, overdue = await repo.open_cases(as_of, targets, sp)
    follow_ups = await repo.follow_ups(period, as_of, sp)
    screenings: dict[str, dict[str, int]] = {}
    for (instrument, tier), n in sorted((await repo.screenings(period, sp)).items()):
        screenings.setdefault(instrument, {})[tier] = n
    return Figures(
        period=period,
        as_of=as_of,
        service_point_id=sp,
        step=cuts.step,
        cases_by_tier=by_tier(timings),
        cases_by_outcome=dict(await repo.outcomes(period, sp)),
        first_response=response,
        first_response_all=response_all,
        claim=claim,
        claim_all=claim_all,
        open_cases=open_cases,
        overdue_cases=overdue,
        follow_ups_open=follow_ups.open,
        follow_ups_overdue=follow_ups.overdue,
        follow_ups_due=follow_ups.due,
        follow_ups_done=follow_ups.done,
        referrals_by_status=dict(await repo.referrals(period, sp)),
        screenings=screenings,
        worsened=await repo.worsened(period, sp),
        guardians=await repo.guardians(period, sp),
        funnel=tuple(await repo.funnel(period, sp)),
        series=series_of(
            cuts,
            timings,
            await repo.lessons_per_bucket(period, cuts.edges, sp),
            await repo.screenings_per_bucket(period, cuts.edges, sp),
        ),
    )
