"""Onboarding: welcome, role, age, consent, and what each role is asked next.

Nothing about a person is stored beyond their Telegram id and language until they (or, for a
child under 14, their guardian) agree to the privacy notice; until then answers live in the
conversation's Draft. See docs/onboarding.md for the flow diagram.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.invitations import InvitationView, InviteProblem, looks_like_code, problem_with
from bot.domain.locale import Locale
from bot.domain.people import (
    ASKED_RELATIONS,
    NOTICE_VERSION,
    AgeBand,
    ChildAgeBand,
    ConsentDecision,
    ConsentStatus,
    Person,
    PersonStatus,
    Relation,
    Role,
    parse_enum,
)
from bot.domain.replies import Choice, Keyboard, Outcome, Reply, rows
from bot.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.common import Draft, Who, person_for
from bot.services.family import settle_guardian_consent

STALE = "toast.stale"


@dataclass(frozen=True, slots=True)
class OnboardingPolicy:
    default_locale: Locale
    admin_ids: frozenset[int]
    invite_days: int
    bot_username: str
    notice_version: str = NOTICE_VERSION

    def deep_link(self, code: str) -> str:
        return f"https://t.me/{self.bot_username}?start={code}"


def ask_role() -> Reply:
    return Reply(
        "onboarding/ask_role",
        choices=rows(
            Choice("btn.role.guardian", "ob:role:guardian"),
            Choice("btn.role.child", "ob:role:child"),
            Choice("btn.role.staff", "ob:role:staff"),
        ),
    )


def ask_age() -> Reply:
    return Reply(
        "onboarding/ask_age",
        choices=rows(
            *(Choice(f"btn.age.{b.value}", f"ob:age:{b.value}") for b in AgeBand), width=2
        ),
    )


def privacy(role: str, needs_guardian: bool) -> Reply:
    return Reply(
        "onboarding/privacy",
        {"role": role, "needs_guardian": needs_guardian},
        choices=rows(
            Choice("btn.consent.yes", "ob:consent:yes"),
            Choice("btn.consent.no", "ob:consent:no"),
            Choice("btn.consent.more", "ob:consent:more"),
        ),
    )


def ask_relation() -> Reply:
    return Reply(
        "onboarding/ask_relation",
        choices=rows(
            *(Choice(f"btn.rel.{r.value}", f"ob:rel:{r.value}") for r in ASKED_RELATIONS),
            width=2,
        ),
    )


def ask_child_age() -> Reply:
    return Reply(
        "onboarding/ask_child_age",
        choices=rows(
            *(Choice(f"btn.cage.{b.value}", f"ob:cage:{b.value}") for b in ChildAgeBand), width=3
        ),
    )


def guardian_done() -> Reply:
    """Registered: now the weekly slot (the lessons service takes the `ls:day` answer)."""
    return Reply(
        "onboarding/guardian_done",
        choices=rows(*(Choice(f"btn.day.{d}", f"ls:day:{d}") for d in range(7)), width=4),
    )


def prompt_for(step: str, draft: Draft) -> Reply | None:
    """The question a step asks, to repeat when someone types instead of pressing a button."""
    if step == "role":
        return ask_role()
    if step == "age":
        return ask_age()
    if step == "consent":
        band = parse_enum(AgeBand, draft.age)
        return privacy(draft.role, bool(band and band.needs_guardian_consent))
    if step == "relation":
        return ask_relation()
    if step == "child_age":
        return ask_child_age()
    if step == "guardian_consent":
        return Reply("onboarding/ask_guardian_consent", choices=_yes_no("ob:gc"))
    return None


def _yes_no(prefix: str) -> tuple[tuple[Choice, ...], ...]:
    return rows(Choice("btn.yes_agree", f"{prefix}:yes"), Choice("btn.no", f"{prefix}:no"))


class Onboarding:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, policy: OnboardingPolicy) -> None:
        self.uow = uow
        self.clock = clock
        self.policy = policy

    # -- /start -------------------------------------------------------------------------

    async def start(self, who: Who, payload: str, draft: Draft) -> tuple[Outcome, Draft, str]:
        """Returns what to say, the new draft, and the locale to say it in."""
        async with self.uow() as uow:
            person = await person_for(uow, who, self.policy.default_locale)
            replies: list[Reply] = []
            invite: InvitationView | None = None
            if payload:
                invite, problem = await self._check_invite(uow, payload, person)
                if problem is not None:
                    replies.append(Reply("onboarding/invite_problem", {"problem": problem.value}))
            if person.registered:
                replies.extend(await self._returning(uow, person, invite))
                await uow.commit()
                return Outcome(replies=tuple(replies)), Draft(), person.locale
            await uow.commit()
        new = Draft(step="role")
        invited: dict[str, object] = {"service_point": ""}
        if invite is not None:
            new = Draft(invite=invite.code, role=invite.role.value)
            invited = await self._invited_by(invite)
        replies.append(Reply("onboarding/welcome", invited, keyboard=Keyboard.HELP))
        if not new.role:
            replies.append(ask_role())
        elif new.role == Role.CHILD:
            new.step = "age"
            replies.append(ask_age())
        else:
            new.step = "consent"
            replies.append(privacy(new.role, False))
        return Outcome(replies=tuple(replies)), new, person.locale

    async def _check_invite(
        self, uow: UnitOfWork, payload: str, person: Person
    ) -> tuple[InvitationView | None, InviteProblem | None]:
        if not looks_like_code(payload):
            return None, InviteProblem.MALFORMED
        inv = await uow.invitations.by_code(payload)
        problem = problem_with(inv, self.clock.now())
        if problem is InviteProblem.USED and person.registered:
            # Opening your own link twice is not a problem worth a warning.
            return None, None
        return (inv, None) if problem is None else (None, problem)

    async def _invited_by(self, invite: InvitationView) -> dict[str, object]:
        """Who sent the link, in words the invited person knows: for a child their guardian as
        they call them ("你的奶奶") and where that guardian is registered; otherwise the service
        point. Never a staff member's name (staff names are for colleagues) nor a code."""
        async with self.uow() as uow:
            sp = (
                await uow.service_points.by_id(invite.service_point_id)
                if invite.service_point_id is not None
                else None
            )
            guardian = (
                await uow.people.by_id(invite.inviter_person_id)
                if invite.inviter_person_id is not None and invite.role is Role.CHILD
                else None
            )
        relation = ""
        if guardian is not None and guardian.role is Role.GUARDIAN:
            relation = (guardian.relation or Relation.OTHER).value
        return {
            "service_point": sp.name if sp else "",
            "invited_as": invite.role.value,
            "inviter": relation,
        }

    async def _returning(
        self, uow: UnitOfWork, person: Person, invite: InvitationView | None
    ) -> list[Reply]:
        out: list[Reply] = []
        if invite is not None:
            if invite.role is not person.role:
                out.append(Reply("onboarding/invite_wrong_role", {"role": invite.role.value}))
            elif await self._apply_invite(uow, person, invite):
                out.append(Reply("onboarding/invite_applied"))
        if person.status is not PersonStatus.ACTIVE:
            person.status = PersonStatus.ACTIVE
            await uow.people.save(person)
            out.append(Reply("onboarding/welcome_back", keyboard=Keyboard.HELP))
        elif not out:
            out.append(Reply("onboarding/already", {"role": person.role}, keyboard=Keyboard.HELP))
        return out

    async def _apply_invite(self, uow: UnitOfWork, person: Person, inv: InvitationView) -> bool:
        """Use the code for this person: service point, and the family the link stands for."""
        assert person.id is not None
        if not await uow.invitations.consume(inv.code, person.id, self.clock.now()):
            return False
        if inv.service_point_id is not None and person.service_point_id is None:
            person.service_point_id = inv.service_point_id
            await uow.people.save(person)
        if inv.inviter_person_id is not None and person.role is Role.CHILD:
            await uow.families.link(inv.inviter_person_id, person.id, None)
        return True

    # -- buttons ------------------------------------------------------------------------

    async def choose(self, who: Who, action: str, draft: Draft) -> tuple[Outcome, Draft]:
        """Handle an `ob:` button; anything not valid for the current step is stale."""
        parts = action.split(":")
        verb, value = (parts[1], parts[2]) if len(parts) == 3 else (parts[-1], "")
        handlers = {
            "role": ("role", self._role),
            "age": ("age", self._age),
            "consent": ("consent", self._consent),
            "rel": ("relation", self._relation),
            "cage": ("child_age", self._child_age),
            "gc": ("guardian_consent", self._guardian_consent),
        }
        if verb in handlers:
            step, fn = handlers[verb]
            if draft.step != step:
                return Outcome(toast=STALE), draft
            return await fn(who, value, draft)
        return Outcome(toast=STALE), draft

    async def _role(self, who: Who, value: str, draft: Draft) -> tuple[Outcome, Draft]:
        if value == "staff":
            return await self._staff(who), Draft()
        if value not in (Role.GUARDIAN, Role.CHILD):
            return Outcome(toast=STALE), draft
        if value == Role.CHILD:
            return Outcome.of(ask_age()), Draft(step="age", role=value, invite=draft.invite)
        return Outcome.of(privacy(value, False)), Draft(step="consent", role=value)

    async def _staff(self, who: Who) -> Outcome:
        async with self.uow() as uow:
            staff = await uow.staff.by_telegram_id(who.telegram_id)
        if staff is not None or who.telegram_id in self.policy.admin_ids:
            return Outcome.of(Reply("onboarding/staff_known", keyboard=Keyboard.HELP))
        return Outcome.of(
            Reply(
                "onboarding/staff_unknown",
                {"telegram_id": who.telegram_id},
                keyboard=Keyboard.HELP,
            )
        )

    async def _age(self, who: Who, value: str, draft: Draft) -> tuple[Outcome, Draft]:
        band = parse_enum(AgeBand, value)
        if band is None:
            return Outcome(toast=STALE), draft
        guardian_ok = False
        if draft.invite:
            async with self.uow() as uow:
                inv = await uow.invitations.by_code(draft.invite)
            guardian_ok = bool(inv and inv.guardian_consent)
        needs_guardian = band.needs_guardian_consent and not guardian_ok
        new = Draft(step="consent", role=Role.CHILD.value, age=value, invite=draft.invite)
        return Outcome.of(privacy(Role.CHILD.value, needs_guardian)), new

    async def _consent(self, who: Who, value: str, draft: Draft) -> tuple[Outcome, Draft]:
        if value == "more":
            return Outcome.of(
                Reply("onboarding/privacy_more", {"role": draft.role}),
                prompt_for("consent", draft) or ask_role(),
            ), draft
        if value == "no":
            return await self._declined(who), Draft()
        if value != "yes" or draft.role not in (Role.GUARDIAN, Role.CHILD):
            return Outcome(toast=STALE), draft
        if draft.role == Role.GUARDIAN:
            return await self._guardian_agreed(who, draft)
        return await self._child_agreed(who, draft)

    async def _declined(self, who: Who) -> Outcome:
        async with self.uow() as uow:
            person = await person_for(uow, who, self.policy.default_locale)
            assert person.id is not None
            person.forget_personal_data()
            person.consent = ConsentStatus.DECLINED
            await uow.people.save(person)
            await uow.consents.record(
                person.id,
                person.id,
                ConsentDecision.DECLINED,
                self.policy.notice_version,
                self.clock.now(),
            )
            await uow.commit()
        return Outcome.of(Reply("onboarding/declined", keyboard=Keyboard.HELP))

    async def _register(
        self, uow: UnitOfWork, who: Who, role: Role, consent: ConsentStatus
    ) -> Person:
        person = await person_for(uow, who, self.policy.default_locale)
        assert person.id is not None
        now = self.clock.now()
        person.role = role
        person.consent = consent
        person.consent_at = now
        person.status = PersonStatus.ACTIVE
        await uow.people.save(person)
        await uow.consents.record(
            person.id, person.id, ConsentDecision.AGREED, self.policy.notice_version, now
        )
        return person

    async def _guardian_agreed(self, who: Who, draft: Draft) -> tuple[Outcome, Draft]:
        async with self.uow() as uow:
            person = await self._register(uow, who, Role.GUARDIAN, ConsentStatus.GIVEN)
            for_child = 0
            lost = ""
            if draft.invite:
                inv = await uow.invitations.by_code(draft.invite)
                if inv is not None and await self._apply_invite(uow, person, inv):
                    for_child = inv.for_child_id or 0
                else:
                    lost = await self._why_lost(uow, inv) if inv else InviteProblem.UNKNOWN.value
            await uow.commit()
        replies = [Reply("onboarding/thanks_consent", {"role": "guardian"})]
        if lost:
            replies.append(Reply("onboarding/invite_problem", {"problem": lost}))
        replies.append(ask_relation())
        return Outcome(replies=tuple(replies)), Draft(step="relation", for_child=for_child)

    async def _child_agreed(self, who: Who, draft: Draft) -> tuple[Outcome, Draft]:
        band = parse_enum(AgeBand, draft.age) or AgeBand.UNSAID
        young = band.needs_guardian_consent
        async with self.uow() as uow:
            inv = await uow.invitations.by_code(draft.invite) if draft.invite else None
            guardian_link = bool(inv and inv.guardian_consent and inv.inviter_person_id)
            status = ConsentStatus.AWAITING_GUARDIAN if young else ConsentStatus.GIVEN
            person = await self._register(uow, who, Role.CHILD, status)
            # A guardian's consent travels with their link only to the child who actually uses
            # it: a one-use link another child took first, or one that expired since /start,
            # carries nobody's consent (PIPL Art. 31), so the answer is decided by the use.
            lost = ""
            applied = False
            if inv is not None and (guardian_link or not young):
                applied = await self._apply_invite(uow, person, inv)
                lost = "" if applied else await self._why_lost(uow, inv)
            if young and not (guardian_link and applied):
                # Assent only: role and the wait are kept, the age is not, until a guardian agrees.
                await uow.commit()
                replies = [Reply("onboarding/invite_problem", {"problem": lost})] if lost else []
                replies.append(
                    Reply(
                        "onboarding/child_needs_guardian",
                        keyboard=Keyboard.HELP,
                        choices=rows(Choice("btn.invite_guardian", "fam:guardian")),
                    )
                )
                return Outcome(replies=tuple(replies)), Draft()
            person.consent = ConsentStatus.GIVEN
            person.age_band = band
            await uow.people.save(person)
            await uow.commit()
        replies = [Reply("onboarding/child_done", keyboard=Keyboard.HELP)]
        if lost:
            replies.insert(0, Reply("onboarding/invite_problem", {"problem": lost}))
        return Outcome(replies=tuple(replies)), Draft()

    async def _why_lost(self, uow: UnitOfWork, inv: InvitationView) -> str:
        """Why a link that was fine at /start could not be used now (taken, expired, revoked)."""
        problem = problem_with(await uow.invitations.by_code(inv.code), self.clock.now())
        return (problem or InviteProblem.USED).value

    async def _relation(self, who: Who, value: str, draft: Draft) -> tuple[Outcome, Draft]:
        relation = parse_enum(Relation, value)
        if relation is None:
            return Outcome(toast=STALE), draft
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            if person is None or person.role is not Role.GUARDIAN:
                return Outcome(toast=STALE), Draft()
            person.relation = relation
            await uow.people.save(person)
            await uow.commit()
        return Outcome.of(ask_child_age()), Draft(step="child_age", for_child=draft.for_child)

    async def _child_age(self, who: Who, value: str, draft: Draft) -> tuple[Outcome, Draft]:
        child_band = parse_enum(ChildAgeBand, value)
        if child_band is None:
            return Outcome(toast=STALE), draft
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            if person is None or person.role is not Role.GUARDIAN:
                return Outcome(toast=STALE), Draft()
            person.child_age_band = child_band
            await uow.people.save(person)
            await uow.commit()
        if draft.for_child:
            ask = prompt_for("guardian_consent", draft)
            assert ask is not None
            return Outcome.of(ask), Draft(step="guardian_consent", for_child=draft.for_child)
        return Outcome.of(guardian_done()), Draft()

    async def _guardian_consent(self, who: Who, value: str, draft: Draft) -> tuple[Outcome, Draft]:
        if value not in ("yes", "no"):
            return Outcome(toast=STALE), draft
        notices = await settle_guardian_consent(
            self.uow, self.clock, self.policy.notice_version, who, draft.for_child, value == "yes"
        )
        return Outcome(replies=(guardian_done(),), notices=notices), Draft()
