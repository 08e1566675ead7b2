"""End-to-end harness: the real aiogram bot, long-polling the sandbox over HTTP, on a real DB."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.app import App, build_app
from bot.catalog.fonts import FONT
from bot.config import load_settings
from bot.db.uow import SqlUnitOfWorkFactory
from bot.domain.people import Person
from bot.runtime import run_polling, run_webhook
from sandbox import SandboxClient, SandboxServer
from tests.support import OffsetClock

T = TypeVar("T")

TOKEN = "123456:TEST-TOKEN"
BOT_ID = 123456


@dataclass
class World:
    sandbox: SandboxServer
    sb: SandboxClient
    app: App
    staff_chat_id: int
    admin: dict[str, Any]
    counsellor: dict[str, Any]
    outsider: dict[str, Any]
    clock: OffsetClock

    @property
    def uow(self) -> SqlUnitOfWorkFactory:
        return self.app.uow

    async def person(self, telegram_id: int) -> Person | None:
        async with self.uow() as u:
            return await u.people.by_telegram_id(telegram_id)

    async def user(self, name: str, language_code: str | None = "zh-hans") -> int:
        user = await self.sb.create_user(name, language_code)
        return int(user["id"])

    async def say(self, user_id: int, text: str, timeout: float = 5.0) -> dict[str, Any]:
        """Send text in the private chat and return the bot's first answer."""
        await self.sb.send_text(user_id, text)
        return await self.sb.wait_for(user_id, lambda m: True, timeout)

    async def press(self, user_id: int, label: str, chat_id: int | None = None) -> dict[str, Any]:
        """Press a button by its label; returns the callback answer (toast)."""
        qid = await self.sb.press_button(user_id, chat_id or user_id, label)
        return await self.sb.wait_callback_answer(qid)

    async def texts_after(self, user_id: int, count: int, timeout: float = 5.0) -> list[str]:
        """Wait until `count` bot messages arrived since the last action; their texts."""
        start = self.sb._marks.get(user_id, 0)
        seen: list[str] = []
        while len(seen) < count:
            msg = await self.sb.wait_for(user_id, lambda m: True, timeout, since=start)
            seen.append(msg.get("text") or "")
            start = await self._seq_of(user_id, msg["message_id"], start)
        return seen

    async def _seq_of(self, chat_id: int, message_id: int, since: int) -> int:
        feed = await self.sb.events(since, 0)
        for event in feed["events"]:
            if (
                event.get("chat_id") == chat_id
                and event.get("message", {}).get("message_id") == message_id
            ):
                return int(event["seq"])
        return int(feed["last_seq"])


async def eventually(
    read: Callable[[], Awaitable[T]], check: Callable[[T], bool], timeout: float = 10.0
) -> T:
    """Read until check holds, and return the last reading. A reply can reach the chat before the
    row that records it is committed (the sender records delivery after Telegram accepted it), so a
    test that reads the database once right after a reply races the bot."""
    value = await read()
    deadline = asyncio.get_running_loop().time() + timeout
    while not check(value) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
        value = await read()
    return value


async def stop_demo(process: asyncio.subprocess.Process) -> None:
    """Stop a `python -m bot demo` process as Ctrl-C would, and kill it if it hangs."""
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGINT)
    try:
        await asyncio.wait_for(process.wait(), 20)
    except TimeoutError:
        process.kill()
        await process.wait()


WEBHOOK_SECRET = "sandbox-webhook-secret-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def running_world(
    db_url: str, *, webhook: bool = False, **settings: Any
) -> AsyncIterator[World]:
    """A sandbox, its users and staff group, and the bot on polling or (webhook=True) on a
    webhook the sandbox posts to with the secret token."""
    async with (
        SandboxServer(bots=[(TOKEN, "xinqiao_test_bot", "心桥 Xinqiao")], font=FONT) as sandbox,
        SandboxClient(sandbox.base_url) as sb,
    ):
        admin = await sb.create_user("督导 Admin", "zh-hans")
        counsellor = await sb.create_user("Counsellor Li", "zh-hans")
        outsider = await sb.create_user("Someone", "en")
        group = await sb.create_group(
            "心桥 staff",
            [admin["id"], counsellor["id"], outsider["id"]],
            is_forum=True,
            admin_ids=[admin["id"]],
        )
        # Time-of-day independent: a run at 22:00 in Shanghai must not find every lesson and
        # invitation deferred to the morning. Quiet and school hours are tested with fixed clocks.
        settings.setdefault("quiet_hours", "00:00-00:00")
        settings.setdefault("school_hours", "00:00-00:00")
        if webhook:
            port = free_port()
            settings.update(
                webhook_url=f"http://127.0.0.1:{port}/tg/updates",
                webhook_secret=WEBHOOK_SECRET,
                webhook_listen=f"127.0.0.1:{port}",
            )
        config = load_settings(
            None,
            bot_token=TOKEN,
            telegram_api_url=sandbox.base_url,
            database_url=db_url,
            staff_chat_id=str(group["id"]),
            admin_ids=str(admin["id"]),
            **settings,
        )
        clock = OffsetClock()
        app = await build_app(config, clock=clock)
        run = run_webhook if webhook else run_polling
        task = asyncio.create_task(run(app, handle_signals=False))
        await asyncio.wait_for(app.ready.wait(), timeout=10)
        try:
            yield World(sandbox, sb, app, group["id"], admin, counsellor, outsider, clock)
        finally:
            # A test may have stopped this app itself (to restart the bot mid-conversation).
            app.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=15)
