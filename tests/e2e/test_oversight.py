"""Oversight end to end: the weekly digest and `/stats` in the sandbox's staff chat, with the
seeded week of tests/oversight_seed.py (its figures worked out by hand there)."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from typing import Any

import aiohttp
from PIL import Image
from sqlalchemy import func, select

from bot.db.models import OutboxRow
from bot.services.oversight import DIGEST_KIND
from tests.e2e.chat import is_photo
from tests.e2e.crisis import make_staff
from tests.e2e.harness import World
from tests.oversight_seed import TZ, seeded_week


async def picture(world: World, message: dict[str, Any]) -> Image.Image:
    biggest = message["photo"][-1]["file_id"]
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{world.sandbox.base_url}/sandbox/files/{biggest}") as response,
    ):
        data = await response.read()
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


async def all_handled(world: World) -> None:
    """Every update the bot has received is handled (done), so nothing more is coming."""
    for _ in range(100):
        async with world.uow() as u:
            counts = await u.inbox.counts()
        if not counts.get("received") and not counts.get("handling"):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"updates still in hand: {counts}")


async def digests(world: World) -> int:
    async with world.uow() as u:
        n = await u.session.scalar(  # type: ignore[attr-defined]
            select(func.count()).select_from(OutboxRow).where(OutboxRow.kind == DIGEST_KIND)
        )
    return int(n or 0)


# The seeded week in the staff chat's language (zh_Hans), as the caption says it.
EXPECTED_LINES = (
    "新个案：4 个 （🔴2 🟠1 🟡1）",
    "首次回应：中位数 20 分钟，九成在 30 分钟内 · 已回应 3 个，其中 2 个按时（67%） · "
    "尚未回应 1 个",
    "当前超时：2 个未结案中 1 个 · 到期随访 2 个，逾期 1 个",
    "筛查/测评：6 次 · 风险等级上升的儿童：2 名",
    "监护人：6 人参加课程，活跃 1 人，新加入 2 人",
    "课程：送达 4 → 打开 3 → 回复回访 3 → 做了小任务 2",
)


async def test_the_weekly_digest_posts_its_figures_and_a_chart_once(world: World) -> None:
    slot, period = await seeded_week(world)
    job = next(j for j in world.app.ticker.jobs if j.name == "oversight.digest")
    await job.run(slot + timedelta(minutes=1))
    message = await world.sb.wait_for(world.staff_chat_id, is_photo, timeout=20)
    caption = message["caption"]
    first, last = period.first_day(TZ).isoformat(), period.last_day(TZ).isoformat()
    assert caption.startswith(f"📊 每周数据 {first} – {last}")
    for line in EXPECTED_LINES:
        assert line in caption, (line, caption)
    assert message.get("message_thread_id") is None  # the general thread, not a case's
    image = await picture(world, message)
    assert image.format == "PNG" and image.size == (1080, 1350)
    assert len(image.convert("RGB").getcolors(1 << 20) or ()) > 200
    # The ticker runs it every few minutes, on every instance that leads: still once a week.
    await job.run(slot + timedelta(minutes=6))
    await job.run(slot + timedelta(hours=3))
    assert await digests(world) == 1


async def test_stats_answers_staff_with_any_periods_figures(world: World) -> None:
    await make_staff(world, world.counsellor)
    _, period = await seeded_week(world)
    first, last = period.first_day(TZ).isoformat(), period.last_day(TZ).isoformat()
    await world.sb.send_text(
        world.counsellor["id"], f"/stats {first}..{last}", world.staff_chat_id
    )
    message = await world.sb.wait_for(world.staff_chat_id, is_photo, timeout=20)
    assert message["caption"].startswith(f"📊 数据 {first} – {last}")
    for line in EXPECTED_LINES:
        assert line in message["caption"]
    assert (await picture(world, message)).size == (1080, 1350)
    # The default: the last 7 days, today included (the seeded week is mostly before them).
    await world.sb.send_text(world.counsellor["id"], "/stats", world.staff_chat_id)
    today = world.clock.now().astimezone(TZ).date()
    week = f"{(today - timedelta(days=6)).isoformat()} – {today.isoformat()}"
    second = await world.sb.wait_for(
        world.staff_chat_id, lambda m: is_photo(m) and week in m.get("caption", ""), timeout=20
    )
    assert "新个案" in second["caption"]


async def test_stats_refuses_a_bad_period_kindly(world: World) -> None:
    await make_staff(world, world.counsellor)
    await world.sb.send_text(world.counsellor["id"], "/stats yesterday<b>", world.staff_chat_id)
    reply = await world.sb.wait_for_text(world.staff_chat_id, "不是我能识别的时间段", timeout=10)
    assert "yesterday<b>" in reply["text"]  # shown as typed, never as markup
    assert "/stats 2026-03" in reply["text"]  # and what would work
    await world.sb.send_text(
        world.counsellor["id"], "/stats 2026-03-15..2026-03-01", world.staff_chat_id
    )
    await world.sb.wait_for_text(world.staff_chat_id, "结束日期早于开始日期", timeout=10)
    assert await digests(world) == 0


async def test_stats_from_someone_not_on_staff_is_ignored(world: World) -> None:
    await make_staff(world, world.counsellor)
    await world.sb.send_text(world.outsider["id"], "/stats", world.staff_chat_id)
    await world.sb.send_text(world.outsider["id"], "/stats nonsense", world.staff_chat_id)
    # A staff member's request after theirs is answered; theirs are not.
    await world.sb.send_text(world.counsellor["id"], "/stats nonsense", world.staff_chat_id)
    await world.sb.wait_for_text(world.staff_chat_id, "不是我能识别的时间段", timeout=10)
    await all_handled(world)
    answers = [
        m
        for m in await world.sb.messages(world.staff_chat_id)
        if m.get("from", {}).get("is_bot") and (is_photo(m) or "/stats" in (m.get("text") or ""))
    ]
    assert len(answers) == 1 and await digests(world) == 0
