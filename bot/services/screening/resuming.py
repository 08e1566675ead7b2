"""Where a person left off: the item they are in the middle of (shown again, or read against
a typed answer), or the case offered after a result and not yet answered."""

from __future__ import annotations

from bot.domain.people import Role
from bot.domain.replies import Outcome, Reply
from bot.services.common import Who
from bot.services.screening.cases import case_offer
from bot.services.screening.desk import STALE, DeskWork
from bot.services.screening.items import item_reply, next_step


class Resuming(DeskWork):
    async def resume(self, who: Who) -> Outcome:
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            session = await uow.screening.active_for(person.id or 0) if person else None
        if session is None:
            return Outcome(toast="toast.screening.nothing_to_resume")
        instrument = self.desk.form_of(session)
        if instrument is None:
            return Outcome(toast=STALE)
        return Outcome.of(item_reply(instrument, session.id, session.answers, session.position))

    async def waiting(self, who: Who) -> tuple[Reply, int, bool] | None:
        """The item this person is in the middle of, to read a typed answer against (or ask
        again), how many of its buttons are answers (the rest are back, skip, stop), and
        whether the person is addressed with 您 (a guardian). Or, after a result, the case
        offered and not yet answered (a typed 要 or 不用了 answers it)."""
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            session = await uow.screening.active_for(person.id or 0) if person else None
            offered = (
                await uow.screening.offered_for(person.id or 0)
                if person is not None and session is None
                else None
            )
        if person is None:
            return None
        formal = person.role is Role.GUARDIAN
        if offered is not None:
            return case_offer(offered.id, formal), 2, formal
        if session is None:
            return None
        instrument = self.desk.form_of(session)
        if instrument is None:
            return None
        step = next_step(instrument, session.answers, session.position)
        if step.item is None:
            return None
        reply = item_reply(instrument, session.id, session.answers, session.position)
        return reply, len(step.item.options), formal
