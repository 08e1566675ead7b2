"""The control API: people acting in the world, views, events and the page."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from sandbox import SandboxClient, SandboxServer
from sandbox.client import SandboxError
from tests.sandbox.harness import BOT_ID, RawApi


async def test_users_and_their_messages(raw: RawApi, sb: SandboxClient) -> None:
    ann = await sb.create_user("Ann", username="ann")
    bob = await sb.create_user("Bob", id=555, language_code="en")
    assert (ann["id"], bob["id"]) == (1000001, 555)
    assert ann["language_code"] == "zh-hans"
    with pytest.raises(SandboxError, match="taken"):
        await sb.create_user("Again", id=555)
    with pytest.raises(SandboxError, match="non-empty"):
        await sb.send_text(ann["id"], "")
    with pytest.raises(SandboxError, match="longer than 4096"):
        await sb.send_text(ann["id"], "x" * 4097)
    with pytest.raises(SandboxError, match="longer than 4096"):
        await sb.send_text(ann["id"], "😀" * 2049)  # a person's client counts as Telegram does
    spaced = await sb.send_text(ann["id"], "   ")
    assert spaced["text"] == "   "
    cmd = await sb.send_text(ann["id"], "/start@xinqiao_demo_bot payload")
    assert cmd["entities"] == [{"type": "bot_command", "offset": 0, "length": 23}]
    assert cmd["chat"] == {
        "id": ann["id"],
        "type": "private",
        "first_name": "Ann",
        "username": "ann",
    }
    assert [m["message_id"] for m in await sb.messages(ann["id"])] == [1, 2]
    edited = await sb.edit_text(ann["id"], cmd["message_id"], "/help")
    assert edited["text"] == "/help" and "edit_date" in edited
    kinds = [next(k for k in u if k != "update_id") for u in await raw.ok("getUpdates")]
    assert kinds == ["message", "message", "edited_message"]


async def test_block_and_unblock(raw: RawApi, sb: SandboxClient) -> None:
    user = (await sb.create_user("Ann"))["id"]
    await sb.send_text(user, "/start")
    await sb.block(user)
    _, description = await raw.error("sendMessage", chat_id=user, text="x")
    assert description == "Forbidden: bot was blocked by the user"
    await sb.send_text(user, "/start")  # writing again is Telegram's "Restart"
    await raw.ok("sendMessage", chat_id=user, text="welcome back")
    updates = await raw.ok("getUpdates")
    statuses = [
        (
            u["my_chat_member"]["old_chat_member"]["status"],
            u["my_chat_member"]["new_chat_member"]["status"],
        )
        for u in updates
        if "my_chat_member" in u
    ]
    assert statuses == [("member", "kicked"), ("kicked", "member")]
    assert all(
        u["my_chat_member"]["chat"]["type"] == "private" for u in updates if "my_chat_member" in u
    )


async def test_groups_membership_and_privacy(raw: RawApi, sb: SandboxClient) -> None:
    owner = (await sb.create_user("Owner"))["id"]
    guest = (await sb.create_user("Guest"))["id"]
    forum = await sb.create_group("Staff", [owner], is_forum=True)
    assert forum["id"] == -1001000000001 and forum["is_forum"] is True
    first = await raw.ok(
        "getUpdates", allowed_updates=["message", "my_chat_member", "chat_member"]
    )
    joined, added, promoted = first
    assert (
        joined["my_chat_member"]["old_chat_member"]["status"],
        joined["my_chat_member"]["new_chat_member"]["status"],
    ) == ("left", "member")
    assert added["message"]["new_chat_members"][0]["id"] == BOT_ID
    assert (
        promoted["my_chat_member"]["old_chat_member"]["status"],
        promoted["my_chat_member"]["new_chat_member"]["status"],
    ) == ("member", "administrator")
    assert promoted["my_chat_member"]["new_chat_member"]["can_manage_topics"] is True
    await raw.ok("getUpdates", offset=first[-1]["update_id"] + 1)
    await sb.join(guest, forum["id"])
    with pytest.raises(SandboxError, match="already a member"):
        await sb.join(guest, forum["id"])
    await sb.leave(guest, forum["id"])
    kinds = [next(k for k in u if k != "update_id") for u in await raw.ok("getUpdates")]
    assert kinds == ["chat_member", "message", "chat_member", "message"]
    assert await raw.ok("getChatMemberCount", chat_id=forum["id"]) == 2
    with pytest.raises(SandboxError, match="not a member"):
        await sb.send_text(guest, "x", chat_id=forum["id"])

    # a bot that is neither admin nor reading all messages sees commands and replies only
    quiet = await sb.create_group("Quiet", [owner], is_forum=False, bot_admin=False)
    await raw.ok("getUpdates", offset=-1)
    await raw.ok("getUpdates", offset=(await raw.ok("getUpdates"))[-1]["update_id"] + 1)
    await sb.send_text(owner, "chatter", chat_id=quiet["id"])
    await sb.send_text(owner, "/help", chat_id=quiet["id"])
    bot_note = await raw.ok("sendMessage", chat_id=quiet["id"], text="note")
    await sb.send_text(owner, "reply", chat_id=quiet["id"], reply_to=bot_note["message_id"])
    seen = [u["message"]["text"] for u in await raw.ok("getUpdates")]
    assert seen == ["/help", "reply"]


async def test_topic_messages_reply_to_the_topic(
    raw: RawApi, sb: SandboxClient, family: dict[str, Any]
) -> None:
    staff = family["staff"]["id"]
    topic = await raw.ok("createForumTopic", chat_id=staff, name="Case")
    thread = topic["message_thread_id"]
    note = await sb.send_text(family["counsellor"]["id"], "hi", chat_id=staff, thread_id=thread)
    assert note["message_thread_id"] == thread and note["is_topic_message"] is True
    # Telegram makes topic messages implicit replies to the topic's creation message
    assert note["reply_to_message"]["message_id"] == thread
    assert "forum_topic_created" in note["reply_to_message"]
    general = await sb.send_text(family["counsellor"]["id"], "lobby", chat_id=staff)
    assert "message_thread_id" not in general
    assert [m["text"] for m in await sb.messages(staff, 0) if "text" in m] == ["lobby"]


async def test_press_forged_data_and_answers(raw: RawApi, sb: SandboxClient) -> None:
    user = (await sb.create_user("Ann"))["id"]
    await sb.send_text(user, "/start")
    sent = await raw.ok(
        "sendMessage",
        chat_id=user,
        text="pick",
        reply_markup={"inline_keyboard": [[{"text": "Docs", "url": "https://example.org"}]]},
    )
    with pytest.raises(LookupError, match="not a callback button"):
        await sb.press_button(user, user, "Docs")
    forged = await sb.press(user, user, sent["message_id"], "admin:delete_all")
    update = (await raw.ok("getUpdates"))[-1]["callback_query"]
    assert update["id"] == forged and update["data"] == "admin:delete_all"
    assert update["message"]["message_id"] == sent["message_id"]
    assert update["chat_instance"].isdigit()
    answer = await sb.callback_answer(forged)
    assert answer["answered"] is False


async def test_expired_callback_query() -> None:
    async with (
        SandboxServer(callback_answer_timeout_s=0.05) as strict,
        SandboxClient(strict.base_url) as client,
        aiohttp.ClientSession() as http,
    ):
        api = RawApi(strict.base_url, http)
        user = (await client.create_user("Ann"))["id"]
        await client.send_text(user, "/start")
        sent = await api.ok(
            "sendMessage",
            chat_id=user,
            text="x",
            reply_markup={"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
        )
        query = await client.press_button(user, user, "A")
        await asyncio.sleep(0.1)
        assert (await api.error("answerCallbackQuery", callback_query_id=query))[1] == (
            "Bad Request: query is too old and response timeout expired or query ID is invalid"
        )
        assert sent["message_id"] == 2


async def test_events_long_poll(sb: SandboxClient, server: SandboxServer) -> None:
    head = (await sb.events())["last_seq"]
    assert (await sb.events(since=head, timeout=0.1))["events"] == []
    waiting = asyncio.create_task(sb.events(since=head, timeout=5))
    await asyncio.sleep(0.05)
    user = await sb.create_user("Ann")
    feed = await waiting
    assert [e["type"] for e in feed["events"]] == ["user"]
    assert feed["events"][0]["user"]["id"] == user["id"]
    await sb.send_text(user["id"], "hi")
    events = (await sb.events(since=feed["last_seq"]))["events"]
    assert [(e["type"], e["chat_id"], e["from_bot"]) for e in events] == [
        ("message", user["id"], False)
    ]


async def test_views_reset_and_stats(
    raw: RawApi, sb: SandboxClient, family: dict[str, Any]
) -> None:
    guardian = family["guardian"]["id"]
    await raw.ok("sendMessage", chat_id=guardian, text="one")
    two = await raw.ok("sendMessage", chat_id=guardian, text="two")
    await raw.ok("deleteMessage", chat_id=guardian, message_id=two["message_id"])
    assert [m.get("text") for m in await sb.messages(guardian)] == ["/start", "one"]
    assert [m["text"] for m in await sb.bot_messages(guardian)] == ["one"]
    chats = await sb.chats()
    assert {c["chat"]["id"] for c in chats} == {
        guardian,
        family["child"]["id"],
        family["staff"]["id"],
    }
    stats = await sb.stats()
    assert stats["methods"]["sendMessage"] == {"calls": 2, "ok": 2}
    last_update = (await raw.ok("getUpdates"))[-1]["update_id"]
    await sb.reset()
    assert await sb.chats() == []
    user = await sb.create_user("Fresh")
    assert user["id"] == 1000001
    await sb.send_text(user["id"], "hi")
    assert (await raw.ok("getUpdates"))[0]["update_id"] == last_update + 1
    assert (await raw.ok("getMe"))["id"] == BOT_ID


async def test_page_and_demo_config(
    server: SandboxServer, sb: SandboxClient, family: dict[str, Any]
) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.base_url}/") as resp:
            page = await resp.text()
            assert resp.status == 200 and "<html" in page
        for asset in ("app.js", "style.css"):
            async with http.get(f"{server.base_url}/static/{asset}") as resp:
                assert resp.status == 200
        async with http.get(f"{server.base_url}/sandbox/demo-config") as resp:
            default = await resp.json()
    assert [p["chat_id"] for p in default["panes"]] == [
        family["guardian"]["id"],
        family["child"]["id"],
        family["staff"]["id"],
    ]
    panes = [
        {
            "title": "Guardian's phone",
            "user_id": family["guardian"]["id"],
            "chat_id": family["guardian"]["id"],
        }
    ]
    saved = await sb.set_demo_config(panes, "试试看。Try it.")
    assert saved == {"panes": panes, "intro": "试试看。Try it.", "configured": True}

    # The page opens an invitation as someone new: their pane joins, the rest stays, and every
    # open page hears of it.
    seq = (await sb.events(0, 0))["last_seq"]
    newcomer = await sb.create_user("新朋友")
    pane = {"title": "新朋友", "user_id": newcomer["id"], "chat_id": newcomer["id"]}
    grown = await sb.add_demo_pane(pane)
    assert grown == {"panes": [*panes, pane], "intro": "试试看。Try it.", "configured": True}
    assert "demo_config" in [e["type"] for e in (await sb.events(seq, 0))["events"]]
    with pytest.raises(SandboxError, match="chat_id"):
        await sb.add_demo_pane({"title": "nobody"})


async def test_a_pane_added_without_a_configuration_keeps_the_default_ones(
    sb: SandboxClient, family: dict[str, Any]
) -> None:
    newcomer = await sb.create_user("Guest")
    pane = {"title": "Guest", "user_id": newcomer["id"], "chat_id": newcomer["id"]}
    grown = await sb.add_demo_pane(pane)
    assert [p["chat_id"] for p in grown["panes"]] == [
        family["guardian"]["id"],
        family["child"]["id"],
        family["staff"]["id"],
        newcomer["id"],
    ]
    assert grown["configured"] is True


async def test_a_shared_location_is_a_point_and_copies_as_one(
    spec: dict[str, Any], raw: RawApi, sb: SandboxClient
) -> None:
    """A person shares a location as a Telegram client does; the bot can copy it (copyMessage
    copies a location like any other content), and nonsense is refused."""
    from tests.sandbox.harness import assert_conforms

    ann = await sb.create_user("Ann")
    bob = await sb.create_user("Bob")
    await sb.send_text(bob["id"], "/start")  # a bot writes only to who wrote first
    shared = await sb.send_location(ann["id"], 26.647661, 106.630153)
    assert shared["location"] == {"latitude": 26.647661, "longitude": 106.630153}
    assert_conforms(spec, shared, "Message")
    copied = await raw.ok(
        "copyMessage", chat_id=bob["id"], from_chat_id=ann["id"], message_id=shared["message_id"]
    )
    arrived = next(
        m for m in await sb.messages(bob["id"]) if m["message_id"] == copied["message_id"]
    )
    assert arrived["location"] == shared["location"] and "forward_origin" not in arrived
    for lat, lon in ((91, 0), (0, 181)):
        with pytest.raises(SandboxError, match="not a point on the map"):
            await sb.send_location(ann["id"], lat, lon)
