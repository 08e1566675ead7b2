"""Families: a guardian consenting for a young child, and the links each side can share."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.invitations import new_code
from bot.domain.people import NOTICE_VERSION, ConsentDecision, ConsentStatus, Role
from bot.domain.replies import Choice, Keyboard, Notice, Outcome, Reply, rows
from bot.ports import Clock, NewInvitation, UnitOfWorkFactory
from bot.services.common import Who


def make_invitation(
    clock: Clock,
    days: int,
    role: Role,
    *,
    service_point_id: int | None = None,
    created_by_id: int | None = None,
    inviter_person_id: int | None = None,
    for_child_id: int | None = None,
    guardian_consent: bool = False,
    max_uses: int = 1,
) -> NewInvitation:
    return NewInvitation(
        code=new_code(),
        role=role,
        service_point_id=service_point_id,
        created_by_id=created_by_id,
        inviter_person_id=inviter_person_id,
        for_child_id=for_child_id,
        guardian_consent=guardian_consent,
        max_uses=max_uses,
        expires_at=clock.now() + timedelta(days=days),
    )


async def settle_guardian_consent(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    notice_version: str,
    who: Who,
    child_id: int,
    agreed: bool,
) -> tuple[Notice, ...]:
    """Record a guardian's decision for the child who invited them, and tell the child."""
    async with uow_factory() as uow:
        guardian = await uow.people.by_telegram_id(who.telegram_id)
        child = await uow.people.by_id(child_id)
        if guardian is None or guardian.id is None or child is None or child.id is None:
            return ()
        if child.consent is not ConsentStatus.AWAITING_GUARDIAN:
            return ()
        now = clock.now()
        decision = (
            ConsentDecision.AGREED_FOR_CHILD if agreed else ConsentDecision.DECLINED_FOR_CHILD
        )
        await uow.consents.record(guardian.id, child.id, decision, notice_version, now)
        if agreed:
            child.consent = ConsentStatus.GIVEN
            child.consent_at = now
            child.child_age_band = guardian.child_age_band
            if child.service_point_id is None:
                child.service_point_id = guardian.service_point_id
            await uow.people.save(child)
            await uow.families.link(guardian.id, child.id, guardian.relation)
        await uow.commit()
    template = (
        "onboarding/child_guardian_agreed" if agreed else "onboarding/child_guardian_declined"
    )
    if child.telegram_id is None:
        return ()
    return (Notice(child.telegram_id, child.locale, Reply(template, keyboard=Keyboard.HELP)),)


class Family:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, invite_days: int, bot_username: str
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.invite_days = invite_days
        self.bot_username = bot_username

    def link(self, code: str) -> str:
        return f"https://t.me/{self.bot_username}?start={code}"

    async def offer_child_invite(self, who: Who) -> Outcome:
        """A guardian asked to invite their child: explain what it means before making a link."""
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
        if person is None or not person.registered or person.role is not Role.GUARDIAN:
            return Outcome(toast="toast.stale")
        return Outcome.of(
            Reply(
                "family/invite_child_confirm",
                choices=rows(
                    Choice("btn.invite_child_yes", "fam:child:yes"),
                    Choice("btn.cancel", "fam:child:no"),
                ),
            )
        )

    async def make_child_invite(self, who: Who, agreed: bool) -> Outcome:
        if not agreed:
            return Outcome.of(Reply("family/invite_cancelled"))
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            if person is None or person.id is None or not person.registered:
                return Outcome(toast="toast.stale")
            if person.role is not Role.GUARDIAN:
                return Outcome(toast="toast.stale")
            inv = await uow.invitations.add(
                make_invitation(
                    self.clock,
                    self.invite_days,
                    Role.CHILD,
                    service_point_id=person.service_point_id,
                    created_by_id=person.id,
                    inviter_person_id=person.id,
                    guardian_consent=True,
                )
            )
            await uow.consents.record(
                person.id,
                person.id,
                ConsentDecision.AGREED_BY_INVITING,
                NOTICE_VERSION,
                self.clock.now(),
            )
            await uow.commit()
        return Outcome.of(
            Reply(
                "family/invite_child_link",
                {"link": self.link(inv.code), "days": self.invite_days},
            )
        )

    async def make_guardian_invite(self, who: Who) -> Outcome:
        """A young child asks a guardian to join and agree for them."""
        async with self.uow() as uow:
            child = await uow.people.by_telegram_id(who.telegram_id)
            if child is None or child.id is None or child.role is not Role.CHILD:
                return Outcome(toast="toast.stale")
            if child.consent is not ConsentStatus.AWAITING_GUARDIAN:
                return Outcome(toast="toast.stale")
            inv = await uow.invitations.add(
                make_invitation(
                    self.clock,
                    self.invite_days,
                    Role.GUARDIAN,
                    created_by_id=child.id,
                    for_child_id=child.id,
                )
            )
            await uow.commit()
        return Outcome.of(
            Reply(
                "family/invite_guardian_link",
                {"link": self.link(inv.code), "days": self.invite_days},
            )
        )
