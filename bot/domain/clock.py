"""Time helpers: everything is stored in UTC and shown in the person's zone."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Naive datetimes from SQLite are UTC by our own convention."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """An ISO-8601 date or instant as an operator types it; naive means UTC. Raises
    ValueError for anything else."""
    return as_utc(datetime.fromisoformat(text))


class SystemClock:
    def now(self) -> datetime:
        return utcnow()
