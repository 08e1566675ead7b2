"""The demo a newcomer drives from the page: "this week's lesson now" and "move the clock" bring
a lesson, its check-in and the reminder that follows silence, without the command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import aiohttp
import pytest

from bot.cli import demo_state
from bot.cli.demo import Demo, running_demo
from bot.runtime import run_polling
from sandbox import SandboxClient
from tests.e2e.harness import World, eventually
from tests.e2e.people import enrol

LESSON = "📖"


@contextlib.asynccontextmanager
async def demo_up(db_url: str) -> AsyncIterator[tuple[Demo, SandboxClient]]:
    args = argparse.Namespace(host="127.0.0.1", port=0, dashboard_port=0, db=db_url)
    async with running_demo(args) as demo, SandboxClient(demo.sandbox.base_url) as sb:
        task = asyncio.create_task(run_polling(demo.app, handle_signals=False))
        await asyncio.wait_for(demo.app.ready.wait(), timeout=10)
        try:
            yield demo, sb
        finally:
            demo.app.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=15)


async def control(demo: Demo, path: str, body: dict[str, Any] | None = None) -> Any:
    url = f"{demo.sandbox.base_url}/demo/control{path}"
    async with aiohttp.ClientSession() as http:
        request = http.post(url, json=body) if path else http.get(url)
        async with request as resp:
            return resp.status, await resp.json()


def texts(messages: list[dict[str, Any]], start: str) -> list[str]:
    return [m.get("text") or "" for m in messages if (m.get("text") or "").startswith(start)]


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
async def test_lesson_now_then_the_clock_brings_check_in_and_reminder(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, locale: str
) -> None:
    monkeypatch.chdir(tmp_path)  # the demo's state file goes under var/demo here
    async with demo_up(db_url) as (demo, sb):
        grandma = demo.control.guardian
        # Before she enrolled there is nothing to bring forward, and the panel says what to do.
        status, state = await control(demo, "/lesson")
        assert status == 200 and all("/start" in text for text in state["message"])
        assert state["labels"]["lesson"] == ["📖 现在发送本周课程", "📖 This week's lesson now"]

        await enrol(cast(World, argparse.Namespace(sb=sb)), grandma)
        await sb.wait_for(grandma, lambda m: (m.get("text") or "").startswith(LESSON))
        async with demo.app.uow() as u:
            person = await u.people.by_telegram_id(grandma)
            assert person is not None and person.id is not None
            person.locale = locale
            await u.people.save(person)
            await u.commit()
        welcome_and_first = 1

        status, state = await control(demo, "/lesson")
        assert status == 200 and state["message"][0] == "本周课程正在发往奶奶的手机。"
        lessons = await eventually(
            lambda: sb.bot_messages(grandma),
            lambda ms: len(texts(ms, LESSON)) > welcome_and_first,
        )
        assert len(texts(lessons, LESSON)) == 2  # this week's lesson, and nothing else early

        task = "This week's small task was:" if locale == "en" else "这周的小任务是："
        status, state = await control(demo, "/clock", {"hours": 168})
        assert status == 200 and state["moved_hours"] == 168
        after_week = await eventually(
            lambda: sb.bot_messages(grandma), lambda ms: bool(texts(ms, task))
        )
        assert texts(after_week, task), "the check-in follows the lesson"

        nudge = "Hello 🙂 We haven't" if locale == "en" else "您好 🙂 好一阵子没收到您的消息了"
        await control(demo, "/clock", {"hours": 168})
        later = await eventually(
            lambda: sb.bot_messages(grandma), lambda ms: bool(texts(ms, nudge))
        )
        assert texts(later, nudge), "two quiet weeks bring the friendly reminder"

        # The clock only goes forward, by the steps the page offers.
        status, _ = await control(demo, "/clock", {"hours": -24})
        assert status == 400
        assert demo_state.STATE_FILE.is_file()
    assert not demo_state.STATE_FILE.exists()  # gone once the demo stopped
