"""U+0000 from outside, in any part of any update: PostgreSQL text cannot hold it, so an update
carrying one must still be handled, not lost to a database error."""

from __future__ import annotations

import logging

import pytest

from tests.e2e.crisis import ROOMY, make_staff, open_case, press_in_staff
from tests.e2e.harness import running_world


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_an_edit_holding_a_nul_reaches_the_counsellor(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A child in an open case edits a message and the new wording holds a U+0000: the
    counsellor sees it (as U+FFFD), the same as a new message holding one."""
    async with running_world(pg_url, **ROOMY) as world:
        await make_staff(world, world.counsellor)
        child, card = await open_case(world)
        await press_in_staff(world, world.counsellor, card, "✋")
        thread = card["message_thread_id"]
        sent = await world.sb.send_text(child, "我有点害怕")
        await world.sb.wait_for_text(world.staff_chat_id, "我有点害怕", thread_id=thread)
        await world.sb.edit_text(child, sent["message_id"], "我\x00有点害怕")
        seen = await world.sb.wait_for_text(
            world.staff_chat_id, "我\ufffd有点害怕", thread_id=thread, timeout=10
        )
        assert "✏️" in seen["text"]
        # A button's data holding one is refused like any unknown button, not an error.
        qid = await world.sb.press(
            world.counsellor["id"], world.staff_chat_id, card["message_id"], "case:\x00:1"
        )
        await world.sb.wait_callback_answer(qid)
    assert not _errors(caplog), _errors(caplog)
