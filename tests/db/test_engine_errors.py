"""A database error names no one: a statement that fails while carrying a child's words logs
neither its parameters nor PostgreSQL's DETAIL line (for a NOT NULL or CHECK violation that is
the whole failing row: "Failing row contains (…)")."""

from __future__ import annotations

import logging
import traceback
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

WORDS = "我不想活了，爸爸又打我"
INSERT = text(
    "INSERT INTO case_messages (case_id, at, direction, body) VALUES (1, :at, 'in', :body)"
)

log = logging.getLogger("tests.db.engine_errors")


async def fail(engine: AsyncEngine, **params: object) -> DBAPIError:
    with pytest.raises(DBAPIError) as caught:
        async with engine.begin() as conn:
            await conn.execute(INSERT, params)
    return caught.value


def told(exc: BaseException, caplog: pytest.LogCaptureFixture) -> str:
    """Everything the exception can put in a log: its text, its chained causes, and a record
    logged the way the inbox logs a failed update (log.exception)."""
    try:
        raise exc
    except DBAPIError:
        log.exception("update %s failed", 1)
    return "\n".join([str(exc), *traceback.format_exception(exc), caplog.text])


async def test_a_failing_statement_logs_no_words(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    # NOT NULL violated by `at`; the row holds the words.
    exc = await fail(engine, at=None, body=WORDS)
    said = told(exc, caplog)
    assert "case_messages" in said  # still says what failed
    assert WORDS not in said and "爸爸" not in said, said
    if engine.dialect.name == "postgresql":
        # U+0000 in text: PostgreSQL refuses the statement (the bot cleans updates first,
        # bot/telegram/raw_updates.decode; this is what a miss would log).
        exc = await fail(engine, at=datetime.now(UTC), body=WORDS + "\x00")
        said = told(exc, caplog)
        assert "0x00" in said
        assert WORDS not in said and "爸爸" not in said, said
