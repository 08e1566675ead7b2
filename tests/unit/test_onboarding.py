"""Onboarding use cases against in-memory fakes and a fixed clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.locale import Locale
from bot.domain.people import AgeBand, ConsentStatus, PersonStatus, Relation, Role
from bot.ports import NewInvitation
from bot.services.account import Account
from bot.services.common import Draft, Who
from bot.services.family import Family
from bot.services.onboarding import Onboarding, OnboardingPolicy
from tests.fakes import FakeUnitOfWorkFactory
from tests.support import FixedClock

ADMIN = 999


@pytest.fixture
def uow() -> FakeUnitOfWorkFactory:
    return FakeUnitOfWorkFactory()


@pytest.fixture
def onboarding(uow: FakeUnitOfWorkFactory, clock: FixedClock) -> Onboarding:
    policy = OnboardingPolicy(Locale.ZH_HANS, frozenset({ADMIN}), 14, "xq_bot")
    return Onboarding(uow, clock, policy)


@pytest.fixture
def family(uow: FakeUnitOfWorkFactory, clock: FixedClock) -> Family:
    return Family(uow, clock, 14, "xq_bot")


def templates(outcome: object) -> list[str]:
    return [r.template for r in outcome.replies]  # type: ignore[attr-defined]


async def walk(ob: Onboarding, who: Who, actions: list[str], draft: Draft) -> Draft:
    for action in actions:
        outcome, draft = await ob.choose(who, action, draft)
        assert not outcome.toast, f"{action} was refused at step {draft.step}"
    return draft


async def test_first_start_welcomes_and_asks_role(
    onboarding: Onboarding, uow: FakeUnitOfWorkFactory
) -> None:
    outcome, draft, locale = await onboarding.start(Who(1, "en-US"), "", Draft())
    assert templates(outcome) == ["onboarding/welcome", "onboarding/ask_role"]
    assert draft.step == "role" and locale == "en"
    (person,) = uow.store.people.values()
    assert person.role is None and person.consent is ConsentStatus.NONE  # only id + language


async def test_guardian_path_stores_answers_after_consent(
    onboarding: Onboarding, uow: FakeUnitOfWorkFactory
) -> None:
    who = Who(1, "zh-hans")
    _, draft, _ = await onboarding.start(who, "", Draft())
    draft = await walk(onboarding, who, ["ob:role:guardian"], draft)
    assert uow.store.people[1].role is None  # nothing stored before consent
    draft = await walk(onboarding, who, ["ob:consent:yes", "ob:rel:grandparent"], draft)
    outcome, draft = await onboarding.choose(who, "ob:cage:9-11", draft)
    assert templates(outcome) == ["onboarding/guardian_done"]
    assert draft == Draft()
    p = uow.store.people[1]
    assert (p.role, p.consent, p.relation, p.child_age_band.value) == (  # type: ignore[union-attr]
        Role.GUARDIAN,
        ConsentStatus.GIVEN,
        Relation.GRANDPARENT,
        "9-11",
    )
    assert [c[2] for c in uow.store.consents] == ["agreed"]


async def test_declining_keeps_nothing(onboarding: Onboarding, uow: FakeUnitOfWorkFactory) -> None:
    who = Who(2)
    _, draft, _ = await onboarding.start(who, "", Draft())
    draft = await walk(onboarding, who, ["ob:role:child", "ob:age:16-17"], draft)
    outcome, draft = await onboarding.choose(who, "ob:consent:no", draft)
    assert templates(outcome) == ["onboarding/declined"]
    p = uow.store.people[1]
    assert p.consent is ConsentStatus.DECLINED
    assert (p.role, p.age_band) == (None, None)
    assert [c[2] for c in uow.store.consents] == ["declined"]


async def test_older_child_consents_alone(
    onboarding: Onboarding, uow: FakeUnitOfWorkFactory
) -> None:
    who = Who(3)
    _, draft, _ = await onboarding.start(who, "", Draft())
    outcome, _ = await onboarding.choose(who, "ob:role:child", draft)
    _, draft = outcome, Draft(step="age", role="child")
    draft = await walk(onboarding, who, ["ob:age:14-15"], draft)
    outcome, _ = await onboarding.choose(who, "ob:consent:yes", draft)
    assert templates(outcome) == ["onboarding/child_done"]
    p = uow.store.people[1]
    assert (p.role, p.consent, p.age_band) == (Role.CHILD, ConsentStatus.GIVEN, AgeBand.A14_15)


async def test_young_child_waits_for_guardian_who_agrees(
    onboarding: Onboarding, family: Family, uow: FakeUnitOfWorkFactory
) -> None:
    child, guardian = Who(10), Who(20)
    _, draft, _ = await onboarding.start(child, "", Draft())
    draft = await walk(onboarding, child, ["ob:role:child", "ob:age:12-13"], draft)
    outcome, _ = await onboarding.choose(child, "ob:consent:yes", draft)
    assert templates(outcome) == ["onboarding/child_needs_guardian"]
    kid = uow.store.people[1]
    assert kid.consent is ConsentStatus.AWAITING_GUARDIAN and kid.age_band is None

    link = (await family.make_guardian_invite(child)).replies[0].data["link"]
    code = link.rsplit("=", 1)[1]
    _, gdraft, _ = await onboarding.start(guardian, code, Draft())
    assert gdraft.step == "consent" and gdraft.role == "guardian"
    gdraft = await walk(onboarding, guardian, ["ob:consent:yes", "ob:rel:parent"], gdraft)
    outcome, gdraft = await onboarding.choose(guardian, "ob:cage:12-14", gdraft)
    assert templates(outcome) == ["onboarding/ask_guardian_consent"]
    outcome, _ = await onboarding.choose(guardian, "ob:gc:yes", gdraft)
    assert templates(outcome) == ["onboarding/guardian_done"]
    (notice,) = outcome.notices
    assert notice.telegram_id == 10
    assert notice.reply.template == "onboarding/child_guardian_agreed"
    kid = uow.store.people[1]
    assert kid.consent is ConsentStatus.GIVEN
    assert uow.store.families == {(2, 1)}
    assert "agreed_for_child" in {c[2] for c in uow.store.consents}


async def test_guardian_may_refuse_for_the_child(
    onboarding: Onboarding, family: Family, uow: FakeUnitOfWorkFactory
) -> None:
    child, guardian = Who(10), Who(20)
    _, draft, _ = await onboarding.start(child, "", Draft())
    draft = await walk(onboarding, child, ["ob:role:child", "ob:age:8-11"], draft)
    await onboarding.choose(child, "ob:consent:yes", draft)
    code = (await family.make_guardian_invite(child)).replies[0].data["link"].rsplit("=", 1)[1]
    _, gdraft, _ = await onboarding.start(guardian, code, Draft())
    gdraft = await walk(
        onboarding, guardian, ["ob:consent:yes", "ob:rel:parent", "ob:cage:9-11"], gdraft
    )
    outcome, _ = await onboarding.choose(guardian, "ob:gc:no", gdraft)
    assert outcome.notices[0].reply.template == "onboarding/child_guardian_declined"
    assert uow.store.people[1].consent is ConsentStatus.AWAITING_GUARDIAN
    assert uow.store.families == set()


async def test_child_invited_by_guardian_is_linked(
    onboarding: Onboarding, family: Family, uow: FakeUnitOfWorkFactory
) -> None:
    guardian, child = Who(1), Who(2)
    _, d, _ = await onboarding.start(guardian, "", Draft())
    await walk(
        onboarding,
        guardian,
        ["ob:role:guardian", "ob:consent:yes", "ob:rel:parent", "ob:cage:9-11"],
        d,
    )
    offer = await family.offer_child_invite(guardian)
    assert templates(offer) == ["family/invite_child_confirm"]
    link = (await family.make_child_invite(guardian, True)).replies[0].data["link"]
    _, d, _ = await onboarding.start(child, link.rsplit("=", 1)[1], Draft())
    assert d.step == "age"  # the role came with the link
    d = await walk(onboarding, child, ["ob:age:8-11"], d)
    outcome, _ = await onboarding.choose(child, "ob:consent:yes", d)
    assert templates(outcome) == ["onboarding/child_done"]  # guardian consented with the link
    assert uow.store.people[2].consent is ConsentStatus.GIVEN
    assert uow.store.families == {(1, 2)}


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ("bad code!", "malformed"),
        ("nosuchcode", "unknown"),
        ("expired", "expired"),
        ("used", "used"),
    ],
)
async def test_invitation_problems_explained_then_onboarding_continues(
    onboarding: Onboarding,
    uow: FakeUnitOfWorkFactory,
    clock: FixedClock,
    payload: str,
    problem: str,
) -> None:
    async with uow() as u:
        for code, uses, expires in [("expired", 0, clock.now()), ("used", 1, None)]:
            await u.invitations.add(
                NewInvitation(code, Role.GUARDIAN, None, None, None, None, False, 1, expires)
            )
            if uses:
                await u.invitations.consume(code, 1, clock.now())
        await u.commit()
    outcome, draft, _ = await onboarding.start(Who(5), payload, Draft())
    assert templates(outcome) == [
        "onboarding/invite_problem",
        "onboarding/welcome",
        "onboarding/ask_role",
    ]
    assert outcome.replies[0].data == {"problem": problem}
    assert draft.step == "role"


async def test_stale_and_forged_buttons_change_nothing(
    onboarding: Onboarding, uow: FakeUnitOfWorkFactory
) -> None:
    who = Who(1)
    _, draft, _ = await onboarding.start(who, "", Draft())
    before = dict(uow.store.people)
    for action in [
        "ob:consent:yes",
        "ob:age:14-15",
        "ob:role:admin",
        "ob:",
        "ob:role",
        "ob:role:child:extra",
        "ob:cage:99",
        "ob:gc:yes",
        "ob:\x00:\x00",
    ]:
        outcome, after = await onboarding.choose(who, action, draft)
        assert outcome.toast == "toast.stale" and outcome.replies == ()
        assert after == draft
    assert uow.store.people.keys() == before.keys()
    assert uow.store.people[1].role is None


async def test_staff_role(onboarding: Onboarding) -> None:
    outcome, _ = await onboarding.choose(Who(5), "ob:role:staff", Draft(step="role"))
    assert templates(outcome) == ["onboarding/staff_unknown"]
    assert outcome.replies[0].data == {"telegram_id": 5}
    outcome, _ = await onboarding.choose(Who(ADMIN), "ob:role:staff", Draft(step="role"))
    assert templates(outcome) == ["onboarding/staff_known"]


async def test_stop_then_start_resumes(onboarding: Onboarding, uow: FakeUnitOfWorkFactory) -> None:
    account = Account(uow, Locale.ZH_HANS)
    who = Who(1)
    _, d, _ = await onboarding.start(who, "", Draft())
    await walk(onboarding, who, ["ob:role:child", "ob:age:16-17", "ob:consent:yes"], d)
    assert templates(await account.ask_stop(who)) == ["account/ask_stop"]
    assert templates(await account.confirm_stop(who, "no")) == ["account/stop_cancelled"]
    assert uow.store.people[1].status is PersonStatus.ACTIVE
    assert templates(await account.confirm_stop(who, "yes")) == ["account/stopped"]
    assert uow.store.people[1].status is PersonStatus.STOPPED
    assert (await account.confirm_stop(who, "yes")).toast == "toast.done_already"
    outcome, _, _ = await onboarding.start(who, "", Draft())
    assert templates(outcome) == ["onboarding/welcome_back"]
    assert uow.store.people[1].status is PersonStatus.ACTIVE


async def test_unreachable_and_language(uow: FakeUnitOfWorkFactory) -> None:
    account = Account(uow, Locale.ZH_HANS)
    assert await account.locale_of(Who(1, "en")) == "en"
    assert uow.store.people == {}  # asking the language stores nothing
    outcome, locale = await account.set_language(Who(1, "en"), "zh_Hans")
    assert locale == "zh_Hans" and templates(outcome) == ["account/language_set"]
    assert (await account.set_language(Who(1), "klingon"))[0].toast == "toast.stale"
    assert await account.mark_unreachable(1) is True
    assert await account.mark_unreachable(1) is False
    assert uow.store.people[1].status is PersonStatus.INACTIVE


async def test_used_link_of_registered_person_is_quietly_accepted(
    onboarding: Onboarding, uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    async with uow() as u:
        await u.invitations.add(
            NewInvitation(
                "mine",
                Role.GUARDIAN,
                None,
                None,
                None,
                None,
                False,
                1,
                clock.now() + timedelta(days=1),
            )
        )
        await u.commit()
    who = Who(1)
    _, d, _ = await onboarding.start(who, "mine", Draft())
    await walk(onboarding, who, ["ob:consent:yes", "ob:rel:parent", "ob:cage:3-5"], d)
    outcome, _, _ = await onboarding.start(who, "mine", Draft())
    assert templates(outcome) == ["onboarding/already"]
