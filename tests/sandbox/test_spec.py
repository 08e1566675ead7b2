"""The sandbox's method table and its answers, checked against the official Bot API spec."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from sandbox import SandboxClient, SandboxServer
from sandbox.files import sample_png
from sandbox.methods import METHODS, Kind
from sandbox.registry import HANDLERS
from tests.sandbox.harness import BOT_ID, RawApi, assert_conforms, problems, returns


def expected_kind(types: list[str]) -> Kind:
    if types == ["Integer"]:
        return Kind.INTEGER
    if types == ["String"]:
        return Kind.STRING
    if types == ["Boolean"]:
        return Kind.BOOLEAN
    if types == ["Float"]:
        return Kind.FLOAT
    if types == ["Integer", "String"]:
        return Kind.INT_OR_STRING
    if "InputFile" in types:
        return Kind.INPUT_FILE
    if all(t.startswith("Array of ") for t in types):
        return Kind.JSON_ARRAY
    return Kind.JSON_OBJECT


def test_every_method_has_a_handler() -> None:
    assert set(HANDLERS) == set(METHODS)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_method_table_matches_spec(spec: dict[str, Any], name: str) -> None:
    assert name in spec["methods"], f"{name} is not a Bot API method"
    fields = {f["name"]: f for f in spec["methods"][name].get("fields", [])}
    method = METHODS[name]
    for param in method.params:
        assert param.name in fields, f"{name}.{param.name} is not in the spec"
        field = fields[param.name]
        assert param.required == field["required"], f"{name}.{param.name} required mismatch"
        assert param.kind == expected_kind(field["types"]), f"{name}.{param.name} type family"
    ours = {p.name for p in method.params}
    for field_name, field in fields.items():
        if field["required"]:
            assert field_name in ours, f"{name}.{field_name} is required by the spec"
    assert method.returns in returns(spec, name)


async def test_sent_and_fetched_objects_conform(
    spec: dict[str, Any], raw: RawApi, sb: SandboxClient, family: dict[str, Any]
) -> None:
    guardian = family["guardian"]["id"]
    staff = family["staff"]["id"]
    keyboard = {
        "inline_keyboard": [
            [
                {"text": "是", "callback_data": "yes"},
                {"text": "Site", "url": "https://example.org"},
            ]
        ]
    }
    sent = await raw.ok(
        "sendMessage",
        chat_id=guardian,
        text="<b>你好</b> /help",
        parse_mode="HTML",
        reply_markup=keyboard,
    )
    assert_conforms(spec, sent, "Message")
    assert_conforms(spec, await raw.ok("getMe"), "User")
    for chat in (guardian, staff):
        assert_conforms(spec, await raw.ok("getChat", chat_id=chat), "ChatFullInfo")
    for user in (guardian, family["counsellor"]["id"], BOT_ID, family["child"]["id"]):
        assert_conforms(
            spec, await raw.ok("getChatMember", chat_id=staff, user_id=user), "ChatMember"
        )
    assert_conforms(
        spec, await raw.ok("getChatAdministrators", chat_id=staff), "Array of ChatMember"
    )
    topic = await raw.ok("createForumTopic", chat_id=staff, name="个案 #1")
    assert_conforms(spec, topic, "ForumTopic")
    in_topic = await raw.ok(
        "sendMessage", chat_id=staff, text="x", message_thread_id=topic["message_thread_id"]
    )
    assert_conforms(spec, in_topic, "Message")
    copied = await raw.ok(
        "copyMessage", chat_id=staff, from_chat_id=guardian, message_id=sent["message_id"]
    )
    assert_conforms(spec, copied, "MessageId")
    forwarded = await raw.ok("forwardMessage", chat_id=staff, from_chat_id=guardian, message_id=1)
    assert_conforms(spec, forwarded, "Message")
    assert_conforms(spec, await raw.ok("getWebhookInfo"), "WebhookInfo")
    await raw.ok("setMyCommands", commands=[{"command": "start", "description": "开始"}])
    assert_conforms(spec, await raw.ok("getMyCommands"), "Array of BotCommand")
    assert_conforms(spec, await raw.ok("getMyDescription"), "BotDescription")
    assert_conforms(spec, await raw.ok("getMyShortDescription"), "BotShortDescription")


async def test_media_objects_conform(
    spec: dict[str, Any], server: SandboxServer, sb: SandboxClient, family: dict[str, Any]
) -> None:
    guardian = family["guardian"]["id"]
    url = f"{server.base_url}/bot123456:TEST-TOKEN/"
    async with aiohttp.ClientSession() as session:
        for method, field, data, name in (
            ("sendPhoto", "photo", sample_png(1600, 900), "p.png"),
            ("sendDocument", "document", b"%PDF-1.4 test", "report.pdf"),
            ("sendVoice", "voice", b"OggS" + b"\0" * 40, "v.ogg"),
            ("sendSticker", "sticker", sample_png(512, 512), "s.webp"),
        ):
            form = aiohttp.FormData()
            form.add_field("chat_id", str(guardian))
            form.add_field(field, data, filename=name)
            async with session.post(url + method, data=form) as resp:
                body = await resp.json()
            assert body["ok"], body
            assert_conforms(spec, body["result"], "Message")
            media = body["result"][field]
            file_id = media[-1]["file_id"] if field == "photo" else media["file_id"]
            async with session.post(url + "getFile", json={"file_id": file_id}) as resp:
                assert_conforms(spec, (await resp.json())["result"], "File")


async def test_every_update_kind_conforms(
    spec: dict[str, Any], raw: RawApi, sb: SandboxClient
) -> None:
    await raw.ok(
        "getUpdates",
        allowed_updates=[
            "message",
            "edited_message",
            "callback_query",
            "my_chat_member",
            "chat_member",
        ],
    )
    user = await sb.create_user("Ann")
    other = await sb.create_user("Bob")
    sent = await sb.send_text(user["id"], "hello /start @someone #tag https://example.org")
    await sb.edit_text(user["id"], sent["message_id"], "hello again")
    reply = await raw.ok(
        "sendMessage",
        chat_id=user["id"],
        text="pick",
        reply_markup={"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
    )
    await sb.press(user["id"], user["id"], reply["message_id"], "a")
    group = await sb.create_group("Forum", [user["id"]], is_forum=True)
    await sb.join(other["id"], group["id"])
    await sb.send_photo(other["id"], group["id"], caption="look")
    await sb.send_sticker(other["id"], group["id"])
    await sb.send_voice(other["id"], group["id"])
    await sb.send_location(other["id"], 26.647661, 106.630153, group["id"])
    await sb.block(user["id"])
    updates = await raw.ok("getUpdates")
    kinds = {next(k for k in u if k != "update_id") for u in updates}
    assert kinds == {
        "message",
        "edited_message",
        "callback_query",
        "my_chat_member",
        "chat_member",
    }
    assert [u["update_id"] for u in updates] == list(
        range(updates[0]["update_id"], updates[0]["update_id"] + len(updates))
    )
    assert_conforms(spec, updates, "Array of Update")


async def test_webhook_info_with_error_conforms(
    spec: dict[str, Any], raw: RawApi, sb: SandboxClient
) -> None:
    await raw.ok("setWebhook", url="http://127.0.0.1:9/hook", secret_token="s3cr3t")
    user = await sb.create_user("Ann")
    await sb.send_text(user["id"], "hi")
    for _ in range(100):
        info = await raw.ok("getWebhookInfo")
        if "last_error_date" in info:
            break
        await asyncio.sleep(0.02)
    assert info["pending_update_count"] == 1
    assert info["last_error_message"]
    assert_conforms(spec, info, "WebhookInfo")


def test_the_checker_itself_catches_gaps(spec: dict[str, Any]) -> None:
    broken = {
        "message_id": 1,
        "chat": {"id": 1},
        "from": {"id": 2, "is_bot": "no"},
        "surprise": True,
    }
    found = problems(spec, broken, "Message")
    assert "$.date: required by Message but missing" in found
    assert "$.chat.type: required by Chat but missing" in found
    assert "$.from.first_name: required by User but missing" in found
    assert "$.from.is_bot: expected Boolean, got 'no'" in found
    assert "$.surprise: not a field of Message" in found
