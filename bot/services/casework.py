"""The counsellor's side: claim, talk, note, re-tier, transfer, refer, follow up, close.

Every action checks, against the database, that the actor is active staff, that the case
belongs to the chat they act in and the button was pressed in the case's own topic, and that
the case is still in the state the button was made for (callback data can be forged, and an
old card may outlive what it was made for, docs/DOMAIN.md §6).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from bot.domain.cases import (
    Case,
    CaseStatus,
    CloseOutcome,
    EventKind,
    ReferralStatus,
    Targets,
    Tier,
    closing_needs_note,
    lowers_red,
    may_act_on,
    parse_tier,
)
from bot.domain.lengths import clip, share
from bot.domain.outbox import OutboxStatus, Priority
from bot.domain.people import Person, Role
from bot.domain.permissions import StaffAction, may
from bot.domain.referrals import Canned, Directory
from bot.domain.replies import Choice, Reply, rows
from bot.ports import CaseMessage, Clock, StaffMember, UnitOfWork, UnitOfWorkFactory
from bot.services.board import Board, card_actions, card_key, pieces
from bot.services.common import parse_int

FOLLOW_UP_DAYS = (1, 3, 7, 14)
NOTE_PREFIXES = ("!", "！")
# What staff type into a post beside the case's own words, in UTF-16 units (bot/domain/
# lengths.py): the record and the post keep the same text, and the post stays within
# Telegram's 4,096 (tests/content/test_lengths.py renders the worst case).
REASON_UNITS = 300
AUTHORITY_UNITS = 200
NOTE_UNITS = 500
# A transfer quotes the last words and notes, each up to 4,096 units: a summary, in shares.
SUMMARY_WORDS_UNITS = 1500
SUMMARY_NOTES_UNITS = 1500


CLAIM_FIRST = "helpline/staff_claim_first"
# What a free-text reason or outcome note may take on the record and in the topic's post.
REASON_LIMIT = 300

Menu = tuple[tuple[Choice, ...], ...]


@dataclass(frozen=True, slots=True)
class Place:
    """Where a button was pressed or a command typed: the chat and, in a forum, the topic
    (None for the general thread, and in a private chat)."""

    chat_id: int
    thread_id: int | None = None


@dataclass(frozen=True, slots=True)
class CardRefresh:
    """The case card's message and the buttons it should show now."""

    chat_id: int
    message_id: int
    menu: Menu


@dataclass(frozen=True, slots=True)
class StaffResult:
    """A button's answer: a toast for the presser and, maybe, a new keyboard for the pressed
    message and the buttons the case's card should show now."""

    toast: str = ""
    toast_data: dict[str, Any] = field(default_factory=dict)
    alert: bool = False
    menu: Menu | None = None
    cards: tuple[CardRefresh, ...] = ()


# Rows whose message nobody will see: they neither show buttons nor take them from others.
_UNSEEN = (OutboxStatus.FAILED, OutboxStatus.BLOCKED, OutboxStatus.CANCELLED)
NOT_STAFF = StaffResult("toast.case.not_staff", alert=True)
# A case button pressed in a private chat by someone it is not for: the same words as any
# other forged or outdated button there, which tell a stranger nothing.
STALE = StaffResult("toast.stale")
# One sentence per status, so a toast reads 已接受 rather than the status's code.
REFERRAL_TOASTS = {
    ReferralStatus.SUGGESTED: "toast.case.referral_suggested",
    ReferralStatus.ACCEPTED: "toast.case.referral_accepted",
    ReferralStatus.ATTENDED: "toast.case.referral_attended",
    ReferralStatus.DECLINED: "toast.case.referral_declined",
}
GONE = StaffResult("toast.case.gone", alert=True)


def role_refusal(staff: StaffMember | None, action: StaffAction) -> StaffResult | None:
    """What a staff member whose role does not include the action is told, in its name."""
    if staff is None or may(staff.role, action):
        return None
    return StaffResult(f"toast.role.{staff.role.value}", alert=True)


def pseudonym_data(staff: StaffMember) -> dict[str, Any]:
    return {"n": staff.pseudonym_no}


def transfer_notice(
    case: Case, by: StaffMember, to: StaffMember, messages: Sequence[CaseMessage]
) -> Reply:
    """What a colleague taking over needs first: tier, reason, the last words, notes."""
    notes = [m.body for m in messages if m.direction == "note"][-3:]
    last_in = [m.body for m in messages if m.direction == "in" and m.body][-3:]
    return Reply(
        "helpline/staff_transferred",
        {
            "code": case.code,
            "by": by.display_name,
            "to": to.display_name,
            "to_id": to.telegram_id,
            "tier": case.tier.value,
            "categories": list(case.categories),
            "notes": share(notes, SUMMARY_NOTES_UNITS),
            "last_in": share(last_in, SUMMARY_WORDS_UNITS),
            "count": len(messages),
        },
        choices=card_actions(case),
    )


def parse_outcome(word: str) -> str | None:
    """An outcome as staff type it: `no_contact`, `no-contact`, any case."""
    value = word.strip().lower().replace("-", "_")
    return value if value in set(CloseOutcome) else None


class Casework:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        board: Board,
        targets: Targets,
        directory: Directory,
        canned: Sequence[Canned],
        staff_chats: Callable[[], frozenset[int]],
        hold_kinds: Sequence[str] = (),
        nudge: Callable[[], None] = lambda: None,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.board = board
        self.targets = targets
        self.directory = directory
        self.canned = {c.id: c for c in canned}
        self.staff_chats = staff_chats
        self.hold_kinds = tuple(hold_kinds)
        self.nudge = nudge

    # -- who may act ----------------------------------------------------------------------

    async def staff(self, uow: UnitOfWork, telegram_id: int, chat_id: int) -> StaffMember | None:
        """Active staff acting in a staff chat; anyone else is nobody here."""
        if chat_id not in await self._chats(uow):
            return None
        return await uow.staff.by_telegram_id(telegram_id)

    async def refusal(
        self, telegram_id: int, chat_id: int, action: StaffAction
    ) -> StaffResult | None:
        """The refusal when a staff member's role does not include the action
        (bot/domain/permissions.py); None when it does, and for anyone who is not staff
        here, whom the action's own checks turn away as before."""
        async with self.uow() as uow:
            if chat_id == telegram_id:  # a button in their own chat with the bot
                staff = await uow.staff.by_telegram_id(telegram_id)
            else:
                staff = await self.staff(uow, telegram_id, chat_id)
        return role_refusal(staff, action)

    async def _chats(self, uow: UnitOfWork) -> frozenset[int]:
        chats = set(self.staff_chats())
        chats.update(c for sp in await uow.service_points.all() for c in sp.staff_chat_ids)
        return frozenset(chats)

    async def is_staff_chat(self, chat_id: int) -> bool:
        async with self.uow() as uow:
            return chat_id in await self._chats(uow)

    async def _case(self, uow: UnitOfWork, case_id: int, chat_id: int) -> Case | None:
        case = await uow.cases.by_id(case_id)
        return case if case is not None and case.staff_chat_id == chat_id else None

    async def _acting(
        self,
        uow: UnitOfWork,
        telegram_id: int,
        at: Place,
        case_id: int,
        *,
        privately: bool = False,
    ) -> tuple[StaffMember, Case] | StaffResult:
        """Who acts on which case, if they may act on it from where they pressed: the case's
        own topic (its staff chat's general thread while it has none), or, for `privately`
        actions, the presser's own chat with the bot. A button copied or left over in another
        case's topic would otherwise act on a case nobody there is looking at."""
        if at.chat_id == telegram_id:
            staff = await uow.staff.by_telegram_id(telegram_id) if privately else None
            case = await uow.cases.by_id(case_id) if staff is not None else None
            if staff is None or case is None:
                return STALE
            if case.staff_chat_id not in await self._chats(uow):
                return GONE
            return staff, case
        found = await self.staff(uow, telegram_id, at.chat_id)
        if found is None:
            return NOT_STAFF
        case = await self._case(uow, case_id, at.chat_id)
        if case is None:
            return GONE
        if at.thread_id != case.topic_id:
            return StaffResult("toast.case.wrong_place", {"code": case.code}, alert=True)
        return found, case

    async def acting(
        self, uow: UnitOfWork, telegram_id: int, at: Place, case_id: int
    ) -> tuple[StaffMember, Case] | StaffResult:
        """The same check for the services that act on a case from its card (misses)."""
        return await self._acting(uow, telegram_id, at, case_id)

    async def _card(self, uow: UnitOfWork, case: Case) -> tuple[CardRefresh, ...]:
        """Every message of the case that carries its buttons, with the buttons for the case
        as it is now: a card that still offered ✋ after the case was claimed from another post
        invites a wrong press. The card keeps its keyboard, and of the posts after it only the
        newest does (older ones lose theirs), so nobody presses a button from three states ago;
        a direct message about a waiting case keeps ✋ only while the case waits."""
        c = case.id
        posts = await uow.holds.keyboarded((f"case:{c}:", f"dm:{c}:"))
        out: list[CardRefresh] = []
        state = {f"case:claim:{c}", f"case:release:{c}", f"case:reopen:{c}"}
        topic = [p for p in posts if p.chat_id == case.staff_chat_id and state & set(p.actions)]
        later = [p for p in topic if p.key != card_key(c) and p.status not in _UNSEEN]
        newest = later[-1] if later else None
        for p in posts:
            if p.status is not OutboxStatus.SENT or p.message_id is None:
                continue  # not shown yet: it is composed with the buttons of its moment
            if p in topic:
                menu = card_actions(case) if p is newest or p.key == card_key(c) else ()
            elif p.chat_id != case.staff_chat_id:
                menu = (
                    rows(Choice("btn.case.claim", f"case:claim:{c}"))
                    if case.status is CaseStatus.WAITING
                    else ()
                )
            else:
                continue
            if not menu and p in topic:
                # A post that lost its buttons never gets them back (a direct message's ✋
                # comes back if the case is released).
                await uow.holds.clear_keyboard(p.row_id)
            out.append(CardRefresh(p.chat_id, p.message_id, menu))
        return tuple(out)

    async def _moved_on(self, uow: UnitOfWork, case: Case) -> StaffResult:
        """The button was made for an earlier state of the case: say so, and show what can
        be done now, on the pressed message and on the card."""
        menu = card_actions(case)
        return StaffResult("toast.case.moved_on", menu=menu, cards=await self._card(uow, case))

    # -- claims ---------------------------------------------------------------------------

    async def claim(self, telegram_id: int, at: Place, case_id: int) -> StaffResult:
        """✋ on the card, or on the direct message an on-duty counsellor gets about a new
        case (pressed in their own chat with the bot)."""
        now = self.clock.now()
        async with self.uow() as uow:
            acting = await self._acting(uow, telegram_id, at, case_id, privately=True)
            if isinstance(acting, StaffResult):
                return acting
            staff, case = acting
            result = await self._claim(uow, staff, case, now)
            await uow.commit()
        self.nudge()
        if at.chat_id == telegram_id:
            # Once the case is someone's (or gone), the direct message keeps no buttons: the
            # case is worked in its topic. At the cap, ✋ stays for when a case is closed.
            return replace(result, menu=None if result.toast == "toast.case.cap" else ())
        return result

    async def _claim(
        self, uow: UnitOfWork, staff: StaffMember, case: Case, now: datetime
    ) -> StaffResult:
        won, current = await uow.cases.claim(
            case.id, staff.person_id, now, self.targets.max_claims
        )
        if not won:
            if current is not None and current.status is CaseStatus.CLAIMED and current.claimed_by:
                holder = await uow.staff.by_person_id(current.claimed_by)
                # ✋ was pressed on a message from before the claim: its buttons follow.
                moved_on = await self._moved_on(uow, current)
                if current.claimed_by == staff.person_id:
                    return replace(moved_on, toast="toast.case.yours")
                return replace(
                    moved_on,
                    toast="toast.case.taken",
                    toast_data={
                        "name": holder.display_name if holder else "?",
                        "n": holder.pseudonym_no if holder else 0,
                    },
                    alert=True,
                )
            if current is not None and current.status is CaseStatus.WAITING:
                return StaffResult("toast.case.cap", {"max": self.targets.max_claims}, alert=True)
            if current is not None and current.status is CaseStatus.CLOSED:
                return replace(await self._moved_on(uow, current), toast=GONE.toast, alert=True)
            return GONE
        await uow.cases.log(case.id, EventKind.CLAIMED, now, staff.person_id)
        claimed = current or case
        await self.board.post(
            uow,
            claimed,
            Reply(
                "helpline/staff_claimed",
                {"code": case.code, "name": staff.display_name, "n": staff.pseudonym_no},
                choices=card_actions(claimed),
            ),
            now,
            Priority.ALERT,  # colleagues must not start on a case someone already has
        )
        return StaffResult(
            "toast.case.claimed",
            {"code": case.code},
            menu=card_actions(claimed),
            cards=await self._card(uow, claimed),
        )

    async def take_next(self, telegram_id: int, chat_id: int) -> StaffResult:
        now = self.clock.now()
        async with self.uow() as uow:
            staff = await self.staff(uow, telegram_id, chat_id)
            if staff is None:
                return NOT_STAFF
            # Another counsellor may win the top case between look and claim: try the next.
            for _ in range(5):
                case = await uow.cases.next_waiting(chat_id)
                if case is None:
                    return StaffResult("toast.case.queue_empty")
                result = await self._claim(uow, staff, case, now)
                if result.toast != "toast.case.taken":
                    await uow.commit()
                    self.nudge()
                    # ⏭ may be pressed on another case's card: that card keeps its buttons,
                    # and the card of the case taken shows what it can do now.
                    return replace(result, menu=None)
            return StaffResult("toast.case.try_again")

    async def release(self, telegram_id: int, at: Place, case_id: int) -> StaffResult:
        now = self.clock.now()
        async with self.uow() as uow:
            acting = await self._acting(uow, telegram_id, at, case_id)
            if isinstance(acting, StaffResult):
                return acting
            staff, case = acting
            if case.status is CaseStatus.CLOSED:
                return GONE
            if case.status is not CaseStatus.CLAIMED:
                return await self._moved_on(uow, case)
            if case.claimed_by != staff.person_id and staff.role is not Role.SUPERVISOR:
                return StaffResult("toast.case.not_yours", alert=True)
            # A supervisor taking a colleague's case back is on the record as theirs.
            why = "by_counsellor" if case.claimed_by == staff.person_id else "by_supervisor"
            back = await self._release(
                uow, case, now, staff.person_id, why, name=staff.display_name
            )
            card = await self._card(uow, back)
            await uow.commit()
        self.nudge()
        return StaffResult("toast.case.released", menu=card_actions(back), cards=card)

    async def _release(
        self,
        uow: UnitOfWork,
        case: Case,
        now: datetime,
        actor: int | None,
        why: str,
        name: str = "",
    ) -> Case:
        await uow.cases.set_status(
            case.id,
            CaseStatus.CLAIMED,
            status=CaseStatus.WAITING,
            claimed_by=None,
            claimed_at=None,
        )
        await uow.cases.log(case.id, EventKind.RELEASED, now, actor, why=why)
        back = await uow.cases.by_id(case.id) or case
        await self.board.post(
            uow,
            back,
            Reply(
                "helpline/staff_released",
                {"code": case.code, "why": why, "name": name},
                choices=card_actions(back),
            ),
            now,
        )
        return back

    # -- talking --------------------------------------------------------------------------

    async def topic_text(
        self, telegram_id: int, chat_id: int, topic_id: int, text: str
    ) -> str | StaffResult | None:
        """A line a counsellor typed in a case topic. Returns a content key to answer with
        in the topic, or None when all is well (relayed, or noted)."""
        now = self.clock.now()
        async with self.uow() as uow:
            staff = await self.staff(uow, telegram_id, chat_id)
            if staff is None:
                return "ignored"
            case = await uow.cases.by_topic(chat_id, topic_id)
            if case is None:
                return "ignored"
            stripped = text.strip()
            noting = stripped.startswith(NOTE_PREFIXES) or stripped.lower().startswith("/note")
            refused = role_refusal(staff, StaffAction.NOTE if noting else StaffAction.RELAY)
            if refused is not None and not (stripped.startswith("/") and not noting):
                return refused
            if noting:
                body = stripped.lstrip("!！").removeprefix("/note").strip()
                await uow.cases.add_message(
                    case.id, CaseMessage(now, "note", staff.person_id, body)
                )
                await uow.cases.log(case.id, EventKind.NOTE, now, staff.person_id)
                await uow.commit()
                return None
            if stripped.startswith("/"):
                return "helpline/staff_unknown_command"  # never relay a mistyped command
            to = await self._speaking_to(uow, case, staff)
            if isinstance(to, str):
                return to
            person, chat = to
            for piece in pieces(text):  # the pseudonym in front must not push it past 4096
                await self.board.to_person(
                    uow,
                    case,
                    chat,
                    person.locale,
                    now,
                    reply=Reply("helpline/relay_out", {**pseudonym_data(staff), "body": piece}),
                )
            await self._spoke(uow, case, staff, text, now)
            await uow.commit()
        self.nudge()
        return None

    async def _speaking_to(
        self, uow: UnitOfWork, case: Case, staff: StaffMember
    ) -> tuple[Person, int] | str:
        """The person on the other end and their chat, if this counsellor may speak to them
        now; else the template that says why (claim first, or the person is gone)."""
        if case.status is not CaseStatus.CLAIMED or case.claimed_by != staff.person_id:
            return CLAIM_FIRST
        person = await uow.people.by_id(case.person_id)
        if person is None or person.telegram_id is None:
            return "helpline/staff_person_gone"
        return person, person.telegram_id

    async def _spoke(
        self,
        uow: UnitOfWork,
        case: Case,
        staff: StaffMember,
        text: str,
        now: datetime,
        media: str | None = None,
    ) -> None:
        await uow.cases.add_message(case.id, CaseMessage(now, "out", staff.person_id, text, media))
        fields: dict[str, object] = {"last_staff_at": now}
        if case.first_response_at is None:
            fields["first_response_at"] = now
        await uow.cases.update(case.id, **fields)

    async def topic_media(
        self, telegram_id: int, chat_id: int, topic_id: int, message_id: int, kind: str
    ) -> str | StaffResult | None:
        now = self.clock.now()
        async with self.uow() as uow:
            staff = await self.staff(uow, telegram_id, chat_id)
            case = await uow.cases.by_topic(chat_id, topic_id) if staff else None
            if staff is None or case is None:
                return "ignored"
            if (refused := role_refusal(staff, StaffAction.RELAY)) is not None:
                return refused
            to = await self._speaking_to(uow, case, staff)
            if isinstance(to, str):
                return to
            person, chat = to
            await self.board.to_person(
                uow,
                case,
                chat,
                person.locale,
                now,
                reply=Reply("helpline/relay_out_media", pseudonym_data(staff)),
            )
            await self.board.to_person(
                uow, case, chat, person.locale, now, copy=(chat_id, message_id)
            )
            await self._spoke(uow, case, staff, "", now, kind)
            await uow.commit()
        self.nudge()
        return None

    def canned_menu(self, case_id: int) -> tuple[tuple[Choice, ...], ...]:
        items = [
            Choice("btn.canned", f"canned:{case_id}:{c.id}", label_data={"label": c.label})
            for c in self.canned.values()
        ]
        return (*rows(*items, width=2), (Choice("btn.case.back", f"case:card:{case_id}"),))

    async def _canned_to(
        self, uow: UnitOfWork, telegram_id: int, at: Place, case_id: int, canned_id: str
    ) -> tuple[StaffMember, Case, Person, int, Canned] | StaffResult:
        canned = self.canned.get(canned_id)
        acting = await self._acting(uow, telegram_id, at, case_id)
        if isinstance(acting, StaffResult):
            return acting
        staff, case = acting
        if canned is None or case.status is CaseStatus.CLOSED:
            return GONE
        to = await self._speaking_to(uow, case, staff)
        if to == CLAIM_FIRST:
            return StaffResult("toast.case.claim_first", alert=True)
        if isinstance(to, str):
            return GONE
        return staff, case, to[0], to[1], canned

    async def preview_canned(
        self, telegram_id: int, at: Place, case_id: int, canned_id: str
    ) -> StaffResult:
        """A ready reply pressed: the topic shows the exact words the person would receive,
        in their language, with one ✅ to send them. A label alone ("安全确认") hides what
        the child will actually read, and a mis-tap would send it at once."""
        now = self.clock.now()
        async with self.uow() as uow:
            found = await self._canned_to(uow, telegram_id, at, case_id, canned_id)
            if isinstance(found, StaffResult):
                return found
            _, case, person, _, canned = found
            token = uuid.uuid4().hex[:8]
            await self.board.post(
                uow,
                case,
                Reply(
                    "helpline/staff_canned_confirm",
                    {"label": canned.label, "text": canned.text, "locale": person.locale},
                    choices=rows(
                        Choice("btn.canned.send", f"canned:{case.id}:{canned.id}:ok:{token}"),
                        Choice("btn.canned.cancel", f"canned:{case.id}:{canned.id}:no"),
                        width=2,
                    ),
                ),
                now,
                Priority.ALERT,  # the counsellor is waiting for it, mid-conversation
            )
            await uow.commit()
        self.nudge()
        return StaffResult("toast.canned.check", menu=card_actions(case))

    async def send_canned(
        self, telegram_id: int, at: Place, case_id: int, canned_id: str, token: str
    ) -> StaffResult:
        """✅ under a ready reply's preview: sent once, however often it is pressed."""
        now = self.clock.now()
        async with self.uow() as uow:
            found = await self._canned_to(uow, telegram_id, at, case_id, canned_id)
            if isinstance(found, StaffResult):
                return found
            staff, case, person, chat, canned = found
            sent = await self.board.to_person(
                uow,
                case,
                chat,
                person.locale,
                now,
                reply=Reply(
                    "helpline/relay_out", {**pseudonym_data(staff), "canned": canned.text}
                ),
                key=f"canned:{token[:16]}",
            )
            if not sent:
                return StaffResult("toast.canned.already", menu=())
            await self._spoke(uow, case, staff, f"[{canned.id}] {canned.text}", now)
            await self.board.post(
                uow,
                case,
                Reply(
                    "helpline/staff_canned_sent",
                    {"label": canned.label, "text": canned.text, "locale": person.locale},
                ),
                now,
            )
            await uow.commit()
        self.nudge()
        return StaffResult("toast.case.sent", menu=())

    # -- tier, transfer -------------------------------------------------------------------

    def tier_menu(self, case_id: int) -> tuple[tuple[Choice, ...], ...]:
        return (
            tuple(
                Choice(f"btn.tier.{t.value}", f"case:settier:{case_id}:{t.value}") for t in Tier
            ),
            (Choice("btn.case.back", f"case:card:{case_id}"),),
        )

    async def set_tier(
        self, telegram_id: int, at: Place, case_id: int, tier_value: str, reason: str = ""
    ) -> StaffResult:
        """Re-tier on the same terms as release, close and transfer (the holder, or a
        supervisor; a waiting case, anyone on staff), always with a reason on the record.
        Lowering a red case takes a supervisor: it moves the first-response target from
        minutes to hours, and stops the paging that comes with it."""
        tier = parse_tier(tier_value)
        if tier is None:
            return StaffResult("toast.case.bad_tier", alert=True)
        reason = reason.strip()[:REASON_LIMIT]
        now = self.clock.now()
        async with self.uow() as uow:
            acting = await self._acting(uow, telegram_id, at, case_id)
            if isinstance(acting, StaffResult):
                return acting
            staff, case = acting
            if case.status is CaseStatus.CLOSED:
                return GONE
            if case.tier is tier:
                return StaffResult("toast.case.tier_same")
            supervisor = staff.role is Role.SUPERVISOR
            if not may_act_on(case, staff.person_id, supervisor):
                return StaffResult("toast.case.not_yours", alert=True)
            if lowers_red(case, tier) and not supervisor:
                return StaffResult("toast.case.lower_red", alert=True)
            if not reason:
                # The tier menu's buttons land here: the reason is typed, as a command.
                return StaffResult("toast.case.tier_reason", {"tier": tier.value}, alert=True)
            reason = clip(reason, REASON_UNITS)
            await uow.cases.update(case.id, tier=tier)
            await uow.cases.log(
                case.id,
                EventKind.RETIERED,
                now,
                staff.person_id,
                before=case.tier.value,
                after=tier.value,
                reason=reason,
            )
            changed = await uow.cases.by_id(case.id) or case
            await self.board.rename(uow, changed, now)
            await self.board.post(
                uow,
                changed,
                Reply(
                    "helpline/staff_retiered",
                    {
                        "code": case.code,
                        "tier": tier.value,
                        # As on the record: a reason of 4000 characters would make the post
                        # too long for Telegram, and the re-tier would go unannounced.
                        "reason": reason,
                        "name": staff.display_name,
                    },
                ),
                now,
            )
            await uow.commit()
        self.nudge()
        return StaffResult("toast.case.retiered", {"tier": tier.value}, menu=card_actions(changed))

    async def transfer_menu(self, telegram_id: int, at: Place, case_id: int) -> StaffResult:
        async with self.uow() as uow:
            acting = await self._acting(uow, telegram_id, at, case_id)
            if isinstance(acting, StaffResult):
                return acting
            _, case = acting
            if case.status is CaseStatus.CLOSED:
                return GONE
            others = [
                s
                for s in await uow.staff.active()
                if s.person_id != case.claimed_by and may(s.role, StaffAction.CLAIM)
            ]
        if not others:
            return StaffResult("toast.case.nobody_to_transfer", alert=True)
        choices = [
            Choice(
                "btn.staff_member",
                f"case:xferto:{case_id}:{s.person_id}",
                label_data={"name": s.display_name, "duty": "🟢" if s.on_duty else "⚪"},
            )
            for s in others[:12]
        ]
        return StaffResult(
            menu=(*rows(*choices, width=2), (Choice("btn.case.back", f"case:card:{case_id}"),))
        )

    async def transfer(
        self, telegram_id: int, at: Place, case_id: int, to_person: int
    ) -> StaffResult:
        now = self.clock.now()
        async with self.uow() as uow:
            acting = await self._acting(uow, telegram_id, at, case_id)
            if isinstance(acting, StaffResult):
                return acting
            staff, case = acting
            target = await uow.staff.by_person_id(to_person)
            # Only a role that holds conversations can be handed one (a forged button too).
            if target is not None and not may(target.role, StaffAction.CLAIM):
                target = None
            if target is None or case.status is CaseStatus.CLOSED:
                return GONE
            if not may_act_on(case, staff.person_id, staff.role is Role.SUPERVISOR):
                return StaffResult("toast.case.not_yours", alert=True)
            cap = self.targets.max_claims
            if (
                target.person_id != case.claimed_by
                and await uow.cases.held_by(target.person_id) >= cap
            ):
                # Nobody is handed more cases than the cap allows, by a colleague or by
                # forging "transfer to me" (the menu never offers yourself).
                if target.person_id == staff.person_id:
                    return StaffResult("toast.case.cap", {"max": cap}, alert=True)
                return StaffResult(
                    "toast.case.target_cap", {"name": target.display_name, "max": cap}, alert=True
                )
            # Conditional: a waiting case claimed by someone else meanwhile is not taken away.
            if not await uow.cases.set_status(
                case.id,
                case.status,
                status=CaseStatus.CLAIMED,
                claimed_by=target.person_id,
                claimed_at=now,
            ):
                return StaffResult("toast.case.try_again", alert=True)
            await uow.cases.log(
                case.id,
                EventKind.TRANSFERRED,
                now,
                staff.person_id,
                source=case.claimed_by,
                target=target.person_id,
            )
            moved = await uow.cases.by_id(case.id) or case
            card = await self._card(uow, moved)
            said = await uow.cases.messages(case.id)
            await self.board.post(uow, moved, transfer_notice(moved, staff, target, said), now)
            await uow.commit()
        self.nudge()
        return StaffResult(
            "toast.case.transferred",
            {"name": target.display_name},
            menu=card_actions(moved),
            cards=card,
        )

    # -- close, reopen --------------------------------------------------------------------

    def close_menu(self, case_id: int) -> tuple[tuple[Choice, ...], ...]:
        return (
            *rows(
                *(
                    Choice(f"btn.outcome.{o.value}", f"case:closeas:{case_id}:{o.value}")
                    for o in CloseOutcome
                ),
                width=2,
            ),
            (Choice("btn.case.back", f"case:card:{case_id}"),),
        )

    async def close(
        self, telegram_id: int, at: Place, case_id: int, outcome_value: str, note: str = ""
    ) -> StaffResult:
        """Close with an outcome. A red or orange case is closed only by `/close <outcome>
        <note>` typed in its topic: the outcome buttons say so instead of closing it, so the
        typed command is the confirmation, and the note goes on the record."""
        try:
            outcome = CloseOutcome(outcome_value)
        except ValueError:
            return GONE
        note = note.strip()[:REASON_LIMIT]
        now = self.clock.now()
        async with self.uow() as uow:
            acting = await self._acting(uow, telegram_id, at, case_id)
            if isinstance(acting, StaffResult):
                return acting
            staff, case = acting
            if case.status is CaseStatus.CLOSED:
                return GONE
            if not may_act_on(case, staff.person_id, staff.role is Role.SUPERVISOR):
                return StaffResult("toast.case.not_yours", alert=True)
            if closing_needs_note(case) and not note:
                return StaffResult(
                    "toast.case.close_confirm",
                    {"code": case.code, "outcome": outcome.value},
                    alert=True,
                    menu=card_actions(case),
                )
            done = await uow.cases.set_status(
                case.id, case.status, status=CaseStatus.CLOSED, closed_at=now, outcome=outcome
            )
            if not done:
                return GONE
            await uow.cases.log(
                case.id,
                EventKind.CLOSED,
                now,
                staff.person_id,
                outcome=outcome.value,
                **({"note": note} if note else {}),
            )
            closed = await uow.cases.by_id(case.id) or case
            person = await uow.people.by_id(case.person_id)
            chat = person.telegram_id if person is not None else None
            if person is not None and chat is not None and outcome is not CloseOutcome.NO_CONTACT:
                await self.board.to_person(
                    uow,
                    closed,
                    chat,
                    person.locale,
                    now,
                    reply=Reply("helpline/closed_for_person"),
                )
            if chat is not None:
                # Lessons and questionnaires that waited during the conversation resume.
                await uow.holds.release_chat(chat, self.hold_kinds)
            await self.board.post(
                uow,
                closed,
                Reply(
                    "helpline/staff_closed",
                    {
                        "code": case.code,
                        "outcome": outcome.value,
                        "name": staff.display_name,
                        "note": note,
                    },
                    choices=card_actions(closed),
                ),
                now,
            )
            await self.board.rename(uow, closed, now)
            card = await self._card(uow, closed)
            await uow.commit()
        self.nudge()
        return StaffResult("toast.case.closed", menu=card_actions(closed), cards=card)

    async def reopen(self, telegram_id: int, at: Place, case_id: int) -> StaffResult:
        now = self.clock.now()
        async with self.uow() as uow:
            acting = await self._acting(uow, telegram_id, at, case_id)
            if isinstance(acting, StaffResult):
                return acting
            staff, case = acting
            if case.status is not CaseStatus.CLOSED:
                return await self._moved_on(uow, case)
            if await uow.cases.open_for(case.person_id) is not None:
                return StaffResult("toast.case.has_open", alert=True)
            if await uow.cases.held_by(staff.person_id) >= self.targets.max_claims:
                # Reopening makes the case the presser's: the cap on claims holds here too.
                return StaffResult("toast.case.cap", {"max": self.targets.max_claims}, alert=True)
            await uow.cases.set_status(
                case.id,
                CaseStatus.CLOSED,
                status=CaseStatus.CLAIMED,
                claimed_by=staff.person_id,
                claimed_at=now,
                closed_at=None,
                outcome=None,
            )
            await uow.cases.log(case.id, EventKind.REOPENED, now, staff.person_id)
            again = await uow.cases.by_id(case.id) or case
            person = await uow.people.by_id(case.person_id)
            if person is not None and person.telegram_id is not None:
                await uow.holds.hold_chat(person.telegram_id, self.hold_kinds)
            await self.board.rename(uow, again, now)
            await self.board.post(
                uow,
                again,
                Reply(
                    "helpline/staff_reopened",
                    {"code": case.code, "name": staff.display_name},
                    choices=card_actions(again),
                ),
                now,
            )
            card = await self._card(uow, again)
            await uow.commit()
        self.nudge()
        return StaffResult("toast.case.reopened", menu=card_actions(again), cards=card)

    # -- referral, follow-up, report ------------------------------------------------------

    async def refer_menu(self, telegram_id: int, at: Place, case_id: int) -> StaffResult:
        async with self.uow() as uow:
            acting = await self._acting(uow, telegram_id, at, case_id)
            if isinstance(acting, StaffResult):
                return acting
            _, case = acting
            person = await uow.people.by_id(case.person_id)
            region = None
            if person is not None and person.service_point_id is not None:
                sp = await uow.service_points.by_id(person.service_point_id)
                region = sp.region if sp else None
        choices = [
            Choice("btn.resource", f"case:referto:{case_id}:{r.id}", label_data={"name": r.name})
            for r in self.directory.for_region(region)
        ]
        return StaffResult(
            menu=(*rows(*choices), (Choice("btn.case.back", f"case:card:{case_id}"),))
        )

    async def refer(
        self, telegram_id: int, at: Place, case_id: int, resource_id: str
    ) -> StaffResult:
        resource = self.directory.get(resource_id)
        now = self.clock.now()
        async with self.uow() as uow:
            acting = await self._acting(uow, telegram_id, at, case_id)
            if isinstance(acting, StaffResult):
                return acting
            staff, case = acting
            if resource is None:
                return GONE
            referral = await uow.cases.refer(case.id, resource.id, staff.person_id, now)
            await uow.cases.log(
                case.id,
                EventKind.REFERRED,
                now,
                staff.person_id,
                resource=resource.id,
                referral=referral.id,
            )
            await self.board.post(
                uow,
                case,
                Reply(
                    "helpline/staff_referral",
                    {
                        "code": case.code,
                        "resource": resource.name,
                        "phone": resource.phone,
                        "status": referral.status.value,
                        "name": staff.display_name,
                    },
                    choices=rows(
                        *(
                            Choice(f"btn.ref.{s.value}", f"ref:{referral.id}:{s.value}")
                            for s in ReferralStatus
                            if s is not ReferralStatus.SUGGESTED
                        ),
                        width=3,
                    ),
                ),
                now,
            )
            await uow.commit()
        self.nudge()
        return StaffResult("toast.case.referred", menu=card_actions(case))

    async def referral_status(
        self, telegram_id: int, at: Place, referral_id: int, status_value: str
    ) -> StaffResult:
        try:
            status = ReferralStatus(status_value)
        except ValueError:
            return GONE
        now = self.clock.now()
        async with self.uow() as uow:
            if await self.staff(uow, telegram_id, at.chat_id) is None:
                return NOT_STAFF
            referral = await uow.cases.referral(referral_id)
            if referral is None:
                return GONE
            # The referral's buttons are on its post in the case's topic.
            acting = await self._acting(uow, telegram_id, at, referral.case_id)
            if isinstance(acting, StaffResult):
                return acting
            staff, case = acting
            await uow.cases.set_referral(referral.id, status, now)
            await uow.cases.log(
                case.id,
                EventKind.REFERRAL_STATUS,
                now,
                staff.person_id,
                referral=referral.id,
                status=status.value,
            )
            await uow.commit()
        return StaffResult(REFERRAL_TOASTS[status])

    def follow_up_menu(self, case_id: int) -> tuple[tuple[Choice, ...], ...]:
        return (
            tuple(
                Choice("btn.fu.days", f"case:fuin:{case_id}:{d}", label_data={"days": d})
                for d in FOLLOW_UP_DAYS
            ),
            (Choice("btn.case.back", f"case:card:{case_id}"),),
        )

    async def follow_up(
        self, telegram_id: int, at: Place, case_id: int, days: int, note: str = ""
    ) -> StaffResult:
        if not 0 <= days <= 365:
            return StaffResult("toast.case.bad_date", alert=True)
        now = self.clock.now()
        async with self.uow() as uow:
            acting = await self._acting(uow, telegram_id, at, case_id)
            if isinstance(acting, StaffResult):
                return acting
            staff, case = acting
            due = now + timedelta(days=days)
            note = clip(note, NOTE_UNITS)
            fu = await uow.cases.add_follow_up(
                case.id, staff.person_id, due, note, staff.person_id, now
            )
            await uow.cases.log(
                case.id,
                EventKind.FOLLOW_UP,
                now,
                staff.person_id,
                follow_up=fu.id,
                due=due.isoformat(),
            )
            await self.board.post(
                uow,
                case,
                Reply(
                    "helpline/staff_follow_up_set",
                    {
                        "code": case.code,
                        "due": due.date().isoformat(),
                        "name": staff.display_name,
                        "note": note,
                    },
                ),
                now,
            )
            await uow.commit()
        self.nudge()
        return StaffResult("toast.case.follow_up_set", {"days": days}, menu=card_actions(case))

    async def follow_up_done(self, telegram_id: int, chat_id: int, fu_id: int) -> StaffResult:
        """✅ on a follow-up: on its reminder in the case's topic or on the /followups list,
        which is posted wherever it was asked for, so any thread of the case's staff chat.
        Follow-up ids are never reused (migration 0012), so an old button names only its own."""
        now = self.clock.now()
        async with self.uow() as uow:
            staff = await self.staff(uow, telegram_id, chat_id)
            if staff is None:
                return NOT_STAFF
            fu = await uow.cases.follow_up(fu_id)
            case = await self._case(uow, fu.case_id, chat_id) if fu else None
            if fu is None or case is None or fu.done_at is not None:
                return GONE
            await uow.cases.update_follow_up(fu.id, done_at=now)
            await uow.cases.log(
                case.id, EventKind.FOLLOW_UP, now, staff.person_id, follow_up=fu.id, done=True
            )
            await uow.commit()
        return StaffResult("toast.case.follow_up_done")

    async def reported(
        self, telegram_id: int, chat_id: int, topic_id: int | None, authority: str
    ) -> str:
        """A mandatory report was made: who, when, to whom, on the case's record."""
        now = self.clock.now()
        async with self.uow() as uow:
            staff = await self.staff(uow, telegram_id, chat_id)
            if staff is None:
                return "ignored"
            case = await uow.cases.by_topic(chat_id, topic_id) if topic_id else None
            if case is None:
                return "helpline/staff_in_topic_only"
            if not authority.strip():
                return "helpline/staff_reported_usage"
            authority = clip(authority.strip(), AUTHORITY_UNITS)
            await uow.cases.log(
                case.id,
                EventKind.REPORTED,
                now,
                staff.person_id,
                authority=authority,
                by=staff.display_name,
            )
            await self.board.post(
                uow,
                case,
                Reply(
                    "helpline/staff_reported",
                    {
                        "code": case.code,
                        "authority": authority,
                        "name": staff.display_name,
                    },
                ),
                now,
            )
            await uow.commit()
        self.nudge()
        return ""

    async def _command_case(
        self, uow: UnitOfWork, chat_id: int, topic_id: int | None, args: str
    ) -> tuple[Case | None, str]:
        """The case a command is about: the topic's, or, in the general thread, the one its
        first word names (C-0042), for a case whose topic could not be made."""
        if topic_id is not None:
            return await uow.cases.by_topic(chat_id, topic_id), args
        first, _, rest = args.strip().partition(" ")
        case_id = parse_int(first[2:]) if first.upper().startswith("C-") else None
        case = await self._case(uow, case_id, chat_id) if case_id is not None else None
        return (case, rest) if case is not None and case.topic_id is None else (None, args)

    async def tier_command(
        self, telegram_id: int, chat_id: int, topic_id: int | None, args: str
    ) -> str | StaffResult:
        """`/tier red <reason>` in a case topic. A refusal comes back as a StaffResult, to be
        said in the topic."""
        async with self.uow() as uow:
            # Staff first: anyone else, in any group, gets no answer at all (not even "use it
            # in a case topic", which tells a stranger what this chat is).
            if await self.staff(uow, telegram_id, chat_id) is None:
                return "ignored"
            case, args = await self._command_case(uow, chat_id, topic_id, args)
        if case is None:
            return "helpline/staff_in_topic_only"
        words = args.split(maxsplit=1)
        if not words:
            return "helpline/staff_tier_usage"
        result = await self.set_tier(
            telegram_id,
            Place(chat_id, topic_id),
            case.id,
            words[0].lower(),
            words[1] if len(words) > 1 else "",
        )
        if result is NOT_STAFF:
            return "ignored"
        if result.toast == "toast.case.bad_tier":
            return "helpline/staff_tier_usage"
        # The topic hears of a re-tier from its post; a toast is said only when it refuses.
        return result if result.alert or not result.menu else replace(result, toast="")

    async def close_command(
        self, telegram_id: int, chat_id: int, topic_id: int | None, args: str
    ) -> str | StaffResult:
        """`/close <outcome> <note>` in a case topic: how a red or orange case is closed, with
        a note on what happened; for the others the note is welcome and optional."""
        async with self.uow() as uow:
            if await self.staff(uow, telegram_id, chat_id) is None:
                return "ignored"
            case, args = await self._command_case(uow, chat_id, topic_id, args)
        if case is None:
            return "helpline/staff_in_topic_only"
        word, _, note = args.strip().partition(" ")
        outcome = parse_outcome(word)
        if outcome is None:
            return "helpline/staff_close_usage"
        result = await self.close(telegram_id, Place(chat_id, topic_id), case.id, outcome, note)
        if result is NOT_STAFF:
            return "ignored"
        return result if result.alert else replace(result, toast="")

    async def is_staff(self, telegram_id: int, chat_id: int) -> bool:
        """Active staff acting in a staff chat (for commands that answer before any case)."""
        async with self.uow() as uow:
            return await self.staff(uow, telegram_id, chat_id) is not None

    async def case_in_topic(self, chat_id: int, topic_id: int | None) -> Case | None:
        if topic_id is None:
            return None
        async with self.uow() as uow:
            return await uow.cases.by_topic(chat_id, topic_id)

    async def card_menu(self, telegram_id: int, at: Place, case_id: int) -> StaffResult:
        async with self.uow() as uow:
            acting = await self._acting(uow, telegram_id, at, case_id)
        if isinstance(acting, StaffResult):
            return acting
        return StaffResult(menu=card_actions(acting[1]))

    async def menu_for(self, telegram_id: int, at: Place, case_id: int, which: str) -> StaffResult:
        """Sub-menus that need only the case to exist: tier, close, follow-up, canned."""
        async with self.uow() as uow:
            acting = await self._acting(uow, telegram_id, at, case_id)
        if isinstance(acting, StaffResult):
            return acting
        if acting[1].status is CaseStatus.CLOSED:
            return GONE
        menus = {
            "tier": self.tier_menu,
            "close": self.close_menu,
            "fu": self.follow_up_menu,
            "canned": self.canned_menu,
        }
        return StaffResult(menu=menus[which](case_id))

    async def post_general(self, chat_id: int, thread_id: int | None, reply: Reply) -> None:
        """A command's answer in the staff chat, through the outbox like everything else."""
        async with self.uow() as uow:
            await self.board.say(
                uow, chat_id, thread_id, reply, self.clock.now(), Priority.INTERACTIVE
            )
            await uow.commit()
        self.nudge()
