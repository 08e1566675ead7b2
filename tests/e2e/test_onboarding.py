"""Every onboarding path, end to end: the real aiogram bot over HTTP against the sandbox."""

from __future__ import annotations

from bot.domain.people import AgeBand, ConsentStatus, PersonStatus, Role
from tests.e2e.chat import buttons, has_buttons, press_and_wait, start
from tests.e2e.harness import World
from tests.e2e.people import enrol_guardian, guardian_onboarding_in_chinese


async def test_guardian_in_chinese(world: World) -> None:
    await guardian_onboarding_in_chinese(world)


async def test_child_in_english(world: World) -> None:
    uid = await world.user("Tom", "en-GB")
    await start(world, uid)
    age = await press_and_wait(world, uid, "🧒 I am a child or teenager")
    assert "How old" in age["text"]
    privacy = await press_and_wait(world, uid, "16–17")
    assert "your privacy" in privacy["text"] and "under 14" not in privacy["text"]
    done = await press_and_wait(world, uid, "✅ I agree")
    assert "all set" in done["text"]
    p = await world.person(uid)
    assert p is not None and (p.role, p.age_band, p.consent) == (
        Role.CHILD,
        AgeBand.A16_17,
        ConsentStatus.GIVEN,
    )


async def test_young_child_and_guardian_consent(world: World) -> None:
    child = await world.user("小明")
    guardian = await world.user("爸爸")
    await start(world, child)
    await press_and_wait(world, child, "🧒 我是孩子或青少年")
    privacy = await press_and_wait(world, child, "12–13 岁")
    assert "14" in privacy["text"]
    wait = await press_and_wait(world, child, "✅ 同意")
    assert buttons(wait) == ["📨 生成链接给监护人"]
    kid = await world.person(child)
    assert kid is not None and kid.consent is ConsentStatus.AWAITING_GUARDIAN
    assert kid.age_band is None  # nothing beyond the wait is kept
    link_msg = await press_and_wait(world, child, "📨 生成链接给监护人")
    code = link_msg["text"].split("?start=")[1].split()[0]

    ask = await start(world, guardian, code)
    assert buttons(ask) == ["✅ 同意", "不同意", "了解更多"]  # role came with the link
    await press_and_wait(world, guardian, "✅ 同意")
    await press_and_wait(world, guardian, "妈妈")
    question = await press_and_wait(world, guardian, "12–14 岁")
    assert buttons(question) == ["✅ 是的，我同意", "不同意"]
    await world.sb.press_button(guardian, guardian, "✅ 是的，我同意")
    told = await world.sb.wait_for_text(child, "好消息")
    assert "监护人同意了" in told["text"]
    kid = await world.person(child)
    assert kid is not None and kid.consent is ConsentStatus.GIVEN
    async with world.uow() as u:
        g = await u.people.by_telegram_id(guardian)
        assert g is not None and g.id is not None
        assert [c.telegram_id for c in await u.families.children_of(g.id)] == [child]


async def test_consent_declined_keeps_nothing_but_help_works(world: World) -> None:
    uid = await world.user("匿名")
    await start(world, uid)
    await press_and_wait(world, uid, "🧒 我是孩子或青少年")
    await press_and_wait(world, uid, "14–15 岁")
    declined = await press_and_wait(world, uid, "不同意")
    assert "/help" in declined["text"]
    p = await world.person(uid)
    assert p is not None and p.consent is ConsentStatus.DECLINED
    assert (p.role, p.age_band, p.service_point_id) == (None, None, None)
    helped = await world.say(uid, "/help")
    assert "12356" in helped["text"] and "110" in helped["text"]
    counsellor = await world.say(uid, "💬 找心理老师")
    assert "12356" in counsellor["text"]


async def test_staff_invitation_valid_then_used(world: World) -> None:
    await world.sb.send_text(world.admin["id"], "/invite guardian", chat_id=world.staff_chat_id)
    reply = await world.sb.wait_for_text(world.staff_chat_id, "?start=")
    code = reply["text"].split("?start=")[1].split()[0]
    first = await world.user("外婆")
    await enrol_guardian(world, first, code)
    second = await world.user("外公")
    ask = await start(world, second, code)
    problem = [m for m in await world.sb.bot_messages(second) if "已经用过" in m["text"]]
    assert problem, "the second person is told the link was used"
    assert "👵 我照顾孩子（父母 / 祖父母）" in buttons(ask)  # and may still carry on


async def test_invitation_expired_and_forged(world: World) -> None:
    from datetime import timedelta

    from bot.ports import NewInvitation

    now = world.app.clock.now()
    async with world.uow() as u:
        await u.invitations.add(
            NewInvitation(
                "expired-code",
                Role.GUARDIAN,
                None,
                None,
                None,
                None,
                False,
                1,
                now - timedelta(minutes=1),
            )
        )
        await u.commit()
    uid = await world.user("张阿姨")
    await start(world, uid, "expired-code")
    texts = [m["text"] for m in await world.sb.bot_messages(uid)]
    assert any("过期" in t for t in texts)
    for forged in ["does-not-exist", "%%%%", "x" * 64]:
        other = await world.user("李叔")
        ask = await start(world, other, forged)
        assert buttons(ask)[0].startswith("👵")
        first = (await world.sb.bot_messages(other))[0]["text"]
        assert "认不出这个链接" in first
        p = await world.person(other)
        assert p is not None and p.service_point_id is None


async def test_stop_and_resume(world: World) -> None:
    uid = await world.user("妈妈")
    await enrol_guardian(world, uid)
    ask = await world.say(uid, "/stop")
    assert buttons(ask) == ["是的，停止", "不，继续接收"]
    await press_and_wait(world, uid, "是的，停止")
    assert (await world.person(uid)).status is PersonStatus.STOPPED  # type: ignore[union-attr]
    again = await world.say(uid, "退订")
    assert "已经" in again["text"]
    back = await world.say(uid, "/start")
    assert "欢迎回来" in back["text"]
    assert (await world.person(uid)).status is PersonStatus.ACTIVE  # type: ignore[union-attr]


async def test_language_switch(world: World) -> None:
    uid = await world.user("Lin")
    await world.sb.send_text(uid, "/language")
    await world.sb.wait_for(uid, lambda m: "English" in buttons(m))
    done = await press_and_wait(world, uid, "English")
    assert "English" in done["text"]
    assert (await world.person(uid)).locale == "en"  # type: ignore[union-attr]
    keyboard = await world.sb.reply_keyboard(uid)
    assert keyboard is not None and keyboard["keyboard"][0][0]["text"] == "💬 Talk to a counsellor"
    helped = await world.say(uid, "/help")  # asks for a counsellor, in the new language
    assert "counsellor" in helped["text"] and "12356" in helped["text"]
    chat_menu = await world.sb.bot_commands(scope=f"chat:{uid}")
    assert any(c["description"].startswith("Get help") for c in chat_menu)


async def test_command_menu_per_language(world: World) -> None:
    zh = await world.sb.bot_commands(language_code="zh", scope="all_private_chats")
    en = await world.sb.bot_commands(language_code="en", scope="all_private_chats")
    default = await world.sb.bot_commands(scope="all_private_chats")
    assert [c["command"] for c in zh] == [c["command"] for c in en]
    assert "help" in [c["command"] for c in zh]
    assert zh != en and default == zh


async def test_blocking_marks_inactive(world: World) -> None:
    uid = await world.user("不想再收")
    await enrol_guardian(world, uid)
    await world.sb.block(uid)
    for _ in range(50):
        p = await world.person(uid)
        if p is not None and p.status is PersonStatus.INACTIVE:
            break
        await world.sb.events(0, 0.05)
    assert (await world.person(uid)).status is PersonStatus.INACTIVE  # type: ignore[union-attr]


async def test_403_on_send_marks_inactive(world: World) -> None:
    """The child's chat answers 403 (blocked, and the my_chat_member update never came)."""
    child = await world.user("小红")
    guardian = await world.user("姥姥")
    await start(world, child)
    await press_and_wait(world, child, "🧒 我是孩子或青少年")
    await press_and_wait(world, child, "8–11 岁")
    await press_and_wait(world, child, "✅ 同意")
    link = await press_and_wait(world, child, "📨 生成链接给监护人")
    code = link["text"].split("?start=")[1].split()[0]
    await world.sb.add_fault("403", "sendMessage", chat_id=child)
    await start(world, guardian, code)
    await press_and_wait(world, guardian, "✅ 同意")
    await press_and_wait(world, guardian, "妈妈")
    await press_and_wait(world, guardian, "9–11 岁")
    await world.sb.press_button(guardian, guardian, "✅ 是的，我同意")
    for _ in range(60):
        kid = await world.person(child)
        if kid is not None and kid.status is PersonStatus.INACTIVE:
            break
        await world.sb.events(0, 0.05)
    kid = await world.person(child)
    assert kid is not None and kid.status is PersonStatus.INACTIVE
    assert kid.consent is ConsentStatus.GIVEN  # the guardian's decision stands


async def test_staff_role_and_non_staff_invite_ignored(world: World) -> None:
    uid = await world.user("Volunteer", "en")
    await start(world, uid)
    msg = await press_and_wait(world, uid, "🧑‍💼 I am staff")
    assert str(uid) in msg["text"]
    before = len(await world.sb.messages(world.staff_chat_id))
    await world.sb.send_text(world.outsider["id"], "/invite child", chat_id=world.staff_chat_id)
    await world.sb.send_text(world.admin["id"], "/invite nonsense", chat_id=world.staff_chat_id)
    usage = await world.sb.wait_for_text(world.staff_chat_id, "/invite guardian")
    assert usage
    after = await world.sb.messages(world.staff_chat_id)
    bot_replies = [m for m in after[before:] if m["from"]["is_bot"]]
    assert len(bot_replies) == 1  # the outsider got nothing


async def test_guardian_invites_child_and_service_point_carries(world: World) -> None:
    from bot.domain.people import ServicePointKind

    async with world.uow() as u:
        sp = await u.service_points.add(
            "SP-7",
            "城关镇儿童之家",
            ServicePointKind.CHILDREN_HOME,
            staff_chat_id=world.staff_chat_id,
        )
        await u.commit()
    await world.sb.send_text(
        world.admin["id"], "/invite guardian 5 3", chat_id=world.staff_chat_id
    )
    reply = await world.sb.wait_for_text(world.staff_chat_id, "?start=")
    assert "城关镇儿童之家" in reply["text"] and "5" in reply["text"]
    code = reply["text"].split("?start=")[1].split()[0]

    guardian = await world.user("爷爷")
    await start(world, guardian, code)
    welcome = (await world.sb.bot_messages(guardian))[0]["text"]
    assert "城关镇儿童之家" in welcome
    await press_and_wait(world, guardian, "✅ 同意")
    await press_and_wait(world, guardian, "爷爷")
    await press_and_wait(world, guardian, "6–8 岁", has_buttons)
    await press_and_wait(world, guardian, "周日", has_buttons)
    enrolled = await press_and_wait(world, guardian, "🌙 晚上 7 点", has_buttons)
    assert "每周日 19:00" in enrolled["text"]
    confirm = await press_and_wait(
        world, guardian, "📨 邀请我的孩子", lambda m: "取消" in buttons(m)
    )
    assert buttons(confirm) == ["✅ 同意并生成链接", "取消"]
    link = await press_and_wait(world, guardian, "✅ 同意并生成链接")
    child_code = link["text"].split("?start=")[1].split()[0]

    child = await world.user("小宝")
    ask = await start(world, child, child_code)
    assert "8–11 岁" in buttons(ask)  # a child's link skips the role question
    await press_and_wait(world, child, "8–11 岁")
    done = await press_and_wait(world, child, "✅ 同意")
    assert "💬" in done["text"]
    kid, grandpa = await world.person(child), await world.person(guardian)
    assert kid is not None and grandpa is not None
    assert kid.consent is ConsentStatus.GIVEN  # the guardian agreed when making the link
    assert kid.service_point_id == grandpa.service_point_id == sp.id
    async with world.uow() as u:
        assert [c.telegram_id for c in await u.families.children_of(grandpa.id or 0)] == [child]
    # The same child link a second time, by someone else: used, explained, nothing linked.
    stranger = await world.user("陌生人")
    await start(world, stranger, child_code)
    first = (await world.sb.bot_messages(stranger))[0]["text"]
    assert "已经用过" in first


async def guardian_child_link(world: World) -> tuple[int, str]:
    """A registered guardian and the one-use link they made for their child (consent given
    by making it)."""
    from bot.services.common import Who

    guardian = await world.user("外婆")
    await enrol_guardian(world, guardian)
    outcome = await world.app.services.family.make_child_invite(Who(guardian), True)
    return guardian, str(outcome.replies[0].data["link"]).split("?start=")[1]


async def children_of(world: World, guardian: int) -> list[int | None]:
    g = await world.person(guardian)
    assert g is not None and g.id is not None
    async with world.uow() as u:
        return [c.telegram_id for c in await u.families.children_of(g.id)]


async def test_two_young_children_race_for_one_guardian_link(world: World) -> None:
    """Issue 16, item 4: both open the link while it is still unused; the one who agrees
    second must not end with consent given and nobody's consent behind it."""
    guardian, code = await guardian_child_link(world)
    first, second = await world.user("小红"), await world.user("小刚")
    for kid in (first, second):
        await start(world, kid, code)
        privacy = await press_and_wait(world, kid, "12–13 岁")
        assert "14" not in privacy["text"]  # the link carries a guardian's consent, for now
    done = await press_and_wait(world, first, "✅ 同意")
    assert "💬" in done["text"]
    late = await press_and_wait(world, second, "✅ 同意", has_buttons)
    assert buttons(late) == ["📨 生成链接给监护人"]
    said = " ".join(m["text"] for m in await world.sb.bot_messages(second))
    assert "已经用过" in said
    one, two = await world.person(first), await world.person(second)
    assert one is not None and one.consent is ConsentStatus.GIVEN
    assert two is not None and two.consent is ConsentStatus.AWAITING_GUARDIAN
    assert two.age_band is None  # nothing beyond the wait is kept
    assert await children_of(world, guardian) == [first]


async def test_guardian_link_expiring_before_a_young_child_agrees(world: World) -> None:
    guardian, code = await guardian_child_link(world)
    kid = await world.user("小兰")
    await start(world, kid, code)
    await press_and_wait(world, kid, "12–13 岁")
    world.clock.advance(days=world.app.settings.invite_days, minutes=1)
    late = await press_and_wait(world, kid, "✅ 同意", has_buttons)
    assert buttons(late) == ["📨 生成链接给监护人"]
    said = " ".join(m["text"] for m in await world.sb.bot_messages(kid))
    assert "过期" in said
    p = await world.person(kid)
    assert p is not None and p.consent is ConsentStatus.AWAITING_GUARDIAN and p.age_band is None
    assert await children_of(world, guardian) == []
