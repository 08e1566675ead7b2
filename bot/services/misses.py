"""Learning from misses (issue 17, item 6): a counsellor marks a message in a case topic as a
risk triage missed, with the level it should have had; whoever maintains the lexicon and the
training data lists these de-identified (`python -m bot triage misses`), and the dashboard
counts them per week.

The counsellor replies to the bot's relayed post in the topic with `/missed <level> [note]`:
the post is found by its Telegram message id in the outbox (only the bot's own sent posts of
this case count), and its lines are matched back to the person's messages in the case. A post
may carry several short messages merged while the group's budget was tight: the report then
holds all of them, read together, as triage reads a message with its context.

What triage gave is worked out again from the words when the report is made: per message
levels are not stored (only a case's categories and evidence, for the message that raised it),
and "what today's lexicon and model make of these words" is what a maintainer needs anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.case_actions import MissAs, ShowCard
from bot.domain.cases import Case
from bot.domain.lengths import clip
from bot.domain.misses import (
    Inbound,
    MissWords,
    deidentify,
    match_relayed,
    parse_miss,
    week_of,
)
from bot.domain.replies import Choice, Reply
from bot.domain.triage import RiskLevel
from bot.ports import (
    Classifier,
    Clock,
    NewMiss,
    Relayed,
    StaffMember,
    UnitOfWork,
    UnitOfWorkFactory,
)
from bot.services.board import COPY, POST, RELAY_IN, card_actions, card_key
from bot.services.casework import STALE, Place, StaffAccess, StaffResult

log = logging.getLogger(__name__)

IGNORED = "ignored"
LIST_LIMIT = 10_000
VIA = "cli"  # file_access_log.via: the words were read from the command line
PICKABLE = (RiskLevel.CRITICAL, RiskLevel.HIGH, RiskLevel.MEDIUM)
# How much of the message the picker's toast quotes (Telegram shows up to 200 characters).
PREVIEW_UNITS = 80


@dataclass(frozen=True, slots=True)
class MissLine:
    """One report as it leaves the database: de-identified, no person, case or staff."""

    week: str
    text: str
    level: str  # what it should have had
    given: str  # what triage gives the words
    categories: tuple[str, ...]
    case_tier: str
    note: str

    def as_json(self) -> dict[str, object]:
        return {
            "week": self.week,
            "text": self.text,
            "level": self.level,
            "given": self.given,
            "categories": list(self.categories),
            "case_tier": self.case_tier,
            "note": self.note,
        }


def _lines(relayed: Relayed, case_id: int) -> list[str] | None:
    """The person's words a post carries; None if it is not a post of them."""
    if relayed.kind == RELAY_IN:
        return [str(x) for x in relayed.payload.get("lines") or []]  # type: ignore[attr-defined]
    if relayed.kind == POST and relayed.key == card_key(case_id):
        reply = relayed.payload.get("reply")
        data = reply.get("data") if isinstance(reply, dict) else None
        first = data.get("first") if isinstance(data, dict) else None
        return [first] if isinstance(first, str) and first else None
    return None


class Misses:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        access: StaffAccess,
        triager: Classifier,
        timezone: str,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.access = access
        self.triager = triager
        self.tz = ZoneInfo(timezone)

    async def report(
        self,
        telegram_id: int,
        chat_id: int,
        topic_id: int | None,
        replied_to: int | None,
        args: str,
    ) -> Reply | str:
        """`/missed <level> [category…] [note]` as a reply to the person's words in a case
        topic. The answer for the topic, or IGNORED for someone not on staff (who is told
        nothing, as with every staff command: a refusal would say what this chat is)."""
        now = self.clock.now()
        async with self.uow() as uow:
            staff = await self.access.staff(uow, telegram_id, chat_id)
            if staff is None:
                return IGNORED
            case = await uow.cases.by_topic(chat_id, topic_id) if topic_id else None
            if case is None:
                return Reply("helpline/staff_missed_in_topic")
            words = parse_miss(args)
            if words is None:
                return Reply("helpline/staff_missed_usage")
            # In a forum every message answers the topic's first post unless it answers another.
            if replied_to is None or replied_to == topic_id:
                return Reply("helpline/staff_missed_usage", {"reply": True})
            relayed = await uow.misses.relayed(chat_id, replied_to)
            if relayed is None or relayed.case_id != case.id:
                return Reply("helpline/staff_missed_not_words")
            if relayed.kind == COPY:
                return Reply("helpline/staff_missed_media")
            lines = _lines(relayed, case.id)
            matched: Sequence[Inbound] = (
                match_relayed(lines, await uow.misses.inbound(case.id)) if lines else ()
            )
            if not matched:
                return Reply("helpline/staff_missed_not_words")
            recorded = await self._record(uow, staff, case, matched, words, now)
            if isinstance(recorded, RiskLevel):
                return Reply("helpline/staff_missed_caught", {"given": recorded.value})
            await uow.commit()
        given, new = recorded
        return Reply(
            "helpline/staff_missed_recorded",
            {
                "code": case.code,
                "level": words.level.value,
                "given": given.value,
                "messages": len(matched),
                "again": not new,
            },
        )

    async def _record(
        self,
        uow: UnitOfWork,
        staff: StaffMember,
        case: Case,
        matched: Sequence[Inbound],
        words: MissWords,
        now: datetime,
    ) -> tuple[RiskLevel, bool] | RiskLevel:
        """Keep the report: (what triage gives the words, whether it is new); or only what
        triage gives them, when that is already the level the counsellor names (no miss)."""
        texts = [m.body for m in matched]
        given = self.triager.classify(texts[-1], texts[:-1])
        if given.level.at_least(words.level):
            return given.level
        new = await uow.misses.record(
            NewMiss(
                case_id=case.id,
                case_message_id=matched[-1].id,
                at=now,
                reported_by=staff.person_id,
                level=words.level,
                categories=tuple(c.value for c in words.categories),
                given_level=given.level,
                given_categories=tuple(c.value for c in given.categories),
                case_tier=case.tier,
                body="\n".join(texts),
                note=words.note,
            )
        )
        log.info("missed risk recorded on case %s (%s)", case.code, "new" if new else "again")
        return given.level, new

    # -- the ⚠️ button on the case card ----------------------------------------------------

    async def picker(self, telegram_id: int, at: Place, case_id: int) -> StaffResult:
        """⚠️ on the card: the levels for the person's latest message, which the toast
        quotes so that the counsellor sees which one; the message rides in the buttons, so a
        newer message arriving meanwhile does not take its place."""
        async with self.uow() as uow:
            acting = await self.access.acting(uow, telegram_id, at, case_id)
            if isinstance(acting, StaffResult):
                return acting
            inbound = await uow.misses.inbound(case_id)
        if not inbound:
            return StaffResult("toast.miss.no_words", alert=True)
        latest = inbound[-1]
        levels = [
            Choice(f"btn.miss.{level.value}", MissAs(case_id, latest.id, level).pack())
            for level in PICKABLE
        ]
        menu = (tuple(levels), (Choice("btn.case.back", ShowCard(case_id).pack()),))
        return StaffResult(
            "toast.miss.pick", {"words": clip(latest.body, PREVIEW_UNITS)}, alert=True, menu=menu
        )

    async def picked(
        self, telegram_id: int, at: Place, case_id: int, message_id: int, level: str
    ) -> StaffResult:
        """A level from the picker: the report, and the card's own buttons back."""
        words = parse_miss(level)
        now = self.clock.now()
        async with self.uow() as uow:
            acting = await self.access.acting(uow, telegram_id, at, case_id)
            if isinstance(acting, StaffResult):
                return acting
            staff, case = acting
            matched = [m for m in await uow.misses.inbound(case_id) if m.id == message_id]
            if words is None or not matched:
                return STALE
            recorded = await self._record(uow, staff, case, matched, words, now)
            if isinstance(recorded, RiskLevel):
                return StaffResult("toast.miss.caught", alert=True)
            await uow.commit()
        return StaffResult("toast.miss.recorded", menu=card_actions(case))

    async def listing(self, since: datetime, viewer_id: int | None = None) -> list[MissLine]:
        return await de_identified(self.uow, since, self.clock.now(), self.tz, viewer_id)

    async def per_week(self, since: datetime, until: datetime) -> dict[str, int]:
        return await per_week(self.uow, since, until, self.tz)


async def de_identified(
    uow_factory: UnitOfWorkFactory,
    since: datetime,
    now: datetime,
    tz: ZoneInfo,
    viewer_id: int | None = None,
) -> list[MissLine]:
    """Every report since `since` that still holds words, de-identified. Reading them is a
    view of each child's words: each child gets an entry in their file's access log."""
    async with uow_factory() as uow:
        found = await uow.misses.since(since, LIST_LIMIT)
        for subject in sorted({m.subject_id for m in found}):
            await uow.privacy.log_view(viewer_id, subject, "missed_risk", VIA, now)
        await uow.commit()
    return [
        MissLine(
            week=week_of(m.at, tz),
            text=deidentify(m.body),
            level=m.level.value,
            given=m.given_level.value,
            categories=m.categories or m.given_categories,
            case_tier=m.case_tier,
            note=deidentify(m.note),
        )
        for m in found
    ]


async def per_week(
    uow_factory: UnitOfWorkFactory, since: datetime, until: datetime, tz: ZoneInfo
) -> dict[str, int]:
    """How many reports were made in each ISO week of [since, until), every week listed."""
    async with uow_factory() as uow:
        times = await uow.misses.times(since, until)
    return count_weeks(times, since, until, tz)


def count_weeks(
    times: Sequence[datetime], since: datetime, until: datetime, tz: ZoneInfo
) -> dict[str, int]:
    """Counts per ISO week, with the weeks that had none (a quiet week is a figure too)."""
    weeks: dict[str, int] = {}
    day = since
    while day < until:
        weeks.setdefault(week_of(day, tz), 0)
        day += timedelta(days=1)
    for at in times:
        key = week_of(at, tz)
        weeks[key] = weeks.get(key, 0) + 1
    return dict(sorted(weeks.items()))
