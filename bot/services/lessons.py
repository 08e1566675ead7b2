"""The weekly lesson programme: scheduling, reading a lesson one message at a time, the check
question, the task and the check-in. See docs/lessons.md for the flow diagram.

Callback data (all validated against the database, never trusted):
  ls:day:D            choose weekday D (0 = Monday)
  ls:hour:D:H         choose weekday D at hour H
  ls:n:E:K            enrolment E: show part K of its current lesson (messages, then question)
  ls:a:E:L:I          enrolment E, lesson index L: answer option I of the check question
  ls:c:E:L:KEY        enrolment E, lesson index L: check-in answer KEY
  ls:r:E:L            reread lesson index L
  ls:k:L:K            a child: show part K of lesson L of their age band's programme
  ls:ka:L:I           a child: answer option I of that lesson's check question
  ls:p:DAYS           pause for DAYS days (0: until /resume)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.lessons import (
    Enrolment,
    EnrolmentStatus,
    Lesson,
    PauseReason,
    Programme,
    Progress,
    QuietHours,
    SilencePolicy,
    checkin_time,
    next_slot,
)
from bot.domain.outbox import NewMessage, OutboxItem, Priority
from bot.domain.people import Person, Role
from bot.domain.replies import Choice, Keyboard, Outcome, Reply, rows
from bot.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.common import Who
from bot.services.outbox.kinds import RowKinds

STALE = "toast.stale"
WEEKDAYS = range(7)
PAUSE_CHOICES = (7, 14, 28, 0)
# Outbox kinds this service composes.
LESSON_KINDS = ("lesson", "checkin", "nudge", "auto_paused", "completed")


@dataclass(frozen=True, slots=True)
class LessonPolicy:
    timezone: str = "Asia/Shanghai"
    default_weekday: int = 6
    default_hour: int = 19
    hours: tuple[int, ...] = (8, 12, 19, 20)
    # Minutes past one of those hours a guardian may type ("晚上七点半"); the buttons are
    # on the hour.
    minutes: tuple[int, ...] = (0, 30)
    quiet: QuietHours = field(default_factory=lambda: QuietHours.parse("21:30-07:00"))
    silence: SilencePolicy = field(default_factory=SilencePolicy)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def programme_for(person: Person) -> str:
    return "staff" if person.role is not None and person.role.is_staff else "guardian"


def ask_weekday(template: str = "lessons/ask_weekday") -> Reply:
    return Reply(
        template,
        choices=rows(*(Choice(f"btn.day.{d}", f"ls:day:{d}") for d in WEEKDAYS), width=4),
    )


def when_data(weekday: int, hour: int, minute: int = 0) -> dict[str, int]:
    return {"weekday": weekday, "hour": hour, "minute": minute}


def lesson_message(lesson: Lesson, enrolment_id: int, index: int, part: int) -> Reply:
    """Part `part` of a lesson: a message with "next", or the check question."""
    return _lesson_part(
        lesson, part, f"ls:n:{enrolment_id}:{index}", f"ls:a:{enrolment_id}:{index}"
    )


def child_lesson_message(lesson: Lesson, index: int, part: int) -> Reply:
    """The same for a child's lesson, which belongs to no enrolment: only its index travels."""
    return _lesson_part(lesson, part, f"ls:k:{index}", f"ls:ka:{index}")


def _lesson_part(lesson: Lesson, part: int, step: str, answer: str) -> Reply:
    last = len(lesson.messages) - 1
    if part <= last:
        label = "btn.lesson.next" if part < last else "btn.lesson.question"
        return Reply(
            "lessons/part",
            {
                "title": lesson.title,
                "text": lesson.messages[part],
                "n": part + 1,
                "total": len(lesson.messages),
                "first": part == 0,
                # Under the last message, so whoever reads to the end sees what it rests on.
                "sources": lesson.sources if part == last else "",
            },
            choices=rows(Choice(label, f"{step}:{part + 1}")),
        )
    return Reply(
        "lessons/question",
        {"prompt": lesson.prompt},
        choices=rows(
            *(
                Choice("btn.raw", f"{answer}:{i}", label_data={"text": o.label})
                for i, o in enumerate(lesson.options)
            )
        ),
    )


def checkin_message(lesson: Lesson, enrolment_id: int, index: int) -> Reply:
    return Reply(
        "lessons/checkin",
        {"prompt": lesson.checkin_prompt, "task": lesson.task},
        choices=rows(
            *(
                Choice(
                    "btn.raw", f"ls:c:{enrolment_id}:{index}:{o.key}", label_data={"text": o.label}
                )
                for o in lesson.checkin_options
            )
        ),
    )


@dataclass(frozen=True, slots=True)
class FanOut:
    """What one run of the weekly fan-out did."""

    queued: int = 0
    completed: int = 0
    pages: int = 0


class Lessons:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        programmes: Mapping[str, Programme],
        policy: LessonPolicy,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.programmes = programmes
        self.policy = policy

    # -- scheduling ----------------------------------------------------------------------

    def ask_hour(self, weekday: int) -> Reply:
        return Reply(
            "lessons/ask_hour",
            {"weekday": weekday},
            choices=rows(
                *(Choice(f"btn.hour.{h}", f"ls:hour:{weekday}:{h}") for h in self.policy.hours),
                width=2,
            ),
        )

    async def choose_day(self, who: Who, value: str) -> Outcome:
        if not value.isdecimal() or int(value) not in WEEKDAYS:  # int() raises on "²"
            return Outcome(toast=STALE)
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
        if person is None or not person.registered or person.role is Role.CHILD:
            return Outcome(toast=STALE)
        return Outcome.of(self.ask_hour(int(value)))

    async def set_schedule(self, who: Who, weekday: str, hour: str, minute: str = "0") -> Outcome:
        """Enrol (and send the first lesson at once), or move an existing enrolment."""
        if not all(v.isdecimal() and len(v) < 3 for v in (weekday, hour, minute)):
            return Outcome(toast=STALE)  # int() raises on "²"
        day, hr, mm = int(weekday), int(hour), int(minute)
        if day not in WEEKDAYS or hr not in self.policy.hours or mm not in self.policy.minutes:
            return Outcome(toast=STALE)
        now = self.clock.now()
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            if person is None or person.id is None or not person.registered:
                return Outcome(toast=STALE)
            if person.role is Role.CHILD:  # a child reads their own lessons, unscheduled
                return Outcome(toast=STALE)
            programme = self.programmes[programme_for(person)]
            enrolment = await uow.enrolments.get(person.id, programme.name)
            first = enrolment is None
            if enrolment is None:
                enrolment = Enrolment(
                    person_id=person.id,
                    programme=programme.name,
                    weekday=day,
                    hour=hr,
                    minute=mm,
                    timezone=self.policy.timezone,
                    last_active_at=now,
                )
                enrolment = await uow.enrolments.add(enrolment)
            assert enrolment.id is not None
            fields: dict[str, object] = {
                "weekday": day,
                "hour": hr,
                "minute": mm,
                "last_active_at": now,
            }
            if enrolment.status in (EnrolmentStatus.ACTIVE, EnrolmentStatus.PAUSED):
                fields.update(
                    status=EnrolmentStatus.ACTIVE,
                    paused_until=None,
                    pause_reason=None,
                    next_due_at=next_slot(now, day, hr, enrolment.tz, mm),
                )
            if first:
                # The welcome lesson comes right away; the next one at the chosen time.
                await self._queue_lesson(uow, enrolment, person, now, Priority.INTERACTIVE)
                fields["next_index"] = enrolment.next_index
            await uow.enrolments.update(enrolment.id, **fields)
            await uow.commit()
        template = "lessons/enrolled" if first else "lessons/schedule_changed"
        choices = (
            rows(Choice("btn.invite_child", "fam:child"))
            if person.role is Role.GUARDIAN and first
            else ()
        )
        return Outcome.of(
            Reply(template, when_data(day, hr, mm), choices=choices, keyboard=Keyboard.HELP)
        )

    async def _queue_lesson(
        self,
        uow: UnitOfWork,
        enrolment: Enrolment,
        person: Person,
        now: datetime,
        priority: Priority,
    ) -> bool:
        assert enrolment.id is not None
        programme = self.programmes[enrolment.programme]
        lesson = programme.at(enrolment.next_index)
        if lesson is None or person.telegram_id is None:
            return False
        await uow.progress.add_many(
            [Progress(enrolment.id, lesson.id, lesson.version, lesson.week, scheduled_for=now)]
        )
        row = self._lesson_row(
            enrolment.id,
            enrolment.next_index,
            lesson,
            person.telegram_id,
            person.locale,
            person.id,
            now,
            enrolment.tz,
            priority,
        )
        await uow.outbox.enqueue([row])
        await uow.holds.hold_during_cases([row.key])
        enrolment.next_index += 1
        return True

    async def bring_forward(self, telegram_id: int) -> str:
        """Send a guardian's next lesson now instead of at its slot (the demo's "this week's
        lesson now"); the one after comes a week after the slot this one replaced, so the
        programme keeps its one-a-week rhythm. Returns "sent", "paused", "finished" or "none"."""
        now = self.clock.now()
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(telegram_id)
            if person is None or person.id is None or person.role is Role.CHILD:
                return "none"
            enrolment = await uow.enrolments.get(person.id, programme_for(person))
            if enrolment is None or enrolment.id is None:
                return "none"
            if enrolment.status is EnrolmentStatus.PAUSED:
                return "paused"
            if enrolment.status is not EnrolmentStatus.ACTIVE:
                return "finished"
            replaced = max(now, enrolment.next_due_at or now)
            if not await self._queue_lesson(uow, enrolment, person, now, Priority.INTERACTIVE):
                return "finished"
            await uow.enrolments.update(
                enrolment.id,
                next_index=enrolment.next_index,
                next_due_at=next_slot(
                    replaced, enrolment.weekday, enrolment.hour, enrolment.tz, enrolment.minute
                ),
            )
            await uow.commit()
        return "sent"

    def _lesson_row(
        self,
        enrolment_id: int,
        index: int,
        lesson: Lesson,
        telegram_id: int,
        locale: str,
        person_id: int | None,
        now: datetime,
        tz: ZoneInfo,
        priority: Priority = Priority.LESSON,
    ) -> NewMessage:
        return NewMessage(
            key=f"lesson:{enrolment_id}:{lesson.id}",
            chat_id=telegram_id,
            kind="lesson",
            priority=priority,
            locale=locale,
            due_at=self.policy.quiet.defer(now, tz),
            payload={"e": enrolment_id, "i": index, "p": lesson.programme},
            person_id=person_id,
        )

    # -- the weekly fan-out ----------------------------------------------------------------

    async def queue_due(
        self, now: datetime | None = None, page: int = 5000, *, recorded: datetime | None = None
    ) -> FanOut:
        """Queue every lesson due at `now`, a page of enrolments at a time; the rows say they
        were made at `recorded` (default `now`: an operator may queue a later instant's lessons).

        Each page is one transaction of a few set-based statements (nothing per guardian in
        Python). A crash loses nothing and repeats nothing: the outbox key and the progress
        row are unique per enrolment and lesson. A guardian whose slot was missed (the bot was
        down) gets that lesson once, and the next one at the first slot after now.
        """
        now = now or self.clock.now()
        queued = completed = pages = 0
        after = 0
        while True:
            async with self.uow() as uow:
                ids, groups = await uow.fanout.due_page(now, after, page)
                if not ids:
                    break
                pages += 1
                after = ids[-1]
                for group in groups:
                    programme = self.programmes[group.programme]
                    tz = ZoneInfo(group.timezone)
                    q, c = await uow.fanout.queue_group(
                        ids,
                        group,
                        [(lesson.id, lesson.version, lesson.week) for lesson in programme.lessons],
                        self.policy.quiet.defer(now, tz),
                        next_slot(now, group.weekday, group.hour, tz, group.minute),
                        recorded or now,
                    )
                    queued += q
                    completed += c
                await uow.commit()
        return FanOut(queued, completed, pages)

    def row_kinds(self) -> RowKinds:
        """Lessons, check-ins, nudges and notices: composed from the programme when their turn
        comes; once sent, delivery is recorded and each lesson's check-in booked."""
        return RowKinds(LESSON_KINDS, self.compose, after_sent=self.settle_sent)

    async def settle_sent(self, items: Sequence[OutboxItem], now: datetime) -> None:
        """After a batch went out: record delivery and book each lesson's check-in.

        A few set-based statements per batch, not queries per message, so sending stays
        fast; `settle_pending` repeats it for anything a crash left unsettled (idempotent).
        """
        async with self.uow() as uow:
            await self._settle_lessons(uow, [i.payload for i in items if i.kind == "lesson"], now)
            for item in items:
                if item.kind == "checkin":
                    await self._settle_checkin(uow, item.payload, now)
            await uow.commit()

    async def _settle_lessons(
        self, uow: UnitOfWork, payloads: Sequence[Mapping[str, object]], now: datetime
    ) -> None:
        wanted: set[tuple[int, int]] = set()
        for p in payloads:
            e_id, index = p.get("e"), p.get("i")
            if isinstance(e_id, int) and isinstance(index, int):
                wanted.add((e_id, index))
        if not wanted:
            return
        enrolments = await uow.enrolments.with_people([e for e, _ in wanted])
        marks: list[tuple[int, str, datetime, datetime]] = []
        checkins: list[NewMessage] = []
        for e_id, index in sorted(wanted):
            found = enrolments.get(e_id)
            if found is None:
                continue
            enrolment, telegram_id, locale = found
            lesson = self.programmes[enrolment.programme].at(index)
            if lesson is None:
                continue
            due = checkin_time(
                now, lesson.checkin_after_days, enrolment.hour, enrolment.tz, enrolment.minute
            )
            checkin_due = self.policy.quiet.defer(due, enrolment.tz)
            marks.append((e_id, lesson.id, now, checkin_due))
            checkins.append(
                NewMessage(
                    key=f"checkin:{e_id}:{lesson.id}",
                    chat_id=telegram_id,
                    kind="checkin",
                    priority=Priority.LESSON,
                    locale=locale,
                    due_at=checkin_due,
                    payload={"e": e_id, "i": index, "p": enrolment.programme},
                    person_id=enrolment.person_id,
                )
            )
        await uow.progress.mark_delivered(marks)
        await uow.outbox.enqueue(checkins)
        await uow.holds.hold_during_cases([m.key for m in checkins])

    async def settle_pending(self, now: datetime | None = None) -> int:
        """Catch up on lessons the outbox sent but nobody recorded (after a crash)."""
        now = now or self.clock.now()
        settled = 0
        async with self.uow() as uow:
            for payload, sent_at in await uow.progress.sent_unsettled(500):
                await self._settle_lessons(uow, [payload], sent_at or now)
                settled += 1
            await uow.commit()
        return settled

    async def _settle_checkin(
        self, uow: UnitOfWork, payload: Mapping[str, object], now: datetime
    ) -> None:
        enrolment, lesson, _ = await self._lesson_of(uow, payload)
        if enrolment is None or lesson is None or enrolment.id is None:
            return
        progress = await uow.progress.get(enrolment.id, lesson.id)
        if progress is not None and progress.id is not None:
            await uow.progress.update(
                progress.id, only_if_unset="checkin_sent_at", checkin_sent_at=now
            )

    async def compose(
        self, uow_factory: UnitOfWorkFactory, kind: str, payload: Mapping[str, object]
    ) -> Reply | None:
        """What an outbox row of ours says when it is sent (None: no longer needed).

        A lesson is composed from its payload alone: at broadcast rates every query counts.
        """
        e_id, index = payload.get("e"), payload.get("i", -1)
        if kind == "lesson" and isinstance(e_id, int) and isinstance(index, int):
            programme = self.programmes.get(str(payload.get("p", "")))
            lesson = programme.at(index) if programme else None
            return lesson_message(lesson, e_id, index, 0) if lesson else None
        if kind == "checkin":
            async with uow_factory() as uow:
                enrolment, lesson, index = await self._lesson_of(uow, payload)
                if enrolment is None or enrolment.id is None or lesson is None:
                    return None
                progress = await uow.progress.get(enrolment.id, lesson.id)
            if progress is not None and progress.checkin_answer is not None:
                return None  # answered already (they reread and pressed ahead)
            return checkin_message(lesson, enrolment.id, index)
        static = {
            "nudge": "lessons/nudge",
            "auto_paused": "lessons/auto_paused",
            "completed": "lessons/completed",
        }
        return Reply(static[kind], keyboard=Keyboard.HELP) if kind in static else None

    async def _lesson_of(
        self, uow: UnitOfWork, payload: Mapping[str, object]
    ) -> tuple[Enrolment | None, Lesson | None, int]:
        e_id, index = payload.get("e"), payload.get("i", -1)
        if not isinstance(e_id, int) or not isinstance(index, int):
            return None, None, -1
        enrolment = await uow.enrolments.by_id(e_id)
        if enrolment is None:
            return None, None, index
        return enrolment, self.programmes[enrolment.programme].at(index), index

    # -- silence, pauses -------------------------------------------------------------------

    async def review_silence(self, now: datetime | None = None, page: int = 500) -> dict[str, int]:
        """Nudge after two quiet weeks; pause (and say so) after four."""
        now = now or self.clock.now()
        cutoff = now - self.policy.silence.nudge_after
        counts = {"nudged": 0, "paused": 0}
        after = 0
        while True:
            async with self.uow() as uow:
                silent = await uow.enrolments.silent(cutoff, after, page)
                if not silent:
                    break
                messages: list[NewMessage] = []
                for item in silent:
                    e = item.enrolment
                    assert e.id is not None
                    after = e.id
                    verdict = self.policy.silence.verdict(e.last_active_at, e.nudged_at, now)
                    if not verdict:
                        continue
                    if verdict == "pause":
                        await uow.enrolments.update(
                            e.id,
                            status=EnrolmentStatus.PAUSED,
                            pause_reason=PauseReason.SILENT,
                            paused_until=None,
                        )
                        counts["paused"] += 1
                    else:
                        await uow.enrolments.update(e.id, nudged_at=now)
                        counts["nudged"] += 1
                    kind = "auto_paused" if verdict == "pause" else "nudge"
                    messages.append(
                        NewMessage(
                            key=f"{kind}:{e.id}:{e.last_active_at.isoformat()}",
                            chat_id=item.telegram_id,
                            kind=kind,
                            priority=Priority.LESSON,
                            locale=item.locale,
                            due_at=self.policy.quiet.defer(now, e.tz),
                            payload={"e": e.id},
                            person_id=e.person_id,
                        )
                    )
                await uow.outbox.enqueue(messages)
                await uow.holds.hold_during_cases([m.key for m in messages])
                await uow.commit()
        return counts

    async def resume_due(self, now: datetime | None = None) -> int:
        """Pauses with an end date end by themselves."""
        now = now or self.clock.now()
        resumed = 0
        after = 0
        while True:
            async with self.uow() as uow:
                page = await uow.enrolments.paused_until_before(now, after, 500)
                if not page:
                    break
                for item in page:
                    e = item.enrolment
                    assert e.id is not None
                    after = e.id
                    await uow.enrolments.update(
                        e.id,
                        status=EnrolmentStatus.ACTIVE,
                        paused_until=None,
                        pause_reason=None,
                        last_active_at=now,
                        next_due_at=next_slot(now, e.weekday, e.hour, e.tz, e.minute),
                    )
                    resumed += 1
                await uow.commit()
        return resumed
