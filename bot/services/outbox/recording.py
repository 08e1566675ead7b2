"""What became of each send, written down in group commits.

Apart from the sender's loop because it is where a row's fate is decided for good (sent, tried
again, blocked, failed) and where staff are told of refusals; the loop only hands results in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from bot.domain.outbox import OutboxItem, OutboxStatus, SendOutcome, SendResult, backoff
from bot.domain.people import PersonStatus
from bot.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.outbox.kinds import AfterRefused

log = logging.getLogger(__name__)

# Telegram said no for good: the row's producer may have someone to tell.
REFUSED = (SendOutcome.FORBIDDEN, SendOutcome.BAD_REQUEST)

WriteTurn = asyncio.Lock | contextlib.nullcontext[None]
Waiting = tuple[OutboxItem, SendResult, asyncio.Future[None]]


@dataclass
class DeliveryStats:
    sent: int = 0
    retried: int = 0
    rate_limited: int = 0
    blocked: int = 0
    failed: int = 0
    skipped: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)


class Recorder:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        stats: DeliveryStats,
        write_turn: WriteTurn,
        commit_window: float,
        after_refused: AfterRefused | None,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.stats = stats
        self.write_turn = write_turn
        self.commit_window = commit_window
        self.after_refused = after_refused
        self._results: list[Waiting] = []
        self._flusher: asyncio.Task[None] | None = None
        self._aftermath: set[asyncio.Task[None]] = set()

    async def record(self, item: OutboxItem, result: SendResult) -> None:
        """Queue the result for the next group commit and wait until it is durable.

        Results are written together every `commit_window` seconds: one transaction for many
        messages instead of one each. The price is the crash window: messages Telegram
        accepted in the last window before a crash are sent again after it (at most one
        window's worth, and each counted as a duplicate by the reliability tests).
        """
        self.stats.by_outcome[result.outcome.value] = (
            self.stats.by_outcome.get(result.outcome.value, 0) + 1
        )
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._results.append((item, result, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon())
        await done

    async def skip(self, item: OutboxItem) -> None:
        """Its composer has nothing to say any more: the row is done, unsent."""
        async with self.uow() as uow:
            await uow.outbox.give_up(item.id, OutboxStatus.SENT, "nothing to say anymore")
            await uow.commit()
        self.stats.skipped += 1

    async def give_up(self, item: OutboxItem, error: str) -> None:
        async with self.uow() as uow:
            await uow.outbox.give_up(item.id, OutboxStatus.FAILED, error)
            await uow.commit()
        self.stats.failed += 1

    async def _flush_soon(self) -> None:
        # Results that arrive while a commit is under way are not left behind: `record` only
        # starts a flusher when none is running, so this one goes round until none are left.
        while self._results:
            await asyncio.sleep(self.commit_window)
            batch, self._results = self._results, []
            if await self._commit(batch):
                self._tell_refused(batch)

    async def _commit(self, batch: Sequence[Waiting]) -> bool:
        """Write the batch in one transaction; every waiter learns how that went."""
        try:
            async with self.write_turn, self.uow() as uow:
                await self._apply(uow, batch)
                await uow.commit()
        except Exception as exc:  # noqa: BLE001 - nothing recorded: the rows stay
            # 'sending' and are requeued after a restart; every waiter learns why.
            for _, _, done in batch:
                if not done.done():
                    done.set_exception(exc)
            return False
        for _, _, done in batch:
            if not done.done():
                done.set_result(None)
        return True

    def _tell_refused(self, batch: Sequence[Waiting]) -> None:
        refused = [(i, r) for i, r, _ in batch if r.outcome in REFUSED]
        if refused and self.after_refused is not None:
            task = asyncio.create_task(self._tell(self.after_refused, refused))
            self._aftermath.add(task)
            task.add_done_callback(self._aftermath.discard)

    async def _tell(
        self, after_refused: AfterRefused, refused: Sequence[tuple[OutboxItem, SendResult]]
    ) -> None:
        try:
            async with self.write_turn:
                await after_refused(refused, self.clock.now())
        except Exception:  # the rows' fate is recorded; telling someone is best effort
            log.exception("telling staff about refused messages failed")

    async def _apply(self, uow: UnitOfWork, batch: Sequence[Waiting]) -> None:
        now = self.clock.now()
        sent = [(i.id, r.message_id) for i, r, _ in batch if r.outcome is SendOutcome.SENT]
        await uow.outbox.mark_sent_many(sent, now)
        self.stats.sent += len(sent)
        for item, result, _ in batch:
            outcome = result.outcome
            if outcome is SendOutcome.SENT:
                continue
            if outcome is SendOutcome.RETRY_AFTER:
                await uow.outbox.retry(
                    item.id, now + timedelta(seconds=result.retry_after), result.error
                )
                self.stats.rate_limited += 1
            elif outcome is SendOutcome.TRANSIENT:
                await uow.outbox.retry(item.id, now + backoff(item.attempts), result.error)
                self.stats.retried += 1
            elif outcome is SendOutcome.FORBIDDEN:
                await self._blocked(uow, item, result)
            else:
                await uow.outbox.give_up(item.id, OutboxStatus.FAILED, result.error)
                log.warning("outbox %s failed: %s", item.key, result.error)
                self.stats.failed += 1

    async def _blocked(self, uow: UnitOfWork, item: OutboxItem, result: SendResult) -> None:
        """A 403: this row and every other pending one to the chat; the person inactive."""
        await uow.outbox.give_up(item.id, OutboxStatus.BLOCKED, result.error)
        await uow.outbox.block_chat(item.chat_id, result.error)
        if item.chat_id > 0:
            person = await uow.people.by_telegram_id(item.chat_id)
            if person is not None:
                person.status = PersonStatus.INACTIVE
                await uow.people.save(person)
        self.stats.blocked += 1
