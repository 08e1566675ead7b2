"""The in-memory world: bots with their update queues and webhooks, users, chats and files.

Users, members, topics and chats themselves are in `sandbox.chats`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sandbox.chats import Chat, Member, User
from sandbox.errors import CHAT_NOT_FOUND, bad_request, forbidden
from sandbox.events import EventLog, Notifier
from sandbox.files import FileStore
from sandbox.media import MediaLibrary

FIRST_USER_ID = 1000001
FIRST_GROUP_ID = -1001000000001
# Telegram's default when allowed_updates was never given
DEFAULT_UPDATES_EXCLUDED = ("chat_member", "message_reaction", "message_reaction_count")
UPDATE_TYPES = ("message", "edited_message", "callback_query", "my_chat_member", "chat_member")


@dataclass
class Webhook:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class CallbackRecord:
    id: str
    bot_id: int
    user_id: int
    chat_id: int
    message_id: int
    data: str
    created: float
    answered: bool = False
    text: str | None = None
    show_alert: bool = False
    url: str | None = None


@dataclass
class BotAccount:
    token: str
    user: User
    can_join_groups: bool = True
    can_read_all_group_messages: bool = False
    updates: list[dict[str, Any]] = field(default_factory=list)
    next_update_id: int = 1
    allowed_updates: list[str] | None = None
    webhook: Webhook | None = None
    commands: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    short_descriptions: dict[str, str] = field(default_factory=dict)
    private_chats: dict[int, Chat] = field(default_factory=dict)
    blocked_by: set[int] = field(default_factory=set)
    notifier: Notifier = field(default_factory=Notifier)
    poll_generation: int = 0

    @property
    def id(self) -> int:
        return self.user.id

    def me(self) -> dict[str, Any]:
        return {
            **self.user.api(),
            "can_join_groups": self.can_join_groups,
            "can_read_all_group_messages": self.can_read_all_group_messages,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def wants(self, kind: str) -> bool:
        if not self.allowed_updates:
            return kind not in DEFAULT_UPDATES_EXCLUDED
        return kind in self.allowed_updates

    def clear(self) -> None:
        """Forget the world but keep identity, update ids and waiters (they hold this object)."""
        self.updates.clear()
        self.allowed_updates = None
        self.webhook = None
        self.commands.clear()
        self.descriptions.clear()
        self.short_descriptions.clear()
        self.private_chats.clear()
        self.blocked_by.clear()
        self.notifier.notify()

    def enqueue(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Telegram filters by allowed_updates when an update is created, not when fetched."""
        if not self.wants(kind):
            return None
        update = {"update_id": self.next_update_id, kind: copy.deepcopy(payload)}
        self.next_update_id += 1
        self.updates.append(update)
        self.notifier.notify()
        return update


class World:
    def __init__(self, bots: Iterable[tuple[str, str, str]]) -> None:
        self.bots: dict[str, BotAccount] = {}
        for token, username, first_name in bots:
            bot_id = int(token.split(":", 1)[0])
            user = User(bot_id, first_name, username=username, is_bot=True)
            self.bots[token] = BotAccount(token, user)
        self.events = EventLog()
        self.files = FileStore()
        self.media = MediaLibrary(self.files)
        self.users: dict[int, User] = {}
        self.groups: dict[int, Chat] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.callback_counter = 0
        self.next_user_id = FIRST_USER_ID
        self.next_group_id = FIRST_GROUP_ID
        # Load tests: any positive chat id is a person who has started the bot, so a
        # benchmark can address 100 000 people without creating each through the control API.
        self.open_private_chats = False

    def reset(self) -> None:
        for bot in self.bots.values():
            bot.clear()
        self.users.clear()
        self.groups.clear()
        self.callbacks.clear()
        self.files.clear()
        self.media.clear()
        self.next_user_id = FIRST_USER_ID
        self.next_group_id = FIRST_GROUP_ID
        self.events.emit("reset")

    @property
    def default_bot(self) -> BotAccount:
        return next(iter(self.bots.values()))

    def bot_by_id(self, bot_id: int | None) -> BotAccount:
        if bot_id is None:
            return self.default_bot
        for bot in self.bots.values():
            if bot.id == bot_id:
                return bot
        raise KeyError(bot_id)

    def user(self, user_id: int) -> User:
        for bot in self.bots.values():
            if bot.id == user_id:
                return bot.user
        return self.users[user_id]

    def private_chat(self, bot: BotAccount, user: User) -> Chat:
        existing = bot.private_chats.get(user.id)
        if existing is not None:
            return existing
        chat = Chat(user.id, "private", peer=user, bot_id=bot.id)
        chat.members = {user.id: Member(user, "member"), bot.id: Member(bot.user, "member")}
        bot.private_chats[user.id] = chat
        return chat

    def resolve(self, bot: BotAccount, ref: int | str) -> Chat:
        """The chat a bot addresses by chat_id, with Telegram's errors."""
        if isinstance(ref, str):
            name = ref.removeprefix("@").lower()
            for group in self.groups.values():
                if group.username and group.username.lower() == name:
                    return self._group_for(bot, group)
            raise bad_request(CHAT_NOT_FOUND)
        if ref > 0:
            private = bot.private_chats.get(ref)
            if private is None and self.open_private_chats:
                user = self.users.setdefault(ref, User(ref, f"user{ref}"))
                return self.private_chat(bot, user)
            if private is None:
                if ref in self.users:
                    raise forbidden("bot can't initiate conversation with a user")
                raise bad_request(CHAT_NOT_FOUND)
            return private
        found = self.groups.get(ref)
        if found is None:
            raise bad_request(CHAT_NOT_FOUND)
        return self._group_for(bot, found)

    @staticmethod
    def _group_for(bot: BotAccount, group: Chat) -> Chat:
        member = group.members.get(bot.id)
        if member is None or not member.active:
            if member is not None and member.status == "kicked":
                raise forbidden("bot was kicked from the supergroup chat")
            raise forbidden("bot is not a member of the supergroup chat")
        return group

    def chats_of(self, chat_id: int, bot_id: int | None = None) -> Chat:
        """A chat as the control API names it: a group id, or a user id for a private chat."""
        if chat_id in self.groups:
            return self.groups[chat_id]
        bot = self.bot_by_id(bot_id)
        if chat_id in bot.private_chats:
            return bot.private_chats[chat_id]
        raise KeyError(chat_id)

    def all_chats(self) -> list[tuple[BotAccount | None, Chat]]:
        chats: list[tuple[BotAccount | None, Chat]] = [
            (bot, chat) for bot in self.bots.values() for chat in bot.private_chats.values()
        ]
        chats.extend((None, group) for group in self.groups.values())
        return chats
