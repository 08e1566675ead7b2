"""/mydata: a copy of one's data as a JSON file, with the same in plain words first; taking a
copy is logged like any view of the file."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.domain.replies import Outcome, Reply
from bot.ports import Clock, UnitOfWorkFactory
from bot.services.common import Who
from bot.services.privacy.document import MyDataDocument
from bot.services.privacy.shared import LocalTimes, is_staff
from bot.services.privacy.summary import summary


@dataclass(frozen=True, slots=True)
class Export:
    """A JSON document to send as a file, with a caption; and the same in plain words first,
    for whoever will never open a JSON file (most grandmothers)."""

    filename: str
    content: bytes
    caption: Reply
    summary: Reply | None = None


class MyData:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, document: MyDataDocument, times: LocalTimes
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.document = document
        self.times = times

    async def export(self, who: Who) -> Export | Outcome:
        now = self.clock.now()
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            if person is None or person.id is None:
                return Outcome.of(Reply("privacy/nothing_kept", {"anything": False}))
            if await is_staff(uow, person):
                return Outcome.of(Reply("privacy/not_for_staff"))
            if not person.registered and not await uow.cases.ids_for(person.id):
                return Outcome.of(Reply("privacy/nothing_kept", {"anything": True}))
            doc, children = await self.document.build(uow, person, now)
            # A copy is a view of the file like any other: supervisors can see it was taken.
            await uow.privacy.log_view(person.id, person.id, "mydata", "self", now)
            for child in children:
                await uow.privacy.log_view(person.id, child, "mydata", "guardian", now)
            await uow.commit()
        content = json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")
        role = person.role.value if person.role else ""
        caption = Reply("privacy/mydata", {"role": role, "children": len(children)})
        plain = Reply("privacy/mydata_summary", summary(doc, role, self.times))
        return Export(f"xinqiao-mydata-{person.code}.json", content, caption, plain)
