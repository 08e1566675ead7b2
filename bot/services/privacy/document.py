"""The /mydata document: what we keep about a person (and their children on record), with
what is left out and why. Its own module because what goes in is the privacy rule itself.

What a child did or wrote themselves is never handed to a guardian, not even in the guardian's
own copy: the guardian may be part of the problem (the same rule as the child's file). A child
on record without Telegram has nothing of their own, so their guardian's copy holds it all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.people import Person, Role
from bot.domain.screening import StoredResult
from bot.ports import Catalog, UnitOfWork
from bot.services.privacy.shared import LocalTimes

EXPORT_FORMAT = "xinqiao-mydata/1"


class MyDataDocument:
    def __init__(self, catalog: Catalog, times: LocalTimes) -> None:
        self.catalog = catalog
        self.times = times
        self._when = times.when

    async def build(
        self, uow: UnitOfWork, person: Person, now: datetime
    ) -> tuple[dict[str, Any], list[int]]:
        """The document, and the ids of the children whose records it shows."""
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
        children = [await self._child(uow, person.id, kid, left_out) for kid in kids]
        if person.role is Role.GUARDIAN:
            doc["children"] = children
        doc["not_included"] = [
            {"what": key, "why": self.catalog.text(f"privacy.why.{key}", person.locale)}
            for key in dict.fromkeys(left_out)
        ]
        return doc, [k.id for k in kids if k.id is not None]

    async def _child(
        self, uow: UnitOfWork, me: int, kid: Person, left_out: list[str]
    ) -> dict[str, Any]:
        """A child's entry in their guardian's copy: what the guardian did for them, and the
        child's lessons only when the child has no Telegram of their own (noted in left_out)."""
        assert kid.id is not None
        entry: dict[str, Any] = {"record": await self._record(uow, kid)}
        if kid.telegram_id is None:
            entry["lessons"] = await self._lessons(uow, kid.id)
        else:
            left_out.append("child_own")
        entry["screenings"] = [
            self._result(r, me, set())
            for r in await uow.screening.results_for(kid.id)
            if r.respondent_id == me
        ]
        return entry

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
