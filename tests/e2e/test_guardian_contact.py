"""Inviting a child's guardian to talk (issue 18, item 3): the child hears of it first, unless
telling them would put them in danger, and then the counsellor's reason is on the case."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.domain.cases import EventKind
from bot.domain.people import (
    AgeBand,
    ConsentStatus,
    Person,
    PersonStatus,
    Relation,
    Role,
    new_person_code,
)
from bot.domain.replies import Reply
from tests.e2e.chat import buttons
from tests.e2e.crisis import CRITICAL, ROOMY, case_card, make_staff
from tests.e2e.harness import World, running_world
from tests.e2e.watch import quiet

REASON = "孩子说爸爸喝酒后会打她，她一知道就可能离家出走"


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    async with running_world(db_url, **ROOMY) as w:
        yield w


async def person(world: World, name: str, role: Role, locale: str) -> tuple[int, Person]:
    uid = await world.user(name, "en" if locale == "en" else "zh-hans")
    async with world.uow() as u:
        added = await u.people.add(
            Person(
                telegram_id=uid,
                locale=locale,
                code=new_person_code(),
                role=role,
                status=PersonStatus.ACTIVE,
                consent=ConsentStatus.GIVEN,
                age_band=AgeBand.A12_13 if role is Role.CHILD else None,
            )
        )
        await u.commit()
    await world.sb.send_text(uid, "/start")
    await world.sb.wait_for(uid, lambda m: True)
    return uid, added


async def family_with_a_case(world: World, locale: str) -> tuple[int, Person, int, Any]:
    """A child with a linked guardian and an open case (their own words opened it)."""
    await make_staff(world, world.counsellor)
    kid, child = await person(world, "小芳", Role.CHILD, locale)
    gid, guardian = await person(world, "芳芳妈妈", Role.GUARDIAN, locale)
    async with world.uow() as u:
        await u.families.link(guardian.id or 0, child.id or 0, Relation.PARENT)
        await u.commit()
    await world.sb.send_text(kid, CRITICAL)
    card = await case_card(world)
    await quiet(world)  # the safety reply and the hotlines have reached the child
    return kid, child, gid, card


def rendered(world: World, template: str, locale: str, **data: object) -> str:
    return world.app.catalog.render(Reply(template, data), locale).text


def toast(world: World, key: str, **data: object) -> str:
    return world.app.catalog.text(key, world.app.services.staff_locale, **data)


async def file_message(world: World, child: Person) -> dict[str, Any]:
    await world.sb.mark()
    await world.sb.send_text(world.counsellor["id"], f"/file {child.code}", world.staff_chat_id)
    return await world.sb.wait_for(
        world.staff_chat_id,
        lambda m: child.code in (m.get("text") or "") and bool(buttons(m)),
        10,
    )


async def press(world: World, message: dict[str, Any], data: str) -> dict[str, Any]:
    qid = await world.sb.press(
        world.counsellor["id"], world.staff_chat_id, message["message_id"], data
    )
    return await world.sb.wait_callback_answer(qid)


async def first_seq(world: World, chat_id: int, since: int) -> int:
    feed = await world.sb.events(since, 0)
    return min(
        int(e["seq"])
        for e in feed["events"]
        if e["type"] == "message" and e.get("chat_id") == chat_id and e.get("from_bot")
    )


async def guardian_events(world: World, case_id: int) -> list[dict[str, object]]:
    async with world.uow() as u:
        return [
            data
            for _, kind, _, data in await u.cases.events(case_id)
            if kind is EventKind.GUARDIAN_INVITED
        ]


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
async def test_inviting_the_guardian_tells_the_child_first(world: World, locale: str) -> None:
    kid, child, gid, _ = await family_with_a_case(world, locale)
    shown = await file_message(world, child)
    said_to_kid = len(await world.sb.bot_messages(kid))
    said_to_guardian = len(await world.sb.bot_messages(gid))

    # 👪 asks first: tell the child, or give a reason not to. Nothing is sent yet.
    answer = await press(world, shown, f"file:tell:{child.id}")
    assert not answer.get("show_alert")
    menu = await world.sb.wait_for(
        world.staff_chat_id, lambda m: m["message_id"] == shown["message_id"]
    )
    assert [row[0]["callback_data"] for row in menu["reply_markup"]["inline_keyboard"]] == [
        f"file:first:{child.id}",
        f"file:why:{child.id}",
    ]
    await asyncio.sleep(0.5)
    assert len(await world.sb.bot_messages(kid)) == said_to_kid
    assert len(await world.sb.bot_messages(gid)) == said_to_guardian

    since = await world.sb.mark()
    answer = await press(world, shown, f"file:first:{child.id}")
    assert answer["text"] == toast(world, "toast.file.child_told_first")
    told = rendered(world, "screening/guardian_will_be_told", locale)
    invited = rendered(world, "screening/tell_guardian", locale)
    to_kid = await world.sb.wait_for(kid, lambda m: True, 10)
    to_guardian = await world.sb.wait_for(gid, lambda m: True, 10)
    assert to_kid["text"] == told
    assert to_guardian["text"] == invited
    # The child heard it before the guardian did.
    assert await first_seq(world, kid, since) < await first_seq(world, gid, since)
    # Never the child's answers or words: an invitation to talk.
    assert CRITICAL not in to_guardian["text"]

    # On the case's record, and said in its topic: who chose what.
    async with world.uow() as u:
        case = await u.cases.by_id(1)
        lee = await u.staff.by_telegram_id(world.counsellor["id"])
    assert case is not None and lee is not None
    events = await guardian_events(world, case.id)
    assert events == [{"child_told": True, "no_chat": False, "reason": ""}]
    post = rendered(
        world,
        "screening/guardian_invited",
        world.app.services.staff_locale,
        code=case.code,
        name=lee.display_name,
        child_told=True,
        no_chat=False,
        reason="",
    )
    await world.sb.wait_for(world.staff_chat_id, lambda m: m.get("text") == post, 10)


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
async def test_not_telling_the_child_first_takes_a_reason_on_the_case(
    world: World, locale: str
) -> None:
    kid, child, gid, _ = await family_with_a_case(world, locale)
    shown = await file_message(world, child)
    said_to_kid = len(await world.sb.bot_messages(kid))

    # ⚠️ cannot carry a reason: it says how to give one, and sends nothing.
    answer = await press(world, shown, f"file:why:{child.id}")
    assert answer["show_alert"]
    assert answer["text"] == toast(world, "toast.file.give_reason", code=child.code)
    assert f"/guardian {child.code}" in answer["text"]

    # Without a reason, nobody is invited.
    chat, lee = world.staff_chat_id, world.counsellor["id"]
    await world.sb.mark()
    await world.sb.send_text(lee, f"/guardian {child.code}", chat)
    await world.sb.wait_for(chat, lambda m: "/guardian P-ABC234" in (m.get("text") or ""), 10)
    async with world.uow() as u:
        case = await u.cases.by_id(1)
    assert case is not None
    assert await guardian_events(world, case.id) == []

    await world.sb.mark()
    await world.sb.send_text(lee, f"/guardian {child.code} {REASON}", chat)
    to_guardian = await world.sb.wait_for(gid, lambda m: True, 10)
    assert to_guardian["text"] == rendered(world, "screening/tell_guardian", locale)
    # The reason is kept on the case and said in its topic.
    await world.sb.wait_for(chat, lambda m: REASON in (m.get("text") or ""), 10)
    events = await guardian_events(world, case.id)
    assert events == [{"child_told": False, "no_chat": False, "reason": REASON}]
    # The child was not told.
    await asyncio.sleep(0.5)
    assert len(await world.sb.bot_messages(kid)) == said_to_kid
