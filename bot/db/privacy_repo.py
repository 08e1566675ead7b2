"""Data rights and retention in SQL: a person's rows for export, erasure, transcript purge, and
the file access log as supervisors read it."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.lessons_repo import _enrolment
from bot.db.models import (
    CaseEventRow,
    CaseMessageRow,
    CaseRow,
    ChatMemberRow,
    ConsentRow,
    EnrolmentRow,
    ErasureRow,
    FamilyRow,
    FileAccessRow,
    FollowUpRow,
    InvitationRow,
    LessonProgressRow,
    MissedRiskRow,
    NetContextRow,
    NetQuestionRow,
    OutboxRow,
    PersonRow,
    ReferralRow,
    ScreeningPlanRow,
    ScreeningResultRow,
    ScreeningSessionRow,
    StaffRow,
)
from bot.domain.cases import CaseStatus, EventKind, case_code
from bot.domain.lessons import Enrolment
from bot.domain.outbox import STAFF_POST, OutboxStatus
from bot.domain.people import Role, parse_enum
from bot.ports import AccessEntry, ConsentEntry, Erasure, Purged

log = logging.getLogger(__name__)
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
            "missed_risks": await self._count(MissedRiskRow, MissedRiskRow.case_id.in_(case_ids)),
            "file_access_log": await self._count(FileAccessRow, FileAccessRow.subject_id.in_(ids)),
            # The safety net's last minutes of their words and the questions it asked them.
            "net_context": await self._count(NetContextRow, NetContextRow.person_id.in_(ids)),
            "net_questions": await self._count(NetQuestionRow, NetQuestionRow.person_id.in_(ids)),
            "invitations": await self._count(
                InvitationRow,
                or_(InvitationRow.inviter_person_id.in_(ids), InvitationRow.for_child_id.in_(ids)),
            ),
        }
        # Seen in a staff group by Telegram id only (no foreign key to cascade along).
        result = await self.s.execute(
            delete(ChatMemberRow)
            .where(ChatMemberRow.telegram_id.in_(telegram_ids))
            .execution_options(synchronize_session=False)
        )
        counts["chat_members"] = _rowcount(result)
        # The outbox points at people loosely (SET NULL, or only by chat id and key): without
        # this, a queued lesson would still go out, and sent rows would keep their words.
        about = [OutboxRow.person_id.in_(ids), OutboxRow.chat_id.in_(telegram_ids)]
        for chunk in _chunks(case_ids):
            about += [OutboxRow.key.like(f"case:{c}:%") for c in chunk]
            about += [OutboxRow.key.like(f"page:{c}:%") for c in chunk]
        about.append(OutboxRow.id.in_(await self._staff_posts_naming(ids, case_ids)))
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

    async def _staff_posts_naming(self, ids: Sequence[int], case_ids: Sequence[int]) -> list[int]:
        """Answers to staff commands that name these people or their cases (/file, /queue,
        /followups with its notes, /accesslog): keyed by chat, not by person, and encrypted,
        so read here. Retention keeps them few (purge_transcripts)."""
        people = await self.s.scalars(select(PersonRow.code).where(PersonRow.id.in_(ids)))
        codes = [*people, *(case_code(c) for c in case_ids)]
        named = re.compile(
            "|".join(rf"(?<![\w-]){re.escape(c)}(?![\w-])" for c in codes) or "(?!)"
        )
        rows = await self.s.execute(
            select(OutboxRow.id, OutboxRow.payload).where(OutboxRow.key.like(f"{STAFF_POST}%"))
        )
        return [
            row_id
            for row_id, payload in rows
            if named.search(json.dumps(payload, ensure_ascii=False))
        ]

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
        self, closed_before: datetime, kinds: Sequence[str], limit: int, now: datetime
    ) -> Purged:
        # A case purged once and closed again since (reopened meanwhile) is due again.
        due = or_(CaseRow.purged_at.is_(None), CaseRow.purged_at < CaseRow.closed_at)
        case_ids = list(
            await self.s.scalars(
                select(CaseRow.id)
                .where(
                    CaseRow.status == CLOSED,
                    CaseRow.closed_at.is_not(None),
                    CaseRow.closed_at < closed_before,
                    due,
                )
                .order_by(CaseRow.id)
                .limit(limit)
            )
        )
        notes = await self._purge_follow_up_notes(closed_before)
        # Answers to staff commands carry follow-up notes and file summaries: once sent and
        # older than the period, they are kept for nothing.
        posts = await self.s.execute(
            delete(OutboxRow)
            .where(
                OutboxRow.key.like(f"{STAFF_POST}%"),
                OutboxRow.created_at < closed_before,
                OutboxRow.status.not_in((*_IN_FLIGHT, OutboxStatus.HELD.value)),
            )
            .execution_options(synchronize_session=False)
        )
        if not case_ids:
            return Purged(outbox=_rowcount(posts), notes=notes)
        # Re-checked in each UPDATE itself: a case reopened meanwhile keeps its conversation.
        still_closed = select(CaseRow.id).where(CaseRow.id.in_(case_ids), CaseRow.status == CLOSED)
        cases = await self.s.execute(
            update(CaseRow)
            .where(CaseRow.id.in_(still_closed))
            # The phrases triage matched are the person's own words.
            .values(evidence=[], purged_at=now)
            .execution_options(synchronize_session=False)
        )
        messages = await self.s.execute(
            update(CaseMessageRow)
            .where(CaseMessageRow.case_id.in_(still_closed), CaseMessageRow.body != "")
            .values(body="")
            .execution_options(synchronize_session=False)
        )
        events = await self._purge_reasons(still_closed)
        # A missed-risk report quotes the person's words (and a counsellor's note on them):
        # emptied with the conversation. Its levels and week stay, for the weekly count.
        misses = await self.s.execute(
            update(MissedRiskRow)
            .where(
                MissedRiskRow.case_id.in_(still_closed),
                or_(MissedRiskRow.body != "", MissedRiskRow.note != ""),
            )
            .values(body="", note="")
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
        return Purged(
            cases=_rowcount(cases),
            messages=_rowcount(messages),
            outbox=outbox + _rowcount(posts),
            events=events,
            notes=notes,
            misses=_rowcount(misses),
        )

    async def _purge_reasons(self, case_ids: Any) -> int:
        """A re-tier's reason is a counsellor's free text and may quote the person; the change
        itself (from, to, who, when) stays. The data is encrypted: read and rewritten here."""
        rows = await self.s.execute(
            select(CaseEventRow.id, CaseEventRow.data).where(
                CaseEventRow.case_id.in_(case_ids),
                CaseEventRow.kind == EventKind.RETIERED.value,
            )
        )
        emptied = 0
        for event_id, data in rows.all():
            if not isinstance(data, dict) or "reason" not in data:
                continue
            kept = {k: v for k, v in data.items() if k != "reason"}
            await self.s.execute(
                update(CaseEventRow)
                .where(CaseEventRow.id == event_id)
                .values(data=kept)
                .execution_options(synchronize_session=False)
            )
            emptied += 1
        return emptied

    async def _purge_follow_up_notes(self, before: datetime) -> int:
        """Notes of follow-ups done before the cutoff, on cases closed before it. A follow-up
        not yet done keeps its note: someone still has to act on it."""
        old_cases = select(CaseRow.id).where(CaseRow.status == CLOSED, CaseRow.closed_at < before)
        result = await self.s.execute(
            update(FollowUpRow)
            .where(
                FollowUpRow.done_at < before,
                FollowUpRow.note != "",
                FollowUpRow.case_id.in_(old_cases),
            )
            .values(note="")
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result)

    async def scrub(self) -> bool:
        if self.s.bind is None or self.s.bind.dialect.name != "sqlite":
            # PostgreSQL reclaims old row versions at VACUUM; it has no file we can empty
            # from here. What is left there is under DATA_KEY like the rest
            # (docs/security-privacy.md).
            return True
        # SQLite appends changed pages to the write-ahead log and copies them into the
        # database file at a checkpoint, but leaves the log's older frames, which still hold
        # the rows as they were, until they are overwritten. TRUNCATE copies every frame in
        # and empties the log; PRAGMA secure_delete (bot/db/engine.py) has already zeroed the
        # deleted content in the pages it copies. https://www.sqlite.org/pragma.html#pragma_wal_checkpoint
        row = (await self.s.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))).first()
        busy = bool(row[0]) if row is not None else False
        if busy:
            log.warning("privacy: the write-ahead log could not be emptied yet (busy)")
        return not busy
