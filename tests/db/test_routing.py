"""A service point with several staff groups: a new case goes to the one least behind.

One group carries about six calm conversations (20 posts a minute); past that, a new case in
that group waits behind its chat while another group of the same point has room.
"""

from __future__ import annotations

from bot.catalog.hotlines import load_hotlines
from bot.catalog.triage import load_triager
from bot.db.uow import SqlUnitOfWorkFactory
from bot.domain.cases import Tier, Trigger
from bot.domain.outbox import NewMessage, Priority
from bot.domain.people import Person, Role, ServicePointKind, new_person_code
from bot.services.board import Board
from bot.services.helpline import Helpline, HelplinePolicy
from content import CONTENT_DIR
from tests.support import FixedClock

BUSY, CALM, MAIN = -1001, -1002, -1009


async def child_at(uow: SqlUnitOfWorkFactory, tg: int, sp_id: int) -> Person:
    async with uow() as u:
        person = await u.people.add(
            Person(
                telegram_id=tg,
                locale="zh_Hans",
                code=new_person_code(),
                role=Role.CHILD,
                service_point_id=sp_id,
            )
        )
        await u.commit()
    return person


async def test_a_new_case_goes_to_the_points_group_least_behind(
    uow: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    async with uow() as u:
        sp = await u.service_points.add(
            "cz-01", "长治 1 号站", ServicePointKind.OTHER, "", "", BUSY
        )
        assert await u.service_points.add_chat(sp.id, CALM)
        assert not await u.service_points.add_chat(sp.id, BUSY)  # a group serves one point
        # The busy group's chat is behind: five relayed posts wait for its budget.
        await u.outbox.enqueue(
            [
                NewMessage(f"relay:{n}", BUSY, "case_in", Priority.RELAY, "zh_Hans", clock.now())
                for n in range(5)
            ]
        )
        await u.commit()
    helpline = Helpline(
        uow,
        clock,
        load_triager(CONTENT_DIR),
        load_hotlines(CONTENT_DIR),
        Board("zh_Hans"),
        HelplinePolicy(staff_chat_id=MAIN),
    )

    async def escalate(person: Person) -> int:
        async with uow() as u:
            case, _ = await helpline.escalate(
                u, person, Tier.RED, Trigger.TRIAGE, ["suicide"], [], "", clock.now()
            )
            await u.commit()
        return case.staff_chat_id

    assert await escalate(await child_at(uow, 11, sp.id)) == CALM
    async with uow() as u:
        found = await u.service_points.by_staff_chat(CALM)
        assert found is not None and found.staff_chat_ids == (BUSY, CALM)
        # The calm group's new case has its topic and card queued; the busy group still
        # has more behind it: the next case goes to the calm one again.
        behind = await u.outbox.backlog([BUSY, CALM], clock.now())
    assert behind[BUSY] == 5 and 0 < behind[CALM] < 5
    assert await escalate(await child_at(uow, 12, sp.id)) == CALM
