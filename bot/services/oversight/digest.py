"""The digest as an outbox row: what the row holds (the period, the service point and the
language, never the figures), and what its caption says once the figures are counted.

A digest is one outbox row per staff chat; its composer counts the figures and draws the chart
when the row's turn comes. So a restart or a retry sends what the database says then, the PNG
is never stored, and the unique key (chat, ISO week) makes one weekly digest per chat whatever
the restarts or instances.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.outbox import NewMessage, Priority
from bot.domain.oversight import TIERS, Figures, Period, duration_parts

DIGEST_KIND = "digest"
# A digest missed by more than this (the bot was down all morning and afternoon) waits for
# next week: last week's figures arriving on Thursday would only confuse.
GRACE = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class DigestPolicy:
    weekday: int | None = 0  # 0 = Monday; None: no weekly digest
    hour: int = 9
    timezone: str = "Asia/Shanghai"
    # The main staff chat sees every service point; a service point's own chat sees its own.
    main_chat: int | None = None


@dataclass(frozen=True, slots=True)
class DigestRow:
    """What a digest row holds: enough to count and draw it when its turn comes."""

    period: Period
    service_point_id: int | None
    locale: str
    weekly: bool

    def message(
        self, key: str, chat_id: int, thread_id: int | None, priority: Priority, now: datetime
    ) -> NewMessage:
        return NewMessage(
            key=key,
            chat_id=chat_id,
            thread_id=thread_id,
            kind=DIGEST_KIND,
            priority=priority,
            locale=self.locale,
            due_at=now,
            payload={
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
                "sp": self.service_point_id,
                # The composer sees the payload, not the row: the chart's language goes here.
                "locale": self.locale,
                "weekly": self.weekly,
            },
        )

    @staticmethod
    def read(payload: Mapping[str, object], default_locale: str) -> DigestRow | None:
        """The row back from its payload; None for a mangled one."""
        try:
            period = Period(
                datetime.fromisoformat(str(payload["start"])),
                datetime.fromisoformat(str(payload["end"])),
            )
            raw_sp = payload.get("sp")
            sp = int(str(raw_sp)) if raw_sp is not None else None
        except (KeyError, TypeError, ValueError):
            return None
        locale = str(payload.get("locale") or default_locale)
        return DigestRow(period, sp, locale, bool(payload.get("weekly")))


def _duration(value: timedelta | None) -> dict[str, str] | None:
    if value is None:
        return None
    n, unit = duration_parts(value)
    return {"n": n, "unit": unit}


def digest_data(
    figures: Figures, tz: ZoneInfo, place: str = "", weekly: bool = False
) -> dict[str, Any]:
    """What the digest's few lines say (content/templates/oversight/digest.j2)."""
    period = figures.period
    response = figures.first_response_all
    share = response.share_within_answered
    funnel = figures.funnel_total("guardian")
    return {
        "weekly": weekly,
        "first": period.first_day(tz).isoformat(),
        "last": period.last_day(tz).isoformat(),
        "place": place,
        "cases": figures.cases_total,
        "tiers": [
            {"icon": t.icon, "tier": t.value, "n": figures.cases_by_tier.get(t.value, 0)}
            for t in TIERS
        ],
        "answered": response.n,
        "median": _duration(response.median),
        "p90": _duration(response.p90),
        "within": None if share is None else round(share * 100),
        "on_time": response.within_target,
        "unanswered": response.unanswered,
        "open": figures.open_cases,
        "overdue": figures.overdue_cases,
        "fu_due": figures.follow_ups_due,
        "fu_overdue": figures.follow_ups_overdue,
        "screenings": figures.screenings_total,
        "worsened": figures.worsened,
        "guardians": figures.guardians.enrolled,
        "active": figures.guardians.active,
        "new": figures.guardians.new,
        "delivered": funnel.delivered,
        "opened": funnel.opened,
        "checked_in": funnel.checkin_answered,
        "tried": funnel.task_done,
    }
