"""A guardian's lesson weeks, end to end through the sandbox with a clock we can move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select

from bot.db.models import OutboxRow
from bot.domain.lessons import EnrolmentStatus
from bot.domain.people import PersonStatus
from tests.e2e.chat import buttons, has, press_and_wait, start
from tests.e2e.harness import World, running_world
from tests.e2e.people import enrol, lessons_received


async def test_guardian_gets_lesson_one_reads_answers_and_checks_in(world: World) -> None:
    uid = await world.user("李奶奶")
    await enrol(world, uid)
    first = await world.sb.wait_for(uid, lambda m: (m.get("text") or "").startswith("📖"))
    assert "留意孩子的心情" in first["text"] and buttons(first) == ["下一条 ▶"]
    # Read on, one message at a time, to the question.
    msg = first
    for _ in range(10):
        label = buttons(msg)[0]
        if label != "下一条 ▶":
            break
        msg = await press_and_wait(world, uid, "下一条 ▶")
    assert buttons(msg) == ["回答一个小问题 ▶"]
    question = await press_and_wait(world, uid, "回答一个小问题 ▶")
    assert question["text"].startswith("❓") and len(buttons(question)) == 3
    await world.sb.press(
        uid,
        uid,
        question["message_id"],
        question["reply_markup"]["inline_keyboard"][1][0]["callback_data"],
    )
    task = await world.sb.wait_for_text(uid, "这周的小任务")
    assert "3 天后" in task["text"]

    for _ in range(100):  # the sender records delivery just after Telegram accepted it
        async with world.uow() as u:
            person = await u.people.by_telegram_id(uid)
            assert person is not None and person.id is not None
            enrolment = await u.enrolments.get(person.id, "guardian")
            assert enrolment is not None and enrolment.id is not None
            (progress,) = await u.progress.for_enrolment(enrolment.id)
        if progress.checkin_due_at is not None:
            break
        await world.sb.events(0, 0.05)
    assert progress.delivered_at is not None and progress.answer_index == 1
    assert progress.parts_read == 5 and progress.task_shown_at is not None
    assert progress.checkin_due_at is not None
    local = progress.checkin_due_at.astimezone(enrolment.tz)
    assert (
        local.hour == 19
        and (local.date() - progress.delivered_at.astimezone(enrolment.tz).date()).days == 3
    )

    # Three days later, at her hour, the check-in arrives by itself.
    world.clock.advance(seconds=(progress.checkin_due_at - world.clock.now()).total_seconds() + 1)
    world.app.delivery.nudge()
    checkin = await world.sb.wait_for_text(uid, "这周的小任务是", timeout=10)
    assert buttons(checkin) == ["试过了，挺好", "试过了，不太顺利", "还没有"]
    await world.sb.press_button(uid, uid, "试过了，不太顺利")
    tip = await world.sb.wait_for(uid, has("找心理老师"))
    assert "聊聊" in tip["text"]

    # Lesson 2 comes at the chosen slot: Sunday 19:00, Shanghai time.
    async with world.uow() as u:
        enrolment = await u.enrolments.get(person.id, "guardian")
    assert enrolment is not None and enrolment.next_due_at is not None
    due_local = enrolment.next_due_at.astimezone(enrolment.tz)
    assert (due_local.weekday(), due_local.hour, due_local.minute) == (6, 19, 0)
    world.clock.advance(seconds=(enrolment.next_due_at - world.clock.now()).total_seconds() + 5)
    result = await world.app.services.lessons.queue_due(world.clock.now())
    assert result.queued == 1
    world.app.delivery.nudge()
    second = await world.sb.wait_for(
        uid,
        lambda m: "远方" in (m.get("text") or "") or "离得远" in (m.get("text") or ""),
        timeout=10,
    )
    assert second["text"].startswith("📖")
    # The same instant again queues nothing: no lesson twice in a week.
    again = await world.app.services.lessons.queue_due(world.clock.now())
    assert again.queued == 0
    assert len(await lessons_received(world, uid)) == 2

    # By their words, not as the first thing the bot posts: the edit that takes the answered
    # check-in's buttons away (lesson 2 made them stale) may come between.
    await world.sb.send_text(uid, "/progress")
    await world.sb.wait_for(uid, lambda m: "✅📖⬜" in (m.get("text") or ""))
    await world.sb.send_text(uid, "/lessons")
    listing = await world.sb.wait_for(uid, lambda m: "想重看" in (m.get("text") or ""))
    assert len(buttons(listing)) == 2


async def test_schedule_pause_resume(world: World) -> None:
    uid = await world.user("王爷爷")
    await enrol(world, uid, "周三", "☀️ 中午 12 点")
    await world.sb.wait_for(uid, lambda m: (m.get("text") or "").startswith("📖"))
    await world.sb.send_text(uid, "/schedule")
    await world.sb.wait_for(uid, has("周五"))
    await press_and_wait(world, uid, "周五", has("🌅 早上 8 点"))
    changed = await press_and_wait(world, uid, "🌅 早上 8 点")
    assert "每周五 8:00" in changed["text"]
    await world.sb.send_text(uid, "/pause")
    await world.sb.wait_for(uid, has("2 周"))
    paused = await press_and_wait(world, uid, "2 周")
    assert "暂停到" in paused["text"]
    async with world.uow() as u:
        person = await u.people.by_telegram_id(uid)
        assert person is not None and person.id is not None
        e = await u.enrolments.get(person.id, "guardian")
    assert e is not None and e.status is EnrolmentStatus.PAUSED and e.paused_until is not None
    # While paused, a due slot sends nothing.
    world.clock.advance(days=8)
    assert (await world.app.services.lessons.queue_due(world.clock.now())).queued == 0
    resumed = await world.say(uid, "/resume")
    assert "每周五 8:00" in resumed["text"]


async def test_blocked_guardian_is_marked_inactive_by_the_sender(world: World) -> None:
    uid = await world.user("拉黑了")
    await enrol(world, uid)
    await world.sb.wait_for(uid, lambda m: (m.get("text") or "").startswith("📖"))
    # The block is seen only when sending (the my_chat_member update was lost).
    await world.sb.add_fault("403", "sendMessage", chat_id=uid)
    async with world.uow() as u:
        person = await u.people.by_telegram_id(uid)
        assert person is not None and person.id is not None
        e = await u.enrolments.get(person.id, "guardian")
    assert e is not None and e.next_due_at is not None
    world.clock.advance(seconds=(e.next_due_at - world.clock.now()).total_seconds() + 5)
    assert (await world.app.services.lessons.queue_due(world.clock.now())).queued == 1
    world.app.delivery.nudge()
    for _ in range(100):
        p = await world.person(uid)
        if p is not None and p.status is PersonStatus.INACTIVE:
            break
        await world.sb.events(0, 0.05)
    p = await world.person(uid)
    assert p is not None and p.status is PersonStatus.INACTIVE
    async with world.uow() as u:
        rows = (
            await u.session.execute(
                select(OutboxRow.kind, OutboxRow.status)
                .where(OutboxRow.chat_id == uid)
                .order_by(OutboxRow.id)
            )
        ).all()
    # Week 1 went out; week 2 met the 403; anything else pending to that chat stops with it.
    assert [tuple(r) for r in rows if r[0] == "lesson"] == [
        ("lesson", "sent"),
        ("lesson", "blocked"),
    ]
    assert not [r for r in rows if r[1] in ("pending", "sending")]
    # An inactive guardian is not queued again the week after.
    world.clock.advance(days=7)
    assert (await world.app.services.lessons.queue_due(world.clock.now())).queued == 0


async def test_quiet_hours_hold_a_late_delivery(db_url: str) -> None:
    async with running_world(db_url, quiet_hours="21:30-07:00") as world:
        await quiet_hours_hold_a_late_delivery(world)


async def quiet_hours_hold_a_late_delivery(world: World) -> None:
    """A fan-out running at 23:00 Shanghai (e.g. after an outage) waits until 07:00."""
    noon = datetime(2030, 1, 6, 4, 0, tzinfo=UTC)  # enrol at midday, whatever the real hour
    world.clock.advance(seconds=(noon - world.clock.now()).total_seconds())
    uid = await world.user("夜里")
    await enrol(world, uid)
    await world.sb.wait_for(uid, lambda m: (m.get("text") or "").startswith("📖"))
    late = datetime(2030, 1, 6, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai, a Sunday
    world.clock.advance(seconds=(late - world.clock.now()).total_seconds())
    assert (await world.app.services.lessons.queue_due(world.clock.now())).queued == 1
    async with world.uow() as u:
        row = await u.session.scalar(
            select(OutboxRow).where(OutboxRow.kind == "lesson").order_by(OutboxRow.id.desc())
        )
        assert row is not None
        due_at = row.due_at
    local = due_at.astimezone(timezone(timedelta(hours=8)))
    assert (local.hour, local.minute) == (7, 0)


# -- a child's own lessons: read from /lessons, in the child's age band ----------------------


async def child_aged(world: World, uid: int, role: str, age: str, agree: str) -> None:
    await start(world, uid)
    await press_and_wait(world, uid, role)
    await press_and_wait(world, uid, age)
    done = await press_and_wait(world, uid, agree)
    assert "/lessons" in done["text"]  # a child learns their lessons are there


async def test_a_child_reads_their_own_lessons_with_sources(world: World) -> None:
    from sqlalchemy import update

    from bot.db.models import PersonRow

    uid = await world.user("小雨")
    await child_aged(world, uid, "🧒 我是孩子或青少年", "14–15 岁", "✅ 同意")
    listing = await world.say(uid, "/lessons")
    assert buttons(listing) == ["说出你的感受", "应对挫折", "去哪里找帮助"]
    first = await press_and_wait(world, uid, "应对挫折")
    assert first["text"].startswith("📖") and "应对挫折" in first["text"]
    assert buttons(first) == ["下一条 ▶"]
    assert "来源" not in first["text"]
    await press_and_wait(world, uid, "下一条 ▶")
    last = await press_and_wait(world, uid, "下一条 ▶")
    assert "来源：民发〔2023〕61号" in last["text"] and buttons(last) == ["回答一个小问题 ▶"]
    question = await press_and_wait(world, uid, "回答一个小问题 ▶")
    assert question["text"].startswith("❓") and len(buttons(question)) == 3
    await world.sb.press_button(uid, uid, "找出问题，定个计划")
    task = await world.sb.wait_for_text(uid, "试一试")
    assert "/lessons" in task["text"] and "/help" in task["text"]
    # No schedule, no enrolment: /schedule shows the same lessons, never the guardians'.
    again = await world.say(uid, "/schedule")
    assert buttons(again) == ["说出你的感受", "应对挫折", "去哪里找帮助"]
    person = await world.person(uid)
    assert person is not None and person.id is not None
    # A forged button (a lesson that does not exist, or the guardians' schedule) does nothing.
    for forged in ("ls:k:99:0", "ls:day:6", "ls:hour:6:19"):
        qid = await world.sb.press(uid, uid, again["message_id"], forged)
        assert (await world.sb.wait_callback_answer(qid)).get("text"), forged
    async with world.uow() as u:
        assert await u.enrolments.get(person.id, "guardian") is None
    # A younger child gets the 8–11 lessons.
    async with world.uow() as u:
        await u.session.execute(  # type: ignore[attr-defined]
            update(PersonRow).where(PersonRow.telegram_id == uid).values(age_band="8-11")
        )
        await u.commit()
    younger = await world.say(uid, "/lessons")
    assert buttons(younger) == ["我现在是什么心情？", "事情搞砸了怎么办", "谁能帮我？"]


async def test_a_child_reads_lessons_in_english(world: World) -> None:
    uid = await world.user("Tom", "en-GB")
    await child_aged(world, uid, "🧒 I am a child or teenager", "16–17", "✅ I agree")
    listing = await world.say(uid, "/lessons")
    assert buttons(listing) == [
        "Naming what you feel",
        "Coping with setbacks",
        "Where to get help",
    ]
    first = await press_and_wait(world, uid, "Where to get help")
    assert "Where to get help" in first["text"]
    await press_and_wait(world, uid, "Next ▶")
    last = await press_and_wait(world, uid, "Next ▶")
    assert "Sources: " in last["text"] and "110" in last["text"]


async def test_a_guardians_last_lesson_message_names_its_sources(world: World) -> None:
    uid = await world.user("张奶奶")
    await enrol(world, uid)
    msg = await world.sb.wait_for(uid, lambda m: (m.get("text") or "").startswith("📖"))
    assert "来源" not in msg["text"]
    while buttons(msg) == ["下一条 ▶"]:
        msg = await press_and_wait(world, uid, "下一条 ▶")
    assert "📚" in msg["text"] and "来源：" in msg["text"] and "mhGAP" in msg["text"]
    # A child's lesson button pressed by a guardian opens nothing.
    qid = await world.sb.press(uid, uid, msg["message_id"], "ls:k:0:0")
    assert (await world.sb.wait_callback_answer(qid)).get("text")
