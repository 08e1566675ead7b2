"""The Telegram side of the Transport port: one message out, its fate as a SendResult.

The outbox sends through aiogram's own aiohttp and Bot API address, but posts the JSON itself
and reads back only `ok`, `message_id`, `error_code` and `retry_after`: building and validating
aiogram's full Message model for every one of 100 000 lessons cost more CPU than the rest of
the sender together (bench/broadcast.py).
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from aiogram import Bot

from bot.domain.outbox import (
    CopyOf,
    NewTopic,
    Photo,
    RenameTopic,
    SendOutcome,
    SendResult,
    Unbutton,
)
from bot.domain.replies import Reply
from bot.ports import Catalog
from bot.telegram.replies import markup_for

CAPTION_LIMIT = 1024


class TelegramTransport:
    def __init__(self, bot: Bot, catalog: Catalog, timeout: float = 30.0) -> None:
        self.bot = bot
        self.catalog = catalog
        self.api = bot.session.api
        self.url = self._url("sendMessage")
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._http: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    def _url(self, method: str) -> str:
        return self.api.api_url(token=self.bot.token, method=method)

    async def deliver(
        self,
        chat_id: int,
        thread_id: int | None,
        reply: Reply | NewTopic | RenameTopic | CopyOf | Photo | Unbutton,
        locale: str,
    ) -> SendResult:
        if isinstance(reply, Photo):
            return await self._photo(chat_id, thread_id, reply, locale)
        if isinstance(reply, NewTopic):
            name = self.catalog.render(reply.name, locale).text[:128]
            body: dict[str, Any] = {"chat_id": chat_id, "name": name}
            return await self._post(self._url("createForumTopic"), body, "message_thread_id")
        if isinstance(reply, RenameTopic):
            if thread_id is None:
                return SendResult(SendOutcome.BAD_REQUEST, error="no topic to rename")
            name = self.catalog.render(reply.name, locale).text[:128]
            body = {"chat_id": chat_id, "message_thread_id": thread_id, "name": name}
            return await self._post(self._url("editForumTopic"), body)
        if isinstance(reply, Unbutton):
            # Without reply_markup, the edit takes the inline keyboard away.
            body = {"chat_id": chat_id, "message_id": reply.message_id}
            done = await self._post(self._url("editMessageReplyMarkup"), body)
            # 400: no buttons to take off (never had any, or the person deleted it).
            refused = done.outcome is SendOutcome.BAD_REQUEST
            return SendResult(SendOutcome.SENT) if refused else done
        if isinstance(reply, CopyOf):
            body = {
                "chat_id": chat_id,
                "from_chat_id": reply.from_chat_id,
                "message_id": reply.message_id,
            }
            if thread_id is not None:
                body["message_thread_id"] = thread_id
            return await self._post(self._url("copyMessage"), body)
        text, markup = markup_for(reply, self.catalog, locale)
        body = {
            "chat_id": chat_id,
            "text": text,
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }
        if markup is not None:
            body["reply_markup"] = markup.model_dump(exclude_none=True)
        if thread_id is not None:
            body["message_thread_id"] = thread_id
        return await self._post(self.url, body)

    async def _photo(
        self, chat_id: int, thread_id: int | None, photo: Photo, locale: str
    ) -> SendResult:
        """sendPhoto as a multipart upload: the picture is made at send time, never stored."""
        form = aiohttp.FormData()
        form.add_field("chat_id", str(chat_id))
        if thread_id is not None:
            form.add_field("message_thread_id", str(thread_id))
        if photo.caption is not None:
            text, markup = markup_for(photo.caption, self.catalog, locale)
            form.add_field("caption", fit_caption(text))
            form.add_field("parse_mode", "HTML")
            if markup is not None:
                form.add_field("reply_markup", json.dumps(markup.model_dump(exclude_none=True)))
        form.add_field("photo", photo.image, filename=photo.filename, content_type="image/png")
        return await self._post(self._url("sendPhoto"), form)

    async def _post(
        self, url: str, body: dict[str, Any] | aiohttp.FormData, id_field: str = "message_id"
    ) -> SendResult:
        if self._http is None:
            self._http = aiohttp.ClientSession(
                timeout=self.timeout, connector=aiohttp.TCPConnector(limit=100)
            )
        sent: dict[str, Any] = (
            {"data": body} if isinstance(body, aiohttp.FormData) else {"json": body}
        )
        try:
            async with self._http.post(url, **sent) as resp:
                raw = await resp.read()
                status = resp.status
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return SendResult(SendOutcome.TRANSIENT, error=type(exc).__name__)
        return _result(status, raw, id_field)


def fit_caption(text: str, limit: int = CAPTION_LIMIT) -> str:
    """Telegram refuses a caption over 1024 characters, and the whole photo with it: cut at
    the last line break that fits (the digest's lines are short; this is a safety net)."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)
    return text[: cut if cut > 0 else limit]


def _result(status: int, raw: bytes, id_field: str = "message_id") -> SendResult:
    try:
        data = json.loads(raw)
    except ValueError:  # an HTML error page from a proxy: Telegram itself is unwell
        return SendResult(SendOutcome.TRANSIENT, error=f"HTTP {status}")
    if not isinstance(data, dict):
        return SendResult(SendOutcome.TRANSIENT, error=f"HTTP {status}")
    if data.get("ok"):
        result = data.get("result")
        found = result.get(id_field) if isinstance(result, dict) else None
        return SendResult(SendOutcome.SENT, message_id=found)
    code = int(data.get("error_code") or status)
    error = str(data.get("description") or f"HTTP {status}")[:200]
    retry_after = (data.get("parameters") or {}).get("retry_after")
    if code == 429 or retry_after:
        return SendResult(
            SendOutcome.RETRY_AFTER, retry_after=float(retry_after or 1), error=error
        )
    if code == 403:
        return SendResult(SendOutcome.FORBIDDEN, error=error)
    if code >= 500:
        return SendResult(SendOutcome.TRANSIENT, error=error)
    return SendResult(SendOutcome.BAD_REQUEST, error=error)
