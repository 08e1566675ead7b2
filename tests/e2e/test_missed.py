"""Learning from misses end to end: `/missed` as a reply to the child's words in a case topic
(issue 17, item 6), its refusals, and both staff languages."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.db.models import MissedRiskRow
from bot.domain.cases import CaseStatus
from bot.domain.misses import week_of
from bot.domain.people import Person, Role
from tests.e2e.chat import buttons
from tests.e2e.commands import env_for, run_cli
from tests.e2e.crisis import CRITICAL, ROOMY, case_card, make_staff, open_case, press_in_staff
from tests.e2e.dashboard_support import base_url, client, dashboard_world, sign_in
from tests.e2e.harness import World, running_world
from tests.e2e.people import registered
from tests.e2e.watch import outbox_idle, rows_holding

# Giving things away is a farewell sign the lexicon has no rule for: triage gives it nothing.
FAREWELL = "我把攒的零花钱都给妹妹了"


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    async with running_world(db_url, **ROOMY) as w:
        yield w


async def relayed(world: World, thread: int, words: str) -> dict[str, Any]:
    """The bot's post of the child's words in the case topic, once the bot has recorded it as
    sent: a counsellor cannot reply to a post faster than the bot notes Telegram's answer, but
    a test can (on PostgreSQL the commit comes a few milliseconds after the sandbox shows it)."""
    post = await world.sb.wait_for(
        world.staff_chat_id,
        lambda m: words in (m.get("text") or "") and m.get("message_thread_id") == thread,
        20,
    )
    await outbox_idle(world)
    return post


async def command(
    world: World, user: dict[str, Any], text: str, thread: int | None, reply_to: int | None
) -> None:
    if reply_to is not None:
        await outbox_idle(world)  # the post replied to is recorded as sent (see `relayed`)
    await world.sb.send_text(user["id"], text, world.staff_chat_id, thread, reply_to)


async def misses(world: World) -> list[Any]:
    """The reports as rows of plain values (read inside the unit of work)."""
    async with world.uow() as u:
        session = u.session  # type: ignore[attr-defined]
        return list((await session.execute(select(*MissedRiskRow.__table__.c))).all())


async def test_a_counsellor_records_a_missed_risk_and_is_told_in_chinese(world: World) -> None:
    await make_staff(world, world.counsellor)
    child, card = await open_case(world)
    thread = card["message_thread_id"]
    await world.sb.send_text(child, FAREWELL)
    post = await relayed(world, thread, FAREWELL)

    words = "/missed 危急 自杀 在交代后事"
    await command(world, world.counsellor, words, thread, post["message_id"])
    answer = await world.sb.wait_for_text(world.staff_chat_id, "已记录漏判", 20, thread)
    assert "危急" in answer["text"] and "无风险" in answer["text"]

    [row] = await misses(world)
    assert (row.level, row.given_level, row.categories) == ("critical", "none", "suicide")
    assert row.body == FAREWELL and row.note == "在交代后事" and row.case_tier == "red"
    async with world.uow() as u:
        me = await u.staff.by_telegram_id(world.counsellor["id"])
    assert me is not None and row.reported_by == me.person_id

    # Said again on the same message: one report, updated.
    await command(world, world.counsellor, "/missed high", thread, post["message_id"])
    await world.sb.wait_for_text(world.staff_chat_id, "漏判记录已更新", 20, thread)
    [row] = await misses(world)
    assert row.level == "high" and row.note == ""


async def test_refusals_say_what_to_do_and_strangers_get_nothing(world: World) -> None:
    await make_staff(world, world.counsellor)
    child, card = await open_case(world)
    thread = card["message_thread_id"]
    me = world.counsellor

    # The card carries the first words, which triage already took for critical.
    await command(world, me, "/missed critical", thread, card["message_id"])
    await world.sb.wait_for_text(world.staff_chat_id, "不算漏判", 20, thread)
    # Not a reply: in a forum it answers the topic's first post, which is no one's words.
    await command(world, me, "/missed critical", thread, None)
    await world.sb.wait_for_text(world.staff_chat_id, "请在本话题里回复", 20, thread)
    # No level.
    await world.sb.send_text(child, FAREWELL)
    post = await relayed(world, thread, FAREWELL)
    await command(world, me, "/missed purple", thread, post["message_id"])
    # A reply to the bot's own answer, which is not the child's words.
    refusal = await world.sb.wait_for_text(world.staff_chat_id, "用法", 20, thread)
    await command(world, me, "/missed high", thread, refusal["message_id"])
    await world.sb.wait_for_text(world.staff_chat_id, "这不是本个案里孩子发来的消息", 20, thread)
    # The general thread is no case's place.
    await command(world, me, "/missed high", None, None)
    await world.sb.wait_for_text(world.staff_chat_id, "请在个案话题里使用", 20)

    # Someone in the group who is not staff: ignored (a refusal would say what the chat is).
    await command(world, world.outsider, "/missed critical", thread, post["message_id"])
    await command(world, me, "/missed medium", thread, post["message_id"])
    await world.sb.wait_for_text(world.staff_chat_id, "已记录漏判", 20, thread)
    [row] = await misses(world)
    assert row.level == "medium"
    texts = [m.get("text") or "" for m in await world.sb.bot_messages(world.staff_chat_id, thread)]
    # The counsellor's report is the first on the message: the stranger's left nothing.
    assert sum("已记录漏判" in t for t in texts) == 1
    assert not any("漏判记录已更新" in t for t in texts)


async def test_the_confirmation_is_in_the_staff_language(db_url: str) -> None:
    async with running_world(db_url, **ROOMY, default_locale="en") as world:
        await make_staff(world, world.counsellor)
        child, card = await open_case(world)
        thread = card["message_thread_id"]
        await world.sb.send_text(child, FAREWELL)
        post = await relayed(world, thread, FAREWELL)
        await command(world, world.counsellor, "/missed 高", thread, post["message_id"])
        answer = await world.sb.wait_for_text(world.staff_chat_id, "missed risk recorded", 20)
        assert "should have been high" in answer["text"] and "gives them no risk" in answer["text"]
        await command(world, world.counsellor, "/missed", thread, post["message_id"])
        await world.sb.wait_for_text(world.staff_chat_id, "Usage: reply to the relayed", 20)
        async with world.uow() as u:
            n = await u.session.scalar(  # type: ignore[attr-defined]
                select(func.count()).select_from(MissedRiskRow)
            )
        assert n == 1


# -- what happens to a report afterwards -------------------------------------------------------

PHONED = FAREWELL + "，我妈电话13812345678"


async def reported_case(world: World, name: str) -> tuple[int, Person, dict[str, Any]]:
    """A registered child's case with a message a counsellor marked as a missed risk."""
    await make_staff(world, world.counsellor)
    uid, child = await registered(world, name, Role.CHILD)
    await world.sb.send_text(uid, CRITICAL)
    await world.sb.wait_for(uid, lambda m: True)
    card = await case_card(world)
    thread = card["message_thread_id"]
    await world.sb.send_text(uid, PHONED)
    post = await relayed(world, thread, PHONED)
    await command(world, world.counsellor, "/missed critical", thread, post["message_id"])
    await world.sb.wait_for_text(world.staff_chat_id, "已记录漏判", 20, thread)
    return uid, child, card


async def close_case(world: World) -> datetime:
    await outbox_idle(world)
    now = world.clock.now()
    async with world.uow() as u:
        assert await u.cases.set_status(
            1, CaseStatus.WAITING, status=CaseStatus.CLOSED, closed_at=now
        )
        await u.commit()
    return now


async def test_the_listing_is_de_identified_and_reading_it_is_logged(
    world: World, db_url: str, tmp_path: Path
) -> None:
    _, child, _ = await reported_case(world, "小兰")
    env = env_for(tmp_path, DATABASE_URL=db_url)
    code, out, err = await run_cli("triage", "misses", "--format", "json", env=env, cwd=tmp_path)
    assert code == 0, err
    [row] = [json.loads(x) for x in out.splitlines()]
    assert row["text"] == FAREWELL + "，我妈电话<PHONE>"
    assert (row["level"], row["given"], row["case_tier"]) == ("critical", "none", "red")
    for secret in ("13812345678", "C-0001", child.code, "Counsellor Li", "小兰"):
        assert secret not in out
    code, out, _ = await run_cli(
        "triage", "misses", "--since", "2020-01-01", env=env, cwd=tmp_path
    )
    assert code == 0 and "text\tlevel\tcategories\ttag" in out
    assert f"{FAREWELL}，我妈电话<PHONE>\tcritical\t\tmissed" in out
    async with world.uow() as u:
        total, entries = await u.privacy.access_log(child.id or 0, 10)
    assert total == 2 and {(e.what, e.via, e.viewer_id) for e in entries} == {
        ("missed_risk", "cli", None)
    }


async def test_retention_empties_the_reported_words_and_keeps_the_count(world: World) -> None:
    await reported_case(world, "小兰")
    now = await close_case(world)
    [job] = [j for j in world.app.ticker.jobs if j.name == "privacy.retention"]
    purged = await job.run(now + timedelta(days=181))
    assert purged.misses == 1
    assert await rows_holding(world, FAREWELL) == []
    [row] = await misses(world)
    assert (row.body, row.note, row.level) == ("", "", "critical")
    async with world.uow() as u:
        [erasure] = await u.privacy.erasures(now, 10)
        assert await u.misses.since(now - timedelta(days=1), 10) == []
        assert len(await u.misses.times(now - timedelta(days=1), now + timedelta(days=1))) == 1
    assert erasure.counts["missed_risks"] == 1


async def test_delete_takes_the_report_with_the_case(world: World) -> None:
    uid, child, _ = await reported_case(world, "小兰")
    await close_case(world)
    await world.sb.mark()
    await world.sb.send_text(uid, "/delete")
    await world.sb.wait_for(uid, lambda m: bool(buttons(m)))
    await world.sb.mark()
    await world.press(uid, "🗑 是的，删除我的数据")
    await world.sb.wait_for(uid, lambda m: "/start" in (m.get("text") or ""))
    assert await misses(world) == []
    assert await rows_holding(world, FAREWELL) == []
    async with world.uow() as u:
        assert await u.people.by_id(child.id or 0) is None
        [erasure] = await u.privacy.erasures(world.clock.now() - timedelta(minutes=5), 10)
    assert erasure.reason == "request" and erasure.counts["missed_risks"] == 1


async def test_the_dashboard_counts_reports_per_week(db_url: str) -> None:
    async with dashboard_world(db_url) as world:
        await make_staff(world, world.admin, Role.SUPERVISOR)
        await reported_case(world, "小兰")
        week = week_of(world.clock.now(), ZoneInfo("Asia/Shanghai"))
        async with client() as http:
            await sign_in(world, http)
            async with http.get(f"{base_url(world)}/dashboard/reports") as page:
                assert page.status == 200
                html = await page.text()
        assert "心理老师报告的漏判" in html
        assert f'<tr><td>{week}</td><td class="num">1</td></tr>' in html
        assert FAREWELL not in html


async def test_the_card_button_marks_the_latest_message(world: World) -> None:
    await make_staff(world, world.counsellor)
    child, card = await open_case(world)
    thread = card["message_thread_id"]
    await world.sb.send_text(child, FAREWELL)
    await relayed(world, thread, FAREWELL)
    # Someone not on staff is refused, and nothing changes.
    toast = await press_in_staff(world, world.outsider, card, "⚠️ 漏判")
    assert "只有" in toast and await misses(world) == []
    toast = await press_in_staff(world, world.counsellor, card, "⚠️ 漏判")
    assert "最新一条消息" in toast and FAREWELL in toast
    # A newer message meanwhile does not take the place of the one the picker quoted.
    await world.sb.send_text(child, "好的")
    await relayed(world, thread, "好的")
    toast = await press_in_staff(world, world.counsellor, card, "危急")
    assert "已记录漏判" in toast
    [row] = await misses(world)
    assert (row.level, row.given_level, row.body) == ("critical", "none", FAREWELL)
    # The card has its own buttons again.
    [card_now] = [
        m
        for m in await world.sb.messages(world.staff_chat_id, thread)
        if m["message_id"] == card["message_id"]
    ]
    assert "⚠️ 漏判" in buttons(card_now) and "危急" not in buttons(card_now)


async def test_a_photo_or_sticker_is_not_a_miss(world: World) -> None:
    await make_staff(world, world.counsellor)
    child, card = await open_case(world)
    thread = card["message_thread_id"]
    await world.sb.send_sticker(child)
    copied = await world.sb.wait_for(
        world.staff_chat_id,
        lambda m: "sticker" in m and m.get("message_thread_id") == thread,
        20,
    )
    await command(world, world.counsellor, "/missed critical", thread, copied["message_id"])
    await world.sb.wait_for_text(world.staff_chat_id, "风险筛查只读文字", 20, thread)
    assert await misses(world) == []
