"""`lessons run-due --at` a later instant sends that instant's lessons now, and records what
really happened: when they were sent, when the check-in falls due, and no early reminders."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

import pytest

from bot.cli.lessons import run_due
from bot.services.lessons import programme_for
from tests.e2e.chat import buttons
from tests.e2e.harness import World, eventually
from tests.e2e.people import enrol, lessons_received

NUDGE = "好一阵子没收到您的消息了"


async def test_a_later_at_sends_now_and_records_the_real_time(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    uid = await world.user("王奶奶")
    await enrol(world, uid)
    await world.sb.wait_for(uid, lambda m: (m.get("text") or "").startswith("📖"))
    async with world.uow() as u:
        person = await u.people.by_telegram_id(uid)
        assert person is not None and person.id is not None
        enrolment = await u.enrolments.get(person.id, programme_for(person))
        assert enrolment is not None and enrolment.next_due_at is not None
    # Two weeks after her next slot: late enough that, judged then, she would be "silent".
    at = enrolment.next_due_at + timedelta(days=14)
    settings = world.app.settings
    monkeypatch.setenv("BOT_TOKEN", settings.require_token())
    monkeypatch.setenv("TELEGRAM_API_URL", settings.telegram_api_url)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)

    before = datetime.now(UTC)
    assert await run_due(argparse.Namespace(at=at.isoformat())) == 0
    out = capsys.readouterr().out
    assert "queued 1 lesson(s)" in out and "0 nudge(s)" in out, out
    assert "recorded at the real time" in out
    after = datetime.now(UTC)

    lessons = await eventually(lambda: lessons_received(world, uid), lambda ls: len(ls) == 2)
    assert len(lessons) == 2 and buttons(lessons[1]) == ["下一条 ▶"]
    assert not [m for m in await world.sb.bot_messages(uid) if NUDGE in (m.get("text") or "")]
    assert enrolment.id is not None
    async with world.uow() as u:
        rows = await u.progress.for_enrolment(enrolment.id)
        again = await u.enrolments.get(person.id, programme_for(person))
    sent = max(rows, key=lambda p: p.week)
    assert sent.delivered_at is not None and before <= sent.delivered_at <= after
    assert sent.checkin_due_at is not None
    assert sent.checkin_due_at < before + timedelta(days=5)  # days after today, not after `at`
    assert again is not None and again.nudged_at is None and again.last_active_at < after
