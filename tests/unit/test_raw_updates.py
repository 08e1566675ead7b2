"""A stored update is decoded with every U+0000 from outside made U+FFFD (PostgreSQL text
cannot hold one), wherever in the update it is."""

from __future__ import annotations

import json

import pytest
from aiogram.types import Update

from bot.telegram.raw_updates import decode

# aiogram costs seconds to import: the fast layer does not even collect this file.
pytestmark = pytest.mark.slow

USER = {"id": 7, "is_bot": False, "first_name": "小\x00明"}
CHAT = {"id": 7, "type": "private", "first_name": "小\x00明"}


def test_every_string_of_every_kind_of_update_loses_its_nul() -> None:
    updates = [
        {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": CHAT,
                "from": USER,
                "text": "我\x00在",
            },
        },
        {
            "update_id": 2,
            "edited_message": {
                "message_id": 1,
                "date": 0,
                "edit_date": 1,
                "chat": CHAT,
                "from": USER,
                "text": "我\x00在",
            },
        },
        {
            "update_id": 3,
            "message": {
                "message_id": 2,
                "date": 0,
                "chat": CHAT,
                "from": USER,
                "photo": [],
                "caption": "我\x00在",
            },
        },
        {
            "update_id": 4,
            "callback_query": {
                "id": "q\x00",
                "from": USER,
                "chat_instance": "c",
                "data": "ob:\x00:\x00",
            },
        },
        {"update_id": 5, "inline_query": {"id": "i", "from": USER, "query": "\x00", "offset": ""}},
        {
            "update_id": 6,
            "my_chat_member": {
                "chat": {"id": -5, "type": "group", "title": "群\x00"},
                "from": USER,
                "date": 0,
                "old_chat_member": {"status": "left", "user": USER},
                "new_chat_member": {"status": "member", "user": USER},
            },
        },
        {
            "update_id": 7,
            "channel_post": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": -9, "type": "channel", "title": "x"},
                "text": "\x00",
                "x\x00": "key",
            },
        },
    ]
    for update in updates:
        raw = json.dumps(update)
        assert "\\u0000" in raw
        decoded = decode(raw)
        assert "\x00" not in json.dumps(decoded, ensure_ascii=False)
        assert "\ufffd" in json.dumps(decoded, ensure_ascii=False)
        Update.model_validate(decoded)  # still a valid update
    edited = decode(json.dumps(updates[1]))["edited_message"]["text"]
    assert edited == "我\ufffd在" and len(edited.encode("utf-16-le")) == 6


def test_text_that_only_looks_like_an_escape_is_left_alone() -> None:
    raw = json.dumps({"update_id": 1, "text": "\\u0000 and \\\\u0000"})
    assert decode(raw) == json.loads(raw)
