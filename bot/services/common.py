"""Small pieces every use case shares."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field
from typing import Any

from bot.domain.locale import Locale, guess_locale
from bot.domain.numbers import parse_int
from bot.domain.people import Person, new_person_code
from bot.ports import AccessEntry, UnitOfWork


@dataclass(frozen=True, slots=True)
class Who:
    """The person behind an update, as the transport knows them."""

    telegram_id: int
    language_code: str | None = None


@dataclass(slots=True)
class Draft:
    """Onboarding answers held in conversation state until consent lets us store them."""

    step: str = ""
    role: str = ""
    age: str = ""
    invite: str = ""
    for_child: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, data: dict[str, Any] | None) -> Draft:
        """Tolerate anything in storage: a stale or odd draft just starts over."""
        data = data or {}

        def s(key: str) -> str:
            v = data.get(key, "")
            return v if isinstance(v, str) else ""

        child = data.get("for_child", 0)
        return cls(
            step=s("step"),
            role=s("role"),
            age=s("age"),
            invite=s("invite"),
            for_child=child if isinstance(child, int) else 0,
        )

    def dump(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "role": self.role,
            "age": self.age,
            "invite": self.invite,
            "for_child": self.for_child,
        }


async def person_for(uow: UnitOfWork, who: Who, default_locale: Locale) -> Person:
    """Find or create the row that holds only a Telegram id and a language preference."""
    person = await uow.people.by_telegram_id(who.telegram_id)
    if person is not None:
        return person
    locale = guess_locale(who.language_code, default_locale)
    return await uow.people.add(
        Person(telegram_id=who.telegram_id, locale=locale.value, code=new_person_code())
    )


async def person_by_ref(uow: UnitOfWork, ref: str) -> Person | None:
    """Whom staff mean by a case code (C-0042) or a person code (P-ABC234). "C-²" or a number
    past any case id names nobody (int() or the database driver would raise on it)."""
    ref = ref.strip().upper()
    if ref.startswith("C-"):
        case_id = parse_int(ref[2:])
        case = await uow.cases.by_id(case_id) if case_id is not None else None
        return await uow.people.by_id(case.person_id) if case else None
    return await uow.people.by_code(ref) if ref else None


def viewer_kind(entry: AccessEntry, subject_id: int, guardians: Set[int | None]) -> str:
    """Who looked at a file, as a supervisor may be told: staff (by pseudonym), the person
    themself, one of their guardians, someone else, or someone no longer on record."""
    if entry.viewer_no is not None:
        return "staff"
    if entry.via == "cli":  # an operator at the command line, who is nobody on record
        return "operator"
    if entry.viewer_id is None:
        return "gone"
    if entry.viewer_id == subject_id:
        return "self"
    return "guardian" if entry.viewer_id in guardians else "other"
