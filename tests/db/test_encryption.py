"""People's words encrypted at rest: round trip, wrong keys, old plain rows, a raw dump, rotation.

Every test installs its keyring through `crypto.install`, as the app does, and the autouse
fixture puts the previous one back so that other tests see no difference.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.__main__ import main
from bot.cli.keys import encrypted_columns, key_counts, rotate
from bot.config import ConfigError, load_settings
from bot.db import crypto, migrate
from bot.db.crypto import CryptoError, Keyring, UnknownKeyError, make_key
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.models import Base
from bot.db.uow import SqlUnitOfWorkFactory
from bot.domain.cases import EventKind, Tier, Trigger
from bot.domain.outbox import NewMessage, Priority
from bot.domain.people import Person, Role, new_person_code
from bot.domain.triage import RiskLevel
from bot.ports import CaseMessage, NewMiss
from tests.support import FixedClock

KEY_A = "test-only passphrase not for production use: A"  # >= 32 characters: HKDF
KEY_B = crypto.new_key()  # a Fernet key, used as it is
KEY_C = "test-only passphrase not for production use: C"
ID_A, ID_B, ID_C = (make_key(k).id for k in (KEY_A, KEY_B, KEY_C))

CHILD_WORDS = "我今晚就想自杀，药已经准备好了，紫色长颈鹿知道"
NOTE = "笔记：孩子提到了蓝色河马"
FOLLOW_UP = "周五问问她和奶奶的情况"
REASON = "已联系家人，橙色斑马"
LEGACY = "加密以前写下的旧消息：灰色海豚"


@pytest.fixture(autouse=True)
def keyring_restored() -> Iterator[None]:
    previous = crypto.installed()
    yield
    crypto.install(previous)


def use(current: str | None, *old: str) -> Keyring:
    keyring = Keyring(current, old)
    crypto.install(keyring)
    return keyring


# -- the keyring on its own -------------------------------------------------------------


def test_round_trip_under_either_form_of_key() -> None:
    for key in (KEY_A, KEY_B):
        ring = Keyring(key)
        stored = ring.encrypt(CHILD_WORDS)
        assert stored.startswith(f"enc:v1:{ring.current_id}:")
        assert "紫色长颈鹿" not in stored and CHILD_WORDS not in stored
        assert ring.decrypt(stored) == CHILD_WORDS
        assert ring.encrypt(CHILD_WORDS) != stored  # a fresh IV each time
    assert len({ID_A, ID_B, ID_C}) == 3 and all(len(k) == 8 for k in (ID_A, ID_B, ID_C))
    assert Keyring(KEY_A).encrypt("") == ""  # nothing to hide in nothing


def test_a_wrong_key_fails_loudly_never_garbage() -> None:
    stored = Keyring(KEY_A).encrypt(CHILD_WORDS)
    with pytest.raises(UnknownKeyError, match=ID_A):
        Keyring(KEY_B).decrypt(stored)
    # A value relabelled with the reader's key id fails authentication instead.
    forged = stored.replace(ID_A, ID_B, 1)
    with pytest.raises(CryptoError, match="altered"):
        Keyring(KEY_B).decrypt(forged)
    token = stored.rsplit(":", 1)[1]
    flipped = stored[: -len(token)] + token[:20] + ("A" if token[20] != "A" else "B") + token[21:]
    with pytest.raises(CryptoError, match="altered"):
        Keyring(KEY_A).decrypt(flipped)


def test_plain_text_reads_as_it_is_and_lookalikes_survive_without_a_key() -> None:
    assert Keyring(KEY_A).decrypt(LEGACY) == LEGACY
    # A child may type something that looks encrypted; without a key it must still read back.
    lookalike = f"enc:v1:{ID_C}:not-a-token"
    plain = Keyring()
    assert plain.encrypt(LEGACY) == LEGACY
    assert plain.decrypt(plain.encrypt(lookalike)) == lookalike
    assert Keyring(KEY_A).decrypt(Keyring(KEY_A).encrypt(lookalike)) == lookalike


def test_settings_name_the_bad_key() -> None:
    ok = load_settings(None, data_key=KEY_B, data_keys_old=f"{KEY_A}, {KEY_C}")
    ring = Keyring.from_settings(ok)
    assert ring.current_id == ID_B and set(ring.keys) == {ID_A, ID_B, ID_C}
    with pytest.raises(ConfigError, match=r"^DATA_KEY: "):
        Keyring.from_settings(ok.model_copy(update={"data_key": SecretStr("short")}))
    with pytest.raises(ConfigError, match=r"^DATA_KEYS_OLD: "):
        Keyring.from_settings(ok.model_copy(update={"data_keys_old": SecretStr(f"{KEY_A},x")}))
    with pytest.raises(ConfigError, match="comma"):  # it could never move to DATA_KEYS_OLD
        Keyring.from_settings(ok.model_copy(update={"data_key": SecretStr(KEY_A + ",x")}))
    assert not Keyring.from_settings(load_settings(None, data_key="")).enabled


# -- in the database ---------------------------------------------------------------------


async def seed(uow: SqlUnitOfWorkFactory, clock: FixedClock, tg: int) -> int:
    """A child's message, a counsellor's note, reply, follow-up and reason, a queued relay, a
    raw update and the safety net's context: every kind of encrypted column, written through
    the repositories."""
    now = clock.now()
    async with uow() as u:
        child = await u.people.add(
            Person(telegram_id=tg, locale="zh_Hans", code=new_person_code(), role=Role.CHILD)
        )
        staff = await u.people.add(
            Person(telegram_id=tg + 1, locale="zh_Hans", code=new_person_code())
        )
        assert child.id is not None and staff.id is not None
        case, _ = await u.cases.open(
            child.id, -100, Tier.RED, Trigger.TRIAGE, ["suicide"], ["就想自杀"], now
        )
        await u.cases.add_message(case.id, CaseMessage(now, "in", child.id, CHILD_WORDS))
        await u.cases.add_message(case.id, CaseMessage(now, "note", staff.id, NOTE))
        await u.cases.add_message(case.id, CaseMessage(now, "in", child.id, ""))  # a sticker
        await u.net.remember(child.id, CHILD_WORDS, now)  # the safety net's context
        await u.cases.log(case.id, EventKind.RETIERED, now, staff.id, reason=REASON)
        await u.cases.add_follow_up(
            case.id, staff.id, now + timedelta(days=3), FOLLOW_UP, staff.id, now
        )
        first = (await u.misses.inbound(case.id))[0]
        await u.misses.record(
            NewMiss(
                case_id=case.id,
                case_message_id=first.id,
                at=now,
                reported_by=staff.id,
                level=RiskLevel.CRITICAL,
                categories=(),
                given_level=RiskLevel.NONE,
                given_categories=(),
                case_tier=Tier.RED,
                body="我的猫以后就拜托你们了",  # a missed-risk report quotes the words
                note="在交代后事",
            )
        )
        await u.outbox.enqueue(
            [
                NewMessage(
                    key=f"relay:{case.id}:{tg}",
                    chat_id=-100,
                    kind="helpline.relay",
                    priority=Priority.RELAY,
                    locale="zh_Hans",
                    due_at=now,
                    payload={"lines": [CHILD_WORDS]},
                )
            ]
        )
        update = {"update_id": tg, "message": {"text": CHILD_WORDS}}
        await u.inbox.store([(tg, json.dumps(update, ensure_ascii=False))], now)
        await u.commit()
    return case.id


async def read_all(engine: AsyncEngine) -> str:
    """Every encrypted column read through the models (decrypted), as one string."""
    seen: list[str] = []
    async with make_sessionmaker(engine)() as s:
        for _, column in encrypted_columns():
            seen += [json.dumps(v, ensure_ascii=False) for v in await s.scalars(select(column))]
    return "\n".join(seen)


async def dump(engine: AsyncEngine) -> str:
    """What a database dump shows: every table, every column, straight from SQL."""
    out: list[str] = []
    async with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = await conn.execute(text(f"SELECT * FROM {table.name}"))
            out += [" | ".join(str(v) for v in row) for row in rows]
    return "\n".join(out)


SECRETS = ("紫色长颈鹿", "蓝色河马", "奶奶", "橙色斑马", "自杀")


async def test_a_dump_shows_no_plain_text_yet_the_app_reads_it_all(
    engine: AsyncEngine, uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    use(KEY_A)
    case_id = await seed(uow, clock, 7001)
    raw = await dump(engine)
    assert f"enc:v1:{ID_A}:" in raw
    assert not [s for s in SECRETS if s in raw], raw
    async with uow() as u:
        bodies = [m.body for m in await u.cases.messages(case_id)]
        events = await u.cases.events(case_id)
        case = await u.cases.by_id(case_id)
        follow_ups = await u.cases.follow_ups_open()
        claimed = await u.inbox.claim(10)
    assert bodies == [CHILD_WORDS, NOTE, ""]
    assert events[-1][3] == {"reason": REASON}
    assert case is not None and case.evidence == ("就想自杀",)
    assert follow_ups[0].note == FOLLOW_UP
    assert CHILD_WORDS in claimed[0][1]
    # Without a key the same flow leaves the words in the dump: the check above can fail.
    use(None)
    await seed(uow, clock, 7101)
    assert "紫色长颈鹿" in await dump(engine)


async def test_rows_from_before_encryption_still_read(
    engine: AsyncEngine, uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    use(None)
    case_id = await seed(uow, clock, 7201)
    assert "紫色长颈鹿" in await dump(engine)
    use(KEY_A)
    async with uow() as u:
        assert [m.body for m in await u.cases.messages(case_id)] == [CHILD_WORDS, NOTE, ""]
        assert (await u.cases.events(case_id))[-1][3] == {"reason": REASON}


async def test_json_written_before_0007_reads_after_it(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        await migrate.upgrade(engine, "0006")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO outbox (key, chat_id, priority, kind, payload, locale, status,"
                    " attempts, due_at, created_at) VALUES ('k', 1, 0, 'relay', :p, 'zh_Hans',"
                    " 'sent', 1, :now, :now)"
                ),
                {"p": json.dumps({"lines": [LEGACY]}), "now": FixedClock().now()},
            )
        await migrate.upgrade(engine)
        use(KEY_A)
        assert LEGACY in await read_all(engine)
        assert (await key_counts(engine))["outbox.payload"] == {"plain": 1}
    finally:
        await engine.dispose()


async def test_rotation_moves_everything_to_the_new_key(
    engine: AsyncEngine, uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    use(KEY_A)
    for tg in (7301, 7311, 7321):
        await seed(uow, clock, tg)
    async with engine.begin() as conn:  # a message stored before encryption was switched on
        await conn.execute(
            text(
                "INSERT INTO case_messages (case_id, at, direction, body) "
                "VALUES (1, :at, 'in', :body)"
            ),
            {"at": clock.now(), "body": LEGACY},
        )
    before = await read_all(engine)
    assert before.count("紫色长颈鹿") >= 9 and LEGACY in before

    new = use(KEY_B, KEY_A)  # the bot restarted with the new key; the old one still reads
    assert await read_all(engine) == before
    counts = await key_counts(engine)
    assert counts["case_messages.body"] == {ID_A: 6, "plain": 1}  # the empty bodies: nothing
    assert counts["follow_ups.note"] == {ID_A: 3}
    await seed(uow, clock, 7331)  # the running bot writes under the new key meanwhile
    assert (await key_counts(engine))["follow_ups.note"] == {ID_A: 3, ID_B: 1}

    done = await rotate(engine, new, page=2)  # small pages: the paging is exercised
    assert done["case_messages.body"].rewritten == 7
    assert done["follow_ups.note"].rewritten == 3
    assert not any(r.unreadable or r.changed_meanwhile for r in done.values())
    for name, by_key in (await key_counts(engine)).items():
        assert set(by_key) == {ID_B}, (name, by_key)

    use(KEY_B)  # the old key is gone, and nothing needed it
    after = await read_all(engine)
    # The fourth seed: its message, relay, raw update and context.
    assert after.count("紫色长颈鹿") == before.count("紫色长颈鹿") + 4 and LEGACY in after
    assert (await rotate(engine, Keyring(KEY_B)))["case_messages.body"].rewritten == 0
    use(KEY_A)
    with pytest.raises(UnknownKeyError):
        await read_all(engine)


async def test_a_value_under_a_key_not_configured_is_a_clear_error(
    engine: AsyncEngine, uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    use(KEY_C)
    case_id = await seed(uow, clock, 7401)
    ring = use(KEY_A)
    with pytest.raises(UnknownKeyError, match=rf"key {ID_C}.*DATA_KEYS_OLD"):
        async with uow() as u:
            await u.cases.messages(case_id)
    done = await rotate(engine, ring)
    assert done["case_messages.body"].unreadable == 2
    assert done["case_messages.body"].rewritten == 0
    assert (await key_counts(engine))["case_messages.body"] == {ID_C: 2}


async def test_decrypting_back_to_plain_text_needs_the_old_key(
    engine: AsyncEngine, uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    use(KEY_A)
    await seed(uow, clock, 7501)
    done = await rotate(engine, use(None, KEY_A))
    assert done["case_messages.body"].rewritten == 2
    assert "紫色长颈鹿" in await dump(engine) and "enc:v1:" not in await dump(engine)


# -- the command line --------------------------------------------------------------------


def test_keys_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    monkeypatch.delenv("DATA_KEY", raising=False)
    monkeypatch.delenv("DATA_KEYS_OLD", raising=False)

    assert main(["keys", "new"]) == 0
    fresh = capsys.readouterr().out.strip()
    assert crypto.derive_key(fresh) == fresh.encode()  # a Fernet key, taken as it is

    async def seeded() -> None:
        engine = make_engine(url)
        try:
            await migrate.upgrade(engine)
            use(KEY_A)
            await seed(SqlUnitOfWorkFactory(make_sessionmaker(engine)), FixedClock(), 7601)
        finally:
            await engine.dispose()

    asyncio.run(seeded())
    assert main(["keys", "rotate"]) == 2  # no DATA_KEY: refuses rather than decrypting
    assert "DATA_KEY is not set" in capsys.readouterr().out

    monkeypatch.setenv("DATA_KEY", fresh)
    monkeypatch.setenv("DATA_KEYS_OLD", KEY_A)
    assert main(["keys", "status"]) == 0
    out = capsys.readouterr().out
    assert f"case_messages.body: 2 under {ID_A} (old key)" in out
    assert main(["keys", "rotate", "--page", "1"]) == 0
    out = capsys.readouterr().out
    fresh_id = make_key(fresh).id
    assert f"case_messages.body: 2 rewritten under {fresh_id}" in out
    assert main(["keys", "status"]) == 0
    assert f"case_messages.body: 2 under {fresh_id} (DATA_KEY)" in capsys.readouterr().out

    monkeypatch.setenv("DATA_KEYS_OLD", "")
    monkeypatch.setenv("DATA_KEY", KEY_C)  # the wrong key: rotation cannot read the rows
    assert main(["keys", "rotate"]) == 1
    assert "UNREADABLE" in capsys.readouterr().out
