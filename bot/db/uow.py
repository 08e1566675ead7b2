"""The SQL unit of work: one session, one transaction, every repository on it.

One update (a message, a button) runs several units of work: the person is looked up to triage
their words, again to answer them, again for their language. Each used to take its own pooled
connection and open and close its own transaction: on PostgreSQL two round trips more per unit
of work, most of the database's share of an update's cost (bench/inbound.py). Inside `scope()`
the units of work of one task take turns on one session instead: a unit of work that only read
leaves its transaction open for the next one, so an update's reads share one BEGIN and one
connection. Nothing else changes: a unit of work that wrote and did not commit is rolled back
at its end, as before, and its objects are forgotten, so the next one reads afresh. The
connection goes back to the pool when the scope ends, and before any wait on Telegram
(`release()`), so a slow API call never holds a database connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from types import TracebackType
from typing import Any, Self

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session

from bot.db.cases_repo import SqlCaseRepo
from bot.db.dashboard_repo import SqlDashboardRepo
from bot.db.fanout_repo import SqlFanOutRepo
from bot.db.holds_repo import SqlHoldRepo
from bot.db.inbox_repo import SqlInboxRepo
from bot.db.lessons_repo import SqlEnrolmentRepo, SqlProgressRepo
from bot.db.members_repo import SqlMemberRepo
from bot.db.misses_repo import SqlMissRepo
from bot.db.net_repo import SqlSafetyNetRepo
from bot.db.outbox_repo import WAKE_SENDER, SqlOutboxRepo
from bot.db.oversight_repo import SqlOversightRepo
from bot.db.privacy_repo import SqlPrivacyRepo
from bot.db.repos import (
    PEOPLE_MEMO,
    SqlConsentRepo,
    SqlFamilyRepo,
    SqlInvitationRepo,
    SqlPersonRepo,
    SqlServicePointRepo,
    SqlStaffRepo,
)
from bot.db.screening_repo import SqlScreeningRepo
from bot.ports import (
    CaseRepo,
    ConsentRepo,
    DashboardRepo,
    EnrolmentRepo,
    FamilyRepo,
    FanOutRepo,
    HoldRepo,
    InboxRepo,
    InvitationRepo,
    MemberRepo,
    MissRepo,
    OutboxRepo,
    OversightRepo,
    PersonRepo,
    PrivacyRepo,
    ProgressRepo,
    SafetyNetRepo,
    ScreeningRepo,
    ServicePointRepo,
    StaffRepo,
)

_WROTE = "xq_wrote"


class _TrackedSession(Session):
    """A session that knows whether its open transaction holds writes or locks."""


def _forget_reads(session: Session) -> None:
    memo = session.info.get(PEOPLE_MEMO)
    if memo:
        memo.clear()


@event.listens_for(_TrackedSession, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    # A plain SELECT leaves nothing to undo; anything else (DML, text, SELECT ... FOR UPDATE
    # with its row locks) must not outlive its unit of work.
    locking = getattr(state.statement, "_for_update_arg", None) is not None
    if not state.is_select or locking:
        state.session.info[_WROTE] = True
        _forget_reads(state.session)


@event.listens_for(_TrackedSession, "after_flush")
def _note_flush(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True
    _forget_reads(session)


@event.listens_for(_TrackedSession, "after_commit")
@event.listens_for(_TrackedSession, "after_rollback")
def _clean(session: Session) -> None:
    session.info[_WROTE] = False
    session.info.pop(WAKE_SENDER, None)  # what was rolled back is not due
    _forget_reads(session)


def _holds_writes(session: AsyncSession) -> bool:
    return bool(session.info.get(_WROTE) or session.new or session.dirty or session.deleted)


class _Shared:
    """One task's session, lent to its units of work one at a time."""

    __slots__ = ("lent", "session", "task", "usable")

    def __init__(self, session: AsyncSession, task: asyncio.Task[Any] | None) -> None:
        self.session = session
        session.info[PEOPLE_MEMO] = {}
        # Only the task that opened the scope borrows: a task it starts (a pump nudged by a
        # handler) inherits the context, not the right to the session.
        self.task = task
        self.lent = False
        self.usable = True

    def lendable(self) -> bool:
        return self.usable and not self.lent and asyncio.current_task() is self.task


class SqlUnitOfWork:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        shared: _Shared | None = None,
        wake_sender: Callable[[], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._shared = shared
        self._wake_sender = wake_sender

    async def __aenter__(self) -> Self:
        shared = self._shared
        if shared is not None and shared.lendable():
            # A unit of work inside another one (or a second at once) gets its own session:
            # it must not end the outer one's transaction.
            shared.lent = True
            self.session = shared.session
        else:
            self._shared = None
            self.session = self._sessions()
        self.people: PersonRepo = SqlPersonRepo(self.session)
        self.families: FamilyRepo = SqlFamilyRepo(self.session)
        self.service_points: ServicePointRepo = SqlServicePointRepo(self.session)
        self.invitations: InvitationRepo = SqlInvitationRepo(self.session)
        self.consents: ConsentRepo = SqlConsentRepo(self.session)
        self.staff: StaffRepo = SqlStaffRepo(self.session)
        self.enrolments: EnrolmentRepo = SqlEnrolmentRepo(self.session)
        self.progress: ProgressRepo = SqlProgressRepo(self.session)
        self.outbox: OutboxRepo = SqlOutboxRepo(self.session)
        self.fanout: FanOutRepo = SqlFanOutRepo(self.session)
        self.cases: CaseRepo = SqlCaseRepo(self.session)
        self.holds: HoldRepo = SqlHoldRepo(self.session)
        self.screening: ScreeningRepo = SqlScreeningRepo(self.session)
        self.privacy: PrivacyRepo = SqlPrivacyRepo(self.session)
        self.inbox: InboxRepo = SqlInboxRepo(self.session)
        self.oversight: OversightRepo = SqlOversightRepo(self.session)
        self.dashboard: DashboardRepo = SqlDashboardRepo(self.session)
        self.members: MemberRepo = SqlMemberRepo(self.session)
        self.net: SafetyNetRepo = SqlSafetyNetRepo(self.session)
        self.misses: MissRepo = SqlMissRepo(self.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Nothing is committed implicitly: a use case that forgets to commit changes nothing.
        shared = self._shared
        self.session.info.pop(WAKE_SENDER, None)  # not committed: nothing became due
        if shared is None:
            try:
                await self.session.rollback()
            finally:
                await self.session.close()
            return
        try:
            if exc_type is not None or _holds_writes(self.session):
                await self.session.rollback()
            self.session.expunge_all()  # the next unit of work reads afresh
        except BaseException:
            shared.usable = False  # the next units of work of this task get their own
            raise
        finally:
            shared.lent = False

    async def commit(self) -> None:
        # The sender wakes after the commit, never before: woken early it would find nothing.
        wake = self.session.info.pop(WAKE_SENDER, False)
        await self.session.commit()
        if wake and self._wake_sender is not None:
            self._wake_sender()

    async def rollback(self) -> None:
        self.session.info.pop(WAKE_SENDER, None)
        await self.session.rollback()


class SqlUnitOfWorkFactory:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._scope: ContextVar[_Shared | None] = ContextVar("uow_scope", default=None)
        self._wake_sender: Callable[[], None] | None = None

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions, self._scope.get(), self._wake_sender)

    def on_outbox_commit(self, wake: Callable[[], None]) -> None:
        """Call `wake` after every commit whose transaction made outbox rows due (new, released
        from a hold, handed back by a dead instance): the sender wakes itself, and no use case
        passes a nudge around (bot/db/outbox_repo.py marks the session)."""
        self._wake_sender = wake

    @asynccontextmanager
    async def scope(self) -> AsyncIterator[None]:
        """The current task's units of work share one session until the block ends."""
        shared = _Shared(
            self._sessions(sync_session_class=_TrackedSession), asyncio.current_task()
        )
        token = self._scope.set(shared)
        try:
            yield
        finally:
            self._scope.reset(token)
            shared.usable = False
            await shared.session.close()  # rolls back what is open, returns the connection

    async def release(self) -> None:
        """Before a wait on something else (Telegram): end the scope's open read and give its
        connection back to the pool. The next unit of work takes one again."""
        shared = self._scope.get()
        if shared is not None and shared.lendable() and shared.session.in_transaction():
            # Only reads can be open here: a unit of work that wrote rolled back at its end.
            await shared.session.rollback()
