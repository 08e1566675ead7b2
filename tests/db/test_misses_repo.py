"""Missed-risk reports in SQL on SQLite and PostgreSQL: the post a counsellor replied to, the
person's messages, one report per message, the listing and the weekly times, and how
retention and erasure treat a report's words."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.db.models import OutboxRow
from bot.db.uow import SqlUnitOfWorkFactory
from bot.domain.cases import CaseStatus, Tier, Trigger
from bot.domain.misses import Inbound
from bot.domain.outbox import NewMessage, Priority
from bot.domain.people import Person, Role, new_person_code
from bot.domain.triage import RiskLevel
from bot.ports import CaseMessage, NewMiss
from tests.support import FixedClock

CHAT = -1001
WORDS = "我的猫以后就拜托你们了"


async def _case_with_words(uow: SqlUnitOfWorkFactory, clock: FixedClock) -> tuple[int, int, int]:
    """A child's case with two messages in and a counsellor's reply; (person, case, staff)."""
    now = clock.now()
    async with uow() as u:
        child = await u.people.add(
            Person(telegram_id=11, locale="zh_Hans", code=new_person_code(), role=Role.CHILD)
        )
        staff = await u.people.add(
            Person(telegram_id=12, locale="zh_Hans", code=new_person_code(), role=Role.COUNSELLOR)
        )
        assert child.id is not None and staff.id is not None
        case, _ = await u.cases.open(child.id, CHAT, Tier.RED, Trigger.TRIAGE, [], [], now)
        await u.cases.add_message(case.id, CaseMessage(now, "in", child.id, "我今晚就想自杀"))
        await u.cases.add_message(case.id, CaseMessage(now, "out", staff.id, "我在。"))
        await u.cases.add_message(case.id, CaseMessage(now, "in", child.id, WORDS))
        await u.cases.add_message(case.id, CaseMessage(now, "in", child.id, "", "photo"))
        await u.outbox.enqueue(
            [
                NewMessage(
                    key=f"case:{case.id}:{kind}:{n}",
                    chat_id=CHAT,
                    kind=kind,
                    priority=Priority.RELAY,
                    locale="zh_Hans",
                    due_at=now,
                    payload={"case_id": case.id, "lines": [WORDS]},
                )
                for n, kind in enumerate(("case_in", "reply", "case_in"))
            ]
        )
        session = u.session  # type: ignore[attr-defined]
        for n, message_id in ((0, 501), (1, 502)):
            await session.execute(
                update(OutboxRow)
                .where(OutboxRow.key.like(f"case:{case.id}:%:{n}"))
                .values(status="sent", message_id=message_id)
            )
        await u.commit()
    return child.id, case.id, staff.id


def _miss(
    case_id: int, message_id: int, staff: int, clock: FixedClock, level: RiskLevel
) -> NewMiss:
    return NewMiss(
        case_id=case_id,
        case_message_id=message_id,
        at=clock.now(),
        reported_by=staff,
        level=level,
        categories=("suicide",),
        given_level=RiskLevel.NONE,
        given_categories=(),
        case_tier=Tier.RED,
        body=WORDS,
        note="在交代后事",
    )


async def test_a_report_is_found_listed_replaced_and_counted(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    child, case_id, staff = await _case_with_words(uow, clock)
    async with uow() as u:
        found = await u.misses.relayed(CHAT, 501)
        # Only the bot's sent case posts: not a post of no case, not one still waiting.
        assert await u.misses.relayed(CHAT, 502) is None
        assert await u.misses.relayed(CHAT, 503) is None
        assert await u.misses.relayed(-999, 501) is None
        inbound = await u.misses.inbound(case_id)
    assert found is not None and found.case_id == case_id and found.kind == "case_in"
    assert found.payload["lines"] == [WORDS]
    assert [m.body for m in inbound] == ["我今晚就想自杀", WORDS]  # the person's words only
    message_id = inbound[1].id
    assert inbound[1] == Inbound(message_id, WORDS)

    async with uow() as u:
        assert await u.misses.record(_miss(case_id, message_id, staff, clock, RiskLevel.HIGH))
        await u.commit()
    clock.at += timedelta(minutes=5)
    async with uow() as u:  # the same message again: replaced, not doubled
        again = _miss(case_id, message_id, staff, clock, RiskLevel.CRITICAL)
        assert not await u.misses.record(again)
        await u.commit()
    async with uow() as u:
        [miss] = await u.misses.since(clock.now() - timedelta(days=1), 10)
        assert await u.misses.since(clock.now() + timedelta(minutes=1), 10) == []
        times = await u.misses.times(clock.now() - timedelta(days=1), clock.now() + timedelta(1))
    assert (miss.level, miss.given_level, miss.body, miss.note) == (
        RiskLevel.CRITICAL,
        RiskLevel.NONE,
        WORDS,
        "在交代后事",
    )
    assert miss.subject_id == child and miss.categories == ("suicide",)
    assert times == [clock.now()]


async def test_retention_empties_the_words_and_erasure_takes_the_report(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    child, case_id, staff = await _case_with_words(uow, clock)
    async with uow() as u:
        message_id = (await u.misses.inbound(case_id))[1].id
        await u.misses.record(_miss(case_id, message_id, staff, clock, RiskLevel.HIGH))
        await u.cases.set_status(
            case_id, CaseStatus.WAITING, status=CaseStatus.CLOSED, closed_at=clock.now()
        )
        await u.commit()
    later = clock.now() + timedelta(days=200)
    async with uow() as u:
        purged = await u.privacy.purge_transcripts(later, ("case_in",), 100, later)
        await u.commit()
    assert purged.misses == 1 and purged.cases == 1
    async with uow() as u:
        # No words left to list, but the report still counts in its week.
        assert await u.misses.since(clock.now() - timedelta(days=1), 10) == []
        assert len(await u.misses.times(clock.now() - timedelta(days=1), later)) == 1
        counts = await u.privacy.erase([child])
        await u.commit()
    assert counts["missed_risks"] == 1
    async with uow() as u:
        assert await u.misses.times(clock.now() - timedelta(days=1), later) == []
