"""Background posts take the buttons off the bot's earlier background posts in a private chat
(issue 19): last week's check-in, left unanswered, is not pressable once the next lesson came.
Both languages, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.e2e.chat import buttons, say, text_of
from tests.e2e.crisis import ROOMY
from tests.e2e.harness import World, eventually, running_world
from tests.e2e.people import enrol, lesson_progress, to_english, to_the_question


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    async with running_world(db_url, **ROOMY) as w:
        yield w


async def shown(world: World, uid: int, message_id: int) -> dict[str, Any]:
    (found,) = [m for m in await world.sb.bot_messages(uid) if m["message_id"] == message_id]
    return found


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_the_next_lesson_takes_the_buttons_off_an_unanswered_check_in(
    world: World, lang: str
) -> None:
    uid = await world.user("郑奶奶")
    await enrol(world, uid)
    if lang == "en":
        await to_english(world, uid)
    first = await world.sb.wait_for(uid, lambda m: text_of(m).startswith("📖"))
    await to_the_question(world, uid)
    await say(world, uid, "1")
    progress = await eventually(
        lambda: lesson_progress(world, uid), lambda p: p.checkin_due_at is not None
    )
    assert progress.checkin_due_at is not None
    world.clock.advance(seconds=(progress.checkin_due_at - world.clock.now()).total_seconds() + 1)
    world.app.delivery.nudge()
    checkin = await world.sb.wait_for(uid, lambda m: len(buttons(m)) == 3, timeout=20)
    # The check-in is a background post, but a lesson's "next" button only reads on: it stays,
    # so a lesson not yet read when its check-in comes can still be read to the end.
    assert buttons(await shown(world, uid, first["message_id"]))
    assert buttons(await shown(world, uid, checkin["message_id"]))

    person = await world.person(uid)
    assert person is not None and person.id is not None
    async with world.uow() as u:
        enrolment = await u.enrolments.get(person.id, "guardian")
    assert enrolment is not None and enrolment.next_due_at is not None
    world.clock.advance(seconds=(enrolment.next_due_at - world.clock.now()).total_seconds() + 5)
    assert (await world.app.services.lessons.queue_due(world.clock.now())).queued == 1
    world.app.delivery.nudge()
    second = await world.sb.wait_for(
        uid,
        lambda m: text_of(m).startswith("📖") and m["message_id"] > checkin["message_id"],
        timeout=20,
    )
    assert buttons(second)  # the new lesson keeps its own
    # Last week's check-in, never answered, can no longer be pressed.
    gone = await eventually(
        lambda: shown(world, uid, checkin["message_id"]), lambda m: not buttons(m)
    )
    assert not buttons(gone)
