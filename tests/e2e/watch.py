"""Waiting for the bot to finish, and looking at what it left: updates all handled, the
outbox idle, every table's rows before and after, the invariants that must always hold,
errors and log lines, the inbox's rows."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import traceback
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db.models import (
    Base,
    CaseRow,
    InboxRow,
    OutboxRow,
    ScreeningResultRow,
    ScreeningSessionRow,
)
from tests.e2e.harness import World

ANSWER_WITHIN = 10.0  # seconds: generous on purpose, two shared cores and two databases


def failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    """ERROR records from anywhere (a handler that raised, an update the inbox gave up on),
    each with the project's own line the exception came from."""
    found = []
    for r in caplog.records:
        if r.levelno < logging.ERROR:
            continue
        where = ""
        if r.exc_info and r.exc_info[1] is not None:
            frames = traceback.extract_tb(r.exc_info[1].__traceback__)
            ours = [f for f in frames if "/bot/" in f.filename or "/handlers/" in f.filename]
            if ours:
                where = f" at {ours[-1].filename.split('/main/')[-1]}:{ours[-1].lineno}"
            where += f" {r.exc_info[1]!r}"
        found.append(f"{r.name}: {r.getMessage()}{where}")
    return found


async def settle(world: World, timeout: float = 20.0) -> None:
    """Wait until the bot has stored and handled every update the sandbox made for it.

    Counted by the inbox's own tally of finished handlers rather than by the rows' status:
    a row can stay 'handling' after its handler finished (see
    ``test_the_inbox_marks_the_last_update_done``)."""
    bot = world.sandbox.world.default_bot
    last = bot.next_update_id - 1
    deadline = time.monotonic() + timeout
    table = InboxRow.__table__
    while True:
        async with world.uow() as u:
            # The highest id first: once stored, an update's status only moves forward.
            seen = await u.session.scalar(select(func.max(table.c.update_id)))
            counts = await u.inbox.counts()
        stored = sum(counts.values())
        given_up = counts.get("failed", 0)
        if (
            (seen or 0) >= last
            and not counts.get("received")
            and world.app.inbox.handled >= stored - given_up
        ):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"updates still in hand after {timeout}s: {dict(counts)}")
        await asyncio.sleep(0.05)


async def outbox_idle(world: World, timeout: float = 30.0) -> None:
    """Wait until the sender has nothing due and nothing in flight."""
    deadline = time.monotonic() + timeout
    while True:
        now = world.clock.now()
        async with world.uow() as u:
            busy = await u.session.scalar(
                select(func.count())
                .select_from(OutboxRow)
                .where(
                    (OutboxRow.status == "sending")
                    | ((OutboxRow.status == "pending") & (OutboxRow.due_at <= now))
                )
            )
        if not busy:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{busy} outbox rows still due or in flight after {timeout}s")
        world.app.delivery.nudge()
        await asyncio.sleep(0.1)


async def check_invariants(world: World) -> None:
    """The database is consistent, whatever happened before."""
    instruments = world.app.services.screening.instruments
    max_claims = world.app.settings.max_claims
    async with world.uow() as u:
        s = u.session
        cases = await _rows(s, CaseRow)
        sessions = await _rows(s, ScreeningSessionRow)
        results = Counter((r.subject_id, r.instrument) for r in await _rows(s, ScreeningResultRow))
        inbox_failed = [r.update_id for r in await _rows(s, InboxRow) if r.status == "failed"]
        outbox_failed = [
            (r.key, r.last_error) for r in await _rows(s, OutboxRow) if r.status == "failed"
        ]
    open_cases = Counter(c.person_id for c in cases if c.status != "closed")
    assert all(n == 1 for n in open_cases.values()), f"two open cases: {open_cases}"
    for c in cases:
        if c.status == "waiting":
            assert c.claimed_by is None and c.closed_at is None, vars(c)
        elif c.status == "claimed":
            assert c.claimed_by is not None and c.closed_at is None, vars(c)
        else:
            assert c.status == "closed", c.status
            assert c.closed_at is not None and c.outcome is not None, vars(c)
    held = Counter(c.claimed_by for c in cases if c.status == "claimed")
    assert all(n <= max_claims for n in held.values()), f"over the cap: {held}"
    busy = Counter(x.person_id for x in sessions if x.status == "in_progress")
    assert all(n == 1 for n in busy.values()), f"two questionnaires at once: {busy}"
    for x in sessions:
        assert x.status in ("in_progress", "completed", "abandoned"), x.status
        instrument = instruments[x.instrument]
        answers = {int(k): v for k, v in (x.answers or {}).items()}
        items = {i.id: i for i in instrument.items}
        assert set(answers) <= set(items), (x.instrument, answers)
        assert all(v is None or v in items[k].values for k, v in answers.items()), answers
        asked = len(instrument.to_ask(answers))
        assert 0 <= x.position <= asked, (x.instrument, x.position, asked)
        if x.status == "completed":
            assert x.position == asked and results[(x.subject_id, x.instrument)] >= 1
    assert not inbox_failed, "an update was given up"
    assert not outbox_failed, f"Telegram refused what the bot composed: {outbox_failed}"


async def _rows(session: Any, model: Any) -> list[Any]:
    """Plain rows (not ORM objects, which die with their session)."""
    return list((await session.execute(select(model.__table__))).all())


async def snapshot(
    world: World, skip: tuple[str, ...] = ("inbox", "outbox", "instances", "chat_members")
) -> dict[str, Any]:
    """Every row of every table but the transport's own (and the instances' heartbeat, and
    who the bot has seen in its groups: an outsider who writes there is seen, and that grants
    nothing), to compare before and after."""
    state: dict[str, Any] = {}
    async with world.uow() as u:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            rows = (await u.session.execute(select(table).order_by(*table.primary_key))).all()
            state[table.name] = [tuple(r) for r in rows]
    return state


def changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {
        name: {"before": rows, "after": after.get(name)}
        for name, rows in before.items()
        if after.get(name) != rows
    }


async def quiet(world: World) -> None:
    """Nothing in hand and nothing changing. The sender records what a sent message leads to
    (a new case's topic) a moment after the row is marked sent, so an idle outbox can still be
    followed by a change: wait until two looks 0.3 s apart agree."""
    for _ in range(20):
        await settle(world)
        await outbox_idle(world)
        first = await snapshot(world)
        await asyncio.sleep(0.3)
        await outbox_idle(world)
        if await snapshot(world) == first:
            return


async def unchanged_by(world: World, before: dict[str, Any]) -> None:
    await quiet(world)
    diff = changed(before, await snapshot(world))
    assert not diff, diff


async def rows_holding(world: World, words: str) -> list[str]:
    """The tables with a row that holds these words, read as the app reads them (decrypted)."""
    found = []
    async with world.uow() as u:
        for table in Base.metadata.sorted_tables:
            for row in await u.session.execute(select(table)):
                if words in json.dumps([str(v) for v in row], ensure_ascii=False):
                    found.append(table.name)
                    break
    return found


def logged(records: list[logging.LogRecord]) -> str:
    formatter = logging.Formatter()
    lines = []
    for r in records:
        lines.append(f"{r.name}: {r.getMessage()}")
        if r.exc_info:
            lines.append(formatter.formatException(r.exc_info))
        if r.stack_info:
            lines.append(r.stack_info)
    return "\n".join(lines)


def text_update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    """An update as Telegram would post it: a private text message."""
    person = {"id": user_id, "is_bot": False, "first_name": "小明", "language_code": "zh-hans"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id % 100000,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "小明"},
            "from": person,
            "text": text,
        },
    }


async def inbox_rows(world: World) -> dict[int, str]:
    async with world.app.uow() as u:
        rows = await u.session.execute(select(InboxRow.update_id, InboxRow.status))  # type: ignore[attr-defined]
        return {int(r[0]): str(r[1]) for r in rows}
