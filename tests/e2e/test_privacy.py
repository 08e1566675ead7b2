"""Data rights end to end: /mydata as a JSON file, /delete with its confirmation (and its
refusal while a case is open), transcript retention, and the access log for supervisors."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from bot.db import crypto, migrate
from bot.db.engine import _sqlite_pragmas, make_engine, make_sessionmaker
from bot.db.models import OutboxRow
from bot.db.uow import SqlUnitOfWorkFactory
from bot.domain.cases import CaseStatus, CloseOutcome, EventKind, Tier, Trigger
from bot.domain.people import (
    ConsentStatus,
    Person,
    PersonStatus,
    Relation,
    Role,
    new_person_code,
)
from bot.domain.screening import Result
from bot.ports import CaseMessage
from tests.e2e.chat import buttons
from tests.e2e.commands import env_for, run_cli
from tests.e2e.crisis import CRITICAL, ROOMY, case_card, make_staff, press_in_staff, started
from tests.e2e.harness import World, running_world
from tests.e2e.people import enrol, registered
from tests.e2e.watch import outbox_idle, rows_holding

STALE = "失效"
QUOTE = "她说爸爸又打她了"


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    async with running_world(db_url, **ROOMY) as w:
        yield w


async def child_on_record(world: World, guardian: Person, total: int) -> Person:
    """A child without Telegram, linked to the guardian, with a PSC-17 the guardian filled in."""
    async with world.uow() as u:
        child = await u.people.add(
            Person(
                telegram_id=None,
                locale="zh_Hans",
                code=new_person_code(),
                role=Role.CHILD,
                consent=ConsentStatus.GIVEN,
            )
        )
        await u.families.link(guardian.id or 0, child.id or 0, Relation.GRANDPARENT)
        result = Result("psc-17", 1, "psc-17@test", total, band="elevated", tier=Tier.YELLOW)
        await u.screening.record(
            child.id or 0, guardian.id, {1: 2, 2: 1}, result, world.clock.now()
        )
        await u.commit()
    return child


async def my_data(world: World, uid: int) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Send /mydata; the document message, the parsed JSON and its raw text."""
    await world.sb.mark()
    await world.sb.send_text(uid, "/mydata")
    message = await world.sb.wait_for(uid, lambda m: "document" in m, timeout=10)
    stored = world.sandbox.world.files.get(message["document"]["file_id"])
    assert stored is not None
    raw = stored.data.decode("utf-8")
    return message, json.loads(raw), raw


async def test_mydata_sends_the_familys_json_and_nothing_of_another_family(world: World) -> None:
    gid, grandma = await registered(world, "李奶奶", Role.GUARDIAN)
    child = await child_on_record(world, grandma, 16)
    _, other = await registered(world, "王爷爷", Role.GUARDIAN)
    stranger = await child_on_record(world, other, 23)
    message, doc, raw = await my_data(world, gid)
    assert message["document"]["file_name"] == f"xinqiao-mydata-{grandma.code}.json"
    said = [m for m in await world.sb.bot_messages(gid) if m["message_id"] < message["message_id"]]
    assert "• 您照顾的一个孩子。" in said[-1]["text"]  # the summary came first
    assert "副本" in message["caption"] and "not_included" in message["caption"]
    assert doc["you"]["code"] == grandma.code and doc["you"]["role"] == "guardian"
    assert doc["you"]["consent"] == "given"
    [kid] = doc["children"]
    assert kid["record"]["code"] == child.code and kid["record"]["uses_telegram"] is False
    [result] = kid["screenings"]
    assert result["instrument"] == "psc-17" and result["total"] == 16
    assert result["tier"] == "yellow" and result["answers"] == {"1": 2, "2": 1}
    assert result["answered_by"] == "you"
    # Nothing of the other family: not their codes, not their result.
    assert other.code not in raw and stranger.code not in raw
    left_out = {item["what"]: item["why"] for item in doc["not_included"]}
    assert {"counsellor_notes", "staff_identities", "other_people"} <= set(left_out)
    assert all(left_out.values()) and "心理老师" in left_out["counsellor_notes"]
    # Taking a copy is a view of the files like any other.
    async with world.uow() as u:
        _, mine = await u.privacy.access_log(grandma.id or 0, 10)
        _, kids = await u.privacy.access_log(child.id or 0, 10)
        _, theirs = await u.privacy.access_log(stranger.id or 0, 10)
    assert [e.what for e in mine] == ["mydata"] and [e.via for e in kids] == ["guardian"]
    assert theirs == []


async def test_childs_copy_has_their_words_but_no_notes_replies_or_staff_names(
    world: World,
) -> None:
    number = await make_staff(world, world.counsellor)
    uid, child = await registered(world, "小明", Role.CHILD)
    await world.sb.send_text(uid, CRITICAL)
    await world.sb.wait_for(uid, lambda m: True)
    card = await case_card(world)
    await press_in_staff(world, world.counsellor, card, "✋")
    thread = card["message_thread_id"]
    chat = world.staff_chat_id
    await world.sb.send_text(world.counsellor["id"], "我在这里陪你。", chat, thread)
    await world.sb.wait_for_text(uid, "我在这里陪你。")
    await world.sb.send_text(world.counsellor["id"], "! 家里情况复杂", chat, thread)
    for _ in range(50):  # updates are handled concurrently: wait for the note to be stored
        async with world.uow() as u:
            if any(m.direction == "note" for m in await u.cases.messages(1)):
                break
        await asyncio.sleep(0.1)
    summary, doc = await summary_then_file(world, uid)
    assert "你和心理老师聊过 1 次，还有你写的话。你现在还在和心理老师聊。" in summary
    raw = json.dumps(doc, ensure_ascii=False)
    [case] = doc["helpline"]
    assert case["case"] == "C-0001" and case["status"] == "claimed"
    assert [m["text"] for m in case["your_messages"]] == [CRITICAL]
    assert "家里情况复杂" not in raw and "我在这里陪你" not in raw
    assert "Counsellor Li" not in raw and f"心理老师 {number}" not in raw
    assert "children" not in doc  # a child's copy is about the child alone
    assert {"counsellor_replies", "case_assessments"} <= {i["what"] for i in doc["not_included"]}
    assert child.code in raw


async def test_delete_after_confirmation_forgets_the_family(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    gid, grandma = await registered(world, "张奶奶", Role.GUARDIAN)
    child = await child_on_record(world, grandma, 12)
    kid_uid, teen = await registered(world, "小华", Role.CHILD)  # has Telegram: keeps their data
    async with world.uow() as u:
        await u.families.link(grandma.id or 0, teen.id or 0, Relation.GRANDPARENT)
        await u.commit()
    await world.sb.mark()
    await world.sb.send_text(gid, "/delete")
    question = await world.sb.wait_for(gid, lambda m: bool(buttons(m)))
    assert "无法恢复" in question["text"] and "（1 个）" in question["text"]
    assert buttons(question) == ["🗑 是的，删除我的数据", "不，先保留"]
    caplog.set_level(logging.INFO, logger="bot.services.privacy")
    await world.sb.mark()
    await world.press(gid, "🗑 是的，删除我的数据")
    done = await world.sb.wait_for(gid, lambda m: "已完成" in (m.get("text") or ""))
    assert "/start" in done["text"]
    async with world.uow() as u:
        assert await u.people.by_id(grandma.id or 0) is None
        assert await u.people.by_id(child.id or 0) is None
        assert await u.screening.results_for(child.id or 0) == []
        kept = await u.people.by_id(teen.id or 0)
        assert kept is not None and await u.families.guardians_of(teen.id or 0) == []
        [erasure] = await u.privacy.erasures(world.clock.now() - timedelta(minutes=5), 10)
    # The durable record of it: counts only, nothing that names the family.
    assert erasure.reason == "request"
    assert erasure.counts["people"] == 2 and erasure.counts["screening_results"] == 1
    assert grandma.code not in str(erasure) and "张奶奶" not in str(erasure)
    [line] = [r.getMessage() for r in caplog.records if "erased person" in r.getMessage()]
    assert f"person {grandma.id} and 1 child record(s)" in line and "screening_results=1" in line
    assert grandma.code not in line and "张奶奶" not in line
    # The old button now refers to nobody: refused politely, nothing else happens.
    toast = await world.press(gid, "🗑 是的，删除我的数据")
    assert STALE in toast["text"]
    # A later /start begins afresh, as a stranger.
    await world.sb.mark()
    await world.sb.send_text(gid, "/start")
    await world.sb.wait_for(gid, lambda m: bool(buttons(m)))
    again = await world.person(gid)
    assert again is not None and again.code != grandma.code and again.role is None
    assert kid_uid != gid


async def test_a_button_from_before_delete_does_nothing_for_the_new_account(
    world: World,
) -> None:
    """A guardian deletes her data and starts again: the lesson she had, with its buttons,
    is still in her chat. Before, the new enrolment took the old one's id (SQLite reuses the
    newest id), so "next" on the old lesson read on in the new one."""
    uid = await world.user("李奶奶")
    await enrol(world, uid)
    old = await world.sb.wait_for(uid, lambda m: (m.get("text") or "").startswith("📖"))
    old_next = old["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await world.sb.mark()
    await world.sb.send_text(uid, "/delete")
    await world.sb.wait_for(uid, lambda m: bool(buttons(m)))
    await world.press(uid, "🗑 是的，删除我的数据")
    await world.sb.wait_for(uid, lambda m: "/start" in (m.get("text") or ""))
    await world.sb.mark()
    await enrol(world, uid)
    await world.sb.wait_for(uid, lambda m: (m.get("text") or "").startswith("📖"))
    person = await world.person(uid)
    assert person is not None and person.id is not None
    async with world.uow() as u:
        enrolment = await u.enrolments.get(person.id, "guardian")
        assert enrolment is not None and enrolment.id is not None
        (before,) = await u.progress.for_enrolment(enrolment.id)
    said = len(await world.sb.bot_messages(uid))
    qid = await world.sb.press(uid, uid, old["message_id"], old_next)
    stale = world.app.catalog.text("toast.stale", "zh_Hans")
    assert (await world.sb.wait_callback_answer(qid)).get("text") == stale
    await asyncio.sleep(0.5)
    async with world.uow() as u:
        (after,) = await u.progress.for_enrolment(enrolment.id)
    assert after.parts_read == before.parts_read
    assert len(await world.sb.bot_messages(uid)) == said


async def test_forged_or_stale_delete_button_is_refused(world: World) -> None:
    uid, child = await registered(world, "小刚", Role.CHILD)
    _, other = await registered(world, "小强", Role.CHILD)
    await world.sb.mark()
    await world.sb.send_text(uid, "/delete")
    question = await world.sb.wait_for(uid, lambda m: bool(buttons(m)))
    real = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    stamp = real.rsplit(":", 1)[1]
    for forged in (f"pv:del:{other.code}:{stamp}", "pv:del:x", f"pv:nuke:{child.code}:{stamp}"):
        qid = await world.sb.press(uid, uid, question["message_id"], forged)
        assert STALE in (await world.sb.wait_callback_answer(qid))["text"]
    world.clock.advance(minutes=31)  # the question was read long ago: confirm it afresh
    qid = await world.sb.press(uid, uid, question["message_id"], real)
    assert STALE in (await world.sb.wait_callback_answer(qid))["text"]
    async with world.uow() as u:
        assert await u.people.by_id(child.id or 0) is not None
        assert await u.people.by_id(other.id or 0) is not None
    # "Keep it" changes nothing and says so.
    await world.sb.mark()
    await world.press(uid, "不，先保留")
    kept = await world.sb.wait_for(uid, lambda m: True)
    assert "没删" in kept["text"]


async def test_delete_waits_while_a_case_is_open_and_a_supervisor_is_told(world: World) -> None:
    await make_staff(world, world.counsellor)
    await make_staff(world, world.admin, Role.SUPERVISOR, on_duty=False)
    await started(world, world.admin)
    uid, child = await registered(world, "小红", Role.CHILD)
    await world.sb.send_text(uid, CRITICAL)
    await world.sb.wait_for(uid, lambda m: True)
    await case_card(world)
    await world.sb.mark()
    await world.sb.send_text(uid, "/delete")
    refused = await world.sb.wait_for(uid, lambda m: "还没有结束" in (m.get("text") or ""))
    assert not buttons(refused) and "督导" in refused["text"]
    page = await world.sb.wait_for_text(world.admin["id"], "C-0001", timeout=10)
    assert "删除" in page["text"]
    async with world.uow() as u:
        assert await u.people.by_id(child.id or 0) is not None
        assert await u.cases.open_for(child.id or 0) is not None


async def outbox_of(world: World, case_id: int) -> list[tuple[str, str, Any]]:
    async with world.uow() as u:
        rows = await u.session.execute(
            select(OutboxRow.kind, OutboxRow.status, OutboxRow.payload).where(
                OutboxRow.key.like(f"case:{case_id}:%")
            )
        )
        return [(r[0], r[1], r[2]) for r in rows]


async def test_retention_purges_old_closed_transcripts_and_keeps_the_record(
    world: World,
) -> None:
    await make_staff(world, world.counsellor)
    chat = world.staff_chat_id
    first, child = await registered(world, "小兰", Role.CHILD)
    await world.sb.send_text(first, CRITICAL)
    await world.sb.wait_for(first, lambda m: True)
    card = await case_card(world)
    await press_in_staff(world, world.counsellor, card, "✋")
    await world.sb.send_text(world.counsellor["id"], "我在。", chat, card["message_thread_id"])
    await world.sb.wait_for_text(first, "我在。")
    await world.sb.send_text(first, "我有点害怕")
    await world.sb.wait_for_text(chat, "我有点害怕", thread_id=card["message_thread_id"])
    second, _ = await registered(world, "小雨", Role.CHILD)
    await world.sb.send_text(second, CRITICAL)
    await case_card(world, "C-0002")
    for _ in range(50):  # every post of case 1 sent, so none is still in flight
        if all(status == "sent" for _, status, _ in await outbox_of(world, 1)):
            break
        await asyncio.sleep(0.1)
    now = world.clock.now()
    async with world.uow() as u:
        # Free text about the child: a re-tier's reason, the notes of two follow-ups (one
        # done, one still to do), and a report to the authorities.
        lee = await u.staff.by_telegram_id(world.counsellor["id"])
        assert lee is not None
        await u.cases.log(
            1, EventKind.RETIERED, now, lee.person_id, before="red", after="orange", reason=QUOTE
        )
        await u.cases.log(1, EventKind.REPORTED, now, lee.person_id, authority="城关派出所")
        done = await u.cases.add_follow_up(1, lee.person_id, now, QUOTE, lee.person_id, now)
        await u.cases.update_follow_up(done.id, done_at=now)
        todo = await u.cases.add_follow_up(
            1, lee.person_id, now + timedelta(days=400), "家访：" + QUOTE, lee.person_id, now
        )
        events_before = len(await u.cases.events(1))
        assert await u.cases.set_status(
            1,
            CaseStatus.CLAIMED,
            status=CaseStatus.CLOSED,
            closed_at=now,
            outcome=CloseOutcome.SUPPORTED,
        )
        await u.commit()
    # The answer to /followups quotes the open follow-up's note, in a post of no case.
    await world.sb.send_text(world.counsellor["id"], "/followups", chat)
    await world.sb.wait_for_text(chat, "家访")
    await outbox_idle(world)
    [job] = [j for j in world.app.ticker.jobs if j.name == "privacy.retention"]
    # Within the retention period nothing goes.
    assert (await job.run(now + timedelta(days=170))).cases == 0
    purged = await job.run(now + timedelta(days=181))
    assert purged.cases == 1 and purged.messages >= 3 and purged.outbox >= 2
    async with world.uow() as u:
        closed = await u.cases.by_id(1)
        still_open = await u.cases.by_id(2)
        old_words = await u.cases.messages(1)
        open_words = await u.cases.messages(2)
        history = await u.cases.events(1)
        events_after = len(history)
        notes = {f.id: f.note for f in await u.cases.follow_ups_of(child.id or 0)}
    assert closed is not None and closed.status is CaseStatus.CLOSED and closed.tier is Tier.RED
    assert closed.trigger is Trigger.TRIAGE and events_after == events_before
    # The phrases triage matched were the child's own words: gone with the transcript.
    assert closed.evidence == ()
    assert still_open is not None and still_open.evidence  # an open case keeps them
    kinds = {kind: data for _, kind, _, data in history}
    assert kinds[EventKind.RETIERED] == {"before": "red", "after": "orange"}
    assert kinds[EventKind.REPORTED]["authority"] == "城关派出所"  # the legal record stays
    assert notes == {done.id: "", todo.id: "家访：" + QUOTE}  # still to do: still needed
    assert purged.events == 1 and purged.notes == 1
    # Nowhere else in the database: not a column, not a queued or sent message.
    assert await rows_holding(world, "我有点害怕") == []
    assert await rows_holding(world, QUOTE) == ["follow_ups"]
    assert old_words and all(m.body == "" for m in old_words)
    assert {m.direction for m in old_words} >= {"in", "out"}  # the structure stays
    assert still_open is not None and still_open.status is CaseStatus.WAITING
    assert [m.body for m in open_words] == [CRITICAL]
    texts = [kind for kind, _, payload in await outbox_of(world, 1) if payload != {"purged": True}]
    assert set(texts) <= {"case_topic", "case_rename", "case_copy"}
    assert any(payload != {"purged": True} for _, _, payload in await outbox_of(world, 2))
    # Once purged, nothing is left to purge, and nothing more is recorded.
    assert (await job.run(now + timedelta(days=182))).cases == 0
    async with world.uow() as u:
        [erasure] = await u.privacy.erasures(now, 10)
    assert erasure.reason == "retention" and erasure.at == now + timedelta(days=181)
    assert erasure.counts == {
        "cases": 1,
        "case_messages": purged.messages,
        "case_events": 1,
        "follow_up_notes": 1,
        "outbox": purged.outbox,
    }


async def test_access_log_for_supervisors_only_and_reading_it_is_logged(world: World) -> None:
    lee = await make_staff(world, world.counsellor)
    boss = await make_staff(world, world.admin, Role.SUPERVISOR)
    _, child = await registered(world, "小丽", Role.CHILD)
    chat = world.staff_chat_id
    await world.sb.send_text(world.counsellor["id"], f"/file {child.code}", chat)
    await world.sb.wait_for_text(chat, "📁", timeout=20)
    await world.sb.send_text(world.counsellor["id"], f"/accesslog {child.code}", chat)
    await world.sb.wait_for_text(chat, "只有督导", timeout=20)
    await world.sb.send_text(world.outsider["id"], f"/accesslog {child.code}", chat)
    await world.sb.send_text(world.admin["id"], f"/accesslog {child.code}", chat)
    shown = await world.sb.wait_for_text(chat, "的查阅记录", 20)
    text = shown["text"]
    assert child.code in text and "共 2 次" in text
    assert f"心理老师 {lee} · 查看了档案" in text and f"督导 {boss} · 查看了本查阅记录" in text
    assert "Counsellor Li" not in text
    async with world.uow() as u:
        views = await u.screening.accesses(child.id or 0)
        admin = await u.staff.by_telegram_id(world.admin["id"])
    assert [v[1] for v in views] == ["file", "access_log"]
    assert admin is not None and views[-1][0] == admin.person_id
    # Usage without a code, for a supervisor.
    await world.sb.send_text(world.admin["id"], "/accesslog", chat)
    await world.sb.wait_for_text(chat, "/accesslog C-0042", 20)


async def test_purge_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    await migrate.upgrade(engine)
    uow = SqlUnitOfWorkFactory(make_sessionmaker(engine))
    long_ago = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    async with uow() as u:
        person = await u.people.add(
            Person(
                telegram_id=4242,
                locale="zh_Hans",
                code=new_person_code(),
                status=PersonStatus.ACTIVE,
            )
        )
        case, _ = await u.cases.open(
            person.id or 0, -100, Tier.RED, Trigger.TRIAGE, [], [], long_ago
        )
        await u.cases.add_message(case.id, CaseMessage(long_ago, "in", person.id, "不想上学了"))
        await u.cases.update(case.id, status=CaseStatus.CLOSED, closed_at=long_ago)
        await u.commit()
    await engine.dispose()
    env = env_for(tmp_path)
    code, out, err = await run_cli(
        "privacy", "purge", "--at", "2026-06-01T00:00", env=env, cwd=tmp_path
    )
    assert code == 0, err
    assert "purged 0 message(s)" in out  # 147 days: inside the 180-day default
    code, out, err = await run_cli(
        "privacy", "purge", "--at", "2026-08-01T00:00", env=env, cwd=tmp_path
    )
    assert code == 0 and "purged 1 message(s)" in out and "1 case(s)" in out, out + err
    code, out, _ = await run_cli("privacy", "purge", "--at", "yesterday", env=env, cwd=tmp_path)
    assert code == 2 and "ISO-8601" in out
    code, out, err = await run_cli(
        "privacy", "erasures", "--since", "2026-07-01", env=env, cwd=tmp_path
    )
    assert code == 0, err
    assert "1 erasure(s) since 2026-07-01T00:00:00+00:00" in out
    assert "2026-08-01T00:00:00+00:00  retention  case_messages=1, cases=1" in out
    code, out, _ = await run_cli(
        "privacy", "erasures", "--since", "2026-08-02", env=env, cwd=tmp_path
    )
    assert code == 0 and out.startswith("0 erasure(s)")
    code, out, _ = await run_cli("privacy", "erasures", "--since", "lately", env=env, cwd=tmp_path)
    assert code == 2 and "ISO-8601" in out
    engine = make_engine(url)
    async with SqlUnitOfWorkFactory(make_sessionmaker(engine))() as u:
        assert [m.body for m in await u.cases.messages(case.id)] == [""]
        assert (await u.cases.by_id(case.id)) is not None
    await engine.dispose()


# ASCII, so that it is the same bytes in every JSON document that carries it.
PHRASE = "zebra-quokka-4417 nobody knows"


def traces(database: Path, needles: list[bytes]) -> list[str]:
    """Which of the database's files (the file, its write-ahead log, the log's index) hold
    any of these bytes."""
    found = []
    for suffix in ("", "-wal", "-shm"):
        path = database.with_name(database.name + suffix)
        if path.exists():
            data = path.read_bytes()
            found += [f"{path.name}: {n[:24]!r}" for n in needles if n in data]
    return found


async def stored_copies(world: World, code: str) -> list[bytes]:
    """How the phrase and the /file answer naming `code` are stored: the plain text as it
    appears in the file, or each encrypted value that decrypts to either."""
    if not crypto.installed().enabled:
        return [PHRASE.encode(), f'"code":"{code}"'.encode()]
    found = []
    async with world.uow() as u:
        for table, column in (("case_messages", "body"), ("outbox", "payload")):
            for (raw,) in await u.session.execute(text(f"SELECT {column} FROM {table}")):
                if (
                    raw
                    and raw.startswith("enc:")
                    and (PHRASE in (plain := crypto.decrypt(raw)) or code in plain)
                ):
                    found.append(raw.rsplit(":", 1)[1].encode())
    return found


@pytest.mark.parametrize("encrypted", [True, False], ids=["with-DATA_KEY", "plain"])
async def test_delete_leaves_no_copy_in_the_sqlite_files(tmp_path: Path, encrypted: bool) -> None:
    """Erased words were still in the write-ahead log (and in free space in the file) until
    SQLite happened to checkpoint and overwrite them: a copy of the files showed them."""
    database = tmp_path / "trace.db"
    key = {"data_key": crypto.new_key()} if encrypted else {"data_key": ""}
    previous = crypto.installed()
    try:
        async with running_world(f"sqlite:///{database}", **ROOMY, **key) as world:
            await make_staff(world, world.counsellor)
            uid, child = await registered(world, "小林", Role.CHILD)
            await world.sb.send_text(uid, CRITICAL)
            await world.sb.wait_for(uid, lambda m: True)
            card = await case_card(world)
            await world.sb.send_text(uid, PHRASE)
            thread = card["message_thread_id"]
            await world.sb.wait_for_text(world.staff_chat_id, PHRASE, thread_id=thread)
            # A counsellor's /file: an answer in the staff chat that names the child.
            await world.sb.send_text(
                world.counsellor["id"], f"/file {child.code}", world.staff_chat_id
            )
            await world.sb.wait_for_text(world.staff_chat_id, f"📁 {child.code}")
            await outbox_idle(world)
            needles = await stored_copies(world, child.code)
            # Encrypted: the message, its relay to the staff chat and the /file answer.
            assert len(needles) >= (3 if encrypted else 2)
            assert traces(database, needles)
            async with world.uow() as u:
                assert await u.cases.set_status(
                    1, CaseStatus.WAITING, status=CaseStatus.CLOSED, closed_at=world.clock.now()
                )
                await u.commit()
            await world.sb.mark()
            await world.sb.send_text(uid, "/delete")
            await world.sb.wait_for(uid, lambda m: bool(buttons(m)))
            await world.sb.mark()
            await world.press(uid, "🗑 是的，删除我的数据")
            await world.sb.wait_for(uid, lambda m: "删掉了" in (m.get("text") or ""))
            assert await world.person(uid) is None and child.id is not None
            assert traces(database, needles) == []
    finally:
        crypto.install(previous)


def test_every_sqlite_connection_overwrites_what_it_deletes() -> None:
    """Debian's SQLite zeroes deleted content by default (built with SQLITE_SECURE_DELETE),
    so the test above would pass here without it; python.org's and most other builds do not,
    and there the database file's free space kept the deleted rows."""
    raw = sqlite3.connect(":memory:")
    try:
        raw.execute("PRAGMA secure_delete=OFF")
        _sqlite_pragmas(raw, None)
        assert raw.execute("PRAGMA secure_delete").fetchone() == (1,)
    finally:
        raw.close()


async def summary_then_file(world: World, uid: int) -> tuple[str, dict[str, Any]]:
    """/mydata: the summary in words, then the file after it."""
    message, doc, _ = await my_data(world, uid)
    said = [m for m in await world.sb.bot_messages(uid) if m["message_id"] < message["message_id"]]
    return said[-1]["text"], doc


async def test_mydata_summary_a_grandmother_can_read_in_both_languages(world: World) -> None:
    from tests.e2e.people import enrol_guardian

    zh = await world.user("李奶奶")
    await enrol_guardian(world, zh)  # a grandparent, child 9–11, weekly lessons
    text, doc = await summary_then_file(world, zh)
    assert doc["you"]["role"] == "guardian"  # the file still comes, after the words
    assert text.startswith("我们保存的关于您的信息")
    assert "我们是心桥" in text and "您和孩子的关系：奶奶" in text
    joined = datetime.fromisoformat(doc["you"]["joined_at"])
    assert f"您从{joined.year}年{joined.month}月{joined.day}日开始使用心桥" in text
    assert "您照顾的一个孩子" not in text  # no child of hers is on record
    assert "我们不保存您的姓名、电话号码和住址" in text
    for command in ("/delete", "/stop", "/privacy"):
        assert command in text
    assert "你" not in text.replace("您", "")  # a guardian is addressed as 您 throughout

    en = await world.user("Grandma", "en")
    await enrol_guardian(world, en, lang="en")
    text, doc = await summary_then_file(world, en)
    assert text.startswith("What we keep about you")
    assert "We are Xinqiao" in text and "Who you are to the child: Grandma (dad's side)" in text
    assert "/delete: delete your data" in text
    assert "/stop" in text and "/privacy" in text and "The file below" in text


async def test_mydata_summary_for_a_child_in_both_languages(world: World) -> None:
    from tests.e2e.chat import press_and_wait, start

    zh = await world.user("小雨")
    await start(world, zh)
    await press_and_wait(world, zh, "🧒 我是孩子或青少年")
    await press_and_wait(world, zh, "14–15 岁")
    await press_and_wait(world, zh, "✅ 同意")
    text, doc = await summary_then_file(world, zh)
    assert doc["you"]["role"] == "child"
    assert text.startswith("我们知道的关于你的事")
    assert "你的年龄段：14–15 岁" in text and "不会拿给你的家长看" in text
    assert "您" not in text  # a child is not addressed as 您
    for command in ("/delete", "/stop", "/privacy"):
        assert command in text

    en = await world.user("Tom", "en-GB")
    await start(world, en)
    await press_and_wait(world, en, "🧒 I am a child or teenager")
    await press_and_wait(world, en, "16–17")
    await press_and_wait(world, en, "✅ I agree")
    text, _ = await summary_then_file(world, en)
    assert text.startswith("What we know about you")
    assert "Your age group: 16–17" in text and "Things you can do" in text


async def test_privacy_names_mydata_and_delete_in_both_languages(world: World) -> None:
    grandma, _ = await registered(world, "王奶奶", Role.GUARDIAN)
    said = await world.say(grandma, "/privacy")
    assert "/mydata" in said["text"] and "/delete" in said["text"] and "您" in said["text"]
    child, _ = await registered(world, "Amy", Role.CHILD, locale="en")
    said = await world.say(child, "/privacy")
    assert "Send /mydata" in said["text"] and "Send /delete" in said["text"]
