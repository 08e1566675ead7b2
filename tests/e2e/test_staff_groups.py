"""Who reads the staff groups (issue 16, item 9).

Retiring a staff member took away what they could do, not what they could read: they stayed in
the staff group and went on reading every case card and relayed message. Now `/staff remove`
also takes them out of every staff group (ban, then unban, so they may be invited again), and
says plainly where it could not. And `/staff list` names the people in the group who are not
staff, as far as the bot has seen them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.domain.people import Role, ServicePointKind
from sandbox.client import SandboxError
from tests.e2e.crisis import ROOMY, make_staff, open_case
from tests.e2e.harness import World, running_world

ANSWER_WITHIN = 20


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    async with running_world(db_url, **ROOMY) as w:
        yield w


async def service_point_group(world: World, code: str, member_ids: list[int], **group: Any) -> int:
    """A staff group of its own for a new service point (the first member owns it)."""
    chat = await world.sb.create_group(f"站点 {code}", member_ids, **group)
    async with world.uow() as u:
        await u.service_points.add(
            code, f"站点{code}", ServicePointKind.OTHER, staff_chat_id=chat["id"]
        )
        await u.commit()
    return int(chat["id"])


async def recorded(world: World, chat: int, expected: dict[int, bool]) -> None:
    """Wait until the bot's record of the group says this of these people."""
    for _ in range(200):
        async with world.uow() as u:
            present = {m.telegram_id for m in await u.members.present(chat)}
        if all((who in present) == there for who, there in expected.items()):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the record of {chat} is {present}, not {expected}")


async def status_in(world: World, chat: int, user: int) -> str:
    for found in await world.sb.chats():
        if found["chat"]["id"] == chat:
            for member in found["members"]:
                if member["user"]["id"] == user:
                    return str(member["status"])
    return "left"


async def test_a_removed_colleague_leaves_every_staff_group_and_reads_no_more(
    world: World,
) -> None:
    lee, admin = world.counsellor["id"], world.admin["id"]
    await make_staff(world, world.counsellor)
    await make_staff(world, world.admin, Role.SUPERVISOR)
    main = world.staff_chat_id
    removable = await service_point_group(world, "A", [admin, lee])
    no_rights = await service_point_group(world, "B", [admin, lee], bot_admin=False)
    assert await world.sb.messages(main, user_id=lee)  # a colleague reads the group

    await world.sb.send_text(admin, f"/staff remove {lee}", main)
    said = await world.sb.wait_for_text(main, "不再是工作人员", timeout=ANSWER_WITHIN)
    text = said["text"]
    assert "已从本群移除" in text and "已从站点A的工作群移除" in text, text
    # Where the bot may not ban, the supervisor is told so, and what that means.
    assert "无法从站点B的工作群移除：机器人在那里不是有封禁成员权限的管理员" in text, text
    assert "仍然能看到群里发的每张个案卡片" in text, text

    async with world.uow() as u:
        assert await u.staff.by_telegram_id(lee) is None
    # Out of both groups the bot administers (not banned: "left"), still in the third.
    assert await status_in(world, main, lee) == "left"
    assert await status_in(world, removable, lee) == "left"
    assert await status_in(world, no_rights, lee) == "member"
    # A case opened now is posted where they can no longer read.
    await open_case(world)
    with pytest.raises(SandboxError) as refused:
        await world.sb.messages(main, user_id=lee)
    assert refused.value.status == 403
    # Not banned: a supervisor can invite them again, and then they read it again (as
    # nobody: they are not staff).
    await world.sb.join(lee, main)
    assert any("C-0001" in (m.get("text") or "") for m in await world.sb.messages(main, None, lee))


async def test_an_owner_or_another_admin_is_not_removed_and_the_supervisor_is_told(
    world: World,
) -> None:
    lee, admin = world.counsellor["id"], world.admin["id"]
    await make_staff(world, world.counsellor)
    await make_staff(world, world.admin, Role.SUPERVISOR)
    owned = await service_point_group(world, "C", [lee, admin], admin_ids=[lee])
    admin_there = await service_point_group(world, "D", [admin, lee], admin_ids=[admin, lee])
    await world.sb.send_text(admin, f"/staff remove {lee}", world.staff_chat_id)
    said = await world.sb.wait_for_text(
        world.staff_chat_id, "不再是工作人员", timeout=ANSWER_WITHIN
    )
    assert "无法从站点C的工作群移除：对方是群主" in said["text"], said["text"]
    assert "无法从站点D的工作群移除：对方是管理员，而且不是机器人任命的" in said["text"]
    assert await status_in(world, owned, lee) == "creator"
    assert await status_in(world, admin_there, lee) == "administrator"
    assert await status_in(world, world.staff_chat_id, lee) == "left"


async def test_staff_list_names_who_is_in_the_group_but_not_staff(world: World) -> None:
    admin, lee, outsider = world.admin["id"], world.counsellor["id"], world.outsider["id"]
    await make_staff(world, world.admin, Role.SUPERVISOR)
    main = world.staff_chat_id
    newcomer = await world.user("新来的")
    passer_by = await world.user("路过的")
    await world.sb.send_text(outsider, "大家好", main)  # writes: seen
    await world.sb.join(newcomer, main)  # joins: seen
    await world.sb.join(passer_by, main)
    await world.sb.leave(passer_by, main)  # and gone again
    # Updates are handled several at once: let these be, before a supervisor asks.
    await recorded(world, main, {outsider: True, newcomer: True, passer_by: False})
    await world.sb.send_text(admin, "/staff list", main)
    said = (await world.sb.wait_for_text(main, "不是工作人员的人", timeout=ANSWER_WITHIN))["text"]
    listed = said.split("不是工作人员的人", 1)[1]
    assert str(outsider) in listed and str(newcomer) in listed, said
    assert str(passer_by) not in listed and str(admin) not in listed, said
    # Lee has been in the group all along but never wrote: the bot cannot know, and says so.
    assert str(lee) not in listed
    assert "Telegram 不允许机器人列出群成员" in said

    # An administrator who is not staff is found through getChatAdministrators, without a
    # word from them.
    stranger = await world.user("陌生管理员")
    point = await service_point_group(world, "E", [admin, stranger], admin_ids=[admin, stranger])
    await world.sb.send_text(admin, "/staff list", point)
    said = (await world.sb.wait_for_text(point, "不是工作人员的人", timeout=ANSWER_WITHIN))["text"]
    assert f"{stranger} · 管理员" in said, said

    # Removed with /staff remove, they are listed no more.
    await world.sb.send_text(admin, f"/staff remove {outsider}", main)
    removed = await world.sb.wait_for_text(
        main, "没有这个 id 的在职工作人员", timeout=ANSWER_WITHIN
    )
    assert "已从本群移除" in removed["text"]
    await world.sb.mark()
    await world.sb.send_text(admin, "/staff list", main)
    said = (await world.sb.wait_for_text(main, "不是工作人员的人", timeout=ANSWER_WITHIN))["text"]
    assert str(outsider) not in said and str(newcomer) in said
