"""The SQL unit of work: one session, one transaction, every repository on it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.cases_repo import SqlCaseRepo
from bot.db.dashboard_repo import SqlDashboardRepo
from bot.db.fanout_repo import SqlFanOutRepo
from bot.db.holds_repo import SqlHoldRepo
from bot.db.inbox_repo import SqlInboxRepo
from bot.db.lessons_repo import SqlEnrolmentRepo, SqlProgressRepo
from bot.db.outbox_repo import SqlOutboxRepo
from bot.db.oversight_repo import SqlOversightRepo
from bot.db.privacy_repo import SqlPrivacyRepo
from bot.db.repos import (
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
    OutboxRepo,
    OversightRepo,
    PersonRepo,
    PrivacyRepo,
    ProgressRepo,
    ScreeningRepo,
    ServicePointRepo,
    StaffRepo,
)


class SqlUnitOfWork:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> Self:
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
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Nothing is committed implicitly: a use case that forgets to commit changes nothing.
        try:
            await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()


class SqlUnitOfWorkFactory:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions)
