"""A child's words, heard by the helpline use case: the case, the topic, the held card."""

from __future__ import annotations

from bot.domain.cases import CaseStatus, Tier
from bot.domain.outbox import NewTopic, OutboxStatus
from bot.services.common import Who
from tests.usecases.desk import CRITICAL, MEDIUM, STAFF_CHAT, Desk

CHILD = 501


async def test_critical_words_open_a_red_case_whose_card_waits_for_its_topic(desk: Desk) -> None:
    await desk.staff(9001)
    heard = await desk.helpline.hear(Who(CHILD), CRITICAL)
    assert heard.handled
    assert [r.template for r in heard.outcome.replies] == ["helpline/safety_now"]
    assert heard.outcome.replies[0].data["staffed"] is True
    case = await desk.case()
    assert (case.tier, case.status, case.topic_id) == (Tier.RED, CaseStatus.WAITING, None)
    assert "suicide" in case.categories
    rows = {r.key: r for r in await desk.rows("case:1:")}
    # The topic is asked for at once; the card is held until the topic exists.
    assert rows["case:1:topic"].status == OutboxStatus.PENDING
    assert rows["case:1:card"].status == OutboxStatus.HELD
    assert rows["case:1:card"].thread_id is None
    # The counsellor on duty hears of a red case in their private chat too.
    (dm,) = await desk.rows("dm:1:")
    assert dm.chat_id == 9001 and dm.status == OutboxStatus.PENDING


async def test_once_the_topic_exists_the_card_follows_into_it(desk: Desk) -> None:
    await desk.helpline.hear(Who(CHILD), CRITICAL)
    await desk.send_all()
    staff = [(thread, reply) for chat, thread, reply in desk.telegram.sent if chat == STAFF_CHAT]
    topic = staff[0][1]
    assert isinstance(topic, NewTopic) and topic.name.data["code"] == "C-0001"
    case = await desk.case()
    assert case.topic_id is not None
    card = staff[1]
    assert card == (case.topic_id, card[1]) and card[1].template == "helpline/card"
    assert card[1].data["first"] == CRITICAL
    assert {r.status for r in await desk.rows("case:1:")} == {OutboxStatus.SENT}


async def test_worrying_words_get_a_check_in_and_no_case(desk: Desk) -> None:
    heard = await desk.helpline.hear(Who(CHILD), MEDIUM)
    assert heard.handled
    (reply,) = heard.outcome.replies
    assert reply.template == "helpline/check_in"
    assert [c.action for row in reply.choices for c in row] == ["help:counsellor", "help:later"]
    async with desk.uow() as u:
        assert await u.cases.by_id(1) is None
    assert await desk.rows() == []


async def test_words_in_an_open_case_are_relayed_to_its_topic(desk: Desk) -> None:
    await desk.helpline.hear(Who(CHILD), CRITICAL)
    await desk.send_all()
    topic = (await desk.case()).topic_id
    heard = await desk.helpline.hear(Who(CHILD), "我有点害怕")
    assert heard.handled
    (relay,) = list(await desk.rows("case:1:case_in:"))
    assert (relay.chat_id, relay.thread_id, relay.status) == (STAFF_CHAT, topic, "pending")
    async with desk.uow() as u:
        assert [m.body for m in await u.cases.messages(1)][-1] == "我有点害怕"
    await desk.send_all()
    last = desk.telegram.to(STAFF_CHAT)[-1]
    assert last.template == "helpline/relay_in" and last.data["lines"] == ["我有点害怕"]


async def test_words_before_the_topic_exists_wait_with_the_card(desk: Desk) -> None:
    await desk.helpline.hear(Who(CHILD), CRITICAL)
    await desk.helpline.hear(Who(CHILD), "我有点害怕")
    held = [r for r in await desk.rows("case:1:") if r.status == OutboxStatus.HELD]
    assert {r.kind for r in held} == {"case_post", "case_in"}
    await desk.send_all()
    templates = [getattr(r, "template", "topic") for r in desk.telegram.to(STAFF_CHAT)]
    assert templates == ["topic", "helpline/card", "helpline/relay_in"]
