"""Repositories: map rows to domain values so services never see SQLAlchemy."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Table, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    ConsentRow,
    FamilyRow,
    InvitationRow,
    PersonRow,
    ServicePointChatRow,
    ServicePointRow,
    StaffRow,
)
from bot.domain.invitations import InvitationView
from bot.domain.people import (
    AgeBand,
    ChildAgeBand,
    ConsentDecision,
    ConsentStatus,
    Person,
    PersonStatus,
    Relation,
    Role,
    ServicePointKind,
)
from bot.ports import NewInvitation, ServicePoint, StaffMember

# session.info key: people read in this transaction, by Telegram id (set up by bot/db/uow.py for
# an update's shared session, emptied on every write, commit and rollback).
PEOPLE_MEMO = "xq_people"

_PERSON_FIELDS = (
    "telegram_id",
    "code",
    "role",
    "locale",
    "status",
    "consent",
    "consent_at",
    "age_band",
    "child_age_band",
    "relation",
    "service_point_id",
)


# Hot reads select from the table, not the mapped class: the rows become domain objects at
# once, and skipping the ORM's loading saves about a third of each query's Python time.
_PEOPLE = cast(Table, PersonRow.__table__)


def _person(row: PersonRow | Row[Any]) -> Person:
    return Person(
        id=row.id,
        telegram_id=row.telegram_id,
        code=row.code,
        locale=row.locale,
        role=Role(row.role) if row.role else None,
        status=PersonStatus(row.status),
        consent=ConsentStatus(row.consent),
        consent_at=row.consent_at,
        age_band=AgeBand(row.age_band) if row.age_band else None,
        child_age_band=ChildAgeBand(row.child_age_band) if row.child_age_band else None,
        relation=Relation(row.relation) if row.relation else None,
        service_point_id=row.service_point_id,
        created_at=row.created_at,
    )


class SqlPersonRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def by_telegram_id(self, telegram_id: int) -> Person | None:
        # Inside one update (bot/db/uow.py scope) the person is asked for by triage, by the
        # answer and for their language: read once until something is written or the
        # transaction ends. Each caller gets its own copy to change.
        memo: dict[int, Person | None] | None = self.s.info.get(PEOPLE_MEMO)
        if memo is not None and telegram_id in memo:
            known = memo[telegram_id]
            return copy.copy(known) if known is not None else None
        found = await self.s.execute(select(_PEOPLE).where(_PEOPLE.c.telegram_id == telegram_id))
        row = found.first()
        person = _person(row) if row else None
        if memo is not None:
            memo[telegram_id] = copy.copy(person) if person is not None else None
        return person

    async def by_id(self, person_id: int) -> Person | None:
        row = await self.s.get(PersonRow, person_id)
        return _person(row) if row else None

    async def by_code(self, code: str) -> Person | None:
        row = await self.s.scalar(select(PersonRow).where(PersonRow.code == code.upper()))
        return _person(row) if row else None

    async def add(self, person: Person) -> Person:
        row = PersonRow(**{f: getattr(person, f) for f in _PERSON_FIELDS})
        self.s.add(row)
        await self.s.flush()
        person.id = row.id
        person.created_at = row.created_at
        return person

    async def save(self, person: Person) -> None:
        row = await self.s.get(PersonRow, person.id)
        if row is None:
            raise LookupError("person vanished")
        for f in _PERSON_FIELDS:
            setattr(row, f, getattr(person, f))
        await self.s.flush()


class SqlFamilyRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def link(self, guardian_id: int, child_id: int, relation: Relation | None) -> bool:
        existing = await self.s.scalar(
            select(FamilyRow.id).where(
                FamilyRow.guardian_id == guardian_id, FamilyRow.child_id == child_id
            )
        )
        if existing:
            return False
        try:
            async with self.s.begin_nested():
                self.s.add(
                    FamilyRow(guardian_id=guardian_id, child_id=child_id, relation=relation)
                )
        except IntegrityError:  # a concurrent link won the race: the family exists either way
            return False
        return True

    async def children_of(self, guardian_id: int) -> Sequence[Person]:
        rows = await self.s.scalars(
            select(PersonRow)
            .join(FamilyRow, FamilyRow.child_id == PersonRow.id)
            .where(FamilyRow.guardian_id == guardian_id)
            .order_by(PersonRow.id)
        )
        return [_person(r) for r in rows]

    async def guardians_of(self, child_id: int) -> Sequence[Person]:
        rows = await self.s.scalars(
            select(PersonRow)
            .join(FamilyRow, FamilyRow.guardian_id == PersonRow.id)
            .where(FamilyRow.child_id == child_id)
            .order_by(PersonRow.id)
        )
        return [_person(r) for r in rows]


def _sp(row: ServicePointRow, extra: Sequence[int] = ()) -> ServicePoint:
    return ServicePoint(
        id=row.id,
        code=row.code,
        name=row.name,
        kind=ServicePointKind(row.kind),
        region=row.region,
        director=row.director,
        staff_chat_id=row.staff_chat_id,
        extra_chat_ids=tuple(extra),
    )


class SqlServicePointRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def _with_chats(self, row: ServicePointRow | None) -> ServicePoint | None:
        if row is None:
            return None
        extra = await self.s.scalars(
            select(ServicePointChatRow.chat_id)
            .where(ServicePointChatRow.service_point_id == row.id)
            .order_by(ServicePointChatRow.added_at, ServicePointChatRow.chat_id)
        )
        return _sp(row, list(extra))

    async def by_id(self, sp_id: int) -> ServicePoint | None:
        return await self._with_chats(await self.s.get(ServicePointRow, sp_id))

    async def by_code(self, code: str) -> ServicePoint | None:
        row = await self.s.scalar(select(ServicePointRow).where(ServicePointRow.code == code))
        return await self._with_chats(row)

    async def by_staff_chat(self, chat_id: int) -> ServicePoint | None:
        extra = select(ServicePointChatRow.service_point_id).where(
            ServicePointChatRow.chat_id == chat_id
        )
        row = await self.s.scalar(
            select(ServicePointRow)
            .where((ServicePointRow.staff_chat_id == chat_id) | ServicePointRow.id.in_(extra))
            .order_by(ServicePointRow.id)
            .limit(1)
        )
        return await self._with_chats(row)

    async def add_chat(self, sp_id: int, chat_id: int) -> bool:
        taken = await self.s.scalar(
            select(func.count())
            .select_from(ServicePointRow)
            .where(ServicePointRow.staff_chat_id == chat_id)
        )
        if taken or await self.s.get(ServicePointChatRow, chat_id) is not None:
            return False
        self.s.add(ServicePointChatRow(chat_id=chat_id, service_point_id=sp_id))
        await self.s.flush()
        return True

    async def add(
        self,
        code: str,
        name: str,
        kind: ServicePointKind,
        region: str = "",
        director: str = "",
        staff_chat_id: int | None = None,
    ) -> ServicePoint:
        row = ServicePointRow(
            code=code,
            name=name,
            kind=kind.value,
            region=region,
            director=director,
            staff_chat_id=staff_chat_id,
        )
        self.s.add(row)
        await self.s.flush()
        return _sp(row)

    async def all(self) -> Sequence[ServicePoint]:
        rows = await self.s.scalars(select(ServicePointRow).order_by(ServicePointRow.code))
        extra: dict[int, list[int]] = {}
        for sp_id, chat_id in await self.s.execute(
            select(ServicePointChatRow.service_point_id, ServicePointChatRow.chat_id).order_by(
                ServicePointChatRow.added_at, ServicePointChatRow.chat_id
            )
        ):
            extra.setdefault(sp_id, []).append(chat_id)
        return [_sp(r, extra.get(r.id, ())) for r in rows]


def _inv(row: InvitationRow) -> InvitationView:
    return InvitationView(
        code=row.code,
        role=Role(row.role),
        service_point_id=row.service_point_id,
        inviter_person_id=row.inviter_person_id,
        for_child_id=row.for_child_id,
        guardian_consent=row.guardian_consent,
        max_uses=row.max_uses,
        uses=row.uses,
        expires_at=row.expires_at,
        revoked=row.revoked,
    )


class SqlInvitationRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add(self, inv: NewInvitation) -> InvitationView:
        row = InvitationRow(
            code=inv.code,
            role=inv.role.value,
            service_point_id=inv.service_point_id,
            created_by_id=inv.created_by_id,
            inviter_person_id=inv.inviter_person_id,
            for_child_id=inv.for_child_id,
            guardian_consent=inv.guardian_consent,
            max_uses=inv.max_uses,
            uses=0,
            expires_at=inv.expires_at,
        )
        self.s.add(row)
        await self.s.flush()
        return _inv(row)

    async def by_code(self, code: str) -> InvitationView | None:
        row = await self.s.scalar(select(InvitationRow).where(InvitationRow.code == code))
        return _inv(row) if row else None

    async def consume(self, code: str, person_id: int, now: datetime) -> bool:
        # One conditional UPDATE: two people opening a single-use link at once cannot both win.
        result = await self.s.execute(
            update(InvitationRow)
            .where(
                InvitationRow.code == code,
                InvitationRow.uses < InvitationRow.max_uses,
                InvitationRow.revoked.is_(False),
                or_(InvitationRow.expires_at.is_(None), InvitationRow.expires_at > now),
            )
            .values(uses=InvitationRow.uses + 1, last_used_by_id=person_id, last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))


class SqlConsentRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def record(
        self,
        person_id: int,
        subject_id: int,
        decision: ConsentDecision,
        notice_version: str,
        at: datetime,
    ) -> None:
        self.s.add(
            ConsentRow(
                person_id=person_id,
                subject_id=subject_id,
                decision=decision.value,
                notice_version=notice_version,
                at=at,
            )
        )
        await self.s.flush()


def _staff(row: StaffRow, telegram_id: int | None) -> StaffMember:
    return StaffMember(
        person_id=row.person_id,
        # Staff join from Telegram; only children on record (no phone) lack an id.
        telegram_id=telegram_id or 0,
        role=Role(row.role),
        display_name=row.display_name,
        pseudonym_no=row.pseudonym_no,
        on_duty=row.on_duty,
        service_point_id=row.service_point_id,
    )


class SqlStaffRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def by_telegram_id(self, telegram_id: int) -> StaffMember | None:
        row = await self.s.execute(
            select(StaffRow, PersonRow.telegram_id)
            .join(PersonRow, PersonRow.id == StaffRow.person_id)
            .where(PersonRow.telegram_id == telegram_id, StaffRow.active.is_(True))
        )
        found = row.first()
        return _staff(found[0], found[1]) if found else None

    async def add(
        self,
        person_id: int,
        role: Role,
        display_name: str,
        service_point_id: int | None,
        on_duty: bool = False,
    ) -> StaffMember:
        person = await self.s.get(PersonRow, person_id)
        if person is None:
            raise LookupError("no such person")
        row = await self.s.scalar(select(StaffRow).where(StaffRow.person_id == person_id))
        if row is not None:  # registered before (perhaps retired): same row, same number
            row.role, row.display_name, row.active = role.value, display_name, True
            row.service_point_id = service_point_id
            await self.s.flush()
            return _staff(row, person.telegram_id)
        top = await self.s.scalar(select(func.max(StaffRow.pseudonym_no)))
        row = StaffRow(
            person_id=person_id,
            role=role.value,
            display_name=display_name,
            pseudonym_no=(top or 0) + 1,
            on_duty=on_duty,
            service_point_id=service_point_id,
        )
        self.s.add(row)
        await self.s.flush()
        return _staff(row, person.telegram_id)

    async def by_person_id(self, person_id: int) -> StaffMember | None:
        row = await self.s.execute(
            select(StaffRow, PersonRow.telegram_id)
            .join(PersonRow, PersonRow.id == StaffRow.person_id)
            .where(StaffRow.person_id == person_id, StaffRow.active.is_(True))
        )
        found = row.first()
        return _staff(found[0], found[1]) if found else None

    async def active(self) -> Sequence[StaffMember]:
        rows = await self.s.execute(
            select(StaffRow, PersonRow.telegram_id)
            .join(PersonRow, PersonRow.id == StaffRow.person_id)
            .where(StaffRow.active.is_(True))
            .order_by(StaffRow.pseudonym_no)
        )
        return [_staff(r[0], r[1]) for r in rows]

    async def set_duty(self, person_id: int, on_duty: bool) -> None:
        await self.s.execute(
            update(StaffRow).where(StaffRow.person_id == person_id).values(on_duty=on_duty)
        )

    async def retire(self, person_id: int) -> bool:
        result = await self.s.execute(
            update(StaffRow)
            .where(StaffRow.person_id == person_id, StaffRow.active.is_(True))
            .values(active=False, on_duty=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def update(self, person_id: int, role: Role, display_name: str) -> None:
        # A returning colleague keeps their number: children may remember "心理老师 7".
        await self.s.execute(
            update(StaffRow)
            .where(StaffRow.person_id == person_id)
            .values(role=role.value, display_name=display_name, active=True)
        )
