"""The webhook's web server facing the network: what it refuses, and how it stays up."""

from __future__ import annotations

import json
import logging

import aiohttp
import pytest

from tests.e2e.harness import WEBHOOK_SECRET, running_world
from tests.e2e.test_inbox import inbox_rows, text_update

GOOD = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


async def test_an_update_too_big_or_too_deep_is_refused_with_400_and_one_line(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A 20-digit update_id (past 64 bits, the column's size) and JSON nested past any real
    update: each is a 400 and one line in the log, no traceback, nothing stored; a real
    update after them is handled."""
    async with running_world(db_url, webhook=True) as world:
        uid = await world.user("小丽")
        await world.say(uid, "/hotlines")
        url = str(world.app.settings.webhook_url)
        message = text_update(1, uid, "/hotlines")["message"]
        bodies: dict[str, str | bytes] = {
            "not UTF-8": b'{"update_id": 700000, "x": "\xff"}',
            "20 digits": json.dumps({"update_id": 10**19, "message": message}),
            "negative": json.dumps({"update_id": -5, "message": message}),
            "a boolean": json.dumps({"update_id": True, "message": message}),
            "a string": json.dumps({"update_id": "700001", "message": message}),
            "past the recursion limit": '{"update_id": 700002, "message": ' + deep(100_000) + "}",
            "deep but parseable": '{"update_id": 700003, "message": ' + deep(500) + "}",
            "a deep value": json.dumps({"update_id": 700004, "x": json.loads(deep(200))}),
        }
        async with aiohttp.ClientSession() as http:
            for name, body in bodies.items():
                caplog.clear()
                async with http.post(url, data=body, headers=GOOD) as response:
                    assert response.status == 400, name
                lines = [r for r in caplog.records if r.name.startswith(("handlers", "aiohttp"))]
                assert len(lines) == 1, (name, [r.getMessage() for r in lines])
                assert lines[0].levelno == logging.WARNING and lines[0].exc_info is None, name
            assert not {700_001, 700_002, 700_003, 700_004} & set(await inbox_rows(world))
            await world.sb.mark()
            hotlines = json.dumps(text_update(700_005, uid, "/hotlines"))
            async with http.post(url, data=hotlines, headers=GOOD) as response:
                assert response.status == 200
            await world.sb.wait_for(uid, lambda m: "12356" in (m.get("text") or ""))
