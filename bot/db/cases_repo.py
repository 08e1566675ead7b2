"""Cases, their history, referrals and follow-ups in SQL.

Claims are one conditional UPDATE: on SQLite the single writer serialises them, on PostgreSQL
the row lock makes a second UPDATE re-check `status = 'waiting'` after the first commits, so
exactly one counsellor wins either way (docs/DOMAIN.md §3).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Table, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CaseEventRow, CaseMessageRow, CaseRow, FollowUpRow, ReferralRow
from bot.domain.cases import (
    Case,
    CaseStatus,
    CloseOutcome,
    EventKind,
    ReferralStatus,
    Tier,
    Trigger,
    case_code,
)
from bot.ports import CaseMessage, FollowUp, Referral

OPEN = (CaseStatus.WAITING.value, CaseStatus.CLAIMED.value)


# The hottest read (every message: is there an open case?) skips the ORM's loading.
_CASES = cast(Table, CaseRow.__table__)


def _case(row: CaseRow | Row[Any]) -> Case:
    return Case(
        id=row.id,
        code=case_code(row.id),
        person_id=row.person_id,
        tier=Tier(row.tier),
        status=CaseStatus(row.status),
        trigger=Trigger(row.trigger),
        categories=tuple(c for c in row.categories.split(",") if c),
        opened_at=row.opened_at,
        staff_chat_id=row.staff_chat_id,
        topic_id=row.topic_id,
        claimed_by=row.claimed_by,
        claimed_at=row.claimed_at,
        first_response_at=row.first_response_at,
        last_staff_at=row.last_staff_at,
        last_person_at=row.last_person_at,
        alert_level=row.alert_level,
        closed_at=row.closed_at,
        outcome=CloseOutcome(row.outcome) if row.outcome else None,
        evidence=tuple(row.evidence or ()),
    )


def _referral(row: ReferralRow) -> Referral:
    return Referral(
        row.id,
        row.case_id,
        row.resource_id,
        ReferralStatus(row.status),
        row.created_at,
        row.updated_at,
    )


def _follow_up(row: FollowUpRow) -> FollowUp:
    return FollowUp(
        row.id, row.case_id, row.assignee_id, row.due_at, row.note, row.reminded_at, row.done_at
    )


def _fields(fields: dict[str, object]) -> dict[str, object]:
    """Enum values to their stored form; a tier change carries its sort rank along."""
    out = {
        k: (v.value if isinstance(v, Tier | CaseStatus | CloseOutcome) else v)
        for k, v in fields.items()
    }
    tier = fields.get("tier")
    if isinstance(tier, Tier):
        out["tier_rank"] = tier.rank
    return out


class SqlCaseRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def by_id(self, case_id: int) -> Case | None:
        row = await self.s.get(CaseRow, case_id, populate_existing=True)
        return _case(row) if row else None

    async def open_for(self, person_id: int) -> Case | None:
        found = await self.s.execute(
            select(_CASES).where(_CASES.c.person_id == person_id, _CASES.c.status.in_(OPEN))
        )
        row = found.first()
        return _case(row) if row else None

    async def by_topic(self, staff_chat_id: int, topic_id: int) -> Case | None:
        row = await self.s.scalar(
            select(CaseRow)
            .where(CaseRow.staff_chat_id == staff_chat_id, CaseRow.topic_id == topic_id)
            .order_by(CaseRow.id.desc())
            .limit(1)
        )
        return _case(row) if row else None

    async def open(
        self,
        person_id: int,
        staff_chat_id: int,
        tier: Tier,
        trigger: Trigger,
        categories: Sequence[str],
        evidence: Sequence[str],
        now: datetime,
    ) -> tuple[Case, bool]:
        existing = await self.open_for(person_id)
        if existing is not None:
            return existing, False
        row = CaseRow(
            person_id=person_id,
            staff_chat_id=staff_chat_id,
            tier=tier.value,
            tier_rank=tier.rank,
            status=CaseStatus.WAITING.value,
            trigger=trigger.value,
            categories=",".join(categories)[:200],
            evidence=list(evidence)[:10],
            opened_at=now,
            last_person_at=now,
            alert_level=0,
        )
        try:
            async with self.s.begin_nested():
                self.s.add(row)
                await self.s.flush()
        except IntegrityError:  # another message from the same person opened it first
            found = await self.open_for(person_id)
            if found is None:
                raise
            return found, False
        return _case(row), True

    async def update(self, case_id: int, **fields: object) -> None:
        await self.s.execute(
            update(CaseRow).where(CaseRow.id == case_id).values(**_fields(fields))
        )

    async def set_status(self, case_id: int, expected: CaseStatus, **fields: object) -> bool:
        result = await self.s.execute(
            update(CaseRow)
            .where(CaseRow.id == case_id, CaseRow.status == expected.value)
            .values(**_fields(fields))
        )
        return bool(getattr(result, "rowcount", 0))

    async def held_by(self, staff_id: int) -> int:
        n = await self.s.scalar(
            select(func.count())
            .select_from(CaseRow)
            .where(CaseRow.claimed_by == staff_id, CaseRow.status == CaseStatus.CLAIMED.value)
        )
        return int(n or 0)

    async def claim(
        self, case_id: int, staff_id: int, now: datetime, max_claims: int
    ) -> tuple[bool, Case | None]:
        if await self.held_by(staff_id) >= max_claims:
            return False, await self.by_id(case_id)
        won = await self.set_status(
            case_id,
            CaseStatus.WAITING,
            status=CaseStatus.CLAIMED,
            claimed_by=staff_id,
            claimed_at=now,
        )
        return won, await self.by_id(case_id)

    def _queue(self, staff_chat_id: int) -> Any:
        return (
            select(CaseRow)
            .where(CaseRow.staff_chat_id == staff_chat_id)
            .order_by(CaseRow.tier_rank.desc(), CaseRow.opened_at, CaseRow.id)
        )

    async def next_waiting(self, staff_chat_id: int) -> Case | None:
        row = await self.s.scalar(
            self._queue(staff_chat_id)
            .where(CaseRow.status == CaseStatus.WAITING.value)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        return _case(row) if row else None

    async def queue(self, staff_chat_id: int) -> Sequence[Case]:
        rows = (
            await self.s.scalars(self._queue(staff_chat_id).where(CaseRow.status.in_(OPEN)))
        ).all()
        cases = [_case(r) for r in rows]
        return [c for c in cases if c.status is CaseStatus.WAITING] + [
            c for c in cases if c.status is CaseStatus.CLAIMED
        ]

    async def all_open(self) -> Sequence[Case]:
        rows = await self.s.scalars(select(CaseRow).where(CaseRow.status.in_(OPEN)))
        return [_case(r) for r in rows]

    async def ids_for(self, person_id: int) -> Sequence[int]:
        rows = await self.s.scalars(
            select(CaseRow.id).where(CaseRow.person_id == person_id).order_by(CaseRow.id)
        )
        return list(rows)

    async def follow_ups_of(self, person_id: int) -> Sequence[FollowUp]:
        rows = await self.s.scalars(
            select(FollowUpRow)
            .join(CaseRow, CaseRow.id == FollowUpRow.case_id)
            .where(CaseRow.person_id == person_id)
            .order_by(FollowUpRow.due_at)
        )
        return [_follow_up(r) for r in rows]

    async def log(
        self,
        case_id: int,
        kind: EventKind,
        now: datetime,
        actor_id: int | None = None,
        **data: object,
    ) -> None:
        self.s.add(
            CaseEventRow(case_id=case_id, at=now, kind=kind.value, actor_id=actor_id, data=data)
        )
        await self.s.flush()

    async def events(
        self, case_id: int
    ) -> Sequence[tuple[datetime, EventKind, int | None, dict[str, object]]]:
        rows = await self.s.scalars(
            select(CaseEventRow).where(CaseEventRow.case_id == case_id).order_by(CaseEventRow.id)
        )
        return [(r.at, EventKind(r.kind), r.actor_id, dict(r.data or {})) for r in rows]

    async def add_message(self, case_id: int, message: CaseMessage) -> None:
        self.s.add(
            CaseMessageRow(
                case_id=case_id,
                at=message.at,
                direction=message.direction,
                author_id=message.author_id,
                body=message.body,
                media=message.media,
            )
        )
        await self.s.flush()

    async def messages(self, case_id: int) -> Sequence[CaseMessage]:
        rows = await self.s.scalars(
            select(CaseMessageRow)
            .where(CaseMessageRow.case_id == case_id)
            .order_by(CaseMessageRow.id)
        )
        return [CaseMessage(r.at, r.direction, r.author_id, r.body, r.media) for r in rows]

    async def refer(self, case_id: int, resource_id: str, by: int, now: datetime) -> Referral:
        row = ReferralRow(
            case_id=case_id,
            resource_id=resource_id,
            status=ReferralStatus.SUGGESTED.value,
            created_by=by,
            created_at=now,
            updated_at=now,
        )
        self.s.add(row)
        await self.s.flush()
        return _referral(row)

    async def referral(self, referral_id: int) -> Referral | None:
        row = await self.s.get(ReferralRow, referral_id, populate_existing=True)
        return _referral(row) if row else None

    async def set_referral(self, referral_id: int, status: ReferralStatus, now: datetime) -> None:
        await self.s.execute(
            update(ReferralRow)
            .where(ReferralRow.id == referral_id)
            .values(status=status.value, updated_at=now)
        )

    async def referrals(self, case_id: int) -> Sequence[Referral]:
        rows = await self.s.scalars(
            select(ReferralRow).where(ReferralRow.case_id == case_id).order_by(ReferralRow.id)
        )
        return [_referral(r) for r in rows]

    async def add_follow_up(
        self, case_id: int, assignee_id: int, due_at: datetime, note: str, by: int, now: datetime
    ) -> FollowUp:
        row = FollowUpRow(
            case_id=case_id,
            assignee_id=assignee_id,
            due_at=due_at,
            note=note[:500],
            created_by=by,
            created_at=now,
        )
        self.s.add(row)
        await self.s.flush()
        return _follow_up(row)

    async def follow_ups_due(self, now: datetime) -> Sequence[FollowUp]:
        rows = await self.s.scalars(
            select(FollowUpRow)
            .where(
                FollowUpRow.done_at.is_(None),
                FollowUpRow.reminded_at.is_(None),
                FollowUpRow.due_at <= now,
            )
            .order_by(FollowUpRow.due_at)
            .limit(200)
        )
        return [_follow_up(r) for r in rows]

    async def follow_ups_open(self) -> Sequence[FollowUp]:
        rows = await self.s.scalars(
            select(FollowUpRow).where(FollowUpRow.done_at.is_(None)).order_by(FollowUpRow.due_at)
        )
        return [_follow_up(r) for r in rows]

    async def follow_up(self, follow_up_id: int) -> FollowUp | None:
        row = await self.s.get(FollowUpRow, follow_up_id, populate_existing=True)
        return _follow_up(row) if row else None

    async def update_follow_up(self, follow_up_id: int, **fields: object) -> None:
        await self.s.execute(
            update(FollowUpRow).where(FollowUpRow.id == follow_up_id).values(**fields)
        )
