"""Casework as the handlers see it: one object whose use cases live in the sub-journeys.

A counsellor's side of the helpline: claim, talk, note, re-tier, transfer, refer, follow up,
close. Who may act is decided by StaffAccess (access.py); each sub-journey has its module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.domain.cases import Case, CaseStatus, Targets
from bot.domain.outbox import Priority
from bot.domain.referrals import Canned, Directory
from bot.domain.replies import Reply
from bot.ports import Clock, UnitOfWorkFactory
from bot.services.board import Board, card_actions
from bot.services.casework.access import GONE, StaffAccess
from bot.services.casework.claims import Claims
from bot.services.casework.closing import Closing
from bot.services.casework.desk import Desk
from bot.services.casework.follow_ups import FollowUps
from bot.services.casework.notes import Reports
from bot.services.casework.ready_replies import ReadyReplies
from bot.services.casework.referrals import Referrals
from bot.services.casework.relay import Relay
from bot.services.casework.results import Menu, Place, StaffResult
from bot.services.casework.tiers import Tiers
from bot.services.casework.transfers import Transfers


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
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.board = board
        self.targets = targets
        self.directory = directory
        self.staff_chats = staff_chats
        self.hold_kinds = tuple(hold_kinds)
        self.access = StaffAccess(uow, staff_chats)
        desk = Desk(uow, clock, board, self.access, targets, self.hold_kinds)
        self.claims = Claims(desk)
        self.relay = Relay(desk)
        self.ready_replies = ReadyReplies(desk, canned)
        self.tiers = Tiers(desk)
        self.transfers = Transfers(desk)
        self.closing = Closing(desk)
        self.referrals = Referrals(desk, directory)
        self.follow_ups = FollowUps(desk)
        self.reports = Reports(desk)
        self.canned = self.ready_replies.canned
        # The use cases by the names the handlers have always called them.
        self.staff = self.access.staff
        self.acting = self.access.acting
        self.refusal = self.access.refusal
        self.is_staff = self.access.is_staff
        self.is_staff_chat = self.access.is_staff_chat
        self.claim = self.claims.claim
        self.take_next = self.claims.take_next
        self.release = self.claims.release
        self.topic_text = self.relay.topic_text
        self.topic_media = self.relay.topic_media
        self.canned_menu = self.ready_replies.canned_menu
        self.preview_canned = self.ready_replies.preview_canned
        self.send_canned = self.ready_replies.send_canned
        self.tier_menu = self.tiers.tier_menu
        self.set_tier = self.tiers.set_tier
        self.tier_command = self.tiers.tier_command
        self.transfer_menu = self.transfers.transfer_menu
        self.transfer = self.transfers.transfer
        self.close_menu = self.closing.close_menu
        self.close = self.closing.close
        self.close_command = self.closing.close_command
        self.reopen = self.closing.reopen
        self.refer_menu = self.referrals.refer_menu
        self.refer = self.referrals.refer
        self.referral_status = self.referrals.referral_status
        self.follow_up_menu = self.follow_ups.follow_up_menu
        self.follow_up = self.follow_ups.follow_up
        self.follow_up_done = self.follow_ups.follow_up_done
        self.reported = self.reports.reported
        self._menus: dict[str, Callable[[int], Menu]] = {
            "tier": self.tier_menu,
            "close": self.close_menu,
            "fu": self.follow_up_menu,
            "canned": self.canned_menu,
        }

    async def case_in_topic(self, chat_id: int, topic_id: int | None) -> Case | None:
        if topic_id is None:
            return None
        async with self.uow() as uow:
            return await uow.cases.by_topic(chat_id, topic_id)

    async def card_menu(self, telegram_id: int, at: Place, case_id: int) -> StaffResult:
        async with self.uow() as uow:
            acting = await self.access.acting(uow, telegram_id, at, case_id)
        if isinstance(acting, StaffResult):
            return acting
        return StaffResult(menu=card_actions(acting[1]))

    async def menu_for(self, telegram_id: int, at: Place, case_id: int, which: str) -> StaffResult:
        """Sub-menus that need only the case to exist: tier, close, follow-up, canned."""
        async with self.uow() as uow:
            acting = await self.access.acting(uow, telegram_id, at, case_id)
        if isinstance(acting, StaffResult):
            return acting
        if acting[1].status is CaseStatus.CLOSED:
            return GONE
        return StaffResult(menu=self._menus[which](case_id))

    async def post_general(self, chat_id: int, thread_id: int | None, reply: Reply) -> None:
        """A command's answer in the staff chat, through the outbox like everything else."""
        async with self.uow() as uow:
            await self.board.say(
                uow, chat_id, thread_id, reply, self.clock.now(), Priority.INTERACTIVE
            )
            await uow.commit()
