"""Migrations upgrade and downgrade cleanly, and the result matches the models."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from bot.db import migrate
from bot.db.engine import make_engine
from bot.db.models import Base

NOW = datetime(2026, 11, 29, tzinfo=UTC)
TABLES = {"people", "families", "service_points", "invitations", "consents", "staff_members"}


async def test_upgrade_downgrade_upgrade(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) == migrate.head_revision()
        async with engine.connect() as conn:
            names = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        assert names >= TABLES

        await migrate.downgrade(engine, "base")
        assert await migrate.current_revision(engine) is None
        async with engine.connect() as conn:
            names = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        assert not (TABLES & names)

        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) == migrate.head_revision()
    finally:
        await engine.dispose()


async def test_models_match_migrations(db_url: str) -> None:
    """A model change without a migration shows up here as a diff."""
    engine = make_engine(db_url)
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
            )
        assert diff == []
    finally:
        await engine.dispose()


async def test_rebuilding_people_keeps_what_points_at_them(db_url: str) -> None:
    """0005 rebuilds `people` on SQLite; families and results must survive it."""
    engine = make_engine(db_url)
    try:
        await migrate.upgrade(engine, "0004")
        async with engine.begin() as conn:
            for pid, tg, role in ((1, 501, "guardian"), (2, 502, "child")):
                await conn.execute(
                    text(
                        "INSERT INTO people (id, telegram_id, code, role, locale, status,"
                        " consent, created_at, updated_at) VALUES (:id, :tg, :code, :role,"
                        " 'zh_Hans', 'active', 'given', :now, :now)"
                    ),
                    {"id": pid, "tg": tg, "code": f"P-{pid}", "role": role, "now": NOW},
                )
            await conn.execute(
                text(
                    "INSERT INTO families (guardian_id, child_id, created_at) VALUES (1, 2, :now)"
                ),
                {"now": NOW},
            )
        await migrate.upgrade(engine)
        async with engine.begin() as conn:
            assert await conn.scalar(text("SELECT count(*) FROM families")) == 1
            await conn.execute(
                text(
                    "INSERT INTO people (id, telegram_id, code, role, locale, status, consent,"
                    " created_at, updated_at) VALUES (3, NULL, 'C-3', 'child', 'zh_Hans',"
                    " 'active', 'given', :now, :now), (4, NULL, 'C-4', 'child', 'zh_Hans',"
                    " 'active', 'given', :now, :now)"
                ),
                {"now": NOW},
            )
        async with engine.connect() as conn:
            # Foreign keys are enforced again after the migration.
            fk = await conn.exec_driver_sql("PRAGMA foreign_keys") if "sqlite" in db_url else None
            assert fk is None or fk.scalar() == 1
    finally:
        await engine.dispose()


async def test_instances_started_together_migrate_one_after_the_other(db_url: str) -> None:
    """Several instances started at once each upgrade on start: the first migrates, the
    others wait for it and find the schema at head (not half-created tables)."""
    engines = [make_engine(db_url) for _ in range(3)]
    try:
        await asyncio.gather(*(migrate.upgrade(e) for e in engines))
        assert {await migrate.current_revision(e) for e in engines} == {migrate.head_revision()}
    finally:
        for e in engines:
            await e.dispose()


def _never_reused() -> list[str]:
    return sorted(
        t.name for t in Base.metadata.sorted_tables if t.dialect_options["sqlite"]["autoincrement"]
    )


async def test_ids_are_never_reused_and_the_rebuild_keeps_every_row(db_url: str) -> None:
    """SQLite gives a new row max(id) + 1: once the newest case was deleted (a /delete), the
    next one was C-0001 again, and an old button acted on it. 0012 rebuilds the tables with
    AUTOINCREMENT, keeping the rows already there and what points at them."""
    people = (
        "INSERT INTO people (telegram_id, code, role, locale, status, consent, created_at,"
        " updated_at) VALUES (:tg, :code, 'child', 'zh_Hans', 'active', 'given', :now, :now)"
    )
    case = (
        "INSERT INTO cases (person_id, staff_chat_id, tier, tier_rank, status, trigger,"
        " categories, evidence, opened_at, alert_level) VALUES (:person, -100, 'red', 3,"
        " 'closed', 'triage', '', '[]', :now, 0)"
    )
    engine = make_engine(db_url)
    try:
        await migrate.upgrade(engine, "0011")
        async with engine.begin() as conn:
            for pid in (1, 2):
                await conn.execute(text(people), {"tg": 500 + pid, "code": f"P-{pid}", "now": NOW})
            for person in (1, 2):
                await conn.execute(text(case), {"person": person, "now": NOW})
            await conn.execute(
                text(
                    "INSERT INTO case_events (case_id, at, kind, data) VALUES (2, :now, 'opened',"
                    " '{}')"
                ),
                {"now": NOW},
            )
        await migrate.upgrade(engine)
        async with engine.begin() as conn:
            assert (await conn.execute(text("SELECT id, person_id FROM cases"))).all() == [
                (1, 1),
                (2, 2),
            ]
            assert await conn.scalar(text("SELECT case_id FROM case_events")) == 2
            # The person behind the newest case asks to be deleted; a new child writes.
            await conn.execute(text("DELETE FROM case_events"))
            await conn.execute(text("DELETE FROM cases WHERE person_id = 2"))
            await conn.execute(text("DELETE FROM people WHERE id = 2"))
            await conn.execute(text(people), {"tg": 503, "code": "P-3", "now": NOW})
            newcomer = await conn.scalar(text("SELECT id FROM people WHERE code = 'P-3'"))
            await conn.execute(text(case), {"person": newcomer, "now": NOW})
            new_case = await conn.scalar(text("SELECT max(id) FROM cases"))
        assert newcomer == 3 and new_case == 3
        if "sqlite" in db_url:
            async with engine.connect() as conn:
                ddl = dict((await conn.execute(text("SELECT name, sql FROM sqlite_master"))).all())
                fk = await conn.exec_driver_sql("PRAGMA foreign_keys")
                assert fk.scalar() == 1
            # The models and the migration agree on which tables never reuse an id.
            assert _never_reused() == sorted(
                n for n, sql in ddl.items() if "AUTOINCREMENT" in (sql or "")
            )
            assert "WHERE status != 'closed'" in ddl["uq_cases_open_person"]
    finally:
        await engine.dispose()


async def test_lesson_minutes_arrive_as_on_the_hour_and_leave_without_losing_enrolments(
    db_url: str,
) -> None:
    """0017 adds enrolments.minute (lessons at 19:30): enrolments made before it were on the
    hour (0); going back to 0016 drops the minutes and keeps the enrolments."""
    engine = make_engine(db_url)
    enrol = (
        "INSERT INTO enrolments (id, person_id, programme, status, weekday, hour, timezone,"
        " next_index, last_active_at, created_at) VALUES (:id, 1, :programme, 'active', 6, 19,"
        " 'Asia/Shanghai', 0, :now, :now)"
    )
    try:
        await migrate.upgrade(engine, "0016")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO people (id, telegram_id, code, role, locale, status, consent,"
                    " created_at, updated_at) VALUES (1, 501, 'P-1', 'guardian', 'zh_Hans',"
                    " 'active', 'given', :now, :now)"
                ),
                {"now": NOW},
            )
            await conn.execute(text(enrol), {"id": 1, "programme": "guardian", "now": NOW})
        await migrate.upgrade(engine)
        async with engine.begin() as conn:
            assert await conn.scalar(text("SELECT minute FROM enrolments WHERE id = 1")) == 0
            await conn.execute(text("UPDATE enrolments SET minute = 30 WHERE id = 1"))
        await migrate.downgrade(engine, "0016")
        async with engine.begin() as conn:
            assert await conn.scalar(text("SELECT count(*) FROM enrolments")) == 1
            columns = await conn.run_sync(lambda c: inspect(c).get_columns("enrolments"))
            assert "minute" not in {c["name"] for c in columns}
            # The table takes new enrolments as before.
            await conn.execute(text(enrol), {"id": 2, "programme": "child", "now": NOW})
        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) == migrate.head_revision()
    finally:
        await engine.dispose()
