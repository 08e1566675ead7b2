"""Request parsing, parameter validation and Telegram's limits."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from sandbox import SandboxClient, SandboxServer
from sandbox.errors import ApiError
from sandbox.text import parse_html
from tests.sandbox.harness import TOKEN, RawApi


async def test_missing_and_mistyped_parameters(raw: RawApi, family: dict[str, Any]) -> None:
    chat = family["guardian"]["id"]
    assert await raw.error("sendMessage", text="x") == (
        400,
        'Bad Request: parameter "chat_id" is required',
    )
    assert await raw.error("sendMessage", chat_id=chat) == (
        400,
        "Bad Request: message text is empty",
    )
    assert await raw.error("sendMessage", chat_id=chat, text="") == (
        400,
        "Bad Request: message text is empty",
    )
    assert await raw.error("sendMessage", chat_id=chat, text="  \n ") == (
        400,
        "Bad Request: message text is empty",
    )
    assert await raw.error("getUpdates", limit="many") == (
        400,
        'Bad Request: parameter "limit" must be an integer',
    )
    assert await raw.error("deleteMessage", chat_id=chat) == (
        400,
        'Bad Request: parameter "message_id" is required',
    )
    assert await raw.error("sendMessage", chat_id=chat, text="x", reply_markup="{oops") == (
        400,
        "Bad Request: can't parse reply keyboard markup JSON object",
    )
    assert await raw.error("sendMessage", chat_id="@nobody", text="x") == (
        400,
        "Bad Request: chat not found",
    )


async def test_every_body_encoding(server: SandboxServer, family: dict[str, Any]) -> None:
    chat = family["guardian"]["id"]
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    base = f"{server.base_url}/bot{TOKEN}"
    async with aiohttp.ClientSession() as session:

        async def check(resp: aiohttp.ClientResponse, text: str) -> None:
            body = await resp.json()
            assert resp.status == 200, body
            assert body["result"]["text"] == text
            assert body["result"]["reply_markup"] == markup

        form = {
            "chat_id": str(chat),
            "text": "form",
            "reply_markup": json.dumps(markup),
            "disable_notification": "true",
        }
        async with session.post(f"{base}/sendMessage", data=form) as resp:
            await check(resp, "form")
        multipart = aiohttp.FormData(quote_fields=False)
        for key, value in {**form, "text": "multipart"}.items():
            multipart.add_field(key, value)
        multipart.add_field("unused", b"bytes", filename="x.bin")  # forces multipart
        async with session.post(f"{base}/sendMessage", data=multipart) as resp:
            await check(resp, "multipart")
        async with session.get(f"{base}/sendMessage", params={**form, "text": "query"}) as resp:
            await check(resp, "query")
        async with session.post(
            f"{base}/SENDMESSAGE",
            json={
                "chat_id": chat,
                "text": "json",
                "reply_markup": markup,
                "disable_notification": True,
            },
        ) as resp:
            await check(resp, "json")
        async with session.post(
            f"{base}/sendmessage?chat_id={chat}", json={"text": "mixed", "reply_markup": markup}
        ) as resp:
            await check(resp, "mixed")
        async with session.post(f"{base}/noSuchMethod", json={}) as resp:
            assert resp.status == 404
            assert await resp.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
        async with session.post(f"{server.base_url}/bot1:bad/getMe") as resp:
            assert resp.status == 401
            assert (await resp.json())["description"] == "Unauthorized"


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("a<br>b", 'Unsupported start tag "br" at byte offset 1'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b x", "Unclosed start tag at byte offset 0"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("1 < 2", "Unclosed start tag at byte offset 2"),
    ],
)
def test_bad_html_is_rejected(source: str, error: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_html(source)
    assert caught.value.code == 400
    assert caught.value.description == f"Bad Request: can't parse entities: {error}"


def test_html_entities_and_nesting() -> None:
    text, entities = parse_html(
        "<b>粗<i>斜</i></b> &lt;&amp;&gt;&quot; &#128512; &nbsp; "
        '<pre><code class="language-python">x=1</code></pre>'
        '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>'
        "<blockquote expandable>q</blockquote><u>u</u><s>s</s><a>plain</a>"
    )
    assert text == '粗斜 <&>" 😀 &nbsp; x=1stqusplain'
    assert entities == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "italic", "offset": 1, "length": 1},
        {"type": "pre", "offset": 18, "length": 3, "language": "python"},
        {"type": "spoiler", "offset": 21, "length": 1},
        {"type": "spoiler", "offset": 22, "length": 1},
        {"type": "expandable_blockquote", "offset": 23, "length": 1},
        {"type": "underline", "offset": 24, "length": 1},
        {"type": "strikethrough", "offset": 25, "length": 1},
    ]


async def test_text_caption_and_keyboard_limits(
    raw: RawApi, sb: SandboxClient, family: dict[str, Any]
) -> None:
    chat = family["guardian"]["id"]
    # 4096 characters counted after the tags are stripped
    assert (
        await raw.ok("sendMessage", chat_id=chat, text=f"<b>{'a' * 4096}</b>", parse_mode="HTML")
    )["entities"][0]["length"] == 4096
    assert await raw.error(
        "sendMessage", chat_id=chat, text="&amp;" * 4097, parse_mode="HTML"
    ) == (400, "Bad Request: message is too long")
    # counted in UTF-16 code units, as Telegram does: an emoji or a rare CJK character is two
    await raw.ok("sendMessage", chat_id=chat, text="&lt;" * 4096, parse_mode="HTML")
    await raw.ok("sendMessage", chat_id=chat, text="😀" * 2048)
    for too_long in ("😀" * 2049, "𠀀" * 2049, "😀" * 2048 + "a"):
        assert await raw.error("sendMessage", chat_id=chat, text=too_long) == (
            400,
            "Bad Request: message is too long",
        )
    button = {"text": "x", "callback_data": "好" * 21}  # 63 bytes
    await raw.ok(
        "sendMessage", chat_id=chat, text="x", reply_markup={"inline_keyboard": [[button]]}
    )
    button["callback_data"] = "好" * 22  # 66 bytes
    assert await raw.error(
        "sendMessage", chat_id=chat, text="x", reply_markup={"inline_keyboard": [[button]]}
    ) == (400, "Bad Request: BUTTON_DATA_INVALID")
    for bad, message in (
        ({"text": "x"}, "text buttons are unallowed in the inline keyboard"),
        ({"text": "x", "callback_data": "a", "url": "https://a.org"}, "exactly one"),
        ({"text": "x", "callback_data": ""}, "BUTTON_DATA_INVALID"),
        ({"text": "x", "url": "not a url"}, "Wrong HTTP URL"),
    ):
        _, description = await raw.error(
            "sendMessage", chat_id=chat, text="x", reply_markup={"inline_keyboard": [[bad]]}
        )
        assert message in description
    photo = (await sb.send_photo(chat))["photo"][-1]["file_id"]
    sent = await raw.ok("sendPhoto", chat_id=chat, photo=photo, caption="c" * 1024)
    assert len(sent["caption"]) == 1024
    assert await raw.error("sendPhoto", chat_id=chat, photo=photo, caption="c" * 1025) == (
        400,
        "Bad Request: message caption is too long",
    )
    assert await raw.error("sendPhoto", chat_id=chat, photo=photo, caption="😀" * 513) == (
        400,
        "Bad Request: message caption is too long",
    )
    assert await raw.error("sendSticker", chat_id=chat, sticker=photo) == (
        400,
        "Bad Request: type of file mismatch",
    )
    assert await raw.error(
        "editMessageText", chat_id=chat, message_id=sent["message_id"], text="x"
    ) == (400, "Bad Request: there is no text in the message to edit")
    await raw.ok("editMessageCaption", chat_id=chat, message_id=sent["message_id"], caption="new")


async def test_topics_rules(
    raw: RawApi, sb: SandboxClient, server: SandboxServer, family: dict[str, Any]
) -> None:
    staff = family["staff"]["id"]
    counsellor = family["counsellor"]["id"]
    assert await raw.error("createForumTopic", chat_id=staff, name="n" * 129) == (
        400,
        "Bad Request: topic name is too long",
    )
    topic = await raw.ok("createForumTopic", chat_id=staff, name="n" * 128, icon_color=16766590)
    thread = topic["message_thread_id"]
    assert await raw.error("createForumTopic", chat_id=staff, name="x", icon_color=123) == (
        400,
        "Bad Request: invalid icon_color specified",
    )
    assert await raw.error("sendMessage", chat_id=staff, text="x", message_thread_id=999) == (
        400,
        "Bad Request: message thread not found",
    )
    await raw.ok("closeForumTopic", chat_id=staff, message_thread_id=thread)
    assert await raw.error("closeForumTopic", chat_id=staff, message_thread_id=thread) == (
        400,
        "Bad Request: TOPIC_NOT_MODIFIED",
    )
    # admins with can_manage_topics may still post in a closed topic; plain members may not
    await raw.ok("sendMessage", chat_id=staff, text="admin note", message_thread_id=thread)
    member = await sb.create_user("Volunteer")
    await sb.join(member["id"], staff)
    with pytest.raises(Exception, match="TOPIC_CLOSED"):
        await sb.send_text(member["id"], "x", chat_id=staff, thread_id=thread)
    await sb.send_text(counsellor, "owner note", chat_id=staff, thread_id=thread)
    server.world.groups[staff].members[123456].can_manage_topics = False
    assert await raw.error("sendMessage", chat_id=staff, text="x", message_thread_id=thread) == (
        400,
        "Bad Request: TOPIC_CLOSED",
    )
    server.world.groups[staff].members[123456].can_manage_topics = True
    await raw.ok("reopenForumTopic", chat_id=staff, message_thread_id=thread)
    await raw.ok("editForumTopic", chat_id=staff, message_thread_id=thread, name="renamed")
    assert [t["name"] for t in await sb.topics(staff)] == ["renamed"]
    await raw.ok("deleteForumTopic", chat_id=staff, message_thread_id=thread)
    assert await sb.topics(staff) == []
    assert await sb.messages(staff, thread) == []

    plain = await sb.create_group("Plain", [counsellor], is_forum=False)
    assert await raw.error("createForumTopic", chat_id=plain["id"], name="x") == (
        400,
        "Bad Request: the chat is not a forum",
    )
    weak = await sb.create_group("Weak", [counsellor], is_forum=True, bot_admin=False)
    assert await raw.error("createForumTopic", chat_id=weak["id"], name="x") == (
        400,
        "Bad Request: not enough rights to create a topic",
    )


async def test_get_updates_offsets_limits_and_filters(raw: RawApi, sb: SandboxClient) -> None:
    user = (await sb.create_user("Ann"))["id"]
    for i in range(5):
        await sb.send_text(user, f"m{i}")
    assert len(await raw.ok("getUpdates", limit=2)) == 2
    assert len(await raw.ok("getUpdates", limit=0)) == 5  # clamped to 1..100
    last_two = await raw.ok("getUpdates", offset=-2)
    assert [u["message"]["text"] for u in last_two] == ["m3", "m4"]
    assert len(await raw.ok("getUpdates")) == 2  # the earlier ones were forgotten
    await raw.ok(
        "getUpdates", offset=last_two[-1]["update_id"] + 1, allowed_updates=["callback_query"]
    )
    await sb.send_text(user, "filtered out")
    assert await raw.ok("getUpdates") == []
    await raw.ok("getUpdates", allowed_updates=[])
    await sb.send_text(user, "back")
    assert [u["message"]["text"] for u in await raw.ok("getUpdates")] == ["back"]


async def test_concurrent_get_updates_conflict(raw: RawApi) -> None:
    first = asyncio.create_task(raw.call("getUpdates", timeout=5))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(raw.call("getUpdates", timeout=0))
    status, body = await first
    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")
    assert (await second)[0] == 200


async def test_edit_and_delete_rights(
    raw: RawApi, sb: SandboxClient, family: dict[str, Any]
) -> None:
    guardian = family["guardian"]["id"]
    own = await raw.ok(
        "sendMessage",
        chat_id=guardian,
        text="same",
        reply_markup={"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]},
    )
    assert await raw.error(
        "editMessageReplyMarkup",
        chat_id=guardian,
        message_id=own["message_id"],
        reply_markup=own["reply_markup"],
    ) == (
        400,
        "Bad Request: message is not modified: specified new message content and reply "
        "markup are exactly the same as a current content and reply markup of the message",
    )
    users_message = (await sb.messages(guardian))[0]
    assert await raw.error(
        "editMessageText", chat_id=guardian, message_id=users_message["message_id"], text="x"
    ) == (400, "Bad Request: message can't be edited")
    await raw.ok("deleteMessage", chat_id=guardian, message_id=users_message["message_id"])
    assert (
        await raw.ok("deleteMessages", chat_id=guardian, message_ids=[own["message_id"], 9999])
        is True
    )
    assert await sb.messages(guardian) == []
    staff = family["staff"]["id"]
    note = await sb.send_text(family["counsellor"]["id"], "note", chat_id=staff)
    await raw.ok("deleteMessage", chat_id=staff, message_id=note["message_id"])  # bot is admin
