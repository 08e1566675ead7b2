"""Bad input at every step gets a sensible answer and leaves the database consistent."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db.models import ConsentRow, PersonRow
from bot.domain.people import ConsentStatus, Role
from tests.e2e.chat import buttons, has_buttons, press_and_wait, start
from tests.e2e.harness import World

USE_BUTTONS = "请从下面的按钮里选一个"
STALE = "这是之前的按钮"


async def counts(world: World) -> tuple[int, int]:
    async with world.uow() as u:
        people = await u.session.scalar(select(func.count()).select_from(PersonRow))
        consents = await u.session.scalar(select(func.count()).select_from(ConsentRow))
    return int(people or 0), int(consents or 0)


async def nudged_back(world: World, uid: int, expected_buttons: list[str]) -> None:
    """After junk, the bot says to use the buttons and asks the same question again."""
    note = await world.sb.wait_for_text(uid, USE_BUTTONS)
    assert note
    again = await world.sb.wait_for(uid, has_buttons)
    assert buttons(again) == expected_buttons


JUNK = [
    ("text", "随便说点什么"),
    ("long", "长" * 4096),
    ("mixed", "😀你好 hello مرحبا \u200b\u202e abc 🇨🇳"),
    ("sticker", None),
    ("photo", None),
]


async def send_junk(world: World, uid: int, kind: str, text: str | None) -> None:
    if kind == "sticker":
        await world.sb.send_sticker(uid)
    elif kind == "photo":
        await world.sb.send_photo(uid, caption="看")
    else:
        assert text is not None
        await world.sb.send_text(uid, text)


@pytest.mark.parametrize(("kind", "text"), JUNK, ids=[k for k, _ in JUNK])
async def test_junk_at_every_step(world: World, kind: str, text: str | None) -> None:
    uid = await world.user("测试")
    role_buttons = buttons(await start(world, uid))
    await send_junk(world, uid, kind, text)
    await nudged_back(world, uid, role_buttons)

    await press_and_wait(world, uid, "🧒 我是孩子或青少年", has_buttons)
    age_buttons = ["8–11 岁", "12–13 岁", "14–15 岁", "16–17 岁", "不想说"]
    await send_junk(world, uid, kind, text)
    await nudged_back(world, uid, age_buttons)

    await press_and_wait(world, uid, "14–15 岁", has_buttons)
    await send_junk(world, uid, kind, text)
    await nudged_back(world, uid, ["✅ 同意", "不同意", "了解更多"])
    assert (await world.person(uid)).role is None  # type: ignore[union-attr]

    await press_and_wait(world, uid, "✅ 同意")
    await send_junk(world, uid, kind, text)  # registered: a friendly pointer, never silence
    reply = await world.sb.wait_for(uid, lambda m: True)
    # A child is offered a counsellor on the reply itself (a guardian is told of /help).
    assert buttons(reply) == ["💬 找心理老师"], reply
    p = await world.person(uid)
    assert p is not None and p.role is Role.CHILD and p.consent is ConsentStatus.GIVEN


async def test_buttons_twice_old_and_forged(world: World) -> None:
    uid = await world.user("按两次")
    await start(world, uid)
    await press_and_wait(world, uid, "👵 我照顾孩子（父母 / 祖父母）", has_buttons)
    privacy = (await world.sb.bot_messages(uid))[-1]
    agree = next(
        b["callback_data"]
        for row in privacy["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == "✅ 同意"
    )
    await press_and_wait(world, uid, "✅ 同意", has_buttons)
    people, consents = await counts(world)

    # The same button again, from the old message: refused, nothing recorded twice.
    qid = await world.sb.press(uid, uid, privacy["message_id"], agree)
    answer = await world.sb.wait_callback_answer(qid)
    assert STALE in answer["text"]

    forged: list[str] = [
        "ob:role:guardian",
        "ob:age:99",
        "ob:consent:maybe",
        "ob:cage:12-14:x",
        "acc:lang:fr",
        "acc:stop:perhaps",
        "fam:guardian",
        "fam:child:maybe",
        "zz",
        "ob:" + "x" * 61,
        "\x00\x01",
        "ob:rel:' OR 1=1 --",
        "👀",
    ]
    for data in forged:
        qid = await world.sb.press(uid, uid, privacy["message_id"], data)
        answer: dict[str, Any] = await world.sb.wait_callback_answer(qid)
        assert answer["answered"], data
    assert await counts(world) == (people, consents)
    # The conversation carries on where it was.
    relation = (await world.sb.bot_messages(uid))[-1]
    assert buttons(relation) == [
        "妈妈",
        "爸爸",
        "奶奶",
        "爷爷",
        "外婆",
        "外公",
        "其他亲属",
        "其他",
    ]
    await press_and_wait(world, uid, "妈妈", has_buttons)
    p = await world.person(uid)
    assert p is not None and p.relation is not None


async def test_someone_elses_button_is_refused(world: World) -> None:
    """A callback carrying another flow's data (a child pressing a guardian-only action)."""
    uid = await world.user("孩子")
    await start(world, uid)
    msg = await press_and_wait(world, uid, "🧒 我是孩子或青少年", has_buttons)
    qid = await world.sb.press(uid, uid, msg["message_id"], "fam:child:yes")
    answer = await world.sb.wait_callback_answer(qid)
    assert STALE in answer["text"]
    async with world.uow() as u:
        from bot.db.models import InvitationRow

        made = await u.session.scalar(select(func.count()).select_from(InvitationRow))
    assert made == 0


async def test_a_failing_handler_apologises_and_the_bot_carries_on(world: World) -> None:
    uid = await world.user("出错了")
    other = await world.user("别人")
    # A 400 is final (a 5xx is retried, then queued: bot/telegram/replies.py): the handler fails.
    await world.sb.add_fault("400", "sendMessage", chat_id=uid, times=1)
    await world.sb.send_text(uid, "/help")
    sorry = await world.sb.wait_for_text(uid, "出了点问题", timeout=20)
    assert "/help" in sorry["text"]
    assert "12356" in (await world.say(uid, "/help"))["text"]
    assert "12356" in (await world.say(other, "/help"))["text"]
