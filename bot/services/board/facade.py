"""The board as the services see it: one object whose parts are the board's sub-journeys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain.outbox import OutboxItem, SendResult
from bot.ports import UnitOfWorkFactory
from bot.services.board.case_posts import CasePosts
from bot.services.board.composing import compose
from bot.services.board.refusals import Refusals
from bot.services.board.rows import KINDS
from bot.services.board.staff_posts import StaffPosts
from bot.services.board.topics import rescue_topicless, topics_made
from bot.services.outbox.kinds import AfterRefused, RowKinds


class Board:
    def __init__(self, staff_locale: str) -> None:
        self.locale = staff_locale
        case_posts = CasePosts(staff_locale)
        staff_posts = StaffPosts(staff_locale)
        self.refusals = Refusals(staff_locale)
        # The crisis path in the order it runs: a topic asked for, the card held for it, the
        # on-duty counsellors alerted, or out of hours (and past twice the target) the
        # supervisors paged.
        self.open_topic = case_posts.open_topic
        self.post = case_posts.post
        self.alert_on_duty = staff_posts.alert_on_duty
        self.page_supervisors = staff_posts.page_supervisors
        # The conversation: the person's words in, a counsellor's out, the title kept current.
        self.relay_in = case_posts.relay_in
        self.copy_in = case_posts.copy_in
        self.to_person = case_posts.to_person
        self.rename = case_posts.rename
        self.say = staff_posts.say
        # When a row's turn comes, and after: what it says, the topic made or not.
        self.compose = compose
        self.after_sent = topics_made
        self.rescue_topicless = rescue_topicless
        self.after_failed = self.refusals.after_failed

    def row_kinds(self, uow_factory: UnitOfWorkFactory) -> RowKinds:
        """A case's rows: its topic, card, posts, relays and copies. Once a topic is made, the
        posts held for it are let go (and the sender wakes as that commits)."""

        async def sent(items: Sequence[OutboxItem], now: datetime) -> int:
            return await topics_made(uow_factory, items, now)

        return RowKinds(KINDS, compose, after_sent=sent)

    def refused(self, uow_factory: UnitOfWorkFactory) -> AfterRefused:
        """Any row Telegram refused for good, whatever its kind: a child who blocked the bot is
        news for the case's staff even when it was a lesson that found out."""

        async def told(refused: Sequence[tuple[OutboxItem, SendResult]], now: datetime) -> int:
            return await self.refusals.after_failed(uow_factory, refused, now)

        return told
