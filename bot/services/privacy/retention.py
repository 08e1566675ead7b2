"""Retention: transcripts of cases closed longer ago than the retention period are emptied by
a job (and `python -m bot privacy purge`); nobody asks for it, so it stands apart from the
commands a person uses."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.ports import Erasure, Purged, UnitOfWorkFactory
from bot.services.board import POST, RELAY_IN, RELAY_OUT

log = logging.getLogger(__name__)

# Outbox rows that carry conversation text (the person's words, replies, the case card).
TRANSCRIPT_KINDS = (RELAY_IN, RELAY_OUT, POST)


class Retention:
    """Every word kept of cases closed longer ago than the retention period is emptied (the
    conversation, the phrases triage matched, free-text reasons, what the outbox carried, the
    notes of follow-ups done since); the case, its tier, events, referrals and follow-ups stay
    (the structured record)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        days: int,
        batch: int = 500,
        context_window: timedelta = timedelta(minutes=10),
    ) -> None:
        self.uow = uow
        self.days = days
        self.batch = batch
        # The safety net's recent words (net_context) live minutes, not days: its own job
        # deletes them every minute; retention deletes them too, so that a stopped ticker or
        # `python -m bot privacy purge` leaves none behind.
        self.context_window = context_window

    async def purge(self, now: datetime) -> Purged:
        cutoff = now - timedelta(days=self.days)
        total = Purged()
        for _ in range(1000):  # bounded: each round empties up to `batch` cases for good
            got = await self._purge_batch(cutoff, now)
            total += got
            if got.cases < self.batch:
                break
        async with self.uow() as uow:
            await uow.net.forget_before(now - self.context_window)
            await uow.commit()
        # Every run, not only when something went: the update that confirmed a /delete is
        # emptied only once handled, after that erasure's own scrub.
        async with self.uow() as uow:
            await uow.privacy.scrub()
        if total.anything:
            log.info(
                "privacy: purged %s message(s), %s outbox row(s), %s reason(s) and %s note(s) "
                "of %s case(s) closed before %s",
                total.messages,
                total.outbox,
                total.events,
                total.notes,
                total.cases,
                cutoff.isoformat(),
            )
        return total

    async def _purge_batch(self, cutoff: datetime, now: datetime) -> Purged:
        """One transaction: up to `batch` cases emptied, and the erasure recorded."""
        async with self.uow() as uow:
            got = await uow.privacy.purge_transcripts(cutoff, TRANSCRIPT_KINDS, self.batch, now)
            if got.anything:
                counts = {
                    "cases": got.cases,
                    "case_messages": got.messages,
                    "case_events": got.events,
                    "follow_up_notes": got.notes,
                    "missed_risks": got.misses,
                    "outbox": got.outbox,
                }
                await uow.privacy.record_erasure(Erasure(now, "retention", counts))
            await uow.commit()
        return got
