"""The webhook's web server facing the network: what it refuses, and how it stays up."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import event, text

from tests.e2e.harness import WEBHOOK_SECRET, World, running_world
from tests.e2e.watch import inbox_rows, text_update

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
                lines = [
                    r
                    for r in caplog.records
                    if r.name.startswith(("bot.telegram", "bot.web", "handlers", "aiohttp"))
                ]
                assert len(lines) == 1, (name, [r.getMessage() for r in lines])
                assert lines[0].levelno == logging.WARNING and lines[0].exc_info is None, name
            assert not {700_001, 700_002, 700_003, 700_004} & set(await inbox_rows(world))
            await world.sb.mark()
            hotlines = json.dumps(text_update(700_005, uid, "/hotlines"))
            async with http.post(url, data=hotlines, headers=GOOD) as response:
                assert response.status == 200
            await world.sb.wait_for(uid, lambda m: "12356" in (m.get("text") or ""))


async def test_an_update_aiogram_cannot_read_is_given_up_in_one_line_without_its_words(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An update with a whole-number id but a message aiogram cannot read (no chat) is stored,
    then fails to parse: pydantic's error quotes its input, a child's words, and every retry
    logged it again as a traceback. Now one line naming the fields, and it is given up at once
    (it will never parse)."""
    words = "我不想活了，爸爸又打我"
    async with running_world(f"sqlite:///{tmp_path / 'x.db'}", webhook=True) as world:
        uid = await world.user("小丽")
        await world.say(uid, "/hotlines")
        broken = text_update(700_020, uid, words)
        del broken["message"]["chat"]
        caplog.clear()
        async with aiohttp.ClientSession() as http:
            url = str(world.app.settings.webhook_url)
            async with http.post(url, data=json.dumps(broken), headers=GOOD) as response:
                assert response.status == 200  # stored: Telegram need not send it again
        for _ in range(100):
            if (await inbox_rows(world)).get(700_020) == "failed":
                break
            await asyncio.sleep(0.1)
        assert (await inbox_rows(world))[700_020] == "failed"
    assert words not in caplog.text and "爸爸" not in caplog.text
    about = [r for r in caplog.records if "700020" in r.getMessage()]
    assert len(about) == 1 and about[0].exc_info is None, [r.getMessage() for r in about]
    assert "message.chat" in about[0].getMessage()


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


# -- connections: slow, idle, too many ------------------------------------------------------


async def connect(world: World) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, _, port = world.app.settings.webhook_listen.rpartition(":")
    return await asyncio.open_connection(host, int(port))


async def closed_by_server(reader: asyncio.StreamReader, within: float) -> bool:
    """Whether the server closes (or resets) the connection within `within` seconds."""
    try:
        async with asyncio.timeout(within):
            while await reader.read(1024):
                pass
    except TimeoutError:
        return False
    except ConnectionError:
        pass
    return True


async def post_update(world: World, update_id: int, uid: int) -> int:
    body = json.dumps(text_update(update_id, uid, "/hotlines"))
    url = str(world.app.settings.webhook_url)
    async with aiohttp.ClientSession() as http, http.post(url, data=body, headers=GOOD) as r:
        return r.status


async def test_slow_heads_and_bodies_are_cut_off_and_updates_still_get_through(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """300 connections that never finish a request head (half silent, half sending a header
    line every 0.2 s, as slowloris does) are all closed a second after they opened, and one
    whose body stalls is answered 408; an update posted meanwhile is handled. aiohttp alone
    kept them all open (its keep-alive timer: an hour)."""
    async with running_world(
        f"sqlite:///{tmp_path / 'web.db'}",
        webhook=True,
        web_header_timeout_s="1",
        web_body_timeout_s="1",
    ) as world:
        uid = await world.user("小丽")
        await world.say(uid, "/hotlines")
        opened = [await connect(world) for _ in range(300)]
        for _, writer in opened[::2]:
            writer.write(b"POST /tg/updates HTTP/1.1\r\nHost: x\r\n")

        async def dribble() -> None:
            with contextlib.suppress(ConnectionError):
                while True:
                    await asyncio.sleep(0.2)
                    for _, writer in opened[::2]:
                        if not writer.is_closing():
                            writer.write(b"X-Slow: y\r\n")

        dribbler = asyncio.create_task(dribble())
        slow_reader, slow_writer = await connect(world)
        slow_writer.write(
            b"POST /tg/updates HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
            + f"X-Telegram-Bot-Api-Secret-Token: {WEBHOOK_SECRET}\r\n\r\n".encode()
            + b'{"update_id":'
        )
        started = time.monotonic()
        await world.sb.mark()
        assert await post_update(world, 900_001, uid) == 200
        await world.sb.wait_for(uid, lambda m: "12356" in (m.get("text") or ""))
        try:
            results = await asyncio.gather(*(closed_by_server(r, 15) for r, _ in opened))
        finally:
            dribbler.cancel()
        assert all(results), f"{results.count(False)} of 300 still open after 15 s"
        assert time.monotonic() - started < 15
        answer = await asyncio.wait_for(slow_reader.read(), 15)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:40]
        for _, writer in [*opened, (slow_reader, slow_writer)]:
            writer.close()
    mine = [r for r in caplog.records if r.name == "bot.web.server"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert 1 <= len(mine) <= 3, [r.getMessage() for r in mine]  # counted, not one a connection


async def test_the_connection_cap_holds_and_an_update_still_gets_through(tmp_path: Path) -> None:
    """WEB_MAX_CONNECTIONS=50 and 120 idle connections: the oldest 70 are closed as the others
    come, and an update still gets in (it closes one more idle one). When all 20 of a cap are
    busy with a request, the next connection is refused with a 503 instead."""
    async with running_world(
        f"sqlite:///{tmp_path / 'web.db'}",
        webhook=True,
        web_header_timeout_s="60",
        web_body_timeout_s="60",
        web_max_connections="50",
    ) as world:
        uid = await world.user("小丽")
        await world.say(uid, "/hotlines")
        idle = [await connect(world) for _ in range(120)]
        gone = await asyncio.gather(*(closed_by_server(r, 2) for r, _ in idle))
        assert gone == [True] * 70 + [False] * 50  # the oldest went first
        await world.sb.mark()
        assert await post_update(world, 900_002, uid) == 200
        await world.sb.wait_for(uid, lambda m: "12356" in (m.get("text") or ""))
        assert await closed_by_server(idle[70][0], 2)  # the oldest left made room
        for _, writer in idle:
            writer.close()

    async with running_world(
        f"sqlite:///{tmp_path / 'busy.db'}",
        webhook=True,
        web_header_timeout_s="60",
        web_body_timeout_s="60",
        web_max_connections="20",
    ) as world:
        busy = [await connect(world) for _ in range(20)]
        for _, writer in busy:  # in the handler, waiting for a body that does not come
            writer.write(
                b"POST /tg/updates HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                + f"X-Telegram-Bot-Api-Secret-Token: {WEBHOOK_SECRET}\r\n\r\n{{".encode()
            )
        await asyncio.sleep(0.5)
        reader, writer = await connect(world)
        answer = await asyncio.wait_for(reader.read(), 5)
        assert answer.startswith(b"HTTP/1.1 503"), answer[:40]
        for _, w in [*busy, (reader, writer)]:
            w.close()


ROOT = Path(__file__).resolve().parents[2]
SERVER = textwrap.dedent(
    """
    import asyncio, logging, resource, sys
    from aiohttp import web
    from bot.web.server import WebLimits, serve

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)

    async def ok(request):
        await request.read()
        return web.Response(text="ok")

    async def main():
        app = web.Application()
        app.router.add_post("/hook", ok)
        limits = WebLimits(head_timeout=60, max_connections=500, report_every=1)
        runner = await serve(app, "127.0.0.1", 0, limits)
        print(runner.addresses[0][1], flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())
    """
)


async def test_out_of_files_the_accept_failures_are_one_line_a_while_not_a_flood() -> None:
    """A server allowed 64 open files, WEB_MAX_CONNECTIONS set far above that, and 150 idle
    connections: asyncio's accept fails with EMFILE many times a second. Before, each failure
    was a traceback in the log (240 MB in a minute at 1,100 connections); now they are counted
    in a line a second (report_every=1 here, 60 s by default), idle connections make room, and
    a request still gets through."""
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SERVER,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        assert server.stdout is not None
        port = int(await asyncio.wait_for(server.stdout.readline(), 30))
        idle = []
        for _ in range(150):
            idle.append(await asyncio.open_connection("127.0.0.1", port))
        await asyncio.sleep(4)
        started = time.monotonic()
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"http://127.0.0.1:{port}/hook", data=b"{}") as response,
        ):
            assert response.status == 200
        assert time.monotonic() - started < 10
        for _, writer in idle:
            writer.close()
    finally:
        server.terminate()
        _, err = await asyncio.wait_for(server.communicate(), 30)
    log = err.decode()
    failures = [x for x in log.splitlines() if "could not accept" in x]
    assert "Traceback" not in log and "Too many open files" in log, log[-2000:]
    assert 1 <= len(failures) <= 10 and len(log) < 10_000, (len(failures), len(log))
