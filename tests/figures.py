"""Made-up oversight figures for the chart, the spreadsheet and the dashboard's pages:
what the oversight service would assemble from a few dozen cases spread over a period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.cases import Targets, Tier
from bot.domain.oversight import (
    CaseTiming,
    Figures,
    FunnelRow,
    GuardianCounts,
    Period,
    buckets,
    by_tier,
    response_times,
    series_of,
)

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


def make_figures(period: Period, cases: int = 23, scale: int = 1) -> Figures:
    """Figures as the service assembles them, from made-up cases spread over the period."""
    cuts = buckets(period, TZ)
    tiers = list(Tier)
    span = period.length / max(1, cases)
    timings = [
        CaseTiming(
            tiers[i % 4],
            period.start + span * i,
            period.start + span * i + timedelta(minutes=3 + 7 * i),
            period.start + span * i + timedelta(minutes=2),
        )
        for i in range(cases)
    ]
    targets = Targets().first_response
    response, response_all = response_times(timings, targets, lambda c: c.first_response_at)
    claim, claim_all = response_times(timings, targets, lambda c: c.claimed_at)
    return Figures(
        period=period,
        as_of=min(period.end, NOW),
        service_point_id=None,
        step=cuts.step,
        cases_by_tier=by_tier(timings),
        cases_by_outcome={"supported": 3},
        first_response=response,
        first_response_all=response_all,
        claim=claim,
        claim_all=claim_all,
        open_cases=4 * scale,
        overdue_cases=scale,
        follow_ups_open=5 * scale,
        follow_ups_overdue=2 * scale,
        follow_ups_due=3 * scale,
        follow_ups_done=scale,
        referrals_by_status={"accepted": 1},
        screenings={"phq-a": {"red": scale, "green": 7 * scale}},
        worsened=scale,
        guardians=GuardianCounts(enrolled=128 * scale, new=9, active=112 * scale, engaged=70),
        funnel=(
            FunnelRow(
                "guardian-noticing",
                96 * scale,
                71 * scale,
                30 * scale,
                41 * scale,
                55,
                "guardian",
                1,
            ),
            FunnelRow("staff-recognising", 5, 5, 5, 5, 5, "staff", 1),
        ),
        series=series_of(cuts, timings, {}, {}),
    )
