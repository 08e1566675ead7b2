"""The people and places of the sandbox: users, chat members, topics and chats."""

from __future__ import annotations

import copy
import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

ACTIVE = ("creator", "administrator", "member", "restricted")
TOPIC_COLORS = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)


def now() -> int:
    return int(time.time())


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def api(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "is_bot": self.is_bot,
            "first_name": self.first_name,
        }
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


@dataclass
class Member:
    user: User
    status: str
    can_manage_topics: bool = False
    can_delete_messages: bool = False
    until_date: int = 0

    def api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status, "user": self.user.api()}
        if self.status == "creator":
            data["is_anonymous"] = False
        elif self.status == "administrator":
            data.update(
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=self.can_delete_messages,
                can_manage_video_chats=True,
                can_restrict_members=True,
                can_promote_members=False,
                can_change_info=True,
                can_invite_users=True,
                can_post_stories=False,
                can_edit_stories=False,
                can_delete_stories=False,
                # not in the spec file yet, but aiogram >= 3.26 requires it
                can_send_welcome_messages=False,
                can_pin_messages=True,
                can_manage_topics=self.can_manage_topics,
            )
        elif self.status == "kicked":
            data["until_date"] = self.until_date
        return data

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def is_admin(self) -> bool:
        return self.status in ("creator", "administrator")


@dataclass
class Topic:
    thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    creator_id: int = 0

    def api(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_thread_id": self.thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }
        if self.icon_custom_emoji_id:
            data["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return data


@dataclass
class MessageMeta:
    sender_id: int
    service: bool = False
    reply_keyboard: dict[str, Any] | None = None


@dataclass
class Chat:
    id: int
    type: str
    title: str | None = None
    peer: User | None = None
    bot_id: int | None = None
    is_forum: bool = False
    username: str | None = None
    members: dict[int, Member] = field(default_factory=dict)
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    meta: dict[int, MessageMeta] = field(default_factory=dict)
    topics: dict[int, Topic] = field(default_factory=dict)
    next_message_id: int = 1
    reply_keyboard: dict[str, Any] | None = None
    pinned: list[int] = field(default_factory=list)

    def api(self) -> dict[str, Any]:
        if self.peer is not None:
            data = {"id": self.id, "type": "private", "first_name": self.peer.first_name}
            if self.peer.last_name:
                data["last_name"] = self.peer.last_name
            if self.peer.username:
                data["username"] = self.peer.username
            return data
        data = {"id": self.id, "type": self.type, "title": self.title}
        if self.username:
            data["username"] = self.username
        if self.is_forum:
            data["is_forum"] = True
        return data

    def full_info(self) -> dict[str, Any]:
        data = self.api()
        data.update(
            accent_color_id=abs(self.id) % 7,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        if self.pinned and self.pinned[-1] in self.messages:
            data["pinned_message"] = self.messages[self.pinned[-1]]
        return data

    def message(self, message_id: int) -> dict[str, Any] | None:
        return self.messages.get(message_id)

    def view(self, thread_id: int | None = None) -> list[dict[str, Any]]:
        return [
            copy.deepcopy(m)
            for m in self.messages.values()
            if thread_id is None or m.get("message_thread_id") == thread_id
        ]

    def instance(self, bot_id: int) -> str:
        digest = hashlib.sha256(f"{bot_id}:{self.id}".encode()).digest()
        return str(int.from_bytes(digest[:8], "big") >> 1)
