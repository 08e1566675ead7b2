"""A flaky Telegram: one call in five fails (429, 500, 502, a timeout, a dropped connection),
and one person has blocked the bot. The bot keeps answering everyone, escalates every crisis,
sends nothing into a 429's pause, and never retries a 403."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bot.db.models import CaseRow, OutboxRow, PersonRow
from bot.domain.outbox import Priority
from tests.e2e.crisis import ROOMY, make_staff
from tests.e2e.harness import running_world
from tests.reliability import CRISIS, THOROUGH, injected, one_in_five

SECONDS = 60 if THOROUGH else 15


def answered(messages: list[dict[str, Any]]) -> int:
    return sum(1 for m in messages if "12356" in str(m.get("text") or ""))


async def test_one_call_in_five_failing_loses_nothing(db_url: str) -> None:
    async with running_world(db_url, **ROOMY) as world:
        await make_staff(world, world.counsellor)
        people = [await world.user(f"用户{n}") for n in range(5)]
        children = [await world.user(f"孩子{n}") for n in range(3)]
        blocked = await world.user("拉黑了")
        for uid in [*people, blocked]:
            await world.say(uid, "/hotlines")  # each chat exists before the faults begin
        rules = one_in_five()
        rules.insert(0, {"kind": "403", "method": "sendMessage", "chat_id": blocked})
        await world.sb.set_faults(rules, seed=11)

        asked = dict.fromkeys(people, 1)
        blocked_asked = 0
        loop = asyncio.get_running_loop()
        start = loop.time()
        tick = 0
        while loop.time() - start < SECONDS:
            for uid in people:
                await world.sb.send_text(uid, "/hotlines")
                asked[uid] += 1
            if tick % 3 == 0:
                await world.sb.send_text(blocked, "/hotlines")
                blocked_asked += 1
            if tick < len(children):
                await world.sb.send_text(children[tick], CRISIS)
            tick += 1
            await asyncio.sleep(1.0)

        # Everyone is answered (retries may still be under way when the minute ends).
        deadline = loop.time() + 60
        while loop.time() < deadline:
            short = [u for u in people if answered(await world.sb.bot_messages(u)) < asked[u]]
            async with world.uow() as u:
                cases = len((await u.session.execute(select(CaseRow.id))).all())  # type: ignore[attr-defined]
            if not short and cases >= len(children):
                break
            await asyncio.sleep(1.0)
        assert short == [], {
            u: (asked[u], answered(await world.sb.bot_messages(u))) for u in short
        }
        assert cases == len(children)
        snapshot = await world.sb.faults()
        counters = snapshot["counters"]
        assert injected(snapshot) >= len(people) * SECONDS * 0.05  # the faults really fired
        assert counters.get("early_after_429", {}) == {}, counters  # retry_after respected
        # A 403 is final: the blocked chat was tried once per message, never again.
        forbidden = sum(r["injected"] for r in snapshot["rules"] if r["kind"] == "403")
        assert 1 <= forbidden <= blocked_asked
        async with world.uow() as u:
            status = await u.session.scalar(  # type: ignore[attr-defined]
                select(PersonRow.status).where(PersonRow.telegram_id == blocked)
            )
        assert status in (None, "inactive")


async def test_a_reply_telegram_keeps_refusing_is_queued_not_lost(db_url: str) -> None:
    """Five 500s in a row outlast the handler's own retries: the answer goes to the outbox
    as an interactive message and reaches the person from there."""
    async with running_world(db_url) as world:
        uid = await world.user("等回答的人")
        await world.say(uid, "/hotlines")
        await world.sb.set_faults(
            [{"kind": "500", "method": "sendMessage", "chat_id": uid, "times": 5}], seed=1
        )
        await world.sb.send_text(uid, "/hotlines")
        late = await world.sb.wait_for_text(uid, "12356", timeout=30)
        assert late["message_id"]
        snapshot = await world.sb.faults()
        assert injected(snapshot) == 5  # each of the handler's attempts was refused
        rows: list[tuple[Any, ...]] = []
        for _ in range(50):  # the sender records 'sent' a moment after Telegram's answer
            async with world.uow() as u:
                rows = [
                    tuple(r)
                    for r in await u.session.execute(  # type: ignore[attr-defined]
                        select(OutboxRow.kind, OutboxRow.priority, OutboxRow.status).where(
                            OutboxRow.chat_id == uid
                        )
                    )
                ]
            if rows and rows[0][2] == "sent":
                break
            await asyncio.sleep(0.1)
        assert rows == [("reply", int(Priority.INTERACTIVE), "sent")]
        assert answered(await world.sb.bot_messages(uid)) == 2  # once each, no duplicate
