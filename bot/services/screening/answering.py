"""Going through a form: an answer or a skip to the item on screen, a step back, a stop. A
safety answer acts in the same commit as the answer, so stopping afterwards undoes nothing."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.replies import Outcome, Reply
from bot.domain.screening import Instrument, Item, SessionStatus
from bot.services.common import Who
from bot.services.screening.cases import Cases
from bot.services.screening.desk import STALE, Desk, DeskWork
from bot.services.screening.items import item_reply, may_skip, next_step
from bot.services.screening.results import Results


def _allowed(
    instrument: Instrument, answers: Mapping[int, int | None], item: Item, value: int | None
) -> bool:
    """A value the item offers, or a skip the form's rule allows."""
    if value is None:
        return may_skip(instrument, answers, item.id)
    return value in item.values


class Answering(DeskWork):
    def __init__(self, desk: Desk, cases: Cases, results: Results) -> None:
        super().__init__(desk)
        self.cases = cases
        self.results = results

    async def answer(self, who: Who, session_id: int, position: int, value: int | None) -> Outcome:
        """An answer (or a skip, value None) to the item at `position`."""
        now = self.clock.now()
        replies: list[Reply] = []
        async with self.uow() as uow:
            found = await self.desk.mine(uow, who, session_id)
            if found is None:
                return Outcome(toast=STALE)
            person, session, instrument = found
            item = next_step(instrument, session.answers, session.position).item
            if item is None or position != session.position:
                return Outcome(toast=STALE)  # an older message's button, or a double press
            if not _allowed(instrument, session.answers, item, value):
                return Outcome(toast=STALE)
            answers = {**session.answers, item.id: value}
            if not await uow.screening.answer(session.id, position, answers, position + 1, now):
                return Outcome(toast=STALE)
            fired = session.safety_fired
            if instrument.safety_hit(item.id, value) and await uow.screening.mark_safety(
                session.id
            ):
                replies.append(
                    await self.cases.safety_now(uow, person, instrument, item, value, now)
                )
                fired = True
            if next_step(instrument, answers, position + 1).item is None:
                replies.extend(
                    await self.results.finish(
                        uow, person, session, instrument, answers, now, fired
                    )
                )
            else:
                replies.append(item_reply(instrument, session.id, answers, position + 1))
            await uow.commit()
        return Outcome(replies=tuple(replies))

    async def back(self, who: Who, session_id: int, position: int) -> Outcome:
        now = self.clock.now()
        async with self.uow() as uow:
            found = await self.desk.mine(uow, who, session_id)
            if found is None or position != found[1].position or position == 0:
                return Outcome(toast=STALE)
            _, session, instrument = found
            if not await uow.screening.answer(
                session.id, position, session.answers, position - 1, now
            ):
                return Outcome(toast=STALE)
            await uow.commit()
        return Outcome.of(item_reply(instrument, session.id, session.answers, position - 1))

    async def stop(self, who: Who, session_id: int) -> Outcome:
        now = self.clock.now()
        async with self.uow() as uow:
            found = await self.desk.mine(uow, who, session_id)
            if found is None:
                return Outcome(toast=STALE)
            await uow.screening.close(session_id, SessionStatus.ABANDONED.value, now)
            await uow.commit()
        return Outcome.of(Reply("screening/stopped"))
