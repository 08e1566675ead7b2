"""Prometheus-style `/metrics` for the webhook server: counts and depths, never anyone's data.

Written by hand in the text exposition format (a dozen lines) rather than with a client
library: one dependency fewer, and every figure is read fresh from the database or the
process when it is scraped.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.cases import CaseStatus, Tier
from bot.domain.outbox import Priority
from bot.ports import UnitOfWorkFactory

BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class HandlerMetrics:
    """Updates handled and how long each took, as the inbox sees them."""

    handled: dict[str, int] = field(default_factory=lambda: {"ok": 0, "failed": 0})
    counts: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    total_seconds: float = 0.0

    def observe(self, seconds: float, ok: bool) -> None:
        self.handled["ok" if ok else "failed"] += 1
        self.counts[bisect.bisect_left(BUCKETS, seconds)] += 1
        self.total_seconds += seconds

    def lines(self) -> list[str]:
        out = [
            "# HELP xinqiao_updates_handled_total Updates handled, by result.",
            "# TYPE xinqiao_updates_handled_total counter",
            *(
                f'xinqiao_updates_handled_total{{result="{k}"}} {v}'
                for k, v in self.handled.items()
            ),
            "# HELP xinqiao_handler_seconds Time from taking an update to finishing it.",
            "# TYPE xinqiao_handler_seconds histogram",
        ]
        running = 0
        for bound, n in zip((*BUCKETS, float("inf")), self.counts, strict=True):
            running += n
            le = "+Inf" if bound == float("inf") else repr(bound)
            out.append(f'xinqiao_handler_seconds_bucket{{le="{le}"}} {running}')
        out += [
            f"xinqiao_handler_seconds_sum {self.total_seconds:.6f}",
            f"xinqiao_handler_seconds_count {running}",
        ]
        return out


async def exposition(
    uow: UnitOfWorkFactory,
    handlers: HandlerMetrics,
    sends: Mapping[str, int],
    leading: bool,
    now: datetime,
    *,
    instances: int = 1,
    budget_per_s: float = 0.0,
) -> str:
    """The whole `/metrics` page."""
    async with uow() as u:
        depth = await u.outbox.pending_by_priority()
        cases = await u.cases.all_open()
        inbox = await u.inbox.counts()
    waiting = [c for c in cases if c.status is CaseStatus.WAITING]
    oldest = max((c.waiting(now).total_seconds() for c in waiting), default=0.0)
    lines = [
        *handlers.lines(),
        "# HELP xinqiao_inbox_updates Stored updates, by state.",
        "# TYPE xinqiao_inbox_updates gauge",
        *(
            f'xinqiao_inbox_updates{{state="{s}"}} {inbox.get(s, 0)}'
            for s in ("received", "handling", "failed")
        ),
        "# HELP xinqiao_outbox_depth Messages waiting to be sent, by priority.",
        "# TYPE xinqiao_outbox_depth gauge",
        *(
            f'xinqiao_outbox_depth{{priority="{p.name.lower()}"}} {depth.get(p.value, 0)}'
            for p in Priority
        ),
        "# HELP xinqiao_sends_total Messages the outbox sent, by result.",
        "# TYPE xinqiao_sends_total counter",
        *(f'xinqiao_sends_total{{result="{k}"}} {v}' for k, v in sorted(sends.items())),
        "# HELP xinqiao_cases_waiting Cases waiting for a counsellor, by tier.",
        "# TYPE xinqiao_cases_waiting gauge",
        *(
            f'xinqiao_cases_waiting{{tier="{t.value}"}} {sum(1 for c in waiting if c.tier is t)}'
            for t in Tier
        ),
        "# HELP xinqiao_oldest_waiting_case_seconds How long the oldest waiting case has waited.",
        "# TYPE xinqiao_oldest_waiting_case_seconds gauge",
        f"xinqiao_oldest_waiting_case_seconds {oldest:.0f}",
        "# HELP xinqiao_scheduler_leading 1 if this instance runs the scheduled jobs.",
        "# TYPE xinqiao_scheduler_leading gauge",
        f"xinqiao_scheduler_leading {int(leading)}",
        "# HELP xinqiao_instances_live Instances of this bot alive on the shared database.",
        "# TYPE xinqiao_instances_live gauge",
        f"xinqiao_instances_live {instances}",
        "# HELP xinqiao_send_budget_per_second This instance's part of the global send limit.",
        "# TYPE xinqiao_send_budget_per_second gauge",
        f"xinqiao_send_budget_per_second {budget_per_s:g}",
    ]
    return "\n".join(lines) + "\n"
