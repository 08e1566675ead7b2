"""The questions onboarding asks, each with its buttons: pure functions, so a typed answer
can be met by the same question again (prompt_for) without touching the database."""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.people import ASKED_RELATIONS, AgeBand, ChildAgeBand, parse_enum
from bot.domain.replies import Choice, Reply, rows
from bot.services.common import Draft


def ask_role() -> Reply:
    return Reply(
        "onboarding/ask_role",
        choices=rows(
            Choice("btn.role.guardian", "ob:role:guardian"),
            Choice("btn.role.child", "ob:role:child"),
            Choice("btn.role.staff", "ob:role:staff"),
        ),
    )


def ask_age() -> Reply:
    return Reply(
        "onboarding/ask_age",
        choices=rows(
            *(Choice(f"btn.age.{b.value}", f"ob:age:{b.value}") for b in AgeBand), width=2
        ),
    )


def privacy(role: str, needs_guardian: bool) -> Reply:
    return Reply(
        "onboarding/privacy",
        {"role": role, "needs_guardian": needs_guardian},
        choices=rows(
            Choice("btn.consent.yes", "ob:consent:yes"),
            Choice("btn.consent.no", "ob:consent:no"),
            Choice("btn.consent.more", "ob:consent:more"),
        ),
    )


def ask_relation() -> Reply:
    return Reply(
        "onboarding/ask_relation",
        choices=rows(
            *(Choice(f"btn.rel.{r.value}", f"ob:rel:{r.value}") for r in ASKED_RELATIONS),
            width=2,
        ),
    )


def ask_child_age() -> Reply:
    return Reply(
        "onboarding/ask_child_age",
        choices=rows(
            *(Choice(f"btn.cage.{b.value}", f"ob:cage:{b.value}") for b in ChildAgeBand), width=3
        ),
    )


def ask_guardian_consent() -> Reply:
    return Reply("onboarding/ask_guardian_consent", choices=_yes_no("ob:gc"))


def guardian_done() -> Reply:
    """Registered: now the weekly slot (the lessons service takes the `ls:day` answer)."""
    return Reply(
        "onboarding/guardian_done",
        choices=rows(*(Choice(f"btn.day.{d}", f"ls:day:{d}") for d in range(7)), width=4),
    )


def _consent_for(draft: Draft) -> Reply:
    band = parse_enum(AgeBand, draft.age)
    return privacy(draft.role, bool(band and band.needs_guardian_consent))


# Each step's question; the consent step's depends on who is answering.
_PROMPTS: dict[str, Callable[[Draft], Reply]] = {
    "role": lambda _: ask_role(),
    "age": lambda _: ask_age(),
    "consent": _consent_for,
    "relation": lambda _: ask_relation(),
    "child_age": lambda _: ask_child_age(),
    "guardian_consent": lambda _: ask_guardian_consent(),
}


def prompt_for(step: str, draft: Draft) -> Reply | None:
    """The question a step asks, to repeat when someone types instead of pressing a button."""
    prompt = _PROMPTS.get(step)
    return prompt(draft) if prompt else None


def _yes_no(prefix: str) -> tuple[tuple[Choice, ...], ...]:
    return rows(Choice("btn.yes_agree", f"{prefix}:yes"), Choice("btn.no", f"{prefix}:no"))
