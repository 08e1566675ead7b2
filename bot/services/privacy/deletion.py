"""/delete: the question, then the erasure on a fresh press of this person's own button.

Deletion waits while a helpline case is open: safeguarding comes first, and a supervisor is
told. A guardian's children on record whom nobody else looks after go with them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from bot.domain.cases import Case
from bot.domain.numbers import parse_int
from bot.domain.people import Person, Role
from bot.domain.replies import Choice, Keyboard, Outcome, Reply, rows
from bot.ports import Clock, Erasure, UnitOfWork, UnitOfWorkFactory
from bot.services.board import Board
from bot.services.common import Who
from bot.services.privacy.shared import is_staff

log = logging.getLogger(__name__)

# A delete button older than this is stale: the person confirms what they just read.
BUTTON_MINUTES = 30
STALE = "toast.privacy.stale"


def _stamp(now: datetime) -> int:
    return int(now.timestamp() // 60)


def _fresh(parts: Sequence[str], person: Person, now: datetime) -> bool:
    """This person's own delete button (their code), pressed within BUTTON_MINUTES."""
    return (
        len(parts) == 4
        and parts[1] == "del"
        and parts[2] == person.code
        and (stamp := parse_int(parts[3], maximum=2**62)) is not None
        and 0 <= _stamp(now) - stamp <= BUTTON_MINUTES
    )


class Deletion:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, board: Board) -> None:
        self.uow = uow
        self.clock = clock
        self.board = board

    async def ask_delete(self, who: Who) -> Outcome:
        now = self.clock.now()
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            if person is None:
                return Outcome.of(Reply("privacy/nothing_kept", {"anything": False}))
            if await is_staff(uow, person):
                return Outcome.of(Reply("privacy/not_for_staff"))
            scope, kept = await self._scope(uow, person)
            cases = await self._open_cases(uow, scope)
            if cases:
                outcome = await self._refuse(uow, person, cases, now)
                await uow.commit()
                return outcome
        role = person.role.value if person.role else ""
        return Outcome.of(
            Reply(
                "privacy/ask_delete",
                {"role": role, "children": len(scope) - 1, "kept": kept},
                choices=rows(
                    Choice("btn.privacy.delete_yes", f"pv:del:{person.code}:{_stamp(now)}"),
                    Choice("btn.privacy.delete_no", "pv:keep"),
                ),
            )
        )

    async def confirm_delete(self, who: Who, data: str) -> tuple[Outcome, bool]:
        """A press on the question's buttons; True when the person's data is gone. The button
        must be this person's (their code) and fresh: a forged or old one changes nothing."""
        now = self.clock.now()
        parts = data.split(":")
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            if person is None or person.id is None:
                return Outcome(toast=STALE), False
            role = person.role.value if person.role else ""
            if parts == ["pv", "keep"]:
                return Outcome.of(Reply("privacy/delete_cancelled", {"role": role})), False
            if not _fresh(parts, person, now) or await is_staff(uow, person):
                return Outcome(toast=STALE), False
            scope, _ = await self._scope(uow, person)
            cases = await self._open_cases(uow, scope)
            if cases:  # a case opened since the question: safeguarding still comes first
                outcome = await self._refuse(uow, person, cases, now)
                await uow.commit()
                return outcome, False
            counts = await uow.privacy.erase([p.id for p in scope if p.id is not None])
            await uow.privacy.record_erasure(Erasure(now, "request", counts))
            await uow.commit()
            await uow.privacy.scrub()
        # The record of the deletion: ids and counts only, never a name or a word.
        log.info(
            "privacy: erased person %s and %s child record(s) on request: %s",
            person.id,
            len(scope) - 1,
            ", ".join(f"{k}={v}" for k, v in counts.items() if v),
        )
        return Outcome.of(Reply("privacy/deleted", {"role": role}, keyboard=Keyboard.HELP)), True

    async def _scope(self, uow: UnitOfWork, person: Person) -> tuple[list[Person], int]:
        """The person, and their children on record whom nobody else looks after; plus how
        many of their children keep their own data (own Telegram or another guardian)."""
        assert person.id is not None
        scope, kept = [person], 0
        if person.role is Role.GUARDIAN:
            for kid in await uow.families.children_of(person.id):
                others = [
                    g for g in await uow.families.guardians_of(kid.id or 0) if g.id != person.id
                ]
                if kid.telegram_id is None and not others:
                    scope.append(kid)
                else:
                    kept += 1
        return scope, kept

    async def _open_cases(self, uow: UnitOfWork, scope: Sequence[Person]) -> list[Case]:
        found = [await uow.cases.open_for(p.id or 0) for p in scope]
        return [c for c in found if c is not None]

    async def _refuse(
        self, uow: UnitOfWork, person: Person, cases: Sequence[Case], now: datetime
    ) -> Outcome:
        supervisors = [s for s in await uow.staff.active() if s.role is Role.SUPERVISOR]
        for case in cases:
            tag = f"privacy-delete:{now.date().isoformat()}"  # paged once a day per case
            await self.board.page_supervisors(
                uow, case, "privacy/page_delete_waiting", {}, now, tag
            )
            if not supervisors:  # nobody to page: the case's own topic hears of it instead
                await self.board.post(
                    uow, case, Reply("privacy/page_delete_waiting", {"code": case.code}), now
                )
        log.info(
            "privacy: deletion for person %s waits for open case(s) %s",
            person.id,
            ",".join(str(c.id) for c in cases),
        )
        whose = "self" if any(c.person_id == person.id for c in cases) else "child"
        role = person.role.value if person.role else ""
        return Outcome.of(
            Reply("privacy/delete_refused", {"role": role, "whose": whose}, keyboard=Keyboard.HELP)
        )
