"""Data rights and retention: a copy of one's data (/mydata), deletion (/delete), transcripts
purged after the retention period, and the file access log for supervisors (docs/DOMAIN.md §5).

What a child did or wrote themselves is never handed to a guardian, not even in the guardian's
own copy: the guardian may be part of the problem (the same rule as the child's file). A child
on record without Telegram has nothing of their own, so their guardian's copy holds it all.
Deletion waits while a helpline case is open: safeguarding comes first, and a supervisor is told.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.cases import Case
from bot.domain.numbers import parse_int
from bot.domain.people import Person, Role
from bot.domain.permissions import StaffAction, may
from bot.domain.replies import Choice, Keyboard, Outcome, Reply, rows
from bot.domain.screening import StoredResult
from bot.ports import Catalog, Clock, Erasure, Purged, UnitOfWork, UnitOfWorkFactory
from bot.services.board import POST, RELAY_IN, RELAY_OUT, Board
from bot.services.casework import StaffAccess
from bot.services.common import Who, person_by_ref, viewer_kind

log = logging.getLogger(__name__)

EXPORT_FORMAT = "xinqiao-mydata/1"
# A delete button older than this is stale: the person confirms what they just read.
BUTTON_MINUTES = 30
ACCESS_LOG_LIMIT = 20
# Outbox rows that carry conversation text (the person's words, replies, the case card).
TRANSCRIPT_KINDS = (RELAY_IN, RELAY_OUT, POST)
STALE = "toast.privacy.stale"


@dataclass(frozen=True, slots=True)
class Export:
    """A JSON document to send as a file, with a caption; and the same in plain words first,
    for whoever will never open a JSON file (most grandmothers)."""

    filename: str
    content: bytes
    caption: Reply
    summary: Reply | None = None


def _age_key(record: dict[str, Any]) -> str:
    """The button label that names an age band (a guardian's bands and a child's own differ)."""
    if record["child_age_band"]:
        return f"btn.cage.{record['child_age_band']}"
    if record["age_band"] and record["age_band"] != "unsaid":
        return f"btn.age.{record['age_band']}"
    return ""


def _stamp(now: datetime) -> int:
    return int(now.timestamp() // 60)


class Privacy:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        board: Board,
        access: StaffAccess,
        catalog: Catalog,
        timezone: str,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.board = board
        self.access = access
        self.catalog = catalog
        self.tz = ZoneInfo(timezone)

    def _when(self, at: datetime | None) -> str | None:
        return at.astimezone(self.tz).isoformat(timespec="seconds") if at else None

    async def _is_staff(self, uow: UnitOfWork, person: Person) -> bool:
        if person.role is not None and person.role.is_staff:
            return True
        return person.telegram_id is not None and (
            await uow.staff.by_telegram_id(person.telegram_id) is not None
        )

    # -- /mydata --------------------------------------------------------------------------

    async def export(self, who: Who) -> Export | Outcome:
        now = self.clock.now()
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            if person is None or person.id is None:
                return Outcome.of(Reply("privacy/nothing_kept", {"anything": False}))
            if await self._is_staff(uow, person):
                return Outcome.of(Reply("privacy/not_for_staff"))
            if not person.registered and not await uow.cases.ids_for(person.id):
                return Outcome.of(Reply("privacy/nothing_kept", {"anything": True}))
            doc, children = await self._document(uow, person, now)
            # A copy is a view of the file like any other: supervisors can see it was taken.
            await uow.privacy.log_view(person.id, person.id, "mydata", "self", now)
            for child in children:
                await uow.privacy.log_view(person.id, child, "mydata", "guardian", now)
            await uow.commit()
        content = json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")
        role = person.role.value if person.role else ""
        caption = Reply("privacy/mydata", {"role": role, "children": len(children)})
        summary = Reply("privacy/mydata_summary", self._summary(doc, role))
        return Export(f"xinqiao-mydata-{person.code}.json", content, caption, summary)

    def _day(self, stamp: str | None) -> dict[str, int] | None:
        """A date a person reads (year, month, day where they live), from the document's."""
        if not stamp:
            return None
        at = datetime.fromisoformat(stamp).astimezone(self.tz)
        return {"y": at.year, "m": at.month, "d": at.day}

    def _summary(self, doc: dict[str, Any], role: str) -> dict[str, Any]:
        """The document in a few plain lines: who we are, what we keep and since when."""
        you = doc["you"]
        lessons = doc["lessons"]
        current = next((e for e in lessons if e["status"] in ("active", "paused")), None)
        checks = doc["screenings"]
        talks = doc["helpline"]
        return {
            "role": role,
            "relation": you["relation"] or "",
            "age_key": _age_key(you),
            "place": (you["service_point"] or {}).get("name", ""),
            "since": self._day(you["joined_at"]),
            "agreed": self._day(you["consent_at"]),
            "lessons_read": sum(len(e["progress"]) for e in lessons),
            "weekday": current["weekday"] if current else None,
            "hour": current["hour"] if current else None,
            "minute": current.get("minute", 0) if current else 0,
            "paused": bool(current and current["status"] == "paused"),
            "checks": len(checks),
            "last_check": self._day(max((r["taken_at"] for r in checks), default=None)),
            "talks": len(talks),
            "talk_open": any(t["closed_at"] is None for t in talks),
            "children": [
                {"age_key": _age_key(c["record"]), "own": c["record"]["uses_telegram"]}
                for c in doc.get("children", [])
            ],
        }

    async def _document(
        self, uow: UnitOfWork, person: Person, now: datetime
    ) -> tuple[dict[str, Any], list[int]]:
        assert person.id is not None
        left_out = ["counsellor_notes", "staff_identities", "case_assessments", "other_people"]
        guardians = {g.id for g in await uow.families.guardians_of(person.id)}
        kids = await uow.families.children_of(person.id) if person.role is Role.GUARDIAN else []
        codes = {k.id: k.code for k in kids}
        doc: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "exported_at": self._when(now),
            "you": await self._record(uow, person),
            "consents": [
                {
                    "decision": c.decision,
                    "notice": c.notice_version,
                    "at": self._when(c.at),
                    "for": "you" if c.subject_id == person.id else codes.get(c.subject_id, ""),
                }
                for c in await uow.privacy.consents_by(person.id)
            ],
            "lessons": await self._lessons(uow, person.id),
            "screenings": [
                self._result(r, person.id, guardians)
                for r in await uow.screening.results_for(person.id)
            ],
            "helpline": await self._helpline(uow, person.id),
        }
        if doc["helpline"]:
            left_out += ["counsellor_replies", "old_transcripts"]
        children: list[dict[str, Any]] = []
        for kid in kids:
            assert kid.id is not None
            entry: dict[str, Any] = {"record": await self._record(uow, kid)}
            on_record = kid.telegram_id is None
            if on_record:
                entry["lessons"] = await self._lessons(uow, kid.id)
            else:
                left_out.append("child_own")
            entry["screenings"] = [
                self._result(r, person.id, set())
                for r in await uow.screening.results_for(kid.id)
                if r.respondent_id == person.id
            ]
            children.append(entry)
        if person.role is Role.GUARDIAN:
            doc["children"] = children
        doc["not_included"] = [
            {"what": key, "why": self.catalog.text(f"privacy.why.{key}", person.locale)}
            for key in dict.fromkeys(left_out)
        ]
        return doc, [k.id for k in kids if k.id is not None]

    async def _record(self, uow: UnitOfWork, person: Person) -> dict[str, Any]:
        sp = (
            await uow.service_points.by_id(person.service_point_id)
            if person.service_point_id
            else None
        )
        return {
            "code": person.code,
            "role": person.role.value if person.role else None,
            "language": person.locale,
            "age_band": person.age_band.value if person.age_band else None,
            "child_age_band": person.child_age_band.value if person.child_age_band else None,
            "relation": person.relation.value if person.relation else None,
            "consent": person.consent.value,
            "consent_at": self._when(person.consent_at),
            "status": person.status.value,
            "joined_at": self._when(person.created_at),
            "uses_telegram": person.telegram_id is not None,
            "service_point": {"code": sp.code, "name": sp.name} if sp else None,
        }

    async def _lessons(self, uow: UnitOfWork, person_id: int) -> list[dict[str, Any]]:
        out = []
        for e in await uow.privacy.enrolments_of(person_id):
            progress = await uow.progress.for_enrolment(e.id) if e.id is not None else []
            out.append(
                {
                    "programme": e.programme,
                    "status": e.status.value,
                    "weekday": e.weekday,
                    "hour": e.hour,
                    "minute": e.minute,
                    "timezone": e.timezone,
                    "next_lesson_at": self._when(e.next_due_at),
                    "paused_until": self._when(e.paused_until),
                    "progress": [
                        {
                            "lesson": p.lesson_id,
                            "week": p.week,
                            "delivered_at": self._when(p.delivered_at),
                            "messages_read": p.parts_read,
                            "answer": p.answer_index,
                            "answered_at": self._when(p.answered_at),
                            "checkin_answer": p.checkin_answer,
                            "checkin_answered_at": self._when(p.checkin_answered_at),
                        }
                        for p in progress
                    ],
                }
            )
        return out

    def _result(self, r: StoredResult, me: int, guardians: set[int | None]) -> dict[str, Any]:
        by = "you" if r.respondent_id == me else "guardian" if r.respondent_id in guardians else ""
        return {
            "instrument": r.instrument,
            "version": r.version,
            "taken_at": self._when(r.taken_at),
            "answered_by": by or "other",
            "total": r.total,
            "band": r.band,
            "tier": r.tier.value if r.tier else None,
            "flags": list(r.flags),
            "answers": {str(k): v for k, v in sorted(r.answers.items())},
        }

    async def _helpline(self, uow: UnitOfWork, person_id: int) -> list[dict[str, Any]]:
        out = []
        for case_id in await uow.cases.ids_for(person_id):
            case = await uow.cases.by_id(case_id)
            if case is None:
                continue
            # Only the person's own words: never a counsellor's note, name or assessment.
            words = [
                {"at": self._when(m.at), "text": m.body, "media": m.media}
                for m in await uow.cases.messages(case_id)
                if m.direction == "in" and (m.body or m.media)
            ]
            out.append(
                {
                    "case": case.code,
                    "status": case.status.value,
                    "opened_at": self._when(case.opened_at),
                    "closed_at": self._when(case.closed_at),
                    "your_messages": words,
                }
            )
        return out

    # -- /delete --------------------------------------------------------------------------

    async def _scope(self, uow: UnitOfWork, person: Person) -> tuple[list[Person], int]:
        """The person, and their children on record whom nobody else looks after; plus how
        many of their children keep their own data (own Telegram or another guardian)."""
        assert person.id is not None
        scope, kept = [person], 0
        if person.role is Role.GUARDIAN:
            for kid in await uow.families.children_of(person.id):
                others = [
                    g for g in await uow.families.guardians_of(kid.id or 0) if g.id != person.id
                ]
                if kid.telegram_id is None and not others:
                    scope.append(kid)
                else:
                    kept += 1
        return scope, kept

    async def _open_cases(self, uow: UnitOfWork, scope: Sequence[Person]) -> list[Case]:
        found = [await uow.cases.open_for(p.id or 0) for p in scope]
        return [c for c in found if c is not None]

    async def _refuse(
        self, uow: UnitOfWork, person: Person, cases: Sequence[Case], now: datetime
    ) -> Outcome:
        supervisors = [s for s in await uow.staff.active() if s.role is Role.SUPERVISOR]
        for case in cases:
            tag = f"privacy-delete:{now.date().isoformat()}"  # paged once a day per case
            await self.board.page_supervisors(
                uow, case, "privacy/page_delete_waiting", {}, now, tag
            )
            if not supervisors:  # nobody to page: the case's own topic hears of it instead
                await self.board.post(
                    uow, case, Reply("privacy/page_delete_waiting", {"code": case.code}), now
                )
        log.info(
            "privacy: deletion for person %s waits for open case(s) %s",
            person.id,
            ",".join(str(c.id) for c in cases),
        )
        whose = "self" if any(c.person_id == person.id for c in cases) else "child"
        role = person.role.value if person.role else ""
        return Outcome.of(
            Reply("privacy/delete_refused", {"role": role, "whose": whose}, keyboard=Keyboard.HELP)
        )

    async def ask_delete(self, who: Who) -> Outcome:
        now = self.clock.now()
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            if person is None:
                return Outcome.of(Reply("privacy/nothing_kept", {"anything": False}))
            if await self._is_staff(uow, person):
                return Outcome.of(Reply("privacy/not_for_staff"))
            scope, kept = await self._scope(uow, person)
            cases = await self._open_cases(uow, scope)
            if cases:
                outcome = await self._refuse(uow, person, cases, now)
                await uow.commit()
                return outcome
        role = person.role.value if person.role else ""
        return Outcome.of(
            Reply(
                "privacy/ask_delete",
                {"role": role, "children": len(scope) - 1, "kept": kept},
                choices=rows(
                    Choice("btn.privacy.delete_yes", f"pv:del:{person.code}:{_stamp(now)}"),
                    Choice("btn.privacy.delete_no", "pv:keep"),
                ),
            )
        )

    async def confirm_delete(self, who: Who, data: str) -> tuple[Outcome, bool]:
        """A press on the question's buttons; True when the person's data is gone. The button
        must be this person's (their code) and fresh: a forged or old one changes nothing."""
        now = self.clock.now()
        parts = data.split(":")
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            if person is None or person.id is None:
                return Outcome(toast=STALE), False
            role = person.role.value if person.role else ""
            if parts == ["pv", "keep"]:
                return Outcome.of(Reply("privacy/delete_cancelled", {"role": role})), False
            if (
                len(parts) != 4
                or parts[1] != "del"
                or parts[2] != person.code
                or (stamp := parse_int(parts[3], maximum=2**62)) is None
                or not 0 <= _stamp(now) - stamp <= BUTTON_MINUTES
                or await self._is_staff(uow, person)
            ):
                return Outcome(toast=STALE), False
            scope, _ = await self._scope(uow, person)
            cases = await self._open_cases(uow, scope)
            if cases:  # a case opened since the question: safeguarding still comes first
                outcome = await self._refuse(uow, person, cases, now)
                await uow.commit()
                return outcome, False
            counts = await uow.privacy.erase([p.id for p in scope if p.id is not None])
            await uow.privacy.record_erasure(Erasure(now, "request", counts))
            await uow.commit()
            await uow.privacy.scrub()
        # The record of the deletion: ids and counts only, never a name or a word.
        log.info(
            "privacy: erased person %s and %s child record(s) on request: %s",
            person.id,
            len(scope) - 1,
            ", ".join(f"{k}={v}" for k, v in counts.items() if v),
        )
        return Outcome.of(Reply("privacy/deleted", {"role": role}, keyboard=Keyboard.HELP)), True

    # -- /accesslog -----------------------------------------------------------------------

    async def _subject(self, uow: UnitOfWork, ref: str) -> Person | None:
        return await person_by_ref(uow, ref)

    async def access_log(
        self, telegram_id: int, chat_id: int, thread_id: int | None, ref: str
    ) -> str | None:
        """`/accesslog <code>`: supervisors only; the view is itself logged, first. Returns a
        template to answer with instead, or "ignored" for non-staff."""
        now = self.clock.now()
        async with self.uow() as uow:
            staff = await self.access.staff(uow, telegram_id, chat_id)
            if staff is None:
                return "ignored"
            if not may(staff.role, StaffAction.ACCESS_LOG):
                return "privacy/accesslog_supervisors_only"
            if not ref.strip():
                return "privacy/accesslog_usage"
            subject = await self._subject(uow, ref)
            if subject is None or subject.id is None:
                return "screening/file_not_found"
            await uow.privacy.log_view(
                staff.person_id, subject.id, "access_log", "staff_chat", now
            )
            total, entries = await uow.privacy.access_log(subject.id, ACCESS_LOG_LIMIT)
            guardians = {g.id for g in await uow.families.guardians_of(subject.id)}
            items = []
            for e in entries:
                kind = viewer_kind(e, subject.id, guardians)
                items.append(
                    {
                        "at": e.at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M"),
                        "who": kind,
                        "n": e.viewer_no or 0,
                        "role": e.viewer_role.value if e.viewer_role else "",
                        "what": e.what,
                    }
                )
            reply = Reply(
                "privacy/accesslog", {"code": subject.code, "total": total, "items": items}
            )
            await self.board.say(uow, chat_id, thread_id, reply, now)
            await uow.commit()
        return None


class Retention:
    """Every word kept of cases closed longer ago than the retention period is emptied (the
    conversation, the phrases triage matched, free-text reasons, what the outbox carried, the
    notes of follow-ups done since); the case, its tier, events, referrals and follow-ups stay
    (the structured record)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        days: int,
        batch: int = 500,
        context_window: timedelta = timedelta(minutes=10),
    ) -> None:
        self.uow = uow
        self.days = days
        self.batch = batch
        # The safety net's recent words (net_context) live minutes, not days: its own job
        # deletes them every minute; retention deletes them too, so that a stopped ticker or
        # `python -m bot privacy purge` leaves none behind.
        self.context_window = context_window

    async def purge(self, now: datetime) -> Purged:
        cutoff = now - timedelta(days=self.days)
        total = Purged()
        for _ in range(1000):  # bounded: each round empties up to `batch` cases for good
            async with self.uow() as uow:
                got = await uow.privacy.purge_transcripts(
                    cutoff, TRANSCRIPT_KINDS, self.batch, now
                )
                if got.anything:
                    counts = {
                        "cases": got.cases,
                        "case_messages": got.messages,
                        "case_events": got.events,
                        "follow_up_notes": got.notes,
                        "missed_risks": got.misses,
                        "outbox": got.outbox,
                    }
                    await uow.privacy.record_erasure(Erasure(now, "retention", counts))
                await uow.commit()
            total += got
            if got.cases < self.batch:
                break
        async with self.uow() as uow:
            await uow.net.forget_before(now - self.context_window)
            await uow.commit()
        # Every run, not only when something went: the update that confirmed a /delete is
        # emptied only once handled, after that erasure's own scrub.
        async with self.uow() as uow:
            await uow.privacy.scrub()
        if total.anything:
            log.info(
                "privacy: purged %s message(s), %s outbox row(s), %s reason(s) and %s note(s) "
                "of %s case(s) closed before %s",
                total.messages,
                total.outbox,
                total.events,
                total.notes,
                total.cases,
                cutoff.isoformat(),
            )
        return total
