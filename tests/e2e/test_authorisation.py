"""Authorisation end to end: every forbidden action is tried, through the sandbox and the real
bot, and shown to fail, with the database checked to be exactly as it was.

- Only registered staff act in the staff chat: an outsider who is a member of the group sends
  every staff command, presses every case button (and forged ones), writes in a case topic.
- Only supervisors manage staff: a counsellor tries to add, remove and promote (even
  themselves), and to make invitations for staff roles.
- A counsellor acts only as their claim allows (bot/services/casework/): not past the cap
  (claim, take-next, "transfer to me", reopen), not on a colleague's claimed case (release,
  close, transfer, claim, relay, canned replies, media), not on a case of another staff chat.
- Each staff role (心理老师, 督导, 儿童主任, 儿童督导员) tries every staff action: what its row of
  bot/domain/permissions.py allows works, the rest is refused and changes nothing.
- Private chats never reach staff commands, nor, by forged buttons, another person's
  questionnaire, lessons, case, file or data; no answer carries another person's code.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db.models import OutboxRow
from bot.domain.people import Relation, Role
from bot.domain.permissions import StaffAction, may
from bot.domain.replies import Reply
from tests.e2e.chat import last_message_id, press
from tests.e2e.crisis import CRITICAL, ROOMY, make_staff, press_in_staff, toast_text
from tests.e2e.harness import World, running_world
from tests.e2e.scene import Scene, build_scene, more_staff_chats, open_case_for
from tests.e2e.watch import (
    ANSWER_WITHIN,
    changed,
    check_invariants,
    failures,
    quiet,
    settle,
    snapshot,
    unchanged_by,
)


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    async with running_world(db_url, **ROOMY) as w:
        yield w


def post_text(world: World, template: str, **data: object) -> str:
    return world.app.catalog.render(Reply(template, data), world.app.services.staff_locale).text


async def outbox_rows(world: World) -> int:
    async with world.uow() as u:
        return int(await u.session.scalar(select(func.count()).select_from(OutboxRow)) or 0)


async def case_extras(world: World, scene: Scene) -> dict[str, Any]:
    """A referral, a follow-up and a guardian for the file: more things to attack."""
    counsellor, chat, card = world.counsellor["id"], world.staff_chat_id, scene.card
    resource = world.app.services.casework.directory.for_region(None)[0].id
    canned = next(iter(world.app.services.casework.canned))
    for data in (f"case:referto:{scene.case_id}:{resource}", f"case:fuin:{scene.case_id}:3"):
        await press(world, counsellor, chat, card["message_id"], data)
    async with world.uow() as u:
        guardian = await u.people.by_telegram_id(scene.guardian)
        assert guardian is not None and guardian.id is not None
        await u.families.link(guardian.id, scene.kid_person_id, Relation.PARENT)
        await u.commit()
        (referral,) = await u.cases.referrals(scene.case_id)
        (follow_up,) = await u.cases.follow_ups_open()
        lee = await u.staff.by_telegram_id(counsellor)
    assert lee is not None
    return {
        "resource": resource,
        "canned": canned,
        "referral": referral.id,
        "follow_up": follow_up.id,
        "lee": lee.person_id,
    }


def staff_commands(scene: Scene, world: World) -> list[str]:
    return [
        "/queue",
        "/next",
        f"/file {scene.kid_code}",
        f"/file {scene.child_code}",
        "/file C-0001",
        f"/screen {scene.kid_code} phq-a",
        "/screen C-0001 asq 7",
        "/staff list",
        f"/staff add {world.outsider['id']} supervisor 我",
        f"/staff remove {world.counsellor['id']}",
        "/invite guardian 5",
        "/invite child",
        "/tier green 没事了",
        "/canned",
        "/plan safety",
        "/plan care",
        "/visit",
        "/onduty",
        "/offduty",
        "/followups",
        "/reported 派出所",
        f"/accesslog {scene.kid_code}",
        "/note 记一笔",
        f"/guardian {scene.kid_code} 改天再说",
    ]


def case_buttons(scene: Scene, extras: dict[str, Any]) -> list[str]:
    c = scene.case_id
    return [
        *(f"case:{a}:{c}" for a in ("claim", "release", "reopen", "card", "xfer", "refer")),
        *(f"case:{a}:{c}" for a in ("tier", "close", "fu", "canned")),
        f"case:settier:{c}:green",
        f"case:closeas:{c}:supported",
        f"case:xferto:{c}:{extras['lee']}",
        f"case:referto:{c}:{extras['resource']}",
        f"case:fuin:{c}:7",
        "case:next",
        f"canned:{c}:{extras['canned']}",
        f"ref:{extras['referral']}:accepted",
        f"fu:done:{extras['follow_up']}",
        f"file:tell:{scene.kid_person_id}",
        f"file:first:{scene.kid_person_id}",
        f"file:why:{scene.kid_person_id}",
    ]


async def test_an_outsider_in_the_staff_chat_is_refused_and_changes_nothing(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    scene = await build_scene(world)
    extras = await case_extras(world, scene)
    await quiet(world)
    before = await snapshot(world)
    queued = await outbox_rows(world)
    said_to_child = len(await world.sb.bot_messages(scene.child))
    said_in_staff = len(await world.sb.bot_messages(world.staff_chat_id))
    outsider, chat = world.outsider["id"], world.staff_chat_id

    for text in staff_commands(scene, world):
        await world.sb.send_text(outsider, text, chat)
        await world.sb.send_text(outsider, text, chat, scene.thread)
    await world.sb.send_text(outsider, "你好，我是老师", chat, scene.thread)
    await world.sb.send_text(outsider, "! 私下记一笔", chat, scene.thread)
    await world.sb.send_photo(outsider, chat, scene.thread, caption="看")
    refused = toast_text(world, "toast.case.not_staff")
    for data in case_buttons(scene, extras):
        toast = await press(world, outsider, chat, scene.card["message_id"], data)
        assert toast == refused, (data, toast)

    await unchanged_by(world, before)
    assert await outbox_rows(world) == queued  # not one message queued because of them
    assert len(await world.sb.bot_messages(world.staff_chat_id)) == said_in_staff
    assert len(await world.sb.bot_messages(scene.child)) == said_to_child
    assert outsider not in {c["chat"]["id"] for c in await world.sb.chats()}  # nor privately
    assert not failures(caplog), "\n".join(failures(caplog))


async def test_only_supervisors_manage_staff(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await make_staff(world, world.counsellor)
    await make_staff(world, world.admin, Role.SUPERVISOR)
    lee, admin, outsider = world.counsellor["id"], world.admin["id"], world.outsider["id"]
    chats = [world.staff_chat_id, *await more_staff_chats(world, 3)]
    for chat in chats[1:]:
        await world.sb.join(outsider, chat)
        await world.sb.join(admin, chat)
    hello = await world.sb.send_text(outsider, "我想加入", chats[0])
    mine = await world.sb.send_text(lee, "我也在", chats[1])
    await quiet(world)
    before = await snapshot(world)
    await world.sb.mark()
    attempts: list[tuple[str, int, int | None]] = [
        (f"/staff add {outsider} counsellor 新人", chats[0], None),
        ("/staff add counsellor 新人", chats[0], hello["message_id"]),
        (f"/staff add {outsider} supervisor 新人", chats[1], None),
        ("/staff add supervisor 我自己", chats[1], mine["message_id"]),
        (f"/staff add {lee} supervisor 我自己", chats[2], None),
        (f"/staff remove {admin}", chats[2], None),
        (f"/staff remove {lee}", chats[3], None),
        ("/staff remove", chats[3], None),  # names nobody: only the usage
    ]
    for text, chat, reply_to in attempts:
        await world.sb.send_text(lee, text, chat, reply_to=reply_to)
    # There is no invitation for a staff role: /invite makes family links only.
    for n, text in enumerate(["/invite counsellor", "/invite supervisor 5", "/invite 督导 1 1"]):
        await world.sb.send_text(lee, text, chats[n])
    await unchanged_by(world, before)
    said = [m.get("text") or "" for c in chats for m in await world.sb.bot_messages(c)]
    only = post_text(world, "helpline/staff_supervisors_only")
    assert sum(t == only for t in said) == len(attempts) - 1, said  # the last is just usage
    assert sum("/invite guardian" in t for t in said) == 3, said

    # The same change from a supervisor goes through: the refusal above was about the role.
    await world.sb.send_text(admin, f"/staff add {outsider} counsellor 新人", chats[0])
    await world.sb.wait_for_text(chats[0], "新人", timeout=ANSWER_WITHIN)
    async with world.uow() as u:
        newcomer = await u.staff.by_telegram_id(outsider)
    assert newcomer is not None and newcomer.role is Role.COUNSELLOR

    # A counsellor a supervisor removed is out of the group (tests/e2e/test_staff_groups.py)
    # and, invited back, nobody here any more.
    await world.sb.send_text(admin, f"/staff remove {lee}", chats[0])
    await world.sb.wait_for_text(chats[0], "不再是工作人员", timeout=ANSWER_WITHIN)
    async with world.uow() as u:
        assert await u.staff.by_telegram_id(lee) is None
    await world.sb.join(lee, chats[0])
    await quiet(world)
    before = await snapshot(world)
    queued = await outbox_rows(world)
    await world.sb.send_text(lee, "/queue", chats[0])
    await world.sb.send_text(lee, "/staff list", chats[0])
    toast = await press(world, lee, chats[0], hello["message_id"], "case:next")
    assert toast == toast_text(world, "toast.case.not_staff")
    await unchanged_by(world, before)
    assert await outbox_rows(world) == queued
    assert not failures(caplog), "\n".join(failures(caplog))


async def test_a_counsellor_acts_only_as_their_claim_allows(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_world(db_url, **ROOMY, max_claims="1") as world:
        await claim_rules(world, caplog)


async def claim_rules(world: World, caplog: pytest.LogCaptureFixture) -> None:
    scene = await build_scene(world)  # case 1: claimed by Li, who may hold one case
    chat = world.staff_chat_id
    wang = await world.sb.create_user("Counsellor Wang", "zh-hans")
    await world.sb.join(wang["id"], chat)
    await make_staff(world, wang)
    await make_staff(world, world.admin, Role.SUPERVISOR)
    other, card2 = await open_case_for(world, "小亮")  # case 2: waiting
    async with world.uow() as u:
        li = await u.staff.by_telegram_id(world.counsellor["id"])
        wang_staff = await u.staff.by_telegram_id(wang["id"])
    assert li is not None and wang_staff is not None
    lee, w = world.counsellor["id"], wang["id"]
    c1, c2 = scene.case_id, 2
    card1 = scene.card["message_id"]
    cap = toast_text(world, "toast.case.cap", max=1)
    not_yours = toast_text(world, "toast.case.not_yours")
    gone = toast_text(world, "toast.case.gone")
    canned = next(iter(world.app.services.casework.canned))
    (elsewhere,) = await more_staff_chats(world, 1)  # a second service point's staff chat
    await world.sb.join(w, elsewhere)
    somewhere = await last_message_id(world, elsewhere)
    await quiet(world)
    before = await snapshot(world)
    said_to = {p: len(await world.sb.bot_messages(p)) for p in (scene.child, other)}

    # Li is at the cap: no second case, however she asks.
    assert await press(world, lee, chat, card2["message_id"], f"case:claim:{c2}") == cap
    assert await press(world, lee, chat, card2["message_id"], "case:next") == cap
    assert (
        await press(world, lee, chat, card2["message_id"], f"case:xferto:{c2}:{li.person_id}")
        == cap
    )
    await world.sb.send_text(lee, "/next", chat)
    await world.sb.wait_for_text(chat, cap, timeout=ANSWER_WITHIN)
    # Wang may not take, end, move or speak in Li's case.
    taken = toast_text(world, "toast.case.taken", name="Counsellor Li", n=li.pseudonym_no)
    assert await press(world, w, chat, card1, f"case:claim:{c1}") == taken
    for data in (
        f"case:release:{c1}",
        f"case:closeas:{c1}:supported",
        f"case:xferto:{c1}:{wang_staff.person_id}",
    ):
        assert await press(world, w, chat, card1, data) == not_yours, data
    claim_first = toast_text(world, "toast.case.claim_first")
    assert await press(world, w, chat, card1, f"canned:{c1}:{canned}") == claim_first
    await world.sb.send_text(w, "我来接手吧", chat, scene.thread)
    await world.sb.wait_for_text(
        chat, post_text(world, "helpline/staff_claim_first"), timeout=ANSWER_WITHIN
    )
    await world.sb.send_photo(w, chat, scene.thread, caption="看")
    # Nor may anyone act on these cases from another staff chat (forged there).
    for who, data in (
        (lee, f"case:closeas:{c1}:supported"),
        (lee, f"case:release:{c1}"),
        (w, f"case:claim:{c2}"),
        (w, f"case:xferto:{c2}:{wang_staff.person_id}"),
        (w, f"case:settier:{c1}:green"),
    ):
        assert await press(world, who, elsewhere, somewhere, data) == gone, data
    await unchanged_by(world, before)
    for person, count in said_to.items():  # neither child heard a word of it
        assert len(await world.sb.bot_messages(person)) == count

    # Reopening makes a case yours: not past the cap either.
    assert "C-0002" in await press_in_staff(world, wang, card2, "✋")  # Wang now at the cap
    await world.sb.send_text(lee, "/close supported 已转介", chat, scene.thread)  # her own: fine
    for _ in range(100):
        async with world.uow() as u:
            if (case1 := await u.cases.by_id(c1)) is not None and case1.closed_at is not None:
                break
        await asyncio.sleep(0.05)
    await quiet(world)
    before = await snapshot(world)
    assert await press(world, w, chat, card1, f"case:reopen:{c1}") == cap
    await unchanged_by(world, before)
    # ...nor while the person has another case open.
    await world.sb.send_text(scene.child, CRITICAL)  # case 3
    await world.sb.wait_for(scene.child, lambda m: True, ANSWER_WITHIN)
    await quiet(world)
    before = await snapshot(world)
    has_open = toast_text(world, "toast.case.has_open")
    assert await press(world, lee, chat, card1, f"case:reopen:{c1}") == has_open
    await unchanged_by(world, before)

    # A supervisor may move a colleague's case (the rule is about the role).
    moved = await press(
        world, world.admin["id"], chat, card2["message_id"], f"case:xferto:{c2}:{li.person_id}"
    )
    assert moved == toast_text(world, "toast.case.transferred", name="Counsellor Li")
    async with world.uow() as u:
        case2 = await u.cases.by_id(c2)
    assert case2 is not None and case2.claimed_by == li.person_id
    # ...but never onto a colleague already at the cap.
    card3 = next(
        m
        for m in await world.sb.bot_messages(chat)
        if "C-0003" in (m.get("text") or "") and m.get("reply_markup")
    )
    await quiet(world)
    before = await snapshot(world)
    full = toast_text(world, "toast.case.target_cap", name="Counsellor Li", max=1)
    onto_li = f"case:xferto:3:{li.person_id}"
    assert await press(world, world.admin["id"], chat, card3["message_id"], onto_li) == full
    await unchanged_by(world, before)
    await check_invariants(world)
    assert not failures(caplog), "\n".join(failures(caplog))


async def test_private_chats_never_reach_staff_commands(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    scene = await build_scene(world)
    stranger = await world.user("路人")
    people = {**scene.private_people(), "stranger": stranger}
    own = {
        scene.child: scene.child_code,
        scene.kid: scene.kid_code,
        scene.guardian: scene.guardian_code,
    }
    await quiet(world)
    before = await snapshot(world)
    staff_names = ["Counsellor Li", "督导 Admin"]
    for name, uid in people.items():
        for text in staff_commands(scene, world):
            await world.sb.send_text(uid, text)
            reply = await world.sb.wait_for(uid, lambda m: True, ANSWER_WITHIN)
            shown = reply.get("text") or reply.get("caption") or ""
            leaked = [s for s in [*scene.secrets(), *staff_names] if s in shown]
            assert leaked in ([], [own.get(uid)]), (name, text, leaked, shown)
    # A forged "I am staff" in onboarding makes nobody staff either.
    await press(world, stranger, stranger, await last_message_id(world, stranger), "ob:role:staff")
    await unchanged_by(world, before)
    async with world.uow() as u:
        assert await u.staff.by_telegram_id(stranger) is None
    assert not failures(caplog), "\n".join(failures(caplog))


async def test_forged_buttons_never_reach_another_persons_data(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    scene = await build_scene(world)
    extras = await case_extras(world, scene)
    await quiet(world)
    before = await snapshot(world)
    stale = toast_text(world, "toast.stale")
    stale_delete = toast_text(world, "toast.privacy.stale")
    s, e, kid_id = scene.session_id, scene.enrolment_id, scene.kid_person_id
    stamp = int(world.clock.now().timestamp() // 60)
    theirs = {
        # the kid's questionnaire, pressed by others
        scene.guardian: [
            *(f"sc:a:{s}:1:1", f"sc:s:{s}:1", f"sc:b:{s}:1", f"sc:stop:{s}"),
            *(f"sc:case:{s}", f"sc:nocase:{s}"),
        ],
        scene.child: [f"sc:a:{s}:1:0", f"sc:stop:{s}", f"pv:del:{scene.kid_code}:{stamp}"],
        # the guardian's lessons and account, pressed by the kid
        scene.kid: [
            f"ls:n:{e}:0:1",
            f"ls:a:{e}:0:0",
            f"ls:c:{e}:0:easy",
            f"ls:r:{e}:0",
            f"pv:del:{scene.guardian_code}:{stamp}",
            *case_buttons(scene, extras),  # staff buttons in a private chat
        ],
        scene.newcomer: [
            *(f"ls:r:{e}:0", f"sc:stop:{s}", "case:next"),
            *(f"file:{verb}:{kid_id}" for verb in ("tell", "first", "why")),
        ],
    }
    for uid, forged in theirs.items():
        message = await last_message_id(world, uid)
        said = len(await world.sb.bot_messages(uid))
        for data in forged:
            refused = stale_delete if data.startswith("pv:") else stale
            assert await press(world, uid, uid, message, data) == refused, (uid, data)
        await settle(world)
        new = (await world.sb.bot_messages(uid))[said:]
        assert not new, [m.get("text") for m in new]  # a toast, and not one word more

    # A guardian asking about "their" child by another child's id is asked about their own.
    other = await world.user("王妈妈")
    await registered_guardian_with_child(world, other)
    await press(
        world, other, other, await last_message_id(world, other), f"sc:child:psc-17:{kid_id}"
    )
    await press(
        world, other, other, await last_message_id(world, other), f"sc:again:psc-17:{kid_id}"
    )
    await quiet(world)
    async with world.uow() as u:
        kid_sessions = [
            x for x in await _sessions(u) if x.subject_id == kid_id and x.person_id != kid_id
        ]
    assert not kid_sessions, kid_sessions
    diff = changed(before, await snapshot(world))
    assert set(diff) <= {"people", "families", "consents", "screening_sessions"}, diff
    assert not failures(caplog), "\n".join(failures(caplog))


async def _sessions(u: Any) -> list[Any]:
    from bot.db.models import ScreeningSessionRow

    return list((await u.session.execute(select(ScreeningSessionRow.__table__))).all())


async def registered_guardian_with_child(world: World, uid: int) -> None:
    """A guardian with a child on record (no Telegram), as /check would make."""
    from bot.domain.people import ConsentStatus, Person, PersonStatus, new_person_code

    async with world.uow() as u:
        guardian = await u.people.add(
            Person(
                telegram_id=uid,
                locale="zh_Hans",
                code=new_person_code(),
                role=Role.GUARDIAN,
                status=PersonStatus.ACTIVE,
                consent=ConsentStatus.GIVEN,
            )
        )
        child = await u.people.add(
            Person(
                telegram_id=None,
                locale="zh_Hans",
                code=new_person_code(),
                role=Role.CHILD,
                consent=ConsentStatus.GIVEN,
            )
        )
        await u.families.link(guardian.id or 0, child.id or 0, Relation.PARENT)
        await u.commit()
    await world.sb.send_text(uid, "/check")
    await world.sb.wait_for(uid, lambda m: True, ANSWER_WITHIN)


# -- roles: each staff role tries each staff action (bot/domain/permissions.py) --------------

A = StaffAction
# One way, or two, to try each action from the staff chat: (action, kind, what). kind "cmd" is
# a command in the general thread, "topic" a line in the case's topic, "button" a press on the
# case card, "private" a command in the person's own chat with the bot. The ones that change a
# case for good (close, transfer, claim) come last.
PROBES: list[tuple[StaffAction, str, str]] = [
    (A.QUEUE, "cmd", "/queue"),
    (A.QUEUE, "button", "case:card:{c}"),
    (A.STAFF_LIST, "cmd", "/staff list"),
    (A.STAFF_MANAGE, "cmd", "/staff add {outsider} counsellor 新人"),
    (A.INVITE, "cmd", "/invite guardian 5"),
    (A.STATS, "cmd", "/stats"),
    (A.DASHBOARD, "private", "/dashboard"),
    (A.ACCESS_LOG, "cmd", "/accesslog {kid}"),
    (A.FILE, "cmd", "/file {kid}"),
    (A.SCREEN, "cmd", "/screen {kid} phq-a"),
    (A.FOLLOW_UP, "cmd", "/followups"),
    (A.FOLLOW_UP, "button", "case:fuin:{c}:7"),
    (A.FOLLOW_UP, "button", "fu:done:{follow_up}"),
    (A.NOTE, "topic", "! 家访：奶奶说孩子这周睡得好些了"),
    (A.VISIT, "topic", "/visit"),
    (A.CARE_PLAN, "topic", "/plan care"),
    (A.SAFETY_PLAN, "topic", "/plan safety"),
    (A.REFER, "button", "case:referto:{c}:{resource}"),
    (A.REFER, "button", "ref:{referral}:attended"),
    (A.REPORT, "topic", "/reported 派出所"),
    (A.TELL_GUARDIAN, "button", "file:tell:{kid_id}"),
    (A.MISSED, "button", "case:miss:{c}"),
    (A.MISSED, "topic", "/missed high"),
    (A.RELAY, "topic", "你好，我是来帮你的"),
    (A.RELAY, "topic", "/canned"),
    (A.RELAY, "button", "canned:{c}:{canned}"),
    (A.DUTY, "cmd", "/onduty"),
    (A.RETIER, "topic", "/tier yellow 好些了"),
    (A.RETIER, "button", "case:settier:{c}:yellow"),
    (A.CLAIM, "cmd", "/next"),
    (A.CLAIM, "button", "case:claim:{c}"),
    (A.TRANSFER, "button", "case:xferto:{c}:{lee}"),
    (A.CLOSE, "topic", "/close supported 已转介"),
    (A.CLOSE, "button", "case:closeas:{c}:supported"),
]


def refusal_for(world: World, role: Role, action: StaffAction) -> str:
    """What a staff member is told when their role does not include the action: the
    existing answers where there were some, the role's own sentence otherwise."""
    if action is A.STAFF_MANAGE:
        return post_text(world, "helpline/staff_supervisors_only")
    if action is A.ACCESS_LOG:
        return post_text(world, "privacy/accesslog_supervisors_only")
    if action is A.DASHBOARD:
        reply = Reply("dashboard/supervisors_only", {"staff": True})
        return world.app.catalog.render(reply, "zh_Hans").text
    return toast_text(world, f"toast.role.{role.value}")


def test_every_action_is_tried() -> None:
    assert {action for action, _, _ in PROBES} == set(StaffAction)


@pytest.mark.parametrize("role", [Role.DIRECTOR, Role.TOWNSHIP, Role.COUNSELLOR, Role.SUPERVISOR])
async def test_each_role_does_what_its_row_of_the_table_allows(
    role: Role, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    scene = await build_scene(world)  # case 1, claimed by Li
    extras = await case_extras(world, scene)
    chat, card = world.staff_chat_id, scene.card["message_id"]
    user = await world.sb.create_user("Staff Zhao", "zh-hans")
    await world.sb.join(user["id"], chat)
    await make_staff(world, user, role, on_duty=False)
    me = user["id"]
    fill = {
        "c": scene.case_id,
        "kid": scene.kid_code,
        "kid_id": scene.kid_person_id,
        "outsider": world.outsider["id"],
        **extras,
    }
    refused = [(a, k, w.format(**fill)) for a, k, w in PROBES if not may(role, a)]
    allowed = [(a, k, w.format(**fill)) for a, k, w in PROBES if may(role, a)]

    async def attempt(kind: str, what: str) -> str | None:
        """The toast a press got, or None for a message (its answer is posted)."""
        if kind == "button":
            return await press(world, me, chat, card, what)
        if kind == "private":
            reply = await world.say(me, what, ANSWER_WITHIN)
            return str(reply.get("text") or "")
        await world.sb.send_text(me, what, chat, scene.thread if kind == "topic" else None)
        return None

    async def posted() -> list[str]:
        await quiet(world)
        return [
            str(m.get("text") or "") for m in await world.sb.messages(chat) if m["from"]["is_bot"]
        ]

    await world.sb.send_text(me, "大家好", chat)  # seen in the group before the count starts
    said = len(await posted())
    before = await snapshot(world)
    for action, kind, what in refused:
        got = await attempt(kind, what)
        if got is not None:
            assert got == refusal_for(world, role, action), (role, what, got)
    await unchanged_by(world, before)  # a refusal changes nothing
    new = (await posted())[said:]
    expected = Counter(refusal_for(world, role, a) for a, k, _ in refused if k in ("cmd", "topic"))
    for words, n in expected.items():
        assert sum(words in t for t in new) == n, (role, words, new)

    said = len(await posted())
    for action, kind, what in allowed:
        got = await attempt(kind, what)
        if got is not None:
            assert got != refusal_for(world, role, action), (role, what)
            assert got != toast_text(world, "toast.case.not_staff"), (role, what)
    new = (await posted())[said:]
    for action in {a for a, _, _ in allowed}:
        assert not any(refusal_for(world, role, action) in t for t in new), (role, action, new)
    assert not any(toast_text(world, f"toast.role.{role.value}") in t for t in new), new

    # ...and what the new roles may do was done, and only that.
    if role in (Role.DIRECTOR, Role.TOWNSHIP):
        mine = await _person_of(world, me)
        async with world.uow() as u:
            messages = await u.cases.messages(scene.case_id)
            referrals = await u.cases.referrals(scene.case_id)
            follow_ups = await u.cases.follow_ups_open()
            case = await u.cases.by_id(scene.case_id)
        notes = [m.body for m in messages if m.direction == "note" and m.author_id == mine]
        assert bool(notes) is may(role, A.NOTE), notes
        assert (len(referrals) == 2) is may(role, A.REFER), referrals
        assert extras["follow_up"] not in {f.id for f in follow_ups}  # both keep follow-ups
        assert not [m for m in messages if m.direction == "out" and m.author_id == mine]
        assert case is not None and case.closed_at is None and case.claimed_by == extras["lee"]
        assert case.tier.value != "yellow"
    assert not failures(caplog), "\n".join(failures(caplog))


async def _person_of(world: World, telegram_id: int) -> int:
    async with world.uow() as u:
        staff = await u.staff.by_telegram_id(telegram_id)
    assert staff is not None
    return staff.person_id
