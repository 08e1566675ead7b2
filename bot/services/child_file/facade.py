"""The child's file (个人档案) for staff, screening requests, and the re-screening timer.

Every view is written to the access log before anything is shown (未成年人网络保护条例). A child's
results never go to the guardian by themselves: the guardian may be part of the problem, so
the counsellor decides, and "tell the guardian" sends an invitation to talk, not the results.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.case_actions import TellChildFirst, TellGuardian, WhyNotFirst
from bot.domain.cases import Case, CaseStatus, EventKind
from bot.domain.lengths import clip, how_many, units
from bot.domain.lessons import QuietHours
from bot.domain.numbers import parse_int
from bot.domain.outbox import NewMessage, Priority
from bot.domain.people import Person, Role
from bot.domain.permissions import StaffAction, may, sees_only_own_point
from bot.domain.referrals import Directory
from bot.domain.replies import Choice, Reply, reply_to_data, rows
from bot.domain.screening import (
    Instrument,
    InvalidAnswersError,
    Respondent,
    StoredResult,
    Subject,
    missing_items,
    score,
)
from bot.ports import Clock, StaffMember, UnitOfWork, UnitOfWorkFactory
from bot.services.board import Board
from bot.services.casework import NOT_STAFF, REASON_UNITS, STALE, StaffAccess, StaffResult
from bot.services.common import person_by_ref
from bot.services.outbox.kinds import RowKinds
from bot.services.outbox.notify import compose_reply

INVITE_KIND = "screening_invite"
# A scheduled screening's invitation is a plain Reply queued ahead of its time.
INVITATIONS = RowKinds((INVITE_KIND,), compose_reply)
# /file in the chat is one Telegram message (4,096 UTF-16 units) however long the history:
# the newest points of each instrument, cases and follow-ups, and how many older ones there
# are (the dashboard shows them all). Budgets checked by tests/content/test_lengths.py.
POINTS_SHOWN = 12
CASES_UNITS = 1250
CASE_ROW_UNITS = 90
REFERRALS_SHOWN = 5
FOLLOW_UPS_UNITS = 320
FOLLOW_UP_UNITS = 16
FLAGS_UNITS = 900
FLAG_LINE_UNITS = 16
FLAG_UNITS = 40
# School hours (local, Monday to Friday): no pushes to a child then (docs/DOMAIN.md §5).
SCHOOL = (time(8, 0), time(17, 0))


def result_flags(instrument: Instrument | None, result: StoredResult) -> list[dict[str, Any]]:
    """Every flag of a stored result, as staff read it: the safety items answered, positive
    subscales with their sums, and the skipped items and how they were counted. The stored
    flags say what fired; the stored answers and the form fill in which items and values
    (no column holds them)."""
    out: list[dict[str, Any]] = []
    flags = set(result.flags)
    for name in result.flags:
        if name.startswith("safety_item_"):
            item = int(name.removeprefix("safety_item_") or 0)
            out.append({"kind": "safety", "item": item, "value": result.answers.get(item)})
        elif name in ("asq_positive", "asq_acute"):
            out.append({"kind": name})
    subscales: Mapping[str, int | None] = {}
    if instrument is not None:
        with suppress(InvalidAnswersError):
            subscales = score(instrument, result.answers).subscales
        for sub in instrument.subscales:
            if f"{sub.id}_positive" in flags:
                out.append(
                    {
                        "kind": "subscale",
                        "label": sub.label or sub.id,
                        "value": subscales.get(sub.id),
                        "cutoff": sub.cutoff,
                        "categories": list(sub.categories),
                    }
                )
        missing = missing_items(instrument, result.answers)
    else:
        missing = tuple(sorted(i for i, v in result.answers.items() if v is None))
    if missing:
        how = next(
            (h for h in ("missing_as_zero", "prorated", "incomplete") if h in flags), "incomplete"
        )
        out.append({"kind": "missing", "items": list(missing), "how": how})
    return out


def about(instrument: Instrument | None) -> dict[str, Any]:
    """Whose form it is and how far its Chinese can be trusted: for staff, never the child."""
    if instrument is None:
        return {"credit": "", "provisional": False, "validated": True}
    return {
        "credit": instrument.credit,
        "provisional": instrument.translation != "published",
        "validated": instrument.validated,
    }


def _flag_units(point: Mapping[str, Any] | None) -> int:
    """About what a point's spelled-out flags take (a flag's words, its label, its items)."""
    if point is None:
        return 0
    return FLAG_LINE_UNITS + sum(
        FLAG_UNITS + units(str(f.get("label", ""))) + 4 * len(f.get("items", ()))
        for f in point["flags"]
    )


def for_chat(data: Mapping[str, Any]) -> dict[str, Any]:
    """The file as one chat message holds it: the newest of everything, and counts of the
    rest."""
    # Every flagged point carries a mark; the newest flagged result of each form is spelled
    # out, the most recent first as far as FLAGS_UNITS goes (the dashboard spells out all).
    newest = {
        t["instrument"]: next((p for p in reversed(t["points"]) if p.get("flags")), None)
        for t in data["trends"]
    }
    by_date = sorted((p["date"], k) for k, p in newest.items() if p is not None)[::-1]
    spelled = {
        k
        for _, k in by_date[: how_many((_flag_units(newest[k]) for _, k in by_date), FLAGS_UNITS)]
    }
    trends = [
        {
            **t,
            "points": t["points"][-POINTS_SHOWN:],
            "earlier": max(0, len(t["points"]) - POINTS_SHOWN),
            "flagged": newest[t["instrument"]] if t["instrument"] in spelled else None,
        }
        for t in data["trends"]
    ]
    cases = [
        {
            **c,
            "referrals": c["referrals"][-REFERRALS_SHOWN:],
            "more_referrals": max(0, len(c["referrals"]) - REFERRALS_SHOWN),
        }
        for c in data["cases"]
    ]
    names = data.get("resource_names") or {}

    def referral_units(r: str) -> int:
        # Shown as the resource's name and its status in words: "… (已就诊)", not "id:attended".
        rid, _, status = r.rpartition(":")
        return units(names.get(rid, rid)) + units(status) + 5

    newest_first = [
        CASE_ROW_UNITS + sum(referral_units(r) for r in c["referrals"]) for c in reversed(cases)
    ]
    shown = how_many(newest_first, CASES_UNITS)
    follow_ups = data["follow_ups"]
    fu_shown = how_many([FOLLOW_UP_UNITS] * len(follow_ups), FOLLOW_UPS_UNITS)
    return {
        **data,
        "trends": trends,
        "cases": cases[len(cases) - shown :],
        "earlier_cases": len(cases) - shown,
        "follow_ups": follow_ups[len(follow_ups) - fu_shown :],
        "earlier_follow_ups": len(follow_ups) - fu_shown,
    }


def outside_school_and_quiet(
    at: datetime,
    tz: ZoneInfo,
    quiet: QuietHours,
    child: bool,
    school: tuple[time, time] = SCHOOL,
) -> datetime:
    """The first moment at or after `at` when a push is welcome (equal school ends: none)."""
    moment = quiet.defer(at, tz)
    if not child or school[0] == school[1]:
        return moment
    for _ in range(8):
        local = moment.astimezone(tz)
        if local.weekday() < 5 and school[0] <= local.time() < school[1]:
            moment = quiet.defer(
                datetime.combine(local.date(), school[1], tz).astimezone(at.tzinfo), tz
            )
            continue
        break
    return moment


def _within_reach(staff: StaffMember, subject: Person) -> bool:
    """A 儿童主任 or 儿童督导员 reaches only the people of their own service point: to them
    anyone else's code is one that is not on record."""
    return (
        not sees_only_own_point(staff.role) or subject.service_point_id == staff.service_point_id
    )


class ChildFile:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        access: StaffAccess,
        board: Board,
        directory: Directory,
        instruments: Mapping[str, Instrument],
        quiet: QuietHours,
        timezone: str,
        school: tuple[time, time] = SCHOOL,
    ) -> None:
        self.school = school
        self.uow = uow
        self.clock = clock
        self.access = access
        self.directory = directory
        self.board = board
        self.instruments = instruments
        self.quiet = quiet
        self.tz = ZoneInfo(timezone)

    async def _subject(self, uow: UnitOfWork, ref: str) -> Person | None:
        return await person_by_ref(uow, ref)

    async def show(
        self, telegram_id: int, chat_id: int, thread_id: int | None, ref: str
    ) -> str | None:
        """`/file <code>`: the file, posted where it was asked for. Returns a template to
        answer with instead (usage, not found), or "ignored" for non-staff."""
        now = self.clock.now()
        async with self.uow() as uow:
            staff = await self.access.staff(uow, telegram_id, chat_id)
            if staff is None:
                return "ignored"
            if not ref.strip():
                return "screening/file_usage"
            subject = await self._subject(uow, ref)
            if subject is None or subject.id is None or not _within_reach(staff, subject):
                return "screening/file_not_found"
            await uow.screening.log_access(staff.person_id, subject.id, "file", now)
            data = for_chat(await self._file_data(uow, subject))
            choices: tuple[tuple[Choice, ...], ...] = ()
            if (
                subject.role is Role.CHILD
                and may(staff.role, StaffAction.TELL_GUARDIAN)
                and await uow.families.guardians_of(subject.id)
            ):
                choices = self._file_menu(subject.id)
            await self.board.say(
                uow,
                chat_id,
                thread_id,
                Reply("screening/file", data, choices=choices),
                now,
            )
            await uow.commit()
        return None

    async def contents(self, uow: UnitOfWork, subject: Person) -> dict[str, Any]:
        """What `/file` shows, for another view of the same file (the web dashboard). The
        caller logs the view first, as `show` does."""
        return await self._file_data(uow, subject)

    async def _file_data(self, uow: UnitOfWork, subject: Person) -> dict[str, Any]:
        assert subject.id is not None
        trends: dict[str, list[dict[str, Any]]] = {}
        for r in await uow.screening.results_for(subject.id):
            trends.setdefault(r.instrument, []).append(
                {
                    "date": r.taken_at.astimezone(self.tz).date().isoformat(),
                    "total": r.total,
                    "icon": r.tier.icon if r.tier else "⚪",
                    "tier": r.tier.value if r.tier else "",
                    "band": r.band or "",
                    "flags": result_flags(self.instruments.get(r.instrument), r),
                }
            )
        cases = []
        names: dict[str, str] = {}
        for case_id in await uow.cases.ids_for(subject.id):
            case = await uow.cases.by_id(case_id)
            if case is None:
                continue
            notes = sum(m.direction == "note" for m in await uow.cases.messages(case.id))
            found = await uow.cases.referrals(case.id)
            refs = [ref.resource_id + ":" + ref.status.value for ref in found]
            for ref in found:
                # The file names a referral as staff know it, not by its directory id.
                resource = self.directory.get(ref.resource_id)
                if resource is not None:
                    names[ref.resource_id] = resource.name
            cases.append(
                {
                    "code": case.code,
                    "icon": case.tier.icon,
                    "tier": case.tier.value,
                    "status": case.status.value,
                    "outcome": case.outcome.value if case.outcome else "",
                    "opened": case.opened_at.astimezone(self.tz).date().isoformat(),
                    "notes": notes,
                    "referrals": refs,
                }
            )
        follow_ups = [
            {"due": f.due_at.astimezone(self.tz).date().isoformat(), "done": f.done_at is not None}
            for f in await uow.cases.follow_ups_of(subject.id)
        ]
        views = len(await uow.screening.accesses(subject.id))
        return {
            "code": subject.code,
            "resource_names": names,
            "role": subject.role.value if subject.role else "",
            "age": subject.age_band.value if subject.age_band else "",
            "trends": [
                {"instrument": k, "points": v, **about(self.instruments.get(k))}
                for k, v in sorted(trends.items())
            ],
            "cases": cases,
            "follow_ups": follow_ups,
            "views": views,
        }

    async def _child_with_guardians(
        self, uow: UnitOfWork, telegram_id: int, chat_id: int, subject_id: int
    ) -> tuple[StaffMember, Person] | StaffResult:
        """The staff member and the child of a guardian-invitation button, or the refusal: not
        staff here, not a child (an old or forged button), or no guardian to invite."""
        staff = await self.access.staff(uow, telegram_id, chat_id)
        if staff is None:
            return NOT_STAFF
        subject = await uow.people.by_id(subject_id)
        if subject is None or subject.role is not Role.CHILD:
            return STALE
        if not await self._guardians(uow, subject_id):
            return StaffResult("toast.file.no_guardian", alert=True)
        return staff, subject

    async def tell_guardian(self, telegram_id: int, chat_id: int, subject_id: int) -> StaffResult:
        """The file's 👪 button. The child hears of it before their guardian does, unless
        telling them would put them in danger: the counsellor chooses, and skipping the child
        takes a reason on the record (`/guardian`). A child with no chat here cannot be told
        here: the guardian is invited, and the post says so."""
        async with self.uow() as uow:
            found = await self._child_with_guardians(uow, telegram_id, chat_id, subject_id)
            if isinstance(found, StaffResult):
                return found
            staff, subject = found
            if subject.telegram_id is None:
                return await self._invite(uow, staff, subject, told_child=False, reason="")
        return StaffResult(
            menu=(
                (Choice("btn.file.child_first", TellChildFirst(subject_id).pack()),),
                (Choice("btn.file.not_first", WhyNotFirst(subject_id).pack()),),
            )
        )

    async def tell_child_first(
        self, telegram_id: int, chat_id: int, subject_id: int
    ) -> StaffResult:
        """💬 on the file: the child is told, then the guardian is invited."""
        async with self.uow() as uow:
            found = await self._child_with_guardians(uow, telegram_id, chat_id, subject_id)
            if isinstance(found, StaffResult):
                return found
            staff, subject = found
            return await self._invite(uow, staff, subject, told_child=True, reason="")

    async def why_needed(self, telegram_id: int, chat_id: int, subject_id: int) -> StaffResult:
        """⚠️ on the file: no button can carry a reason, so the counsellor is told how to give
        one. Nothing is sent."""
        async with self.uow() as uow:
            if await self.access.staff(uow, telegram_id, chat_id) is None:
                return NOT_STAFF
            subject = await uow.people.by_id(subject_id)
        if subject is None or subject.role is not Role.CHILD:
            return STALE
        return StaffResult("toast.file.give_reason", {"code": subject.code}, alert=True)

    async def guardian_command(
        self, telegram_id: int, chat_id: int, thread_id: int | None, args: str
    ) -> str | StaffResult:
        """`/guardian <code> <reason>`: the guardian is invited without telling the child
        first, because telling them would put them in danger; the reason is kept on the
        child's case."""
        async with self.uow() as uow:
            staff = await self.access.staff(uow, telegram_id, chat_id)
            if staff is None:
                return "ignored"
            ref, _, reason = args.strip().partition(" ")
            if not ref or not reason.strip():
                return "screening/guardian_usage"
            subject = await self._subject(uow, ref)
            if subject is None or subject.id is None or subject.role is not Role.CHILD:
                return "screening/file_not_found"
            if not await self._guardians(uow, subject.id):
                return StaffResult("toast.file.no_guardian")
            if await self._case_of(uow, subject.id) is None:
                return "screening/guardian_no_case"
            return await self._invite(
                uow, staff, subject, told_child=False, reason=clip(reason.strip(), REASON_UNITS)
            )

    async def _guardians(self, uow: UnitOfWork, subject_id: int) -> list[Person]:
        return [
            g for g in await uow.families.guardians_of(subject_id) if g.telegram_id is not None
        ]

    async def _case_of(self, uow: UnitOfWork, subject_id: int) -> Case | None:
        """The case a guardian invitation is recorded on: the child's open case, else their
        newest."""
        newest = None
        for case_id in reversed(await uow.cases.ids_for(subject_id)):
            case = await uow.cases.by_id(case_id)
            if case is None:
                continue
            if case.status is not CaseStatus.CLOSED:
                return case
            newest = newest or case
        return newest

    async def _invite(
        self, uow: UnitOfWork, staff: StaffMember, subject: Person, told_child: bool, reason: str
    ) -> StaffResult:
        """The invitation to the guardians (never the results), after the child's own message
        when they are told first; on the child's case, the record of who chose what and why."""
        assert subject.id is not None
        now = self.clock.now()
        day = now.date().isoformat()
        guardians_at = self.quiet.defer(now, self.tz)
        messages = []
        if told_child and subject.telegram_id is not None:
            child_at = outside_school_and_quiet(now, self.tz, self.quiet, True, self.school)
            guardians_at = max(guardians_at, child_at)
            messages.append(
                NewMessage(
                    key=f"tellchild:{subject.id}:{day}",
                    chat_id=subject.telegram_id,
                    kind="reply",
                    priority=Priority.NOTICE,
                    locale=subject.locale,
                    due_at=child_at,
                    payload=reply_to_data(Reply("screening/guardian_will_be_told")),
                    person_id=subject.id,
                )
            )
        invitation = reply_to_data(
            Reply(
                "screening/tell_guardian",
                choices=rows(Choice("btn.checkin.talk", "help:counsellor")),
            )
        )
        messages += [
            NewMessage(
                key=f"tell:{subject.id}:{g.id}:{day}",
                chat_id=g.telegram_id or 0,
                kind="reply",
                priority=Priority.NOTICE,
                locale=g.locale,
                due_at=guardians_at,
                payload=invitation,
                person_id=g.id,
            )
            for g in await self._guardians(uow, subject.id)
        ]
        await uow.outbox.enqueue(messages)
        await uow.screening.log_access(staff.person_id, subject.id, "told_guardian", now)
        no_chat = subject.telegram_id is None
        case = await self._case_of(uow, subject.id)
        if case is not None:
            await uow.cases.log(
                case.id,
                EventKind.GUARDIAN_INVITED,
                now,
                staff.person_id,
                child_told=told_child,
                no_chat=no_chat,
                reason=reason,
            )
            await self.board.post(
                uow,
                case,
                Reply(
                    "screening/guardian_invited",
                    {
                        "code": case.code,
                        "name": staff.display_name,
                        "child_told": told_child,
                        "no_chat": no_chat,
                        "reason": reason,
                    },
                ),
                now,
            )
        await uow.commit()
        if told_child:
            return StaffResult("toast.file.child_told_first", menu=self._file_menu(subject.id))
        if no_chat:
            return StaffResult("toast.file.no_child_chat", alert=True)
        return StaffResult("toast.file.guardian_told", menu=self._file_menu(subject.id))

    @staticmethod
    def _file_menu(subject_id: int) -> tuple[tuple[Choice, ...], ...]:
        return rows(Choice("btn.file.tell_guardian", TellGuardian(subject_id).pack()))

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
            interval = 0
            if len(words) >= 3:
                # Decimal digits only: int() raises on "²", which str.isdigit() accepts.
                digits = "".join(c for c in words[-1] if c.isdecimal())
                days = parse_int(digits, 366, 1)
                if days is None:
                    return "screening/screen_usage"
                interval = days
            person = await self._subject(uow, words[0])
            if person is None or person.id is None or not _within_reach(staff, person):
                return "screening/file_not_found"
            if not await self._respondents(uow, person, self.instruments[words[1]]):
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

    async def _respondents(
        self, uow: UnitOfWork, person: Person, instrument: Instrument
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
                at = outside_school_and_quiet(
                    now, self.tz, self.quiet, person.role is Role.CHILD, self.school
                )
                base = f"{INVITE_KIND}:{plan_id}:{now.date().isoformat()}"
                keys = []
                for to, button in await self._respondents(uow, person, instrument):
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
                # No questionnaire lands in the middle of a counselling conversation.
                await uow.holds.hold_during_cases(keys)
                await uow.screening.advance_plan(
                    plan_id, now + timedelta(days=interval) if interval else None
                )
                sent += 1
            await uow.commit()
        return sent
