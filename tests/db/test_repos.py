"""Repositories on real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.db.uow import SqlUnitOfWorkFactory
from bot.domain.people import (
    AgeBand,
    ConsentStatus,
    Person,
    Relation,
    Role,
    ServicePointKind,
    new_person_code,
)
from bot.ports import NewInvitation
from tests.support import FixedClock


async def _person(uow: SqlUnitOfWorkFactory, tg: int, role: Role | None = None) -> Person:
    async with uow() as u:
        p = await u.people.add(
            Person(telegram_id=tg, locale="zh_Hans", code=new_person_code(), role=role)
        )
        await u.commit()
    return p


async def test_person_round_trip(uow: SqlUnitOfWorkFactory, clock: FixedClock) -> None:
    p = await _person(uow, 42)
    async with uow() as u:
        got = await u.people.by_telegram_id(42)
        assert got is not None and got.id == p.id and got.role is None
        got.role = Role.CHILD
        got.age_band = AgeBand.A12_13
        got.consent = ConsentStatus.GIVEN
        got.consent_at = clock.now()
        await u.people.save(got)
        await u.commit()
    async with uow() as u:
        again = await u.people.by_id(p.id or 0)
    assert again is not None
    assert (again.role, again.age_band, again.consent) == (
        Role.CHILD,
        AgeBand.A12_13,
        ConsentStatus.GIVEN,
    )
    assert again.consent_at == clock.now()  # aware UTC back from either backend


async def test_uncommitted_work_is_rolled_back(uow: SqlUnitOfWorkFactory) -> None:
    async with uow() as u:
        await u.people.add(Person(telegram_id=7, locale="en", code=new_person_code()))
    async with uow() as u:
        assert await u.people.by_telegram_id(7) is None


async def test_family_link_is_idempotent(uow: SqlUnitOfWorkFactory) -> None:
    g = await _person(uow, 1, Role.GUARDIAN)
    c = await _person(uow, 2, Role.CHILD)
    assert g.id and c.id
    async with uow() as u:
        assert await u.families.link(g.id, c.id, Relation.GRANDPARENT) is True
        assert await u.families.link(g.id, c.id, Relation.GRANDPARENT) is False
        await u.commit()
    async with uow() as u:
        assert [p.telegram_id for p in await u.families.children_of(g.id)] == [2]
        assert [p.telegram_id for p in await u.families.guardians_of(c.id)] == [1]


async def test_single_use_invitation_has_exactly_one_winner(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    people = [await _person(uow, 100 + i) for i in range(6)]
    async with uow() as u:
        await u.invitations.add(
            NewInvitation(
                code="race-code",
                role=Role.GUARDIAN,
                service_point_id=None,
                created_by_id=None,
                inviter_person_id=None,
                for_child_id=None,
                guardian_consent=False,
                max_uses=1,
                expires_at=clock.now() + timedelta(days=1),
            )
        )
        await u.commit()

    async def attempt(person: Person) -> bool:
        async with uow() as u:
            won = await u.invitations.consume("race-code", person.id or 0, clock.now())
            await u.commit()
            return won

    results = await asyncio.gather(*(attempt(p) for p in people))
    assert sorted(results) == [False] * 5 + [True]
    async with uow() as u:
        inv = await u.invitations.by_code("race-code")
    assert inv is not None and inv.uses == 1


async def test_expired_invitation_cannot_be_consumed(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    p = await _person(uow, 5)
    async with uow() as u:
        await u.invitations.add(
            NewInvitation("old", Role.CHILD, None, None, None, None, False, 3, clock.now())
        )
        await u.commit()
    async with uow() as u:
        assert await u.invitations.consume("old", p.id or 0, clock.now()) is False


async def test_staff_pseudonyms_are_unique_and_increasing(uow: SqlUnitOfWorkFactory) -> None:
    a = await _person(uow, 11, Role.COUNSELLOR)
    b = await _person(uow, 12, Role.COUNSELLOR)
    async with uow() as u:
        sp = await u.service_points.add("SP1", "儿童之家", ServicePointKind.CHILDREN_HOME)
        first = await u.staff.add(a.id or 0, Role.COUNSELLOR, "Li", sp.id, on_duty=True)
        second = await u.staff.add(b.id or 0, Role.COUNSELLOR, "Wang", None)
        await u.commit()
    assert second.pseudonym_no == first.pseudonym_no + 1
    async with uow() as u:
        got = await u.staff.by_telegram_id(11)
        assert got is not None and got.on_duty and got.service_point_id == sp.id
        assert await u.service_points.by_code("SP1") == sp


def test_enum_values_fit_their_columns() -> None:
    """SQLite ignores VARCHAR lengths; PostgreSQL does not. Catch the mismatch everywhere."""
    from enum import StrEnum

    from bot.db.models import ConsentRow, InvitationRow, PersonRow, ServicePointRow, StaffRow
    from bot.domain.people import ChildAgeBand, ConsentDecision, PersonStatus

    columns: list[tuple[object, type[StrEnum]]] = [
        (PersonRow.role, Role),
        (PersonRow.status, PersonStatus),
        (PersonRow.consent, ConsentStatus),
        (PersonRow.age_band, AgeBand),
        (PersonRow.child_age_band, ChildAgeBand),
        (PersonRow.relation, Relation),
        (ConsentRow.decision, ConsentDecision),
        (InvitationRow.role, Role),
        (StaffRow.role, Role),
        (ServicePointRow.kind, ServicePointKind),
    ]
    for column, enum in columns:
        length = column.property.columns[0].type.length  # type: ignore[attr-defined]
        too_long = [m.value for m in enum if len(m.value) > length]
        assert too_long == [], f"{column} ({length}) cannot hold {too_long}"


async def test_updates_stored_as_taken_skip_the_claim_and_come_back_once(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    """The receiving instance stores its updates as already taken: the claim loop does not
    hand them out again, a re-delivered one is not new, and a dead owner's come back."""
    async with uow() as u:
        await u.inbox.store([(5, "{}")], clock.now())  # waiting for the claim loop
        new = await u.inbox.store_handling(
            [(7, '{"b":1}'), (6, '{"a":1}'), (5, "{}")], clock.now(), 99
        )
        await u.commit()
    assert list(new) == [6, 7]  # in order; 5 was there already
    async with uow() as u:
        assert await u.inbox.store_handling([(6, '{"a":1}')], clock.now(), 99) == []
        assert [i for i, _, _ in await u.inbox.claim(10, 1)] == [5]  # not 6 or 7
        assert await u.inbox.requeue_orphaned() == 3  # owner 99 and 1 are not registered
        again = await u.inbox.claim(10, 1)
        await u.commit()
    # The first attempt was the receiving instance's: this is the second.
    assert [(i, a) for i, _, a in again] == [(5, 2), (6, 2), (7, 2)]


async def test_group_members_follow_the_newest_update_not_the_last_handled(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    """Updates are handled several at once: a join handled after the leave that followed it
    must not bring the person back; what the bot learns itself (removal, the list of
    administrators) always counts."""
    chat, now = -100, clock.now()

    async def present() -> dict[int, bool]:
        async with uow() as u:
            return {m.telegram_id: m.admin for m in await u.members.present(chat)}

    async with uow() as u:
        await u.members.seen(chat, 7, now, present=False, admin=None, update_id=12)  # left
        await u.members.seen(chat, 7, now, present=True, admin=None, update_id=10)  # joined
        await u.members.seen(chat, 8, now, present=True, admin=None, update_id=11)
        await u.commit()
    assert await present() == {8: False}
    async with uow() as u:
        await u.members.admins_are(chat, [9], now)  # Telegram's list, asked just now
        await u.members.seen(chat, 8, now, present=False, admin=None)  # removed by the bot
        await u.members.seen(chat, 8, now, present=True, admin=None, update_id=11)  # stale
        await u.commit()
    assert await present() == {9: True}
    async with uow() as u:
        await u.members.admins_are(chat, [], now)  # no longer an administrator
        await u.members.seen(chat, 7, now, present=True, admin=None, update_id=13)  # back
        await u.commit()
    assert await present() == {7: False, 9: False}
