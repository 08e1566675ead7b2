"""Taking someone out of a group as Telegram does it (banChatMember, then unbanChatMember so
they can be invited again), and what they can see afterwards.

https://core.telegram.org/bots/api#banchatmember: the bot must be an administrator with the
right to ban; in a supergroup the removed user no longer sees its messages ("revoke_messages
… Always True for supergroups and channels"). #unbanchatmember: the user does not return,
but may join again; unbanning someone still in the group removes them, unless
only_if_banned is passed.
"""

from __future__ import annotations

from typing import Any

import pytest

from sandbox import SandboxClient
from sandbox.client import SandboxError
from tests.sandbox.harness import RawApi, problems


async def status(raw: RawApi, chat: int, user: int) -> str:
    member = await raw.ok("getChatMember", chat_id=chat, user_id=user)
    return str(member["status"])


async def test_ban_then_unban_takes_a_member_out_for_good_but_not_forever(
    spec: dict[str, Any], raw: RawApi, sb: SandboxClient
) -> None:
    await raw.ok("getUpdates", allowed_updates=["message", "chat_member", "my_chat_member"])
    owner = await sb.create_user("Owner")
    lee = await sb.create_user("Lee")
    group = await sb.create_group("Staff", [owner["id"], lee["id"]], is_forum=True)
    chat = group["id"]
    await sb.send_text(owner["id"], "case card", chat)
    seen_by_lee = await sb.messages(chat, user_id=lee["id"])
    assert [m["text"] for m in seen_by_lee if "text" in m] == ["case card"]
    before = await raw.ok("getUpdates")
    await raw.ok("getUpdates", offset=before[-1]["update_id"] + 1)  # confirms them all

    assert await raw.ok("banChatMember", chat_id=chat, user_id=lee["id"]) is True
    assert await status(raw, chat, lee["id"]) == "kicked"
    assert await raw.ok("unbanChatMember", chat_id=chat, user_id=lee["id"], only_if_banned=True)
    assert await status(raw, chat, lee["id"]) == "left"

    # Out: they see nothing of the group any more, and cannot write in it.
    await sb.send_text(owner["id"], "the next case card", chat)
    with pytest.raises(SandboxError) as seen:
        await sb.messages(chat, user_id=lee["id"])
    assert seen.value.status == 403
    with pytest.raises(SandboxError):
        await sb.send_text(lee["id"], "still here?", chat)
    # The administrator bot heard both changes, as chat_member updates that conform.
    updates = await raw.ok("getUpdates")
    changes = [
        u["chat_member"]
        for u in updates
        if "chat_member" in u and u["chat_member"]["new_chat_member"]["user"]["id"] == lee["id"]
    ]
    assert [(c["old_chat_member"]["status"], c["new_chat_member"]["status"]) for c in changes] == [
        ("member", "kicked"),
        ("kicked", "left"),
    ]
    for change in changes:
        assert not problems(spec, change, "ChatMemberUpdated")
    # Not banned any more: invited again, they are back and read the group again.
    await sb.join(lee["id"], chat)
    assert await status(raw, chat, lee["id"]) == "member"
    assert await sb.messages(chat, user_id=lee["id"])


async def test_unban_without_only_if_banned_removes_a_present_member(
    raw: RawApi, sb: SandboxClient
) -> None:
    owner = await sb.create_user("Owner")
    lee = await sb.create_user("Lee")
    chat = (await sb.create_group("Staff", [owner["id"], lee["id"]]))["id"]
    assert await raw.ok("unbanChatMember", chat_id=chat, user_id=lee["id"], only_if_banned=True)
    assert await status(raw, chat, lee["id"]) == "member"  # nothing to do: not banned
    assert await raw.ok("unbanChatMember", chat_id=chat, user_id=lee["id"])
    assert await status(raw, chat, lee["id"]) == "left"


async def test_who_a_bot_may_not_remove(raw: RawApi, sb: SandboxClient) -> None:
    owner = await sb.create_user("Owner")
    admin = await sb.create_user("Admin")
    lee = await sb.create_user("Lee")
    people = [owner["id"], admin["id"], lee["id"]]
    # The first administrator listed is the group's owner.
    chat = (await sb.create_group("Staff", people, admin_ids=[owner["id"], admin["id"]]))["id"]
    _, why = await raw.error("banChatMember", chat_id=chat, user_id=owner["id"])
    assert "owner" in why
    # An administrator someone else promoted (can_be_edited is false) stays.
    member = await raw.ok("getChatMember", chat_id=chat, user_id=admin["id"])
    assert member["status"] == "administrator" and member["can_be_edited"] is False
    _, why = await raw.error("banChatMember", chat_id=chat, user_id=admin["id"])
    assert why == "Bad Request: user is an administrator of the chat"
    # A bot that is only a member may ban nobody.
    plain = (await sb.create_group("Other", people, bot_admin=False))["id"]
    _, why = await raw.error("banChatMember", chat_id=plain, user_id=lee["id"])
    assert "not enough rights" in why
    assert await status(raw, plain, lee["id"]) == "member"
