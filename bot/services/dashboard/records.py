"""The dashboard's pages about one child: a case's record, the child's file, and who viewed
it. Each view is written to the child's file access log before it is shown, as in the staff
chat; a case's history is structured events, never the conversation's words."""

from __future__ import annotations

from typing import Any

from bot.domain.cases import Case
from bot.domain.numbers import parse_int
from bot.domain.people import Person
from bot.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.child_file import ChildFile
from bot.services.common import person_by_ref, viewer_kind
from bot.services.dashboard.shown import Names, Shown
from bot.services.dashboard.sign_in import Viewer

VIA = "dashboard"  # file_access_log.via: the view came from the web, not the staff chat
ACCESS_LOG_LIMIT = 50
# Event data a supervisor sees: structured values only. Free text (a re-tier reason, the
# authority a report went to, follow-up notes) is a counsellor's words and may quote the
# child; it stays in the case topic.
EVENT_FIELDS = ("trigger", "tier", "before", "after", "status", "outcome", "why", "due")


class Records:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, child_file: ChildFile, shown: Shown
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.files = child_file
        self.shown = shown

    async def case(self, viewer: Viewer, code: str) -> dict[str, Any] | None:
        """One case's record; the view is logged in the child's file access log first."""
        now = self.clock.now()
        ref = code.strip().upper()
        case_id = parse_int(ref[2:]) if ref.startswith("C-") else None
        if case_id is None:
            return None
        async with self.uow() as uow:
            case = await uow.cases.by_id(case_id)
            subject = await uow.people.by_id(case.person_id) if case else None
            if case is None or subject is None or subject.id is None:
                return None
            await uow.privacy.log_view(viewer.person_id, subject.id, "case", VIA, now)
            names = await self.shown.names(uow)
            points = await self.shown.points(uow)
            events = await self._events(uow, case, names)
            messages = await uow.cases.messages(case.id)
            referrals = await self._referrals(uow, case)
            follow_ups = [
                self.shown.follow_up_row(f.due_at, f.done_at, f.assignee_id, now, names, case.code)
                for f in await uow.cases.follow_ups_of(subject.id)
                if f.case_id == case.id
            ]
            await uow.commit()
        return {
            "case": self.shown.case_row(case, now, names, points),
            "categories": list(case.categories),
            "closed": self.shown.when(case.closed_at),
            "outcome": case.outcome.value if case.outcome else "",
            "first_response": self.shown.when(case.first_response_at),
            "person": {"code": subject.code, "role": subject.role.value if subject.role else ""},
            "events": events,
            "counts": {
                d: sum(1 for m in messages if m.direction == d) for d in ("in", "out", "note")
            },
            "referrals": referrals,
            "follow_ups": follow_ups,
        }

    async def _events(self, uow: UnitOfWork, case: Case, names: Names) -> list[dict[str, Any]]:
        return [
            {
                "at": self.shown.when(at),
                "kind": kind.value,
                "by": names.get(actor) if actor else None,
                "data": {k: str(data[k]) for k in EVENT_FIELDS if data.get(k) is not None},
                "resource": self.shown.resource(data.get("resource")),
            }
            for at, kind, actor, data in await uow.cases.events(case.id)
        ]

    async def _referrals(self, uow: UnitOfWork, case: Case) -> list[dict[str, Any]]:
        return [
            {
                "resource": self.shown.resource(r.resource_id),
                "status": r.status.value,
                "created": self.shown.day(r.created_at),
                "updated": self.shown.day(r.updated_at),
            }
            for r in await uow.cases.referrals(case.id)
        ]

    async def _subject(self, uow: UnitOfWork, ref: str) -> Person | None:
        ref = ref.strip().upper()
        if not ref or len(ref) > 32:
            return None
        return await person_by_ref(uow, ref)

    async def child_file(self, viewer: Viewer, ref: str) -> dict[str, Any] | None:
        """What `/file` shows; the view is logged first, exactly as `/file` logs it."""
        now = self.clock.now()
        async with self.uow() as uow:
            subject = await self._subject(uow, ref)
            if subject is None or subject.id is None:
                return None
            await uow.privacy.log_view(viewer.person_id, subject.id, "file", VIA, now)
            data = await self.files.contents(uow, subject)
            await uow.commit()
        for case in data["cases"]:
            pairs = (str(r).rpartition(":") for r in case["referrals"])
            case["referral_items"] = [
                {"resource": self.shown.resource(rid), "status": status}
                for rid, _, status in pairs
            ]
        return data

    async def access_log(self, viewer: Viewer, ref: str) -> dict[str, Any] | None:
        """Who viewed the file, newest first; reading it is logged first, as `/accesslog`."""
        now = self.clock.now()
        async with self.uow() as uow:
            subject = await self._subject(uow, ref)
            if subject is None or subject.id is None:
                return None
            await uow.privacy.log_view(viewer.person_id, subject.id, "access_log", VIA, now)
            total, entries = await uow.privacy.access_log(subject.id, ACCESS_LOG_LIMIT)
            guardians = {g.id for g in await uow.families.guardians_of(subject.id)}
            await uow.commit()
        items = [
            {
                "at": self.shown.when(e.at),
                "who": viewer_kind(e, subject.id, guardians),
                "n": e.viewer_no or 0,
                "role": e.viewer_role.value if e.viewer_role else "",
                "what": e.what,
                "via": e.via,
            }
            for e in entries
        ]
        return {"code": subject.code, "total": total, "items": items}
