"""Fixtures: a running sandbox, its control client, a real aiogram Bot, raw Bot API calls,
the official spec, a family who started the bot (their helpers in tests/sandbox/harness.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot

from sandbox import SandboxClient, SandboxServer
from tests.sandbox.harness import BOT_USERNAME, TOKEN, RawApi, make_bot
from tests.support import SPEC_PATH


@pytest.fixture
def spec() -> dict[str, Any]:
    if not SPEC_PATH.exists():
        pytest.skip(f"the Bot API spec is not available at {SPEC_PATH}")
    data: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return data


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    sandbox = SandboxServer(
        bots=[(TOKEN, BOT_USERNAME, "心桥 Xinqiao")],
        webhook_backoff_s=(0.05, 0.2),
        webhook_timeout_s=2.0,
    )
    async with sandbox:
        yield sandbox


@pytest.fixture
async def sb(server: SandboxServer) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(server.base_url) as client:
        yield client


@pytest.fixture
async def bot(server: SandboxServer) -> AsyncIterator[Bot]:
    instance = make_bot(server.base_url)
    yield instance
    await instance.session.close()


@pytest.fixture
async def raw(server: SandboxServer) -> AsyncIterator[RawApi]:
    async with aiohttp.ClientSession() as session:
        yield RawApi(server.base_url, session)


@pytest.fixture
async def family(sb: SandboxClient) -> dict[str, Any]:
    """A guardian and a child who have both started the bot, and a staff forum."""
    guardian = await sb.create_user("妈妈", username="mum")
    child = await sb.create_user("小明", language_code="zh-hans")
    counsellor = await sb.create_user("Counsellor", language_code="en")
    await sb.send_text(guardian["id"], "/start")
    await sb.send_text(child["id"], "/start")
    staff = await sb.create_group(
        "Staff", [counsellor["id"]], is_forum=True, admin_ids=[counsellor["id"]]
    )
    return {"guardian": guardian, "child": child, "counsellor": counsellor, "staff": staff}
