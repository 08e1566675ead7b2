"""Hand-written in-memory fakes of the ports, for fast service tests."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from types import TracebackType
from typing import Self

from bot.domain.invitations import InvitationView
from bot.domain.outbox import NewMessage
from bot.domain.people import ConsentDecision, Person, Relation, Role, ServicePointKind
from bot.ports import NewInvitation, ServicePoint, StaffMember


class FakeStore:
    """What the fake database holds; each unit of work copies it and writes back on commit."""

    def __init__(self) -> None:
        self.people: dict[int, Person] = {}
        self.families: set[tuple[int, int]] = set()
        self.relations: dict[tuple[int, int], Relation | None] = {}
        self.service_points: dict[int, ServicePoint] = {}
        self.invitations: dict[str, InvitationView] = {}
        self.consents: list[tuple[int, int, ConsentDecision, str, datetime]] = []
        self.staff: dict[int, StaffMember] = {}
        self.outbox: dict[str, NewMessage] = {}
        self.cancelled: set[str] = set()
        self.commits = 0


class FakeUnitOfWork:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def __aenter__(self) -> Self:
        self.data = copy.deepcopy(self.store)
        self.people = FakePersonRepo(self.data)
        self.families = FakeFamilyRepo(self.data)
        self.service_points = FakeServicePointRepo(self.data)
        self.invitations = FakeInvitationRepo(self.data)
        self.consents = FakeConsentRepo(self.data)
        self.staff = FakeStaffRepo(self.data)
        self.outbox = FakeOutboxRepo(self.data)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        commits = self.store.commits
        self.store.__dict__.update(copy.deepcopy(self.data).__dict__)
        self.store.commits = commits + 1

    async def rollback(self) -> None:
        self.data = copy.deepcopy(self.store)


class FakeUnitOfWorkFactory:
    def __init__(self) -> None:
        self.store = FakeStore()

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store)


class FakePersonRepo:
    def __init__(self, data: FakeStore) -> None:
        self.data = data

    async def by_telegram_id(self, telegram_id: int) -> Person | None:
        found = [p for p in self.data.people.values() if p.telegram_id == telegram_id]
        return copy.copy(found[0]) if found else None

    async def by_id(self, person_id: int) -> Person | None:
        p = self.data.people.get(person_id)
        return copy.copy(p) if p else None

    async def by_code(self, code: str) -> Person | None:
        found = [p for p in self.data.people.values() if p.code == code.upper()]
        return copy.copy(found[0]) if found else None

    async def add(self, person: Person) -> Person:
        if any(p.telegram_id == person.telegram_id for p in self.data.people.values()):
            raise ValueError("duplicate telegram id")
        person.id = max(self.data.people, default=0) + 1
        self.data.people[person.id] = copy.copy(person)
        return person

    async def save(self, person: Person) -> None:
        assert person.id in self.data.people
        self.data.people[person.id] = copy.copy(person)


class FakeFamilyRepo:
    def __init__(self, data: FakeStore) -> None:
        self.data = data

    async def link(self, guardian_id: int, child_id: int, relation: Relation | None) -> bool:
        if (guardian_id, child_id) in self.data.families:
            return False
        self.data.families.add((guardian_id, child_id))
        self.data.relations[(guardian_id, child_id)] = relation
        return True

    async def children_of(self, guardian_id: int) -> Sequence[Person]:
        return [self.data.people[c] for g, c in sorted(self.data.families) if g == guardian_id]

    async def guardians_of(self, child_id: int) -> Sequence[Person]:
        return [self.data.people[g] for g, c in sorted(self.data.families) if c == child_id]


class FakeOutboxRepo:
    """What was queued, by key; enough for the services that only queue (no sender here)."""

    def __init__(self, data: FakeStore) -> None:
        self.data = data

    async def enqueue(self, messages: Sequence[NewMessage]) -> int:
        new = [m for m in messages if m.key not in self.data.outbox]
        self.data.outbox.update((m.key, m) for m in new)
        return len(new)

    async def cancel_unsolicited(self, chat_id: int) -> int:
        gone = {
            k
            for k, m in self.data.outbox.items()
            if m.chat_id == chat_id and m.priority.unsolicited and k not in self.data.cancelled
        }
        self.data.cancelled |= gone
        return len(gone)


class FakeServicePointRepo:
    def __init__(self, data: FakeStore) -> None:
        self.data = data

    async def by_id(self, sp_id: int) -> ServicePoint | None:
        return self.data.service_points.get(sp_id)

    async def by_code(self, code: str) -> ServicePoint | None:
        return next((s for s in self.data.service_points.values() if s.code == code), None)

    async def by_staff_chat(self, chat_id: int) -> ServicePoint | None:
        return next(
            (s for s in self.data.service_points.values() if chat_id in s.staff_chat_ids), None
        )

    async def add_chat(self, sp_id: int, chat_id: int) -> bool:
        if any(chat_id in s.staff_chat_ids for s in self.data.service_points.values()):
            return False
        sp = self.data.service_points[sp_id]
        self.data.service_points[sp_id] = replace(sp, extra_chat_ids=(*sp.extra_chat_ids, chat_id))
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
        sp = ServicePoint(
            len(self.data.service_points) + 1, code, name, kind, region, director, staff_chat_id
        )
        self.data.service_points[sp.id] = sp
        return sp

    async def all(self) -> Sequence[ServicePoint]:
        return sorted(self.data.service_points.values(), key=lambda s: s.code)


class FakeInvitationRepo:
    def __init__(self, data: FakeStore) -> None:
        self.data = data

    async def add(self, inv: NewInvitation) -> InvitationView:
        view = InvitationView(
            code=inv.code,
            role=inv.role,
            service_point_id=inv.service_point_id,
            inviter_person_id=inv.inviter_person_id,
            for_child_id=inv.for_child_id,
            guardian_consent=inv.guardian_consent,
            max_uses=inv.max_uses,
            uses=0,
            expires_at=inv.expires_at,
            revoked=False,
        )
        self.data.invitations[inv.code] = view
        return view

    async def by_code(self, code: str) -> InvitationView | None:
        return self.data.invitations.get(code)

    async def consume(self, code: str, person_id: int, now: datetime) -> bool:
        inv = self.data.invitations.get(code)
        if inv is None or inv.revoked or inv.uses >= inv.max_uses:
            return False
        if inv.expires_at is not None and inv.expires_at <= now:
            return False
        self.data.invitations[code] = dataclasses.replace(inv, uses=inv.uses + 1)
        return True


class FakeConsentRepo:
    def __init__(self, data: FakeStore) -> None:
        self.data = data

    async def record(
        self,
        person_id: int,
        subject_id: int,
        decision: ConsentDecision,
        notice_version: str,
        at: datetime,
    ) -> None:
        self.data.consents.append((person_id, subject_id, decision, notice_version, at))


class FakeStaffRepo:
    def __init__(self, data: FakeStore) -> None:
        self.data = data

    async def by_telegram_id(self, telegram_id: int) -> StaffMember | None:
        return next((s for s in self.data.staff.values() if s.telegram_id == telegram_id), None)

    async def add(
        self,
        person_id: int,
        role: Role,
        display_name: str,
        service_point_id: int | None,
        on_duty: bool = False,
    ) -> StaffMember:
        person = self.data.people[person_id]
        member = StaffMember(
            person_id,
            person.telegram_id,
            role,
            display_name,
            len(self.data.staff) + 1,
            on_duty,
            service_point_id,
        )
        self.data.staff[person_id] = member
        return member
