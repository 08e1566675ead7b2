"""The webhook's web server facing the network: what it refuses, and how it stays up."""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
import pytest
from sqlalchemy import event, text

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


async def test_readyz_says_503_while_the_database_refuses_writes(db_url: str) -> None:
    """A database that answers reads but refuses writes (a PostgreSQL standby after a failover,
    a file system remounted read-only) cannot store updates: the load balancer must send them
    elsewhere. PostgreSQL: default_transaction_read_only; SQLite: PRAGMA query_only (the test
    runs as root here, which file permissions do not stop)."""
    async with running_world(db_url, webhook=True) as world:
        root = str(world.app.settings.webhook_url).rsplit("/", 2)[0]
        engine = world.app.engine

        async def ready() -> int:
            async with aiohttp.ClientSession() as http, http.get(root + "/readyz") as response:
                return response.status

        assert await ready() == 200
        assert all(i > 0 for i in await inbox_rows(world))  # the write it tried: rolled back
        if engine.dialect.name == "postgresql":
            name = engine.url.database
            async with engine.connect() as conn:
                await conn.execute(
                    text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
                )
                await conn.commit()
        else:

            def query_only(dbapi_connection: Any, _record: Any) -> None:
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA query_only = ON")
                cursor.close()

            event.listen(engine.sync_engine, "connect", query_only)
        await engine.dispose()  # the pool's connections open again, refusing writes
        try:
            async with world.app.uow() as u:
                await u.inbox.counts()  # reads still answer
            assert await ready() == 503
        finally:
            if engine.dialect.name == "postgresql":
                async with engine.connect() as conn:
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                    # This session first (SET is allowed read-only), then the database.
                    await conn.execute(text("SET default_transaction_read_only = off"))
                    reset = f'ALTER DATABASE "{name}" RESET default_transaction_read_only'
                    await conn.execute(text(reset))
            else:
                event.remove(engine.sync_engine, "connect", query_only)
            await engine.dispose()
        assert await ready() == 200
