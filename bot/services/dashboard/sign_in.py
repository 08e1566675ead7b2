"""The supervisors' web dashboard as seen from the core: sign-in by a one-time link, sessions,
and what each page shows.

A link is asked for with `/dashboard` in a private chat, by a supervisor only. It carries a
random token valid for ten minutes, once; the database keeps only its SHA-256, and so for the
session id in the browser's cookie. Every request re-checks that the session's person is still
an active supervisor: one who is no longer (retired, made a counsellor) loses every session at
their next click, and erasing a person deletes their sessions with them (cascade).

What the pages show follows the privacy design: the lists carry codes, tiers, dates and staff
names, never a person's words; a case page shows its history as structured events (no
conversation text, no free-text reasons or notes, which stay in the staff topic); a child's
file shows what `/file` shows, and every view of a file or a case is written to the file
access log before it is shown, as in the staff chat.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.cases import Case, CaseStatus, ReferralStatus, case_code, queue_key
from bot.domain.numbers import parse_int
from bot.domain.oversight import Period
from bot.domain.people import Person
from bot.domain.permissions import StaffAction, may
from bot.domain.referrals import Directory
from bot.domain.replies import Outcome, Reply
from bot.ports import Clock, StaffMember, UnitOfWork, UnitOfWorkFactory
from bot.services.child_file import ChildFile
from bot.services.common import Who, person_by_ref, viewer_kind
from bot.services.misses import per_week

log = logging.getLogger(__name__)

TOKEN_MINUTES = 10
VIA = "dashboard"  # file_access_log.via: the view came from the web, not the staff chat
ACCESS_LOG_LIMIT = 50
REFERRALS_LIMIT = 500
# Event data a supervisor sees: structured values only. Free text (a re-tier reason, the
# authority a report went to, follow-up notes) is a counsellor's words and may quote the
# child; it stays in the case topic.
EVENT_FIELDS = ("trigger", "tier", "before", "after", "status", "outcome", "why", "due")


def digest(secret: str) -> str:
    """What the database keeps of a token or a session id."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Viewer:
    """The supervisor behind a valid session."""

    person_id: int
    name: str
    pseudonym_no: int
    locale: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class SignIn:
    session_id: str  # for the cookie; only its hash is stored
    viewer: Viewer


class Dashboard:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        child_file: ChildFile,
        directory: Directory,
        *,
        base_url: str | None,
        session_hours: int,
        timezone: str,
        locales: tuple[str, ...],
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.files = child_file
        self.directory = directory
        self.base_url = base_url
        self.session_hours = session_hours
        self.tz = ZoneInfo(timezone)
        self.locales = locales

    # -- sign-in --------------------------------------------------------------------------

    @staticmethod
    async def _supervisor(uow: UnitOfWork, person_id: int) -> StaffMember | None:
        staff = await uow.staff.by_person_id(person_id)
        return staff if staff is not None and may(staff.role, StaffAction.DASHBOARD) else None

    async def _new_link(self, uow: UnitOfWork, person_id: int, now: datetime) -> str:
        await uow.dashboard.prune(now)
        token = secrets.token_urlsafe(32)
        await uow.dashboard.add_token(
            digest(token), person_id, now + timedelta(minutes=TOKEN_MINUTES), now
        )
        return f"{self.base_url}/dashboard/login?t={token}"

    async def ask_link(self, who: Who) -> Outcome:
        """`/dashboard` in a private chat: a one-time sign-in link, for supervisors only."""
        now = self.clock.now()
        async with self.uow() as uow:
            staff = await uow.staff.by_telegram_id(who.telegram_id)
            if staff is None or not may(staff.role, StaffAction.DASHBOARD):
                counsellor = staff is not None
                return Outcome.of(Reply("dashboard/supervisors_only", {"staff": counsellor}))
            if not self.base_url:
                return Outcome.of(Reply("dashboard/not_configured"))
            url = await self._new_link(uow, staff.person_id, now)
            await uow.commit()
        log.info("dashboard: sign-in link made for person %s", staff.person_id)
        return Outcome.of(Reply("dashboard/link", {"url": url, "minutes": TOKEN_MINUTES}))

    async def link_for(self, person_id: int) -> str | None:
        """A sign-in link made without a chat (the demo prints one); None if the person is not
        a supervisor or the dashboard has no address."""
        now = self.clock.now()
        async with self.uow() as uow:
            if not self.base_url or await self._supervisor(uow, person_id) is None:
                return None
            url = await self._new_link(uow, person_id, now)
            await uow.commit()
        return url

    async def link_is_fresh(self, token: str) -> bool:
        """The sign-in page asks before it spends the token: link checkers and previews open
        links too, and must not use one up."""
        if not token or len(token) > 200:
            return False
        async with self.uow() as uow:
            holder = await uow.dashboard.token_holder(digest(token), self.clock.now())
            return holder is not None and await self._supervisor(uow, holder) is not None

    async def sign_in(self, token: str, locale: str = "") -> SignIn | None:
        """Spend the token for a session; None (never a session) if it is unknown, spent,
        expired, or its person is no longer a supervisor."""
        if not token or len(token) > 200:
            return None
        now = self.clock.now()
        async with self.uow() as uow:
            holder = await uow.dashboard.use_token(digest(token), now)
            staff = await self._supervisor(uow, holder) if holder is not None else None
            person = await uow.people.by_id(holder) if holder is not None else None
            if staff is None or person is None:
                await uow.commit()  # a spent token stays spent
                log.info("dashboard: a sign-in link was refused")
                return None
            session_id = secrets.token_urlsafe(32)
            # The language the sign-in page was read in, else the supervisor's own.
            if locale not in self.locales:
                locale = person.locale if person.locale in self.locales else self.locales[0]
            expires = now + timedelta(hours=self.session_hours)
            await uow.dashboard.add_session(
                digest(session_id), staff.person_id, locale, expires, now
            )
            await uow.commit()
        log.info("dashboard: person %s signed in", staff.person_id)
        viewer = Viewer(staff.person_id, staff.display_name, staff.pseudonym_no, locale, expires)
        return SignIn(session_id, viewer)

    async def viewer(self, session_id: str) -> Viewer | None:
        """The supervisor behind a session, checked on every request."""
        if not session_id or len(session_id) > 200:
            return None
        now = self.clock.now()
        async with self.uow() as uow:
            session = await uow.dashboard.session(digest(session_id), now)
            if session is None:
                return None
            staff = await self._supervisor(uow, session.person_id)
            if staff is None:  # no longer a supervisor: every session of theirs ends now
                ended = await uow.dashboard.end_sessions_of(session.person_id)
                await uow.commit()
                log.info(
                    "dashboard: ended %s session(s) of person %s, no longer a supervisor",
                    ended,
                    session.person_id,
                )
                return None
            return Viewer(
                staff.person_id,
                staff.display_name,
                staff.pseudonym_no,
                session.locale,
                session.expires_at,
            )

    async def sign_out(self, session_id: str) -> None:
        async with self.uow() as uow:
            await uow.dashboard.end_session(digest(session_id))
            await uow.commit()

    async def set_locale(self, session_id: str, locale: str) -> None:
        if locale not in self.locales:
            return
        async with self.uow() as uow:
            await uow.dashboard.set_locale(digest(session_id), locale)
            await uow.commit()

    # -- pages ----------------------------------------------------------------------------

    def when(self, at: datetime | None) -> str:
        """A moment as the pages show it: local time, to the minute."""
        return self._when(at)

    def _when(self, at: datetime | None) -> str:
        return at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M") if at else ""

    def _day(self, at: datetime | None) -> str:
        return at.astimezone(self.tz).date().isoformat() if at else ""

    @staticmethod
    def _age(delta: timedelta) -> dict[str, int]:
        minutes = max(0, int(delta.total_seconds() // 60))
        return {"days": minutes // 1440, "hours": minutes % 1440 // 60, "minutes": minutes % 60}

    async def _names(self, uow: UnitOfWork) -> dict[int, dict[str, Any]]:
        # Retired colleagues drop out: their cases then show no name, as in the staff chat.
        return {
            s.person_id: {"name": s.display_name, "n": s.pseudonym_no, "role": s.role.value}
            for s in await uow.staff.active()
        }

    async def _points(self, uow: UnitOfWork) -> dict[int, str]:
        return {c: sp.name for sp in await uow.service_points.all() for c in sp.staff_chat_ids}

    def _case_row(
        self,
        case: Case,
        now: datetime,
        names: dict[int, dict[str, Any]],
        points: dict[int, str],
    ) -> dict[str, Any]:
        return {
            "code": case.code,
            "tier": case.tier.value,
            "status": case.status.value,
            "trigger": case.trigger.value,
            "opened": self._when(case.opened_at),
            "age": self._age(case.waiting(now)),
            "claimed_by": names.get(case.claimed_by) if case.claimed_by else None,
            "answered": case.first_response_at is not None,
            "point": points.get(case.staff_chat_id, ""),
        }

    async def queue(self) -> dict[str, Any]:
        """Open cases: waiting first (most urgent tier, then longest waiting), then claimed."""
        now = self.clock.now()
        async with self.uow() as uow:
            cases = sorted(await uow.cases.all_open(), key=queue_key)
            names = await self._names(uow)
            points = await self._points(uow)
            on_duty = [
                {"name": s.display_name, "n": s.pseudonym_no}
                for s in await uow.staff.active()
                if s.on_duty
            ]
        waiting = [c for c in cases if c.status is CaseStatus.WAITING]
        claimed = [c for c in cases if c.status is CaseStatus.CLAIMED]
        return {
            "waiting": [self._case_row(c, now, names, points) for c in waiting],
            "claimed": [self._case_row(c, now, names, points) for c in claimed],
            "on_duty": on_duty,
            "now": self._when(now),
        }

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
            names = await self._names(uow)
            points = await self._points(uow)
            events = [
                {
                    "at": self._when(at),
                    "kind": kind.value,
                    "by": names.get(actor) if actor else None,
                    "data": {k: str(data[k]) for k in EVENT_FIELDS if data.get(k) is not None},
                    "resource": self._resource(data.get("resource")),
                }
                for at, kind, actor, data in await uow.cases.events(case.id)
            ]
            messages = await uow.cases.messages(case.id)
            referrals = [
                {
                    "resource": self._resource(r.resource_id),
                    "status": r.status.value,
                    "created": self._day(r.created_at),
                    "updated": self._day(r.updated_at),
                }
                for r in await uow.cases.referrals(case.id)
            ]
            follow_ups = [
                self._follow_up_row(f.due_at, f.done_at, f.assignee_id, now, names, case.code)
                for f in await uow.cases.follow_ups_of(subject.id)
                if f.case_id == case.id
            ]
            await uow.commit()
        return {
            "case": self._case_row(case, now, names, points),
            "categories": list(case.categories),
            "closed": self._when(case.closed_at),
            "outcome": case.outcome.value if case.outcome else "",
            "first_response": self._when(case.first_response_at),
            "person": {"code": subject.code, "role": subject.role.value if subject.role else ""},
            "events": events,
            "counts": {
                d: sum(1 for m in messages if m.direction == d) for d in ("in", "out", "note")
            },
            "referrals": referrals,
            "follow_ups": follow_ups,
        }

    def _resource(self, resource_id: object) -> dict[str, str] | None:
        if not isinstance(resource_id, str):
            return None
        found = self.directory.get(resource_id)
        if found is None:
            return {"id": resource_id, "name": "", "kind": ""}
        return {"id": found.id, "name": found.name, "kind": found.kind}

    def _follow_up_row(
        self,
        due: datetime,
        done: datetime | None,
        assignee: int,
        now: datetime,
        names: dict[int, dict[str, Any]],
        code: str,
    ) -> dict[str, Any]:
        return {
            "code": code,
            "due": self._day(due),
            "done": self._day(done),
            "overdue": done is None and due < now,
            "due_now": done is None and due <= now + timedelta(days=1),
            "who": names.get(assignee),
        }

    async def follow_ups(self) -> dict[str, Any]:
        """Every follow-up not done yet, soonest first: overdue, due today, planned."""
        now = self.clock.now()
        async with self.uow() as uow:
            names = await self._names(uow)
            codes: dict[int, str] = {}
            rows = []
            for f in await uow.cases.follow_ups_open():
                if f.case_id not in codes:
                    case = await uow.cases.by_id(f.case_id)
                    codes[f.case_id] = case.code if case else ""
                if codes[f.case_id]:
                    rows.append(
                        self._follow_up_row(
                            f.due_at, None, f.assignee_id, now, names, codes[f.case_id]
                        )
                    )
        return {
            "overdue": [r for r in rows if r["overdue"]],
            "soon": [r for r in rows if not r["overdue"] and r["due_now"]],
            "later": [r for r in rows if not r["due_now"]],
        }

    async def referrals(self) -> dict[str, Any]:
        """Referrals by status: suggested, accepted, attended, declined."""
        async with self.uow() as uow:
            found = await uow.dashboard.referrals(REFERRALS_LIMIT)
        groups: dict[str, list[dict[str, Any]]] = {s.value: [] for s in ReferralStatus}
        for r in found:
            groups[r.status.value].append(
                {
                    "code": case_code(r.case_id),
                    "resource": self._resource(r.resource_id),
                    "created": self._day(r.created_at),
                    "updated": self._day(r.updated_at),
                }
            )
        return {"groups": [{"status": k, "items": v} for k, v in groups.items()]}

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
                {"resource": self._resource(rid), "status": status} for rid, _, status in pairs
            ]
        return data

    async def misses_per_week(self, period: Period) -> list[dict[str, Any]]:
        """Missed-risk reports (`/missed`) per ISO week of the period, quiet weeks included:
        counts only, never the words."""
        weeks = await per_week(self.uow, period.start, period.end, self.tz)
        return [{"week": week, "n": n} for week, n in weeks.items()]

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
        items = []
        for e in entries:
            who = viewer_kind(e, subject.id, guardians)
            items.append(
                {
                    "at": self._when(e.at),
                    "who": who,
                    "n": e.viewer_no or 0,
                    "role": e.viewer_role.value if e.viewer_role else "",
                    "what": e.what,
                    "via": e.via,
                }
            )
        return {"code": subject.code, "total": total, "items": items}
