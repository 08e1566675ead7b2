"""What the dashboard tests share: a world with the dashboard on, a believable caseload, a
sign-in link asked for the real way (`/dashboard` in the supervisor's private chat)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiohttp

from bot.domain.cases import EventKind, ReferralStatus, Tier, Trigger
from bot.domain.people import (
    ConsentStatus,
    Person,
    PersonStatus,
    Relation,
    Role,
    ServicePointKind,
    new_person_code,
)
from bot.domain.screening import Result
from bot.ports import CaseMessage
from bot.services.duty import register_staff
from tests.e2e.crisis import CRITICAL, ROOMY
from tests.e2e.harness import World, free_port, running_world

# What a child wrote: it must never appear on any dashboard page or in the CSV.
CHILD_WORDS = CRITICAL
NOTE_WORDS = "内部备注：奶奶说孩子最近不吃饭"
LINK = re.compile(r"https?://[^\s\"<>]+/dashboard/login\?t=[A-Za-z0-9_-]+")


@dataclass
class Seeded:
    supervisor_id: int  # person ids
    counsellor_id: int
    child_codes: list[str] = field(default_factory=list)
    case_codes: list[str] = field(default_factory=list)
    child_ids: list[int] = field(default_factory=list)
    service_point_id: int = 0


@contextlib.asynccontextmanager
async def dashboard_world(
    db_url: str, *, webhook: bool = False, **settings: Any
) -> AsyncIterator[World]:
    """The usual world, with the dashboard served (polling: on a port of its own)."""
    if webhook:
        # Served by the webhook's own server, on a port the harness picks; the URL is only
        # what links and the Origin check name, so any origin will do here.
        settings.setdefault("dashboard_url", "http://127.0.0.1:9")
        async with running_world(db_url, webhook=True, **ROOMY, **settings) as w:
            yield w
        return
    port = free_port()
    settings.setdefault("dashboard_url", f"http://127.0.0.1:{port}")
    settings.setdefault("dashboard_listen", f"127.0.0.1:{port}")
    async with running_world(db_url, **ROOMY, **settings) as w:
        yield w


def base_url(world: World) -> str:
    url = world.app.settings.dashboard_url
    assert url
    return url


async def seed(world: World) -> Seeded:
    """A service point, a supervisor (the world's admin), two counsellors and five children
    with cases in every state: waiting, claimed, answered, closed with a referral, follow-ups
    due and overdue, screenings."""
    now = world.clock.now()
    async with world.uow() as u:
        sp = await u.service_points.add(
            "CG-01",
            "城关镇儿童之家",
            ServicePointKind.CHILDREN_HOME,
            director="王主任",
            staff_chat_id=world.staff_chat_id,
        )
        sup = await register_staff(
            u, world.admin["id"], Role.SUPERVISOR, "王督导", sp.id, "zh_Hans"
        )
        li = await register_staff(
            u, world.counsellor["id"], Role.COUNSELLOR, "李老师", sp.id, "zh_Hans"
        )
        await u.staff.set_duty(li.person_id, True)
        zhang_person = await u.people.add(
            Person(telegram_id=None, locale="zh_Hans", code=new_person_code("S"))
        )
        assert zhang_person.id is not None
        zhang = await u.staff.add(zhang_person.id, Role.COUNSELLOR, "张老师", sp.id, True)
        grandma = await u.people.add(
            Person(
                telegram_id=None,
                locale="zh_Hans",
                code=new_person_code(),
                role=Role.GUARDIAN,
                status=PersonStatus.ACTIVE,
                consent=ConsentStatus.GIVEN,
                service_point_id=sp.id,
            )
        )
        seeded = Seeded(sup.person_id, li.person_id, service_point_id=sp.id)
        plans = [
            (Tier.RED, Trigger.TRIAGE, timedelta(minutes=4), None, ("suicide",)),
            (Tier.ORANGE, Trigger.SCREENING, timedelta(minutes=13), None, ()),
            (Tier.YELLOW, Trigger.REQUEST, timedelta(minutes=47), None, ()),
            (Tier.RED, Trigger.TRIAGE, timedelta(hours=2, minutes=5), zhang, ("self_harm",)),
            (Tier.GREEN, Trigger.REQUEST, timedelta(days=1, hours=3), li, ()),
        ]
        for i, (tier, trigger, ago, claimer, categories) in enumerate(plans):
            child = await u.people.add(
                Person(
                    telegram_id=None,
                    locale="zh_Hans",
                    code=new_person_code(),
                    role=Role.CHILD,
                    status=PersonStatus.ACTIVE,
                    consent=ConsentStatus.GIVEN,
                    service_point_id=sp.id,
                )
            )
            assert child.id is not None and grandma.id is not None
            if i == 0:
                await u.families.link(grandma.id, child.id, Relation.GRANDPARENT)
            opened = now - ago
            case, _ = await u.cases.open(
                child.id,
                world.staff_chat_id,
                tier,
                trigger,
                categories,
                [CHILD_WORDS] if trigger is Trigger.TRIAGE else [],
                opened,
            )
            await u.cases.log(
                case.id,
                EventKind.OPENED,
                opened,
                None,
                trigger=trigger.value,
                tier=tier.value,
                categories=list(categories),
                staffed=True,
            )
            await u.cases.add_message(case.id, CaseMessage(opened, "in", child.id, CHILD_WORDS))
            if claimer is not None:
                await u.cases.claim(case.id, claimer.person_id, opened + timedelta(minutes=2), 3)
                await u.cases.log(
                    case.id, EventKind.CLAIMED, opened + timedelta(minutes=2), claimer.person_id
                )
                # Talking just now: the silence timer must not hand it back to the queue.
                await u.cases.update(
                    case.id,
                    first_response_at=opened + timedelta(minutes=3),
                    last_person_at=now - timedelta(minutes=2),
                    last_staff_at=now - timedelta(minutes=1),
                )
                await u.cases.add_message(
                    case.id,
                    CaseMessage(
                        opened + timedelta(minutes=5), "note", claimer.person_id, NOTE_WORDS
                    ),
                )
            seeded.child_codes.append(child.code)
            seeded.child_ids.append(child.id)
            seeded.case_codes.append(case.code)
        # The claimed red case: a referral, a follow-up overdue and one due tomorrow.
        claimed = int(seeded.case_codes[3][2:])
        referral = await u.cases.refer(claimed, "psyclinic", zhang.person_id, now)
        await u.cases.log(
            claimed, EventKind.REFERRED, now, zhang.person_id, resource="psyclinic", referral=1
        )
        await u.cases.set_referral(referral.id, ReferralStatus.ACCEPTED, now)
        await u.cases.refer(claimed, "l12355", zhang.person_id, now)
        await u.cases.add_follow_up(
            claimed, zhang.person_id, now - timedelta(days=1), NOTE_WORDS, zhang.person_id, now
        )
        await u.cases.add_follow_up(
            int(seeded.case_codes[4][2:]),
            li.person_id,
            now + timedelta(hours=20),
            NOTE_WORDS,
            li.person_id,
            now,
        )
        await u.cases.add_follow_up(
            claimed, zhang.person_id, now + timedelta(days=6), "", zhang.person_id, now
        )
        # Screenings in the first child's file: a PHQ-A that got worse.
        first = seeded.child_ids[0]
        # The newer one with a safety answer, which the file page must spell out.
        for days, total, tier, flags in (
            (20, 9, Tier.YELLOW, ()),
            (2, 17, Tier.ORANGE, ("safety_item_9",)),
        ):
            result = Result(
                "phq-a", 1, "phq-a@test", total, band="moderate", tier=tier, flags=flags
            )
            await u.screening.record(
                first, first, {1: 2, 2: 1, 9: 3}, result, now - timedelta(days=days)
            )
        await u.commit()
    return seeded


async def ask_link(world: World, telegram_id: int) -> tuple[str, dict[str, Any]]:
    """`/dashboard` in the private chat, the real way: (the link, the bot's message)."""
    await world.sb.mark()
    await world.sb.send_text(telegram_id, "/dashboard")
    message = await world.sb.wait_for(telegram_id, lambda m: True, timeout=10)
    found = LINK.search(message.get("text") or "")
    return (found.group(0) if found else ""), message


COOKIE = "xq_dashboard"


def client() -> aiohttp.ClientSession:
    # unsafe: keep cookies for an IP address host (127.0.0.1), as a browser does.
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def sign_in(world: World, http: aiohttp.ClientSession) -> str:
    """The whole sign-in as a browser does it; returns the session cookie's value."""
    link, _ = await ask_link(world, world.admin["id"])
    assert link.startswith(base_url(world))
    async with http.get(link) as page:
        assert page.status == 200
        assert 'action="/dashboard/login"' in await page.text()
    token = link.rpartition("t=")[2]
    async with http.post(
        f"{base_url(world)}/dashboard/login", data={"t": token}, allow_redirects=False
    ) as done:
        assert done.status == 303 and done.headers["Location"] == "/dashboard/"
        cookie = done.cookies[COOKIE]
        assert cookie["httponly"] and cookie["samesite"] == "Strict"
        assert cookie["path"] == "/dashboard" and not cookie["secure"]  # http in tests
        assert int(cookie["max-age"]) == 8 * 3600
        return cookie.value
