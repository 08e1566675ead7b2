"""Signing in to the dashboard: a one-time link, a session, and the check on every request.

A link is asked for with `/dashboard` in a private chat, by a supervisor only. It carries a
random token valid for ten minutes, once; the database keeps only its SHA-256, and so for the
session id in the browser's cookie. Every request re-checks that the session's person is still
an active supervisor: one who is no longer (retired, made a counsellor) loses every session at
their next click, and erasing a person deletes their sessions with them (cascade).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.permissions import StaffAction, may
from bot.domain.replies import Outcome, Reply
from bot.ports import Clock, StaffMember, UnitOfWork, UnitOfWorkFactory
from bot.services.common import Who

log = logging.getLogger(__name__)

TOKEN_MINUTES = 10


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


async def supervisor(uow: UnitOfWork, person_id: int) -> StaffMember | None:
    """The person, if their role may see the dashboard."""
    staff = await uow.staff.by_person_id(person_id)
    return staff if staff is not None and may(staff.role, StaffAction.DASHBOARD) else None


class SignIns:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        *,
        base_url: str | None,
        session_hours: int,
        locales: tuple[str, ...],
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.base_url = base_url
        self.session_hours = session_hours
        self.locales = locales

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
            if not self.base_url or await supervisor(uow, person_id) is None:
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
            return holder is not None and await supervisor(uow, holder) is not None

    async def sign_in(self, token: str, locale: str = "") -> SignIn | None:
        """Spend the token for a session; None (never a session) if it is unknown, spent,
        expired, or its person is no longer a supervisor."""
        if not token or len(token) > 200:
            return None
        now = self.clock.now()
        async with self.uow() as uow:
            holder = await uow.dashboard.use_token(digest(token), now)
            staff = await supervisor(uow, holder) if holder is not None else None
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
            staff = await supervisor(uow, session.person_id)
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
