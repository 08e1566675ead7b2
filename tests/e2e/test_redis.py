"""With REDIS_URL set, conversation state lives in Redis and one person's updates still take
their turns in order (the local queue first, then Redis's lock, bot/telegram/isolation.py)."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from tests.e2e.chat import press_and_wait, start
from tests.e2e.crisis import ROUND_THE_CLOCK, canned_media_and_merging
from tests.e2e.harness import running_world
from tests.e2e.people import guardian_onboarding_in_chinese
from tests.support import redis_url

URL = redis_url()
pytestmark = pytest.mark.skipif(URL is None, reason="Redis not available on 127.0.0.1:6379")


async def flushed() -> str:
    assert URL is not None
    client = aioredis.from_url(URL)
    try:
        await client.flushdb()
    finally:
        await client.aclose()
    return URL


async def test_onboarding_state_lives_in_redis(db_url: str) -> None:
    url = await flushed()
    async with running_world(db_url, redis_url=url) as world:
        # Half-way through, the guardian's draft (the role chosen) is in Redis...
        uid = await world.user("外婆")
        await start(world, uid)
        await press_and_wait(world, uid, "👵 我照顾孩子（父母 / 祖父母）")
        client = aioredis.from_url(url)
        try:
            keys = [k.decode() for k in await client.keys(f"fsm:*{uid}*")]
        finally:
            await client.aclose()
        assert any(k.endswith(":data") for k in keys), keys
        # ...and a whole onboarding works with state kept there between presses.
        await guardian_onboarding_in_chinese(world)


async def test_a_burst_keeps_its_order_with_redis_isolation(db_url: str) -> None:
    url = await flushed()
    async with running_world(db_url, redis_url=url, **ROUND_THE_CLOCK) as world:
        await canned_media_and_merging(world)
