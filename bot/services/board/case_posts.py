"""The staff chat as seen from the core: a case's topic, its card, and posts into it.

Everything for the staff supergroup goes through the outbox, so the group's 20 messages a
minute are shared fairly and nothing is lost (docs/DOMAIN.md §6). A case's posts wait (held) until
its forum topic exists; the topic's after-send hook lets them go, in order.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from bot.domain.case_actions import (
    CannedMenu,
    Claim,
    CloseMenu,
    FollowUpMenu,
    MissMenu,
    NextCase,
    ReferMenu,
    Release,
    Reopen,
    TierMenu,
    TransferMenu,
    state_buttons,
)
from bot.domain.cases import Case, CaseStatus, topic_name
from bot.domain.lengths import split, units
from bot.domain.outbox import (
    STAFF_POST,
    CopyOf,
    NewMessage,
    NewTopic,
    OutboxItem,
    OutboxStatus,
    Priority,
    RenameTopic,
    SendOutcome,
    SendResult,
)
from bot.domain.people import Role
from bot.domain.replies import Choice, Reply, reply_from_data, reply_to_data, rows
from bot.ports import StaffMember, UnitOfWork, UnitOfWorkFactory
from bot.services.outbox.kinds import AfterRefused, RowKinds

TOPIC = "case_topic"  # createForumTopic for a new case
POST = "case_post"  # a reply-shaped post in the case's topic (card, alerts, notices)
RELAY_IN = "case_in"  # the person's words, merged when the budget is tight
COPY = "case_copy"  # a photo, voice or sticker copied across
RENAME = "case_rename"  # the topic's title follows the tier and the state
RELAY_OUT = "case_out"  # a counsellor's words to the person, under the pseudonym
KINDS = (TOPIC, POST, RELAY_IN, COPY, RENAME, RELAY_OUT)
# Telegram's text limit is 4,096 UTF-16 units (bot/domain/lengths.py); a piece leaves room for
# the header around it, and merged lines count the "💬 " and line break each one brings.
MERGE_LIMIT = 3500
LINE_COST = units("\n💬 ")


def pieces(text: str, size: int = MERGE_LIMIT) -> list[str]:
    """Text cut to fit a message beside its header: a person may send the full 4,096 units,
    and with "💬 " or a counsellor's pseudonym in front Telegram would refuse the whole
    message (400), losing every word of it."""
    return split(text, size)


def _key(case_id: int, what: str) -> str:
    return f"case:{case_id}:{what}"


def topic_key(case_id: int) -> str:
    return _key(case_id, "topic")


def card_key(case_id: int) -> str:
    """The case card's row: its message is found again to bring its buttons up to date."""
    return _key(case_id, "card")


def card_actions(case: Case) -> tuple[tuple[Choice, ...], ...]:
    """The buttons under a case card (bot/domain/case_actions.py keeps each within 64 bytes)."""
    c = case.id
    if case.status is CaseStatus.CLOSED:
        return rows(Choice("btn.case.reopen", Reopen(c).pack()))
    first = (
        Choice("btn.case.claim", Claim(c).pack())
        if case.status is CaseStatus.WAITING
        else Choice("btn.case.release", Release(c).pack())
    )
    return (
        (first, Choice("btn.case.next", NextCase().pack())),
        (
            Choice("btn.case.transfer", TransferMenu(c).pack()),
            Choice("btn.case.tier", TierMenu(c).pack()),
        ),
        (
            Choice("btn.case.refer", ReferMenu(c).pack()),
            Choice("btn.case.followup", FollowUpMenu(c).pack()),
        ),
        (
            Choice("btn.case.canned", CannedMenu(c).pack()),
            Choice("btn.case.close", CloseMenu(c).pack()),
        ),
        # Learning from misses: the person's latest words deserved more than triage gave.
        (Choice("btn.case.missed", MissMenu(c).pack()),),
    )


def _shows_state(reply: Reply, case_id: int) -> bool:
    """The post carries the case's own buttons (✋, ↩️ or 🔓 say which state it is in)."""
    state = state_buttons(case_id)
    return any(c.action in state for row in reply.choices for c in row)


class Board:
    def __init__(self, staff_locale: str) -> None:
        self.locale = staff_locale

    async def _queue(
        self,
        uow: UnitOfWork,
        case: Case,
        kind: str,
        payload: Mapping[str, object],
        now: datetime,
        priority: Priority = Priority.STAFF,
        what: str = "",
    ) -> str:
        key = _key(case.id, what or f"{kind}:{uuid.uuid4().hex}")
        await uow.outbox.enqueue(
            [
                NewMessage(
                    key=key,
                    chat_id=case.staff_chat_id,
                    thread_id=case.topic_id,
                    kind=kind,
                    priority=priority,
                    locale=self.locale,
                    due_at=now,
                    payload={"case_id": case.id, **payload},
                )
            ]
        )
        if case.topic_id is None and kind != TOPIC:
            await uow.holds.hold_keys([key])
        return key

    async def say(
        self,
        uow: UnitOfWork,
        chat_id: int,
        thread_id: int | None,
        reply: Reply,
        now: datetime,
        priority: Priority = Priority.INTERACTIVE,
        key: str = "",
    ) -> None:
        """A post in a staff chat that belongs to no case (the queue, follow-ups, duty)."""
        await uow.outbox.enqueue(
            [
                NewMessage(
                    key=key or f"{STAFF_POST}{chat_id}:{uuid.uuid4().hex}",
                    chat_id=chat_id,
                    thread_id=thread_id,
                    kind="reply",
                    priority=priority,
                    locale=self.locale,
                    due_at=now,
                    payload=reply_to_data(reply),
                )
            ]
        )

    async def page_supervisors(
        self,
        uow: UnitOfWork,
        case: Case,
        template: str,
        data: Mapping[str, object],
        now: datetime,
        tag: str,
    ) -> None:
        """A direct message to every supervisor about a case; `tag` keeps each page once."""
        sups = [s for s in await uow.staff.active() if s.role is Role.SUPERVISOR]
        reply = Reply(template, {"code": case.code, **data})
        await self._direct(uow, sups, reply, now, lambda s: f"page:{case.id}:{s.person_id}:{tag}")

    async def alert_on_duty(
        self, uow: UnitOfWork, case: Case, service_point_id: int | None, now: datetime
    ) -> int:
        """A red case, straight to each on-duty counsellor's private chat with the bot, with a
        claim button: the group may be behind on its 20 posts a minute, a private chat is
        not. Discreet: a counsellor's phone is seen by others too, so no words of the child."""
        on_duty = [
            s
            for s in await uow.staff.active()
            if s.on_duty and s.service_point_id in (None, service_point_id)
        ]
        reply = Reply(
            "helpline/dm_red_case",
            {"code": case.code, "tier": case.tier.value, "categories": list(case.categories)},
            choices=rows(Choice("btn.case.claim", Claim(case.id).pack())),
        )
        tier = case.tier.value
        return await self._direct(
            uow, on_duty, reply, now, lambda s: f"dm:{case.id}:{s.person_id}:{tier}"
        )

    async def _direct(
        self,
        uow: UnitOfWork,
        members: Sequence[StaffMember],
        reply: Reply,
        now: datetime,
        key: Callable[[StaffMember], str],
    ) -> int:
        """The same alert in each of these staff members' private chats with the bot."""
        return await uow.outbox.enqueue(
            [
                NewMessage(
                    key=key(s),
                    chat_id=s.telegram_id,
                    kind="reply",
                    priority=Priority.ALERT,
                    locale=self.locale,
                    due_at=now,
                    payload=reply_to_data(reply),
                )
                for s in members
            ]
        )

    async def open_topic(self, uow: UnitOfWork, case: Case, now: datetime) -> None:
        await self._queue(uow, case, TOPIC, {}, now, Priority.ALERT, what="topic")

    async def post(
        self,
        uow: UnitOfWork,
        case: Case,
        reply: Reply,
        now: datetime,
        priority: Priority = Priority.STAFF,
        what: str = "",
    ) -> None:
        await self._queue(uow, case, POST, {"reply": reply_to_data(reply)}, now, priority, what)

    async def relay_in(self, uow: UnitOfWork, case: Case, line: str, now: datetime) -> None:
        """The person's words into the topic; merged into an unsent post if there is one."""
        for piece in pieces(line):
            if await uow.holds.append(case.id, RELAY_IN, piece, MERGE_LIMIT, LINE_COST):
                continue
            await self._queue(uow, case, RELAY_IN, {"lines": [piece]}, now, Priority.RELAY)

    async def copy_in(
        self, uow: UnitOfWork, case: Case, from_chat: int, message_id: int, now: datetime
    ) -> None:
        payload = {"from_chat": from_chat, "message_id": message_id}
        await self._queue(uow, case, COPY, payload, now, Priority.RELAY)

    async def rename(self, uow: UnitOfWork, case: Case, now: datetime) -> None:
        if case.topic_id is not None:
            await self._queue(uow, case, RENAME, {}, now)

    async def to_person(
        self,
        uow: UnitOfWork,
        case: Case,
        telegram_id: int,
        locale: str,
        now: datetime,
        reply: Reply | None = None,
        copy: tuple[int, int] | None = None,
        key: str = "",
    ) -> int:
        """A counsellor's words or media to the person: first in line, never forwarded.
        Returns 0 if a message with this `key` was queued before (a ✅ pressed twice)."""
        payload: dict[str, object] = {"case_id": case.id}
        if reply is not None:
            payload["reply"] = reply_to_data(reply)
        if copy is not None:
            payload["from_chat"], payload["message_id"] = copy
        return await uow.outbox.enqueue(
            [
                NewMessage(
                    key=_key(case.id, f"out:{key or uuid.uuid4().hex}"),
                    chat_id=telegram_id,
                    kind=RELAY_OUT,
                    priority=Priority.RELAY,
                    locale=locale,
                    due_at=now,
                    payload=payload,
                    person_id=case.person_id,
                )
            ]
        )

    async def compose(
        self, uow_factory: UnitOfWorkFactory, kind: str, payload: Mapping[str, object]
    ) -> Reply | NewTopic | RenameTopic | CopyOf | None:
        """What a case row says when its turn comes (the outbox composer for KINDS)."""
        try:
            if kind in (TOPIC, RENAME):
                async with uow_factory() as uow:
                    case = await uow.cases.by_id(int(str(payload["case_id"])))
                if case is None:
                    return None
                if kind == TOPIC:
                    return NewTopic(topic_name(case))
                return RenameTopic(topic_name(case), closed=case.status is CaseStatus.CLOSED)
            if "from_chat" in payload:
                return CopyOf(int(str(payload["from_chat"])), int(str(payload["message_id"])))
            if kind == RELAY_IN:
                lines = [str(x) for x in payload.get("lines") or []]  # type: ignore[attr-defined]
                return Reply("helpline/relay_in", {"lines": lines})
            data = payload.get("reply")
            if not isinstance(data, Mapping):
                return None
            reply = reply_from_data(data)
            if kind == POST and _shows_state(reply, int(str(payload["case_id"]))):
                # Queued a while ago (the group's budget was spent): its buttons are the
                # case's as it is when it is shown, not when it was written.
                async with uow_factory() as uow:
                    case = await uow.cases.by_id(int(str(payload["case_id"])))
                if case is not None:
                    reply = replace(reply, choices=card_actions(case))
            return reply
        except (KeyError, TypeError, ValueError):
            return None

    def row_kinds(self, uow_factory: UnitOfWorkFactory) -> RowKinds:
        """A case's rows: its topic, card, posts, relays and copies. Once a topic is made, the
        posts held for it are let go (and the sender wakes as that commits)."""

        async def sent(items: Sequence[OutboxItem], now: datetime) -> int:
            return await self.after_sent(uow_factory, items, now)

        return RowKinds(KINDS, self.compose, after_sent=sent)

    def refused(self, uow_factory: UnitOfWorkFactory) -> AfterRefused:
        """Any row Telegram refused for good, whatever its kind: a child who blocked the bot is
        news for the case's staff even when it was a lesson that found out."""

        async def told(refused: Sequence[tuple[OutboxItem, SendResult]], now: datetime) -> int:
            return await self.after_failed(uow_factory, refused, now)

        return told

    async def after_sent(
        self, uow_factory: UnitOfWorkFactory, items: Sequence[OutboxItem], now: datetime
    ) -> int:
        """A case's topic exists now: note its id and let the posts waiting for it go.
        Returns how many posts were let go (the sender should look again at once)."""
        released = 0
        for item in items:
            if item.kind != TOPIC:
                continue
            case_id = int(str(item.payload.get("case_id", 0)))
            async with uow_factory() as uow:
                found = await uow.holds.sent(item.key)
                if found is None or found[0] is not OutboxStatus.SENT or found[1] is None:
                    continue
                await uow.cases.update(case_id, topic_id=found[1])
                released += await uow.holds.attach_topic(case_id, found[1])
                await uow.commit()
        return released

    async def after_failed(
        self,
        uow_factory: UnitOfWorkFactory,
        refused: Sequence[tuple[OutboxItem, SendResult]],
        now: datetime,
    ) -> int:
        """Staff hear what they would otherwise never see: a child who blocked the bot (403),
        a post about a case that Telegram refused (400), a counsellor's words that did not
        reach the child. Returns how many notes were queued."""
        told = 0
        for item, result in refused:
            async with uow_factory() as uow:
                if await self._tell_refused(uow, item, result, now):
                    told += 1
                await uow.commit()
        return told

    async def _tell_refused(
        self, uow: UnitOfWork, item: OutboxItem, result: SendResult, now: datetime
    ) -> bool:
        if item.payload.get("failure_note"):
            return False  # a note about a failure failed too: do not go round in circles
        blocked = result.outcome is SendOutcome.FORBIDDEN
        case: Case | None = None
        if blocked and item.chat_id > 0:
            person = await uow.people.by_telegram_id(item.chat_id)
            if person is not None and person.id is not None:
                case = await uow.cases.open_for(person.id)
            if case is None:
                return False
            reply = Reply("helpline/staff_person_blocked", {"code": case.code})
            await self._note(uow, case, reply, now, f"blocked:{item.id}", in_topic=True)
            return True
        if item.kind not in KINDS or "case_id" not in item.payload:
            return False
        case = await uow.cases.by_id(int(str(item.payload["case_id"])))
        if case is None:
            return False
        if item.kind == TOPIC:  # no topic: the case's posts go to the chat's general thread
            return await self.rescue_topicless(uow, case, now)
        if item.kind == RENAME:
            return False  # the title lags behind; the card and the posts still say it all
        template = (
            "helpline/staff_relay_failed"
            if item.kind == RELAY_OUT
            else "helpline/staff_post_failed"
        )
        reply = Reply(template, {"code": case.code, "reason": result.error[:200]})
        # A post into the topic may have failed because of the topic: say it in the chat.
        await self._note(
            uow, case, reply, now, f"failed:{item.id}", in_topic=item.kind == RELAY_OUT
        )
        return True

    async def _note(
        self, uow: UnitOfWork, case: Case, reply: Reply, now: datetime, what: str, in_topic: bool
    ) -> None:
        reply = Reply(reply.template, reply.data, choices=card_actions(case))
        await uow.outbox.enqueue(
            [
                NewMessage(
                    key=_key(case.id, what),
                    chat_id=case.staff_chat_id,
                    thread_id=case.topic_id if in_topic else None,
                    kind=POST,
                    priority=Priority.ALERT,
                    locale=self.locale,
                    due_at=now,
                    payload={
                        "case_id": case.id,
                        "reply": reply_to_data(reply),
                        "failure_note": True,
                    },
                )
            ]
        )

    async def rescue_topicless(self, uow: UnitOfWork, case: Case, now: datetime) -> bool:
        """If the topic could not be made (not a forum, no rights), post in the chat itself:
        a case card in the general thread beats a card nobody sees."""
        found = await uow.holds.sent(topic_key(case.id))
        if case.topic_id is not None or found is None:
            return False
        if found[0] in (OutboxStatus.FAILED, OutboxStatus.BLOCKED):
            return await uow.holds.attach_topic(case.id, None) > 0
        return False
