"""Data rights and retention in SQL: a person's rows for export, erasure, transcript purge, and
the file access log as supervisors read it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.lessons_repo import _enrolment
from bot.db.models import (
    CaseEventRow,
    CaseMessageRow,
    CaseRow,
    ConsentRow,
    EnrolmentRow,
    ErasureRow,
    FamilyRow,
    FileAccessRow,
    FollowUpRow,
    InvitationRow,
    LessonProgressRow,
    OutboxRow,
    PersonRow,
    ReferralRow,
    ScreeningPlanRow,
    ScreeningResultRow,
    ScreeningSessionRow,
    StaffRow,
)
from bot.domain.cases import CaseStatus
from bot.domain.lessons import Enrolment
from bot.domain.outbox import OutboxStatus
from bot.domain.people import Role, parse_enum
from bot.ports import AccessEntry, ConsentEntry, Erasure, Purged

CLOSED = CaseStatus.CLOSED.value
# Rows the sender may still pick up keep their payload: only a finished row is emptied, and a
# row held for a case closed long ago will never go out (it fails, marked as purged).
_IN_FLIGHT = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)
_CHUNK = 200


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    return [list(ids[i : i + _CHUNK]) for i in range(0, len(ids), _CHUNK)]


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


class SqlPrivacyRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def enrolments_of(self, person_id: int) -> Sequence[Enrolment]:
        rows = await self.s.scalars(
            select(EnrolmentRow)
            .where(EnrolmentRow.person_id == person_id)
            .order_by(EnrolmentRow.id)
        )
        return [_enrolment(r) for r in rows]

    async def consents_by(self, person_id: int) -> Sequence[ConsentEntry]:
        rows = await self.s.scalars(
            select(ConsentRow).where(ConsentRow.person_id == person_id).order_by(ConsentRow.id)
        )
        return [ConsentEntry(r.subject_id, r.decision, r.notice_version, r.at) for r in rows]

    async def log_view(
        self, viewer_id: int | None, subject_id: int, what: str, via: str, now: datetime
    ) -> None:
        self.s.add(
            FileAccessRow(viewer_id=viewer_id, subject_id=subject_id, at=now, what=what, via=via)
        )
        await self.s.flush()

    async def access_log(self, subject_id: int, limit: int) -> tuple[int, Sequence[AccessEntry]]:
        total = await self.s.scalar(
            select(func.count())
            .select_from(FileAccessRow)
            .where(FileAccessRow.subject_id == subject_id)
        )
        # Retired staff keep their number here: the log must say who looked, then and now.
        rows = await self.s.execute(
            select(FileAccessRow, PersonRow.role, StaffRow.pseudonym_no)
            .outerjoin(PersonRow, PersonRow.id == FileAccessRow.viewer_id)
            .outerjoin(StaffRow, StaffRow.person_id == FileAccessRow.viewer_id)
            .where(FileAccessRow.subject_id == subject_id)
            .order_by(FileAccessRow.at.desc(), FileAccessRow.id.desc())
            .limit(limit)
        )
        entries = [
            AccessEntry(
                at=row.at,
                what=row.what,
                via=row.via,
                viewer_id=row.viewer_id,
                viewer_role=parse_enum(Role, role) if role else None,
                viewer_no=number,
            )
            for row, role, number in rows
        ]
        return int(total or 0), entries

    async def erase(self, person_ids: Sequence[int]) -> Mapping[str, int]:
        ids = list(person_ids)
        if not ids:
            return {}
        telegram_ids = [
            t
            for t in await self.s.scalars(
                select(PersonRow.telegram_id).where(PersonRow.id.in_(ids))
            )
            if t is not None
        ]
        case_ids = list(await self.s.scalars(select(CaseRow.id).where(CaseRow.person_id.in_(ids))))
        enrolment_ids = list(
            await self.s.scalars(select(EnrolmentRow.id).where(EnrolmentRow.person_id.in_(ids)))
        )
        counts = {
            "people": len(ids),
            "families": await self._count(
                FamilyRow, or_(FamilyRow.guardian_id.in_(ids), FamilyRow.child_id.in_(ids))
            ),
            "consents": await self._count(
                ConsentRow, or_(ConsentRow.person_id.in_(ids), ConsentRow.subject_id.in_(ids))
            ),
            "enrolments": len(enrolment_ids),
            "lesson_progress": await self._count(
                LessonProgressRow, LessonProgressRow.enrolment_id.in_(enrolment_ids)
            ),
            "screening_sessions": await self._count(
                ScreeningSessionRow,
                or_(
                    ScreeningSessionRow.person_id.in_(ids),
                    ScreeningSessionRow.subject_id.in_(ids),
                ),
            ),
            "screening_results": await self._count(
                ScreeningResultRow, ScreeningResultRow.subject_id.in_(ids)
            ),
            "screening_plans": await self._count(
                ScreeningPlanRow, ScreeningPlanRow.person_id.in_(ids)
            ),
            "cases": len(case_ids),
            "case_messages": await self._count(
                CaseMessageRow, CaseMessageRow.case_id.in_(case_ids)
            ),
            "case_events": await self._count(CaseEventRow, CaseEventRow.case_id.in_(case_ids)),
            "referrals": await self._count(ReferralRow, ReferralRow.case_id.in_(case_ids)),
            "follow_ups": await self._count(FollowUpRow, FollowUpRow.case_id.in_(case_ids)),
            "file_access_log": await self._count(FileAccessRow, FileAccessRow.subject_id.in_(ids)),
            "invitations": await self._count(
                InvitationRow,
                or_(InvitationRow.inviter_person_id.in_(ids), InvitationRow.for_child_id.in_(ids)),
            ),
        }
        # The outbox points at people loosely (SET NULL, or only by chat id and key): without
        # this, a queued lesson would still go out, and sent rows would keep their words.
        about = [OutboxRow.person_id.in_(ids), OutboxRow.chat_id.in_(telegram_ids)]
        for chunk in _chunks(case_ids):
            about += [OutboxRow.key.like(f"case:{c}:%") for c in chunk]
            about += [OutboxRow.key.like(f"page:{c}:%") for c in chunk]
        result = await self.s.execute(
            delete(OutboxRow).where(or_(*about)).execution_options(synchronize_session=False)
        )
        counts["outbox"] = _rowcount(result)
        # Everything else hangs off people or cases with ON DELETE CASCADE (SQLite enforces it
        # with PRAGMA foreign_keys=ON, set on every connection in bot.db.engine).
        await self.s.execute(
            delete(PersonRow)
            .where(PersonRow.id.in_(ids))
            .execution_options(synchronize_session=False)
        )
        self.s.expunge_all()  # nothing cached may outlive the rows it came from
        return counts

    async def _count(self, table: Any, where: Any) -> int:
        found = await self.s.scalar(select(func.count()).select_from(table).where(where))
        return int(found or 0)

    async def record_erasure(self, erasure: Erasure) -> None:
        self.s.add(
            ErasureRow(
                at=erasure.at,
                reason=erasure.reason,
                counts={k: int(v) for k, v in erasure.counts.items() if v},
            )
        )
        await self.s.flush()

    async def erasures(self, since: datetime, limit: int) -> Sequence[Erasure]:
        rows = await self.s.execute(
            select(ErasureRow.at, ErasureRow.reason, ErasureRow.counts)
            .where(ErasureRow.at >= since)
            .order_by(ErasureRow.at, ErasureRow.id)
            .limit(limit)
        )
        return [Erasure(at, reason, dict(counts)) for at, reason, counts in rows]

    async def purge_transcripts(
        self, closed_before: datetime, kinds: Sequence[str], limit: int
    ) -> Purged:
        has_text = (
            select(CaseMessageRow.id)
            .where(CaseMessageRow.case_id == CaseRow.id, CaseMessageRow.body != "")
            .exists()
        )
        case_ids = list(
            await self.s.scalars(
                select(CaseRow.id)
                .where(
                    CaseRow.status == CLOSED,
                    CaseRow.closed_at.is_not(None),
                    CaseRow.closed_at < closed_before,
                    has_text,
                )
                .order_by(CaseRow.id)
                .limit(limit)
            )
        )
        if not case_ids:
            return Purged()
        # Re-checked in the UPDATE itself: a case reopened meanwhile keeps its conversation.
        still_closed = select(CaseRow.id).where(CaseRow.id.in_(case_ids), CaseRow.status == CLOSED)
        messages = await self.s.execute(
            update(CaseMessageRow)
            .where(CaseMessageRow.case_id.in_(still_closed), CaseMessageRow.body != "")
            .values(body="")
            .execution_options(synchronize_session=False)
        )
        outbox = 0
        for chunk in _chunks(case_ids):
            result = await self.s.execute(
                update(OutboxRow)
                .where(
                    or_(*[OutboxRow.key.like(f"case:{c}:%") for c in chunk]),
                    OutboxRow.kind.in_(list(kinds)),
                    OutboxRow.status.not_in(_IN_FLIGHT),
                )
                .values(
                    payload={"purged": True},
                    status=case(
                        (OutboxRow.status == OutboxStatus.HELD.value, OutboxStatus.FAILED.value),
                        else_=OutboxRow.status,
                    ),
                    last_error=case(
                        (OutboxRow.status == OutboxStatus.HELD.value, "purged (retention)"),
                        else_=OutboxRow.last_error,
                    ),
                )
                .execution_options(synchronize_session=False)
            )
            outbox += _rowcount(result)
        return Purged(cases=len(case_ids), messages=_rowcount(messages), outbox=outbox)
