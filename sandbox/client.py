"""An async client of the sandbox control API, for tests and the demo.

Every action a person takes through the client (send, edit, press, block, join, leave)
remembers the event sequence number it produced, so ``wait_for`` only looks at what the bot
did *after* the latest action, however fast the bot answered, and an older message that
happens to match cannot satisfy it. ``mark()`` moves that point explicitly; ``since=``
overrides it per call.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

import aiohttp

Predicate = Callable[[dict[str, Any]], bool]


class SandboxError(Exception):
    """The control API refused a request."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


def describe(message: dict[str, Any]) -> str:
    sender = message.get("from", {})
    who = ("bot " if sender.get("is_bot") else "") + str(sender.get("first_name", "?"))
    body = (
        message.get("text")
        or message.get("caption")
        or next(
            (
                f"<{key}>"
                for key in (
                    "photo",
                    "sticker",
                    "voice",
                    "document",
                    "new_chat_members",
                    "forum_topic_created",
                )
                if key in message
            ),
            "<other>",
        )
    )
    buttons = [
        b["text"]
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
        for b in row
    ]
    suffix = f" {buttons}" if buttons else ""
    return f"#{message.get('message_id')} {who}: {body!r}{suffix}"


class SandboxClient:
    def __init__(self, base_url: str, *, bot_id: int | None = None, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.bot_id = bot_id
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._mark = 0

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _call(
        self,
        verb: str,
        path: str,
        body: dict[str, Any] | None = None,
        query: dict[str, Any] | None = None,
        acting: bool = False,
    ) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        params = {k: str(v) for k, v in (query or {}).items() if v is not None}
        if self.bot_id is not None:
            params.setdefault("bot_id", str(self.bot_id))
            if body is not None:
                body.setdefault("bot_id", self.bot_id)
        url = f"{self.base_url}/sandbox/{path}"
        async with self._session.request(verb, url, json=body, params=params) as resp:
            data = json.loads(await resp.text())
            if resp.status >= 400:
                raise SandboxError(resp.status, str(data.get("error", data)))
            seq = resp.headers.get("X-Sandbox-Seq")
            if acting and seq is not None:
                self._mark = int(seq)
            return data

    # the world

    async def create_user(
        self, first_name: str, language_code: str | None = "zh-hans", **kw: Any
    ) -> dict[str, Any]:
        body = {"first_name": first_name, "language_code": language_code, **kw}
        result: dict[str, Any] = await self._call("POST", "users", body)
        return result

    async def create_group(
        self,
        title: str,
        member_ids: list[int],
        is_forum: bool = True,
        admin_ids: list[int] | None = None,
        bot_admin: bool = True,
        **kw: Any,
    ) -> dict[str, Any]:
        body = {
            "title": title,
            "member_ids": member_ids,
            "is_forum": is_forum,
            "admin_ids": admin_ids or [],
            "bot_admin": bot_admin,
            **kw,
        }
        result: dict[str, Any] = await self._call("POST", "groups", body)
        return result

    async def reset(self) -> None:
        await self._call("POST", "reset", {})
        self._mark = 0

    # people acting

    async def _send(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("POST", "send", body, acting=True)
        return result

    async def send_text(
        self,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        return await self._send(
            {
                "user_id": user_id,
                "chat_id": chat_id,
                "text": text,
                "message_thread_id": thread_id,
                "reply_to_message_id": reply_to,
            }
        )

    async def send_sticker(
        self, user_id: int, chat_id: int | None = None, thread_id: int | None = None
    ) -> dict[str, Any]:
        return await self._send(
            {
                "user_id": user_id,
                "chat_id": chat_id,
                "sticker": True,
                "message_thread_id": thread_id,
            }
        )

    async def send_photo(
        self,
        user_id: int,
        chat_id: int | None = None,
        thread_id: int | None = None,
        caption: str | None = None,
        data: bytes | None = None,
    ) -> dict[str, Any]:
        photo: bool | str = base64.b64encode(data).decode() if data else True
        return await self._send(
            {
                "user_id": user_id,
                "chat_id": chat_id,
                "photo": photo,
                "caption": caption,
                "message_thread_id": thread_id,
            }
        )

    async def send_voice(
        self, user_id: int, chat_id: int | None = None, thread_id: int | None = None
    ) -> dict[str, Any]:
        return await self._send(
            {"user_id": user_id, "chat_id": chat_id, "voice": True, "message_thread_id": thread_id}
        )

    async def send_location(
        self,
        user_id: int,
        latitude: float,
        longitude: float,
        chat_id: int | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        return await self._send(
            {
                "user_id": user_id,
                "chat_id": chat_id,
                "location": {"latitude": latitude, "longitude": longitude},
                "message_thread_id": thread_id,
            }
        )

    async def edit_text(
        self, user_id: int, message_id: int, text: str, chat_id: int | None = None
    ) -> dict[str, Any]:
        body = {"user_id": user_id, "chat_id": chat_id, "message_id": message_id, "text": text}
        result: dict[str, Any] = await self._call("POST", "edit", body, acting=True)
        return result

    async def press(self, user_id: int, chat_id: int, message_id: int, data: str) -> str:
        body = {"user_id": user_id, "chat_id": chat_id, "message_id": message_id, "data": data}
        result = await self._call("POST", "press", body, acting=True)
        return str(result["callback_query_id"])

    async def press_button(
        self, user_id: int, chat_id: int, text: str, message_id: int | None = None
    ) -> str:
        """Press the inline button labelled ``text`` (exact match first, then substring)."""
        messages = await self.messages(chat_id)
        if message_id is not None:
            messages = [m for m in messages if m["message_id"] == message_id]
        available: list[str] = []
        for message in reversed(messages):
            buttons = [
                b
                for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
                for b in row
            ]
            if not buttons:
                continue
            available.append(f"#{message['message_id']}: {[b['text'] for b in buttons]}")
            match = next((b for b in buttons if b["text"] == text), None) or next(
                (b for b in buttons if text in b["text"]), None
            )
            if match is None:
                continue
            if "callback_data" not in match:
                raise LookupError(f"button {match['text']!r} is not a callback button: {match}")
            return await self.press(
                user_id, chat_id, message["message_id"], match["callback_data"]
            )
        raise LookupError(
            f"no inline button matching {text!r} in chat {chat_id}; available: "
            + ("; ".join(available) or "none")
        )

    async def block(self, user_id: int, blocked: bool = True) -> None:
        await self._call("POST", "block", {"user_id": user_id, "blocked": blocked}, acting=True)

    async def join(self, user_id: int, chat_id: int) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "POST", "join", {"user_id": user_id, "chat_id": chat_id}, acting=True
        )
        return result

    async def leave(self, user_id: int, chat_id: int) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "POST", "leave", {"user_id": user_id, "chat_id": chat_id}, acting=True
        )
        return result

    # looking

    async def chats(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call("GET", "chats")
        return result

    async def _chat_view(
        self, chat_id: int, thread_id: int | None, user_id: int | None = None
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "GET",
            f"chats/{chat_id}/messages",
            query={"thread_id": thread_id, "user_id": user_id},
        )
        return result

    async def messages(
        self, chat_id: int, thread_id: int | None = None, user_id: int | None = None
    ) -> list[dict[str, Any]]:
        """The chat's messages; with `user_id`, as that user sees them (an error once they
        are not in the group)."""
        messages: list[dict[str, Any]] = (await self._chat_view(chat_id, thread_id, user_id))[
            "messages"
        ]
        return messages

    async def bot_messages(
        self, chat_id: int, thread_id: int | None = None
    ) -> list[dict[str, Any]]:
        return [m for m in await self.messages(chat_id, thread_id) if m["from"]["is_bot"]]

    async def reply_keyboard(self, chat_id: int) -> dict[str, Any] | None:
        keyboard: dict[str, Any] | None = (await self._chat_view(chat_id, None))["reply_keyboard"]
        return keyboard

    async def topics(self, chat_id: int) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call("GET", f"chats/{chat_id}/topics")
        return result

    async def callback_answer(self, callback_query_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", f"callback-answers/{callback_query_id}")
        return result

    # timeout= in these signatures is the long-poll budget, part of the documented API
    async def events(self, since: int = 0, timeout: float = 0) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "GET", "events", query={"since": since, "timeout": timeout}
        )
        return result

    async def mark(self) -> int:
        """From now on, ``wait_for`` ignores everything that already happened."""
        self._mark = int((await self.events())["last_seq"])
        return self._mark

    async def wait_event(
        self,
        predicate: Predicate,
        timeout: float = 5.0,
        since: int = 0,
    ) -> dict[str, Any]:
        """The first event after ``since`` that satisfies ``predicate``."""
        deadline = time.monotonic() + timeout
        cursor = since
        while True:
            remaining = deadline - time.monotonic()
            feed = await self.events(cursor, max(0.0, min(remaining, 10.0)))
            event: dict[str, Any]
            for event in feed["events"]:
                if predicate(event):
                    return event
            cursor = feed["last_seq"]
            if deadline - time.monotonic() <= 0:
                raise TimeoutError(f"no matching event within {timeout}s")

    async def wait_callback_answer(
        self,
        callback_query_id: str,
        timeout: float = 5.0,
    ) -> dict[str, Any]:
        answer = await self.callback_answer(callback_query_id)
        if not answer["answered"]:
            await self.wait_event(
                lambda e: (
                    e["type"] == "callback_answer" and e["callback_query_id"] == callback_query_id
                ),
                timeout,
            )
            answer = await self.callback_answer(callback_query_id)
        return answer

    async def wait_for(
        self,
        chat_id: int,
        predicate: Predicate,
        timeout: float = 5.0,
        thread_id: int | None = None,
        since: int | None = None,
    ) -> dict[str, Any]:
        """The first message the bot sends or edits in the chat after the latest action."""

        def wanted(event: dict[str, Any]) -> bool:
            return (
                event["type"] in ("message", "edited")
                and event.get("chat_id") == chat_id
                and bool(event.get("from_bot"))
                and (self.bot_id is None or event.get("bot_id") in (None, self.bot_id))
                and (thread_id is None or event.get("thread_id") == thread_id)
                and predicate(event["message"])
            )

        start = self._mark if since is None else since
        try:
            event = await self.wait_event(wanted, timeout, start)
        except TimeoutError:
            recent = (await self.messages(chat_id, thread_id))[-6:]
            lines = "\n  ".join(describe(m) for m in recent) or "(no messages)"
            raise TimeoutError(
                f"the bot sent nothing matching in chat {chat_id} within {timeout}s; "
                f"last messages:\n  {lines}"
            ) from None
        message: dict[str, Any] = event["message"]
        return message

    async def wait_for_text(
        self,
        chat_id: int,
        substring: str,
        timeout: float = 5.0,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        return await self.wait_for(
            chat_id,
            lambda m: substring in (m.get("text") or m.get("caption") or ""),
            timeout,
            thread_id,
        )

    async def bot_commands(
        self, language_code: str | None = None, scope: str | None = None
    ) -> list[dict[str, Any]]:
        result = await self._call(
            "GET", "bot-commands", query={"language_code": language_code, "scope": scope}
        )
        commands: list[dict[str, Any]] = result["commands"]
        return commands

    async def menu_for(self, user_id: int, chat_id: int | None = None) -> list[dict[str, Any]]:
        """The command menu this user's client would show in that chat."""
        result = await self._call(
            "GET", "bot-commands", query={"user_id": user_id, "chat_id": chat_id}
        )
        commands: list[dict[str, Any]] = result["commands"]
        return commands

    async def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", "stats")
        return result

    # faults

    async def set_faults(
        self,
        rules: list[dict[str, Any]] | None = None,
        *,
        append: bool = False,
        seed: int | None = None,
        **limits: float | None,
    ) -> dict[str, Any]:
        """Replace (or extend) fault rules; ``global_rate_per_s`` / ``group_rate_per_min``."""
        body: dict[str, Any] = {"rules": rules or [], "append": append, **limits}
        if seed is not None:
            body["seed"] = seed
        result: dict[str, Any] = await self._call("POST", "faults", body)
        return result

    async def add_fault(self, kind: str, method: str = "*", **options: Any) -> dict[str, Any]:
        """Append one rule, e.g. ``add_fault("429", "sendMessage", retry_after=3, times=1)``."""
        return await self.set_faults([{"kind": kind, "method": method, **options}], append=True)

    async def faults(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", "faults")
        return result

    async def clear_faults(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("DELETE", "faults")
        return result

    async def set_demo_config(
        self, panes: list[dict[str, Any]], intro: str = ""
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "POST", "demo-config", {"panes": panes, "intro": intro}
        )
        return result

    async def add_demo_pane(self, pane: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("POST", "demo-config/panes", pane)
        return result
