"""Screening asked for by staff (`/screen <code> <form> [every N days]`) and the ticker job
that sends each plan's invitation when it falls due, at an hour when a push is welcome."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.numbers import parse_int
from bot.domain.outbox import NewMessage, Priority
from bot.domain.people import Person, Role
from bot.domain.replies import Choice, Reply, reply_to_data, rows
from bot.domain.screening import Instrument, Respondent, Subject
from bot.ports import UnitOfWork
from bot.services.child_file.desk import Desk, DeskWork, within_reach
from bot.services.child_file.hours import outside_school_and_quiet
from bot.services.common import person_by_ref
from bot.services.outbox.kinds import RowKinds
from bot.services.outbox.notify import compose_reply

INVITE_KIND = "screening_invite"
# A scheduled screening's invitation is a plain Reply queued ahead of its time.
INVITATIONS = RowKinds((INVITE_KIND,), compose_reply)


def every_days(words: list[str]) -> int | None:
    """The interval of `/screen`'s optional third word ("every 30 days" ends in 30): 0 for
    once, None when it is not 1 to 366 days."""
    if len(words) < 3:
        return 0
    # Decimal digits only: int() raises on "²", which str.isdigit() accepts.
    digits = "".join(c for c in words[-1] if c.isdecimal())
    return parse_int(digits, 366, 1)


async def respondents(
    uow: UnitOfWork, person: Person, instrument: Instrument
) -> list[tuple[Person, str]]:
    """Who is asked, and the button they press: a form a guardian fills in about a child
    goes to the child's guardians (the child may have no Telegram at all)."""
    if person.role is Role.CHILD and instrument.respondent is Respondent.GUARDIAN:
        return [
            (g, f"sc:child:{instrument.id}:{person.id}")
            for g in await uow.families.guardians_of(person.id or 0)
            if g.telegram_id is not None
        ]
    if person.telegram_id is None:
        return []
    # A child's self-report never goes to a guardian, nor an adult's form to a child.
    for_guardians = instrument.respondent is Respondent.GUARDIAN or (
        instrument.subject is Subject.GUARDIAN
    )
    if (person.role is Role.GUARDIAN) is not for_guardians:
        return []
    return [(person, f"sc:start:{instrument.id}")]


class Rescreening(DeskWork):
    def __init__(self, desk: Desk) -> None:
        super().__init__(desk)
        self.quiet = desk.quiet
        self.school = desk.school

    async def request(
        self, telegram_id: int, chat_id: int, thread_id: int | None, args: str
    ) -> str | None:
        """`/screen <code> <instrument> [every N days]`."""
        words = args.split()
        now = self.clock.now()
        async with self.uow() as uow:
            staff = await self.access.staff(uow, telegram_id, chat_id)
            if staff is None:
                return "ignored"
            if len(words) < 2 or words[1] not in self.instruments:
                return "screening/screen_usage"
            interval = every_days(words)
            if interval is None:
                return "screening/screen_usage"
            person = await person_by_ref(uow, words[0])
            if person is None or person.id is None or not within_reach(staff, person):
                return "screening/file_not_found"
            if not await respondents(uow, person, self.instruments[words[1]]):
                return "screening/screen_unreachable"
            await uow.screening.plan(person.id, words[1], interval, now, staff.person_id, now)
            await self.board.say(
                uow,
                chat_id,
                thread_id,
                Reply(
                    "screening/screen_planned",
                    {"code": person.code, "instrument": words[1], "every": interval},
                ),
                now,
            )
            await uow.commit()
        await self.invite_due()
        return None

    async def invite_due(self, now: datetime | None = None) -> int:
        """Ticker job: invitations for plans that fall due, at a welcome hour."""
        now = now or self.clock.now()
        sent = 0
        async with self.uow() as uow:
            for plan_id, person_id, instrument_id, interval in await uow.screening.due_plans(
                now, 200
            ):
                person = await uow.people.by_id(person_id)
                instrument = self.instruments.get(instrument_id)
                if person is None or instrument is None:
                    await uow.screening.advance_plan(plan_id, None)
                    continue
                keys = await self._invite(uow, plan_id, person, instrument, now)
                # No questionnaire lands in the middle of a counselling conversation.
                await uow.holds.hold_during_cases(keys)
                await uow.screening.advance_plan(
                    plan_id, now + timedelta(days=interval) if interval else None
                )
                sent += 1
            await uow.commit()
        return sent

    async def _invite(
        self, uow: UnitOfWork, plan_id: int, person: Person, instrument: Instrument, now: datetime
    ) -> list[str]:
        """One plan's invitations queued, one per respondent; their outbox keys."""
        at = outside_school_and_quiet(
            now, self.tz, self.quiet, person.role is Role.CHILD, self.school
        )
        base = f"{INVITE_KIND}:{plan_id}:{now.date().isoformat()}"
        keys = []
        for to, button in await respondents(uow, person, instrument):
            key = base if to.id == person.id else f"{base}:{to.id}"
            reply = Reply(
                "screening/invitation",
                {"name": instrument.name},
                choices=rows(Choice("btn.screening.start", button)),
            )
            await uow.outbox.enqueue(
                [
                    NewMessage(
                        key=key,
                        chat_id=to.telegram_id or 0,
                        kind=INVITE_KIND,
                        priority=Priority.NOTICE,
                        locale=to.locale,
                        due_at=at,
                        payload=reply_to_data(reply),
                        person_id=to.id,
                    )
                ]
            )
            keys.append(key)
        return keys
