"""A staff group held to Telegram's 20 posts a minute, busy with seven conversations.

Measured before this test existed: a new child's red case reached the group 64 s (once ~150 s)
after the child wrote, because the child's relayed words went out ahead of a new case's topic
and card; under continuous chat it never arrived. And a group's 429 (retry_after 35) held back
every counsellor's answer to a child for 35 s. The sandbox enforces the group limit here, as
Telegram does; the bot runs with its default budget for groups.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

import pytest

from bot.domain.cases import CaseStatus, Tier, Trigger
from bot.domain.outbox import OutboxStatus
from bot.domain.people import ConsentStatus, Person, Role, new_person_code
from bot.services.duty import register_staff
from tests.e2e.chat import buttons
from tests.e2e.crisis import CRITICAL
from tests.e2e.harness import World, running_world

CONVERSATIONS = 7
CHILD_EVERY_S = 3.0  # brisk: seven of them keep the group's budget spent
WARM_UP_S = 30.0


async def seven_claimed_conversations(world: World) -> tuple[int, list[tuple[int, int]]]:
    """Seven children whose cases a counsellor holds, each with its topic. Made directly, so
    the test does not spend two minutes of the group's budget opening them."""
    async with world.uow() as u:
        staff = await register_staff(
            u, world.counsellor["id"], Role.COUNSELLOR, "Li", None, "zh_Hans"
        )
        await u.staff.set_duty(staff.person_id, True)
        await u.commit()
    talks: list[tuple[int, int]] = []
    now = world.clock.now()
    for n in range(CONVERSATIONS):
        child = await world.user(f"孩子{n}")
        topic = await world.app.bot.create_forum_topic(world.staff_chat_id, f"seed {n}")
        async with world.uow() as u:
            person = Person(
                telegram_id=child,
                locale="zh_Hans",
                code=new_person_code(),
                role=Role.CHILD,
                consent=ConsentStatus.GIVEN,
            )
            await u.people.add(person)
            assert person.id is not None
            case, _ = await u.cases.open(
                person.id, world.staff_chat_id, Tier.YELLOW, Trigger.REQUEST, [], [], now
            )
            await u.cases.update(
                case.id,
                topic_id=topic.message_thread_id,
                status=CaseStatus.CLAIMED,
                claimed_by=staff.person_id,
                claimed_at=now,
            )
            await u.commit()
        talks.append((child, topic.message_thread_id))
    return staff.person_id, talks


async def keep_talking(world: World, child: int, n: int, stop: asyncio.Event) -> None:
    i = 0
    while not stop.is_set():
        i += 1
        await world.sb.send_text(child, f"孩子{n}说的第{i}句")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), CHILD_EVERY_S)


async def group_backlog(world: World) -> int:
    async with world.uow() as u:
        waiting = await u.outbox.backlog([world.staff_chat_id], world.clock.now())
    return waiting.get(world.staff_chat_id, 0)


async def first_event(
    world: World, since: int, chat_id: int, wanted: Any, timeout: float
) -> dict[str, Any]:
    event = await world.sb.wait_event(
        lambda e: (
            e["type"] == "message"
            and e.get("chat_id") == chat_id
            and bool(e.get("from_bot"))
            and wanted(e["message"])
        ),
        timeout,
        since,
    )
    message: dict[str, Any] = event["message"]
    return message


@pytest.mark.slow
async def test_a_new_crisis_is_seen_at_once_while_the_group_is_busy(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    async with running_world(url, duty_hours="00:00-00:00", max_claims="10") as world:
        _, talks = await seven_claimed_conversations(world)
        await world.sb.send_text(world.counsellor["id"], "/start")  # a private chat for alerts
        await world.sb.set_faults(group_rate_per_min=20)
        stop = asyncio.Event()
        chatter = [
            asyncio.create_task(keep_talking(world, child, n, stop))
            for n, (child, _) in enumerate(talks)
        ]
        try:
            await asyncio.sleep(WARM_UP_S)
            # The group is saturated: the children's words wait for its budget.
            assert await group_backlog(world) >= 3
            newcomer = await world.user("新来的孩子")
            since = (await world.sb.events())["last_seq"]
            started = time.monotonic()
            await world.sb.send_text(newcomer, CRITICAL)
            card = await first_event(
                world,
                since,
                world.staff_chat_id,
                lambda m: "C-0008" in (m.get("text") or "") and "✋ 认领" in buttons(m),
                timeout=30,
            )
            card_after = time.monotonic() - started
            dm = await first_event(
                world,
                since,
                world.counsellor["id"],
                lambda m: "C-0008" in (m.get("text") or ""),
                timeout=5,
            )
            assert card_after < 5.0, f"the card came {card_after:.1f} s after the child wrote"
            assert "✋ 认领" in buttons(dm)
            assert card.get("message_thread_id")  # in the new case's own topic

            # A 429 for the group with Telegram's long retry_after: the group waits, the
            # counsellors' answers to children do not.
            await world.sb.add_fault(
                "429", "sendMessage", chat_id=world.staff_chat_id, retry_after=35, times=1
            )
            child, thread = talks[0]
            for _ in range(300):  # the group's next post draws it
                if (await world.sb.faults())["rules"][0]["injected"]:
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the group posted nothing for 30 s")
            since = (await world.sb.events())["last_seq"]
            started = time.monotonic()
            await world.sb.send_text(
                world.counsellor["id"], "我在这里陪着你", world.staff_chat_id, thread
            )
            await first_event(
                world, since, child, lambda m: "我在这里陪着你" in (m.get("text") or ""), 5
            )
            assert time.monotonic() - started < 3.0
        finally:
            stop.set()
            await asyncio.gather(*chatter)
        # Every word each child wrote reaches its topic, in the order written (the row that
        # drew the 429 kept its place).
        stats = (await world.sb.faults())["counters"]
        assert stats["early_after_429"].get("sendMessage", 0) == 0
        for _ in range(120):  # the backlog drains at the group's pace once the pause is over
            if not await group_backlog(world):
                break
            await asyncio.sleep(1)
        for n, (_, thread) in enumerate(talks):
            said = [
                m.get("text") or ""
                for m in await world.sb.messages(world.staff_chat_id, thread)
                if m.get("from", {}).get("is_bot")
            ]
            numbers = [
                int(part.split("第")[1].split("句")[0])
                for text in said
                for part in text.split("\n")
                if f"孩子{n}说的第" in part
            ]
            assert numbers == sorted(numbers) and numbers == list(range(1, len(numbers) + 1))
        async with world.uow() as u:
            counts = await u.outbox.counts()
        assert counts.get(OutboxStatus.FAILED.value, 0) == 0
