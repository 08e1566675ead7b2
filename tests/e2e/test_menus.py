"""Command menus per role and per chat (issue 19 item 3), read back from what the sandbox
recorded for each scope and language, in both languages."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from bot.domain.menus import COMMANDS, Menu
from bot.domain.people import Role
from bot.services.duty import register_staff
from tests.e2e.chat import press_and_wait, start
from tests.e2e.harness import World
from tests.e2e.people import enrol_guardian

GUARDIANS_ONLY = {"schedule", "pause", "resume", "invite"}


async def menu_until(
    world: World, uid: int, wanted: Callable[[list[str]], bool], timeout: float = 5.0
) -> list[dict[str, Any]]:
    """The menu is set just after the update is answered: poll what the client would show."""
    return await said_until(world, uid, lambda menu: wanted(names(menu)), timeout)


async def said_until(
    world: World, uid: int, wanted: Callable[[list[dict[str, Any]]], bool], timeout: float = 5.0
) -> list[dict[str, Any]]:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        menu = await world.sb.menu_for(uid)
        if wanted(menu) or loop.time() > end:
            return menu
        await asyncio.sleep(0.05)


def names(menu: list[dict[str, Any]]) -> list[str]:
    return [c["command"] for c in menu]


def described(menu: list[dict[str, Any]]) -> dict[str, str]:
    return {c["command"]: c["description"] for c in menu}


async def test_strangers_menu_has_nothing_of_a_guardians(world: World) -> None:
    for code, help_words in (("zh", "马上求助"), ("en", "Get help now")):
        menu = await world.sb.bot_commands(language_code=code, scope="all_private_chats")
        assert names(menu) == list(COMMANDS[Menu.STRANGER])
        assert described(menu)["help"].startswith(help_words)
        assert not GUARDIANS_ONLY & set(names(menu))


async def test_child_menu_in_both_languages(world: World) -> None:
    zh = await world.user("小雨")
    await start(world, zh)
    await press_and_wait(world, zh, "🧒 我是孩子或青少年")
    await press_and_wait(world, zh, "14–15 岁")
    assert names(await world.sb.menu_for(zh)) == list(COMMANDS[Menu.STRANGER])
    await press_and_wait(world, zh, "✅ 同意")
    menu = await menu_until(world, zh, lambda n: n == list(COMMANDS[Menu.CHILD]))
    assert names(menu) == list(COMMANDS[Menu.CHILD])
    assert not GUARDIANS_ONLY & set(names(menu))
    assert described(menu)["mydata"] == "获取我的数据副本"

    en = await world.user("Tom", "en-GB")
    await start(world, en)
    await press_and_wait(world, en, "🧒 I am a child or teenager")
    await press_and_wait(world, en, "16–17")
    await press_and_wait(world, en, "✅ I agree")
    menu = await menu_until(world, en, lambda n: n == list(COMMANDS[Menu.CHILD]))
    assert names(menu) == list(COMMANDS[Menu.CHILD])
    assert not GUARDIANS_ONLY & set(names(menu))
    assert described(menu)["mydata"] == "Get a copy of my data"


async def test_guardian_menu_in_both_languages_and_after_language_change(world: World) -> None:
    zh = await world.user("奶奶")
    await enrol_guardian(world, zh)
    menu = await menu_until(world, zh, lambda n: n == list(COMMANDS[Menu.GUARDIAN]))
    assert names(menu) == list(COMMANDS[Menu.GUARDIAN])
    assert described(menu)["invite"] == "邀请我的孩子（监护人用）"

    en = await world.user("Grandma", "en")
    await enrol_guardian(world, en, lang="en")
    menu = await menu_until(world, en, lambda n: n == list(COMMANDS[Menu.GUARDIAN]))
    assert described(menu)["invite"] == "Invite my child (guardians)"

    await world.say(en, "/language")
    await press_and_wait(world, en, "中文")
    english = "Invite my child (guardians)"
    menu = await said_until(world, en, lambda m: described(m)["invite"] != english)
    assert described(menu)["invite"] == "邀请我的孩子（监护人用）"


async def test_staff_group_menu_per_language(world: World) -> None:
    group = world.staff_chat_id
    zh = await world.sb.menu_for(world.counsellor["id"], group)  # a Chinese client
    en = await world.sb.menu_for(world.outsider["id"], group)  # an English client
    assert names(zh) == names(en) == list(COMMANDS[Menu.STAFF_GROUP])
    assert described(zh)["queue"] == "待处理的个案，最紧急的在前"
    assert described(en)["queue"] == "Open cases, most urgent first"
    assert described(en)["invite"] == "Invitation link for a family or a colleague"
    # the group's menu is no private chat's, and a family's is not the group's
    assert "queue" not in names(await world.sb.menu_for(world.counsellor["id"]))


async def test_staff_added_promoted_and_removed_change_their_menu(world: World) -> None:
    """A supervisor's /staff in the group changes a colleague's private menu at once:
    counsellor's, then supervisor's (with /dashboard), then a stranger's again."""
    async with world.uow() as u:
        await register_staff(u, world.admin["id"], Role.SUPERVISOR, "王督导", None, "zh_Hans")
        await u.commit()
    group = world.staff_chat_id
    for uid, lang in ((world.counsellor["id"], "zh"), (world.outsider["id"], "en")):
        await world.sb.send_text(uid, "/start")  # their private chat with the bot
        await world.sb.wait_for(uid, lambda m: True)
        await world.sb.send_text(world.admin["id"], f"/staff add {uid} counsellor 新同事", group)
        menu = await menu_until(world, uid, lambda n: n == list(COMMANDS[Menu.STAFF]))
        if lang == "en":  # a colleague who reads English says so, and the menu follows
            await world.say(uid, "/language")
            await press_and_wait(world, uid, "English")
            menu = await said_until(world, uid, lambda m: described(m)["hotlines"] != "热线电话")
        assert names(menu) == list(COMMANDS[Menu.STAFF])
        assert "dashboard" not in names(menu) and not GUARDIANS_ONLY & set(names(menu))
        hotlines = described(menu)["hotlines"]
        assert hotlines == ("热线电话" if lang == "zh" else "Hotline numbers")

        await world.sb.send_text(world.admin["id"], f"/staff add {uid} supervisor 新督导", group)
        menu = await menu_until(world, uid, lambda n: "dashboard" in n)
        assert names(menu) == list(COMMANDS[Menu.SUPERVISOR])
        dashboard = described(menu)["dashboard"]
        assert dashboard == (
            "督导看板的登录链接" if lang == "zh" else "Sign-in link to the supervisors' dashboard"
        )

        await world.sb.send_text(world.admin["id"], f"/staff remove {uid}", group)
        menu = await menu_until(world, uid, lambda n: "dashboard" not in n)
        assert names(menu) == list(COMMANDS[Menu.STRANGER])
