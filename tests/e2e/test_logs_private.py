"""Logs never hold what people said or who they are; the database holds it only encrypted.

The real bot against the sandbox, at DEBUG: a guardian's ordinary message, a child's crisis,
a counsellor's claim, reply, note, tier change and report. Every log record, tracebacks
included, is then searched for the words and the names.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.__main__ import QUIET_LOGGERS
from bot.db import crypto
from bot.db.models import Base
from bot.domain.people import Role
from tests.e2e.crisis import CRITICAL, ROOMY, case_card, make_staff, press_in_staff
from tests.e2e.harness import running_world
from tests.e2e.watch import logged

KEY = "test-only passphrase not for production use: logs"
CHILD_NAME = "紫薇小燕子"
GUARDIAN_NAME = "欧阳娜娜妈妈"
CHILD_WORDS = CRITICAL + "，只有长颈鹿知道"
LATER_WORDS = "我有点害怕，河马在门外"
GUARDIAN_WORDS = "孩子最近不爱说话，斑马老师说要多陪陪"
REPLY = "你好，我在这里，海豚会陪着你"
NOTE = "! 孩子提到了企鹅"
REASON = "已联系家人，袋鼠暂时安全"
AUTHORITY = "考拉派出所"
OUTSIDER = "我不是工作人员，但我想看看熊猫"
WORDS = ("长颈鹿", "河马", "斑马", "海豚", "企鹅", "袋鼠", "考拉", "熊猫", "自杀")
NAMES = (CHILD_NAME, GUARDIAN_NAME, "Counsellor Li")


@pytest.mark.parametrize("data_key", ["", KEY], ids=["plain", "encrypted"])
async def test_logs_hold_no_words_and_no_names(
    db_url: str, data_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    # LOG_LEVEL=DEBUG as `python -m bot` sets it up: the root at DEBUG, a few libraries held.
    caplog.set_level(logging.DEBUG)
    for name in QUIET_LOGGERS:
        caplog.set_level(logging.WARNING, logger=name)
    previous = crypto.installed()
    try:
        async with running_world(db_url, data_key=data_key, **ROOMY) as world:
            await make_staff(world, world.counsellor)
            await make_staff(world, world.admin, Role.SUPERVISOR)  # lowers the red case
            guardian = await world.user(GUARDIAN_NAME)
            await world.say(guardian, GUARDIAN_WORDS)
            child = await world.user(CHILD_NAME)
            await world.sb.send_text(child, CHILD_WORDS)
            await world.sb.wait_for(child, lambda m: True)
            card = await case_card(world)
            assert "C-0001" in await press_in_staff(world, world.counsellor, card, "✋")
            thread = card["message_thread_id"]
            me, staff_chat = world.counsellor["id"], world.staff_chat_id
            await world.sb.send_text(me, REPLY, staff_chat, thread)
            await world.sb.wait_for_text(child, REPLY)
            # A relay that Telegram fails once, then delivers: the retry path logs too.
            await world.sb.add_fault("500", "sendMessage", chat_id=staff_chat, times=1)
            await world.sb.send_text(child, LATER_WORDS)
            await world.sb.wait_for_text(staff_chat, LATER_WORDS, thread_id=thread, timeout=20)
            # Someone in the staff group who is not staff: ignored, and logged as such.
            await world.sb.send_text(world.outsider["id"], OUTSIDER, staff_chat, thread)
            await world.sb.send_text(me, NOTE, staff_chat, thread)
            await world.sb.send_text(
                world.admin["id"], f"/tier orange {REASON}", staff_chat, thread
            )
            await world.sb.send_text(me, f"/reported {AUTHORITY}", staff_chat, thread)
            for _ in range(100):  # updates are handled concurrently: wait for all three
                async with world.uow() as u:
                    kinds = [k.value for _, k, _, _ in await u.cases.events(1)]
                    notes = [m for m in await u.cases.messages(1) if m.direction == "note"]
                if notes and "retiered" in kinds and "reported" in kinds:
                    break
                await asyncio.sleep(0.1)
            assert notes and notes[0].body == NOTE.lstrip("! ")
            # The database: the words only as ciphertext (the app above read them back).
            dump = await _dump(world.app.engine)
            if data_key:
                assert "enc:v1:" in dump
                assert not [w for w in WORDS if w in dump]
            else:
                assert "长颈鹿" in dump  # the same check would catch it
    finally:
        crypto.install(previous)
    seen = logged(caplog.records)
    # The bot's own records were captured (so the check below can fail): the outsider.
    assert f"non-staff user {world.outsider['id']}" in seen, seen
    assert not [w for w in (*WORDS, *NAMES) if w in seen], seen


async def _dump(engine: AsyncEngine) -> str:
    out: list[str] = []
    async with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = await conn.execute(text(f"SELECT * FROM {table.name}"))
            out += [" | ".join(str(v) for v in row) for row in rows]
    return "\n".join(out)
