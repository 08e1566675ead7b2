"""Fault injection and flood control, seen both on the wire and through aiogram."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from sandbox import SandboxClient, SandboxServer
from tests.sandbox.harness import RawApi, make_bot


async def outcomes(raw: RawApi, calls: int, method: str = "getMe", **params: Any) -> list[int]:
    return [(await raw.call(method, **params))[0] for _ in range(calls)]


async def test_rate_is_deterministic_for_a_seed(raw: RawApi, sb: SandboxClient) -> None:
    rule = {"kind": "500", "method": "getMe", "rate": 0.5}
    await sb.set_faults([rule], seed=42)
    first = await outcomes(raw, 40)
    await sb.set_faults([rule], seed=42)
    second = await outcomes(raw, 40)
    await sb.set_faults([rule], seed=7)
    other = await outcomes(raw, 40)
    assert first == second
    assert first != other
    assert 8 < first.count(500) < 32
    assert set(first) == {200, 500}


async def test_times_method_and_chat_filters(
    raw: RawApi, sb: SandboxClient, family: dict[str, Any]
) -> None:
    guardian, child = family["guardian"]["id"], family["child"]["id"]
    await sb.set_faults(
        [
            {
                "kind": "429",
                "method": "sendMessage",
                "chat_id": guardian,
                "times": 2,
                "retry_after": 3,
            },
            {"kind": "403", "method": "sendChatAction"},
        ]
    )
    assert await outcomes(raw, 3, "sendMessage", chat_id=guardian, text="x") == [429, 429, 200]
    assert await outcomes(raw, 2, "sendMessage", chat_id=child, text="x") == [200, 200]
    assert await outcomes(raw, 1, "getMe") == [200]
    status, body = await raw.call("sendMessage", chat_id=guardian, text="x")
    assert status == 200
    status, body = await raw.call("sendChatAction", chat_id=child, action="typing")
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")
    report = await sb.faults()
    assert report["counters"]["injected"] == {
        "sendMessage": {"429": 2},
        "sendChatAction": {"403": 1},
    }
    assert [rule["injected"] for rule in report["rules"]] == [2, 1]
    assert report["counters"]["sent"]["sendMessage"] == 4
    cleared = await sb.clear_faults()
    assert cleared["rules"] == [] and cleared["counters"]["injected"] == {}


async def test_429_body_matches_telegram(raw: RawApi, sb: SandboxClient) -> None:
    await sb.add_fault("429", "getMe", retry_after=11, times=1)
    status, body = await raw.call("getMe")
    assert status == 429
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 11",
        "parameters": {"retry_after": 11},
    }


async def test_server_errors_through_aiogram(bot: Bot, sb: SandboxClient) -> None:
    await sb.add_fault("500", "getMe", times=1)
    with pytest.raises(TelegramServerError, match="Internal Server Error"):
        await bot.get_me()
    await sb.add_fault("502", "getMe", times=1, body="json")
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.get_me()
    # what Telegram's nginx really sends on 502: an HTML page aiogram cannot decode
    await sb.add_fault("502", "getMe", times=1)
    with pytest.raises(ClientDecodeError):
        await bot.get_me()
    await sb.add_fault("403", "getMe", times=1)
    with pytest.raises(TelegramForbiddenError):
        await bot.get_me()
    await sb.add_fault("400", "getMe", times=1)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.get_me()
    await sb.add_fault("429", "getMe", times=1, retry_after=2)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.get_me()
    assert caught.value.retry_after == 2
    assert (await bot.get_me()).id == 123456


async def test_drop_and_timeout_are_network_errors(
    server: SandboxServer, sb: SandboxClient, family: dict[str, Any]
) -> None:
    impatient = make_bot(server.base_url, timeout=0.3)
    chat = family["guardian"]["id"]
    try:
        await sb.add_fault("drop", "sendMessage", times=1)
        with pytest.raises(TelegramNetworkError):
            await impatient.send_message(chat, "lost")
        await sb.add_fault("timeout", "sendMessage", times=1, delay=2.0)
        with pytest.raises(TelegramNetworkError, match="timeout"):
            await impatient.send_message(chat, "slow")
        # the side effect can still happen when only the answer is lost
        await sb.add_fault("drop", "sendMessage", times=1, process=True)
        with pytest.raises(TelegramNetworkError):
            await impatient.send_message(chat, "delivered twice?")
        sent = await impatient.send_message(chat, "after")
    finally:
        await impatient.session.close()
    texts = [m.get("text") for m in await sb.bot_messages(chat)]
    assert texts == ["delivered twice?", "after"]
    assert sent.text == "after"
    counters = (await sb.faults())["counters"]["injected"]["sendMessage"]
    assert counters == {"drop": 2, "timeout": 1}


async def test_group_flood_limit(bot: Bot, sb: SandboxClient, family: dict[str, Any]) -> None:
    staff = family["staff"]["id"]
    await sb.set_faults(group_rate_per_min=3)
    for i in range(3):
        await bot.send_message(staff, f"m{i}")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(staff, "m3")
    assert 1 <= caught.value.retry_after <= 60
    await bot.send_message(family["guardian"]["id"], "private chats are not limited")
    report = await sb.faults()
    assert report["counters"]["rate_limited"] == {"sendMessage": 1}
    assert report["counters"]["sent"] == {"sendMessage": 4}
    assert report["rate_limits"]["group_rate_per_min"] == 3


async def test_global_rate_limit_from_constructor(family: dict[str, Any]) -> None:
    async with SandboxServer(global_rate_per_s=2) as limited:
        async with SandboxClient(limited.base_url) as client:
            user = (await client.create_user("Ann"))["id"]
            await client.send_text(user, "/start")
        limited_bot = make_bot(limited.base_url)
        try:
            await limited_bot.send_message(user, "1")
            await limited_bot.send_message(user, "2")
            with pytest.raises(TelegramRetryAfter) as caught:
                await limited_bot.send_message(user, "3")
            assert caught.value.retry_after == 1
            assert (await limited_bot.get_me()).is_bot  # only sends are limited
        finally:
            await limited_bot.session.close()


async def test_bad_fault_config_is_rejected(sb: SandboxClient) -> None:
    from sandbox.client import SandboxError

    with pytest.raises(SandboxError, match="kind must be one of"):
        await sb.set_faults([{"kind": "418"}])
    with pytest.raises(SandboxError, match="rate must be between"):
        await sb.set_faults([{"kind": "500", "rate": 2}])


async def test_sends_inside_a_429_pause_are_counted(
    raw: RawApi, sb: SandboxClient, family: dict[str, Any]
) -> None:
    """The sandbox notices a client that ignores retry_after (per chat)."""
    chat, other = family["guardian"]["id"], family["child"]["id"]
    await sb.add_fault("429", "sendMessage", chat_id=chat, retry_after=30, times=1)
    assert (await raw.call("sendMessage", chat_id=chat, text="a"))[0] == 429
    assert (await raw.call("sendMessage", chat_id=chat, text="b"))[0] == 200  # too early
    assert (await raw.call("sendMessage", chat_id=other, text="c"))[0] == 200  # another chat
    counters = (await sb.faults())["counters"]
    assert counters["early_after_429"] == {"sendMessage": 1}
