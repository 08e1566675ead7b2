"""No update is lost and none is handled twice: the inbox, on polling and on a webhook."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select, update

from bot.app import build_app
from bot.db.inbox_repo import SqlInboxRepo
from bot.db.models import InboxRow
from bot.runtime import run_polling
from tests.e2e.crisis import ROOMY, case_card, make_staff
from tests.e2e.harness import WEBHOOK_SECRET, World, running_world
from tests.e2e.watch import inbox_rows, text_update

CRISIS = "我不想活了，今晚就从楼上跳下去"


def parse_metrics(page: str) -> dict[str, float]:
    """Prometheus text format: every sample line is `name{labels} value`."""
    figures: dict[str, float] = {}
    for line in page.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            figures[name] = float(value)
    return figures


async def test_a_redelivered_update_is_handled_once(world: World) -> None:
    uid = await world.user("小明")
    await world.say(uid, "/hotlines")
    raw = json.dumps(text_update(900_001, uid, "/hotlines"))
    await world.sb.mark()
    assert await world.app.inbox.receive([(900_001, raw)]) == 1
    await world.sb.wait_for(uid, lambda m: "12356" in (m.get("text") or ""))
    # Telegram sends it again (it thought we missed it): stored once, answered once.
    assert await world.app.inbox.receive([(900_001, raw)]) == 0
    await asyncio.sleep(1.0)
    after = [m for m in await world.sb.bot_messages(uid) if "12356" in (m.get("text") or "")]
    assert len(after) == 2  # the first /hotlines and the injected one, not a third
    rows = await inbox_rows(world)
    assert rows[900_001] == "done"


async def test_a_batch_that_could_not_be_stored_is_fetched_again(world: World) -> None:
    uid = await world.user("小红")
    await world.say(uid, "/hotlines")
    real = world.app.inbox.receive
    failures = 0

    async def flaky(updates: Any) -> int:
        nonlocal failures
        if failures == 0:
            failures += 1
            raise RuntimeError("database is down")
        return await real(updates)

    world.app.inbox.receive = flaky  # type: ignore[method-assign]
    await world.sb.mark()
    await world.sb.send_text(uid, "/hotlines")
    # Polling backs off for a second, asks again with the same offset, and gets it again.
    await world.sb.wait_for(uid, lambda m: "12356" in (m.get("text") or ""), timeout=10)
    assert failures == 1
    await asyncio.sleep(0.5)
    answers = [m for m in await world.sb.bot_messages(uid) if "12356" in (m.get("text") or "")]
    assert len(answers) == 2  # once for each /hotlines: nothing lost, nothing doubled


async def test_updates_caught_mid_handling_by_a_crash_are_handled_at_start(db_url: str) -> None:
    async with running_world(db_url, **ROOMY) as world:
        await make_staff(world, world.counsellor)
        uid = await world.user("小刚")
        await world.say(uid, "/hotlines")
        world.app.stop()
        await asyncio.sleep(0.5)
        # What a killed process leaves behind: one update taken but not finished, one stored
        # but not yet taken. Neither was ever answered.
        async with world.app.uow() as u:
            await u.inbox.store(
                [
                    (700_001, json.dumps(text_update(700_001, uid, CRISIS))),
                    (700_002, json.dumps(text_update(700_002, uid, "/hotlines"))),
                ],
                world.clock.now(),
            )
            await u.session.execute(  # type: ignore[attr-defined]
                update(InboxRow).where(InboxRow.update_id == 700_001).values(status="handling")
            )
            await u.commit()
        await world.sb.mark()
        app = await build_app(world.app.settings, clock=world.clock)
        task = asyncio.create_task(run_polling(app, handle_signals=False))
        try:
            await asyncio.wait_for(app.ready.wait(), 10)
            await world.sb.wait_for(uid, lambda m: "110" in (m.get("text") or ""), timeout=10)
            card = await case_card(world)
            assert "C-0001" in card["text"]
            await world.sb.wait_for(uid, lambda m: "12356" in (m.get("text") or ""), timeout=10)
            # The row is marked done after the reply goes out, so the reply can be seen first:
            # wait for the mark rather than read it once.
            want = {700_001: ("done", None), 700_002: ("done", None)}
            state: dict[int, tuple[str, str | None]] = {}
            for _ in range(100):
                async with app.uow() as u:
                    rows = await u.session.execute(  # type: ignore[attr-defined]
                        select(InboxRow.update_id, InboxRow.status, InboxRow.payload)
                    )
                    state = {int(r[0]): (r[1], r[2]) for r in rows}
                if all(state.get(k) == v for k, v in want.items()):
                    break
                await asyncio.sleep(0.1)
            assert {k: state.get(k) for k in want} == want
        finally:
            app.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 15)


async def test_webhook_needs_the_secret_and_loses_nothing(db_url: str) -> None:
    async with running_world(db_url, webhook=True, **ROOMY) as world:
        await make_staff(world, world.counsellor)
        uid = await world.user("小丽")
        # Through the sandbox's own webhook delivery, with the secret it was given.
        reply = await world.say(uid, CRISIS)
        assert "110" in reply["text"] or "安全" in reply["text"]
        await case_card(world)
        url = str(world.app.settings.webhook_url)
        forged = json.dumps(text_update(800_001, uid, CRISIS))
        async with aiohttp.ClientSession() as http:
            for headers in (
                {},
                {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
                {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET[:-1]},
                {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET + "x"},
            ):
                async with http.post(url, data=forged, headers=headers) as response:
                    assert response.status == 401, headers
            assert 800_001 not in await inbox_rows(world)  # nothing stored, nothing handled
            good = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
            async with http.post(url, data="not json", headers=good) as response:
                assert response.status == 400
            await world.sb.mark()
            hotlines = json.dumps(text_update(800_002, uid, "/hotlines"))
            async with http.post(url, data=hotlines, headers=good) as response:
                assert response.status == 200
            await world.sb.wait_for(uid, lambda m: "12356" in (m.get("text") or ""))
            root = url.rsplit("/", 2)[0]
            async with http.get(root + "/healthz") as response:
                assert response.status == 200
            async with http.get(root + "/readyz") as response:
                assert response.status == 200
            async with http.get(root + "/metrics") as response:
                assert response.status == 200
                page = await response.text()
        figures = parse_metrics(page)
        assert figures['xinqiao_updates_handled_total{result="ok"}'] >= 3
        assert figures["xinqiao_scheduler_leading"] == 1
        assert sum(v for k, v in figures.items() if k.startswith("xinqiao_cases_waiting")) == 1
        assert figures["xinqiao_oldest_waiting_case_seconds"] >= 0
        assert (
            figures['xinqiao_handler_seconds_bucket{le="+Inf"}']
            == figures["xinqiao_handler_seconds_count"]
        )
        assert any(k.startswith("xinqiao_sends_total") for k in figures)  # the card was sent
        assert "小丽" not in page and CRISIS not in page  # counts, never anyone's words


async def test_a_database_hiccup_while_taking_updates_does_not_stop_handling(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    uid = await world.user("小云")
    await world.say(uid, "/hotlines")
    real = SqlInboxRepo.claim
    failed = 0

    async def flaky(self: SqlInboxRepo, limit: int, owner: int | None = None) -> Any:
        nonlocal failed
        if failed == 0:
            failed += 1
            raise RuntimeError("database is locked")
        return await real(self, limit, owner)

    monkeypatch.setattr(SqlInboxRepo, "claim", flaky)
    await world.sb.mark()
    # What the claim loop takes: an update waiting in the table (received while stopping, a
    # retry, or a dead instance's). Updates this instance receives skip the claim.
    async with world.app.uow() as u:
        await u.inbox.store(
            [(800_001, json.dumps(text_update(800_001, uid, "/hotlines")))], world.clock.now()
        )
        await u.commit()
    world.app.inbox.wake.set()
    await world.sb.wait_for(uid, lambda m: "12356" in (m.get("text") or ""), timeout=10)
    assert failed == 1
    # And what arrives meanwhile is handled at once, the claim never in its way.
    await world.sb.mark()
    await world.sb.send_text(uid, "/hotlines")
    await world.sb.wait_for(uid, lambda m: "12356" in (m.get("text") or ""), timeout=10)
    for _ in range(50):  # marked done in the next batch, a moment after the reply
        if (await inbox_rows(world))[800_001] == "done":
            break
        await asyncio.sleep(0.1)
    assert (await inbox_rows(world))[800_001] == "done"


async def test_webhook_requests_arriving_together_are_stored_together(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Group commit: concurrent webhook posts share store transactions, each is answered once
    (a re-delivered one too), and a failed store is reported to every request it held, so
    Telegram sends them all again and nothing is lost."""
    async with running_world(db_url, webhook=True, **ROOMY) as world:
        users = [await world.user(f"用户{i}") for i in range(16)]
        for uid in users:  # a chat with the bot exists only once the person has written
            await world.say(uid, "/hotlines")
        url = str(world.app.settings.webhook_url)
        good = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        real = SqlInboxRepo.store_handling
        stores: list[int] = []
        failing = False

        async def counted(self: SqlInboxRepo, updates: Any, now: Any, owner: Any) -> Any:
            stores.append(len(updates))
            if failing:
                raise RuntimeError("database is away")
            return await real(self, updates, now, owner)

        monkeypatch.setattr(SqlInboxRepo, "store_handling", counted)
        posts = [(900_100 + i, uid) for i, uid in enumerate(users)]
        posts.append(posts[0])  # Telegram re-delivering one while the first is in flight

        async def post_all(http: aiohttp.ClientSession) -> list[int]:
            async def post(update_id: int, uid: int) -> int:
                body = json.dumps(text_update(update_id, uid, "/hotlines"))
                async with http.post(url, data=body, headers=good) as response:
                    return response.status

            return list(await asyncio.gather(*(post(i, u) for i, u in posts)))

        async with aiohttp.ClientSession() as http:
            failing = True
            assert set(await post_all(http)) == {500}
            assert not {i for i, _ in posts} & set(await inbox_rows(world))
            failing = False
            stores.clear()
            await world.sb.mark()
            assert set(await post_all(http)) == {200}
        assert sum(stores) <= len(posts) and len(stores) < len(users)  # shared transactions
        for uid in users:
            await world.sb.wait_for(uid, lambda m: "12356" in (m.get("text") or ""))
        await asyncio.sleep(0.5)
        answers = [
            m
            for uid in users
            for m in await world.sb.bot_messages(uid)
            if "12356" in (m.get("text") or "")
        ]
        # Two each: the first /hotlines, and the posted one (the re-delivered one once).
        assert len(answers) == 2 * len(users)
        rows = await inbox_rows(world)
        assert all(rows[i] in ("handling", "done") for i, _ in posts)
