"""A voice note, photo, sticker, video, file or location from a person with a case.

Copied as itself into the case's topic, as words are relayed; kept apart from hearing
because media carries no words to read for risk (a caption is heard as text first).
"""

from __future__ import annotations

from bot.domain.replies import Outcome
from bot.ports import CaseMessage
from bot.services.common import Who
from bot.services.helpline.after_close import AfterClose
from bot.services.helpline.line import Heard, Line


class Media:
    def __init__(self, line: Line, after_close: AfterClose) -> None:
        self.line = line
        self.after_close = after_close

    async def media(self, who: Who, chat_id: int, message_id: int, kind: str) -> Heard:
        """A voice note, photo, sticker, video, file or location, copied as itself (through
        the outbox, like words) into the topic of the person's open case, or of the case that
        closed within the day (with the tap to reopen it, as for words). Not handled without
        a case: the bot answers it (`Account.media`). Only its kind is kept, never a file id."""
        now = self.line.clock.now()
        async with self.line.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            if person is None or person.id is None:
                return Heard(Outcome(), handled=False)
            outcome = Outcome()
            case = await uow.cases.open_for(person.id)
            closed = case is None
            if case is None:
                case = await self.after_close.closed_lately(uow, person, now)
                if case is None:
                    return Heard(Outcome(), handled=False)
                outcome = Outcome.of(await self.after_close.passed_on(uow, person, case, now))
            await uow.cases.add_message(case.id, CaseMessage(now, "in", person.id, "", kind))
            if not closed:
                await uow.cases.update(case.id, last_person_at=now)
            await self.line.board.copy_in(uow, case, chat_id, message_id, now)
            if closed:
                await self.after_close.offer_reopen(uow, case, now)
            await uow.commit()
        return Heard(outcome, handled=True)
