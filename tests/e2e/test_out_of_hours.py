"""At 3 a.m., end to end (issue 18, items 2 and 7): the lines that answer now come first, a
closed line is never offered as help now, and a child who asks for a counsellor, or writes
that they are in danger, is told when counsellors are back, never that one has been told.

The bot's clock is moved to 03:00 in Shanghai; duty hours are the default 08:00-22:00, and the
counsellor has pressed /onduty (what decides is the hour, not the flag)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.people import (
    ConsentStatus,
    Person,
    PersonStatus,
    Role,
    ServicePointKind,
    new_person_code,
)
from tests.e2e.chat import press_and_wait
from tests.e2e.crisis import RISKY, make_staff
from tests.e2e.harness import World, running_world
from tests.e2e.people import PHONE

NOT_SAFE = {"zh": "我现在不安全", "en": "I am not safe"}
NOBODY = {"zh": "此刻没有心理老师值班", "en": "No counsellor is on duty right now"}
BACK = {"zh": "心理老师今天 8:00 开始值班", "en": "Counsellors are back on duty today at 8:00"}
# What must never be said while nobody is on duty, or about lines closed at this hour.
CLAIMS = (
    *("现在就能帮你", "who can help right now"),
    *("已经通知", "已经告诉", "has been told", "We have told"),
    *("第一位上班", "first counsellor on"),
)
HOPE24 = "400-161-9995"


def three_am(world: World) -> None:
    """The bot's clock at the next 03:00 in Shanghai."""
    now = datetime.now(UTC)
    local = now.astimezone(ZoneInfo("Asia/Shanghai"))
    target = local.replace(hour=3, minute=0, second=0, microsecond=0)
    if target <= local:
        target += timedelta(days=1)
    world.clock.offset = target.astimezone(UTC) - now


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    async with running_world(db_url, rate_group_per_min="60") as w:
        await make_staff(w, w.counsellor, on_duty=True)
        three_am(w)
        yield w


def honest(text: str) -> None:
    for claim in CLAIMS:
        assert claim not in text, claim


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_child_asking_for_a_counsellor_at_3am_is_told_when(
    world: World, lang: str
) -> None:
    child = await world.user("小明", PHONE[lang])
    text = (await world.say(child, "/help"))["text"]
    assert NOBODY[lang] in text and BACK[lang] in text
    # 110 / 120 and a 24-hour line before 12356, whose hours vary by city.
    assert text.index("110") < text.index(HOPE24) < text.index("12356")
    honest(text)


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_crisis_message_at_3am(world: World, lang: str) -> None:
    child = await world.user("小红", PHONE[lang])
    reply = (await world.say(child, RISKY[lang]))["text"]
    # The numbers that answer now come before the wait, and the wait has an end.
    assert reply.index("110") < reply.index(HOPE24) < reply.index(NOBODY[lang])
    assert BACK[lang] in reply and reply.index(NOBODY[lang]) < reply.index("12356")
    honest(reply)
    await world.sb.mark()
    unsafe = await press_and_wait(world, child, NOT_SAFE[lang])
    said = unsafe["text"]
    assert "110" in said and HOPE24 in said and BACK[lang] in said
    honest(said)


async def test_a_citys_own_12356_seat_closed_at_3am(world: World) -> None:
    """Jinzhong's 12356 seat answers 08:00-02:00: at 3 a.m. it is listed as closed, after
    the 24-hour lines, for a child whose service point is there."""
    child = await world.user("小华")
    async with world.uow() as u:
        sp = await u.service_points.add(
            "JZ-01",
            "晋中站",
            ServicePointKind.CHILDREN_HOME,
            "shanxi-jinzhong",
            staff_chat_id=world.staff_chat_id,
        )
        await u.people.add(
            Person(
                telegram_id=child,
                locale="zh_Hans",
                code=new_person_code(),
                role=Role.CHILD,
                status=PersonStatus.ACTIVE,
                consent=ConsentStatus.GIVEN,
                service_point_id=sp.id,
            )
        )
        await u.commit()
    text = (await world.say(child, "/hotlines"))["text"]
    seat = next(line for line in text.splitlines() if line.startswith("📞 12356"))
    assert "晋中" in seat and "现在不在接听时间" in seat
    assert text.index(HOPE24) < text.index(seat)
    honest(text)
