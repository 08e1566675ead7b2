"""`python -m bot keys new|status|rotate`: the life of DATA_KEY
(docs/security-privacy.md: Data at rest).

Rotation: put the new key in DATA_KEY and the old one in DATA_KEYS_OLD, restart the bot (it
reads both and writes under the new one), run `keys rotate`, check `keys status` shows nothing
under the old key, then drop DATA_KEYS_OLD. The bot may keep running meanwhile: a row it changes
during the rotation is skipped here (it was written under the new key; a second run confirms).
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Column, Table, Text, and_, case, func, literal, not_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from bot.config import load_settings
from bot.db import migrate
from bot.db.crypto import PREFIX, CryptoError, Keyring, SecretJSON, SecretText, new_key
from bot.db.engine import make_engine
from bot.db.models import Base

PLAIN = "plain"


def encrypted_columns() -> list[tuple[Table, Column[object]]]:
    """Every column the models declare encrypted, so a new one is rotated without a change
    here."""
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, SecretText | SecretJSON):
                found.append((table, column))
    return found


def _name(table: Table, column: Column[object]) -> str:
    return f"{table.name}.{column.name}"


async def key_counts(engine: AsyncEngine) -> dict[str, Counter[str]]:
    """Per column: how many values are under each key id, and how many are plain text."""
    out: dict[str, Counter[str]] = {}
    async with engine.connect() as conn:
        for table, column in encrypted_columns():
            raw = type_coerce(column, Text())
            kid = case(
                (raw.like(PREFIX + "%"), func.substr(raw, len(PREFIX) + 1, 8)),
                else_=literal(PLAIN),
            )
            rows = await conn.execute(
                select(kid, func.count()).where(column.is_not(None), raw != "").group_by(kid)
            )
            out[_name(table, column)] = Counter({str(k): int(n) for k, n in rows})
    return out


@dataclass
class Rotated:
    rewritten: int = 0
    changed_meanwhile: int = 0
    unreadable: int = 0


async def rotate(engine: AsyncEngine, keyring: Keyring, page: int = 500) -> dict[str, Rotated]:
    """Re-encrypt every value not under the current key (plain text included), a page at a
    time in primary-key order; with no current key, decrypt everything instead."""
    done: dict[str, Rotated] = {}
    for table, column in encrypted_columns():
        (pk,) = table.primary_key.columns
        raw = type_coerce(column, Text())
        needs: ColumnElement[bool]
        if keyring.current_id is None:
            needs = raw.like(PREFIX + "%")
        else:
            needs = and_(
                column.is_not(None), raw != "", not_(raw.like(f"{PREFIX}{keyring.current_id}:%"))
            )
        counts = done[_name(table, column)] = Rotated()
        last: object = None
        while True:
            query = select(pk, raw).where(needs).order_by(pk).limit(page)
            if last is not None:
                query = query.where(pk > last)
            async with engine.begin() as conn:
                rows = (await conn.execute(query)).all()
                for key, value in rows:
                    try:
                        fresh = keyring.encrypt(keyring.decrypt(value))
                    except CryptoError:
                        counts.unreadable += 1
                        continue
                    if fresh == value:
                        continue
                    result = await conn.execute(
                        table.update()
                        .where(pk == key, raw == value)
                        .values({column.name: type_coerce(fresh, Text())})
                    )
                    if getattr(result, "rowcount", 0):
                        counts.rewritten += 1
                    else:
                        counts.changed_meanwhile += 1
            if len(rows) < page:
                break
            last = rows[-1][0]
    return done


async def new(args: argparse.Namespace) -> int:
    print(new_key())
    return 0


def _describe(keyring: Keyring, kid: str) -> str:
    if kid == PLAIN:
        return "plain text"
    if kid == keyring.current_id:
        return f"under {kid} (DATA_KEY)"
    if kid in keyring.keys:
        return f"under {kid} (old key)"
    return f"under {kid} (NOT CONFIGURED: unreadable)"


async def status(args: argparse.Namespace) -> int:
    settings = load_settings()
    keyring = Keyring.from_settings(settings)
    old = sorted(k for k in keyring.keys if k != keyring.current_id)
    print(f"DATA_KEY: {keyring.current_id or 'not set'}; old keys: {', '.join(old) or 'none'}")
    engine = make_engine(settings.database_url)
    try:
        await migrate.upgrade(engine)
        counts = await key_counts(engine)
    finally:
        await engine.dispose()
    for name, by_key in counts.items():
        parts = [f"{n} {_describe(keyring, kid)}" for kid, n in sorted(by_key.items())]
        print(f"{name}: {', '.join(parts) or 'empty'}")
    return 0


async def rotate_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    keyring = Keyring.from_settings(settings)
    if not keyring.enabled and not args.decrypt:
        print(
            "DATA_KEY is not set: nothing to rotate to. To write everything back as plain text "
            "(before a downgrade), put the key in DATA_KEYS_OLD and pass --decrypt."
        )
        return 2
    engine = make_engine(settings.database_url)
    try:
        await migrate.upgrade(engine)
        done = await rotate(engine, keyring, max(1, args.page))
    finally:
        await engine.dispose()
    target = f"under {keyring.current_id}" if keyring.enabled else "as plain text"
    for name, r in done.items():
        line = f"{name}: {r.rewritten} rewritten {target}"
        if r.changed_meanwhile:
            line += f", {r.changed_meanwhile} changed while rotating (run again to be sure)"
        if r.unreadable:
            line += f", {r.unreadable} UNREADABLE (key not configured, or altered)"
        print(line)
    unreadable = sum(r.unreadable for r in done.values())
    if unreadable:
        print(f"{unreadable} value(s) could not be decrypted: see `python -m bot keys status`")
        return 1
    return 0
