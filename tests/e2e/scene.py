"""One of everything at once, for tests that try every action against every state: a
claimed case, a questionnaire half done, an enrolled guardian and a newcomer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.domain.people import AgeBand, Role
from tests.e2e.chat import answer, start
from tests.e2e.crisis import CRITICAL, make_staff, open_case, press_in_staff
from tests.e2e.harness import World
from tests.e2e.people import enrol, first_item, registered
from tests.e2e.watch import ANSWER_WITHIN


@dataclass
class Scene:
    world: World
    child: int  # has an open case, claimed by the counsellor
    child_code: str
    case_id: int
    card: dict[str, Any]  # that case's card in the staff chat
    thread: int  # ...and its forum topic
    kid: int  # another child, half-way through a questionnaire
    kid_code: str
    kid_person_id: int
    session_id: int
    guardian: int  # enrolled, lesson 1 delivered
    guardian_code: str
    enrolment_id: int
    newcomer: int  # pressed /start, chose nothing yet

    def private_people(self) -> dict[str, int]:
        return {
            "child": self.child,
            "kid": self.kid,
            "guardian": self.guardian,
            "newcomer": self.newcomer,
        }

    def secrets(self) -> list[str]:
        """What must never reach anyone but staff: people's codes, the case, staff names."""
        return [self.child_code, self.kid_code, self.guardian_code, "C-0001", "Counsellor Li"]


async def build_scene(world: World) -> Scene:
    await make_staff(world, world.counsellor)
    await make_staff(world, world.admin, Role.SUPERVISOR, on_duty=False)
    child, card = await open_case(world)
    await press_in_staff(world, world.counsellor, card, "✋")
    kid, kid_person = await registered(world, "小红", Role.CHILD, AgeBand.A14_15)
    item = await first_item(world, kid, "PHQ-A")
    await answer(world, kid, item, 0)
    guardian = await world.user("李奶奶")
    await enrol(world, guardian)
    await world.sb.wait_for(guardian, lambda m: (m.get("text") or "").startswith("📖"))
    newcomer = await world.user("新来的")
    await start(world, newcomer)
    async with world.uow() as u:
        child_person = await u.people.by_telegram_id(child)
        grandma = await u.people.by_telegram_id(guardian)
        assert child_person is not None and grandma is not None and grandma.id is not None
        session = await u.screening.active_for(kid_person.id or 0)
        enrolment = await u.enrolments.get(grandma.id, "guardian")
        case = await u.cases.open_for(child_person.id or 0)
    assert session is not None and enrolment is not None and enrolment.id is not None
    assert case is not None
    return Scene(
        world=world,
        child=child,
        child_code=child_person.code or "",
        case_id=case.id,
        card=card,
        thread=card["message_thread_id"],
        kid=kid,
        kid_code=kid_person.code or "",
        kid_person_id=kid_person.id or 0,
        session_id=session.id,
        guardian=guardian,
        guardian_code=grandma.code or "",
        enrolment_id=enrolment.id,
        newcomer=newcomer,
    )


async def more_staff_chats(world: World, count: int) -> list[int]:
    """Forum groups registered as further service points' staff chats, with the counsellor
    in each: every group has its own 20-a-minute budget, so answers spread over several
    arrive in seconds, not minutes."""
    from bot.domain.people import ServicePointKind

    chats = []
    for n in range(count):
        group = await world.sb.create_group(
            f"站点 {n}", [world.counsellor["id"]], admin_ids=[world.counsellor["id"]]
        )
        async with world.uow() as u:
            await u.service_points.add(
                f"SP-X{n}", f"站点 {n}", ServicePointKind.OTHER, staff_chat_id=group["id"]
            )
            await u.commit()
        chats.append(int(group["id"]))
    return chats


async def open_case_for(world: World, name: str) -> tuple[int, dict[str, Any]]:
    """A second child in crisis, and the card of their case."""
    child = await world.user(name)
    await world.sb.send_text(child, CRITICAL)
    await world.sb.wait_for(child, lambda m: True, ANSWER_WITHIN)
    async with world.uow() as u:
        person = await u.people.by_telegram_id(child)
        case = await u.cases.open_for(person.id or 0) if person else None
    assert case is not None
    card = await world.sb.wait_for(
        world.staff_chat_id,
        lambda m: case.code in (m.get("text") or "") and "✋" in str(m.get("reply_markup")),
        20,
    )
    return child, card
