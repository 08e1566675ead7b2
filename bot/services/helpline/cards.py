"""What a case is opened as: its tier from triage, and the card that leads its topic.

Pure functions, kept apart from the escalation that uses them so the card's limits can be
held against Telegram's by tests/content/test_lengths.py without a unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.cases import Case, Tier
from bot.domain.lengths import MARK, head_and_rest, share
from bot.domain.people import Person
from bot.domain.replies import Reply
from bot.domain.triage import Category, RiskLevel, Triage
from bot.services.board import card_actions

# Categories whose disclosure at "high" is already the most urgent tier (the journey: a child
# writing 我不想活了 is a red case).
_RED_AT_HIGH = frozenset({Category.SUICIDE, Category.SEXUAL_ABUSE})
# The card quotes the person's first words and the evidence within Telegram's 4,096 UTF-16
# units, leaving room for its own lines in either language (tests/content/test_lengths.py
# renders the worst case); the words that do not fit follow as the topic's next post.
CARD_WORDS = 2800
EVIDENCE_UNITS = 600
EVIDENCE_ITEMS = 10


def tier_for(triage: Triage) -> Tier | None:
    """The case tier a message calls for; None when it does not open a case."""
    if triage.level is RiskLevel.CRITICAL:
        return Tier.RED
    if triage.level is RiskLevel.HIGH:
        return Tier.RED if _RED_AT_HIGH & set(triage.categories) else Tier.ORANGE
    return None


def case_card(case: Case, person: Person, text: str, target_minutes: int) -> tuple[Reply, str]:
    """A new case's card, quoting the person's first words as far as they fit, and the rest
    of them (marked as going on), for the topic's next post."""
    words, rest = head_and_rest(text, CARD_WORDS)
    card = Reply(
        "helpline/card",
        {
            "code": case.code,
            "tier": case.tier.value,
            "icon": case.tier.icon,
            "trigger": case.trigger.value,
            "categories": list(case.categories),
            "evidence": evidence_quotes(case.evidence),
            "role": person.role.value if person.role else "",
            "age": person.age_band.value if person.age_band else "",
            "opened": case.opened_at.isoformat(timespec="seconds"),
            "target": target_minutes,
            "first": words,
        },
        choices=card_actions(case),
    )
    return card, MARK + rest if rest else ""


def evidence_quotes(evidence: Sequence[str]) -> list[str]:
    """What triage matched, as a card or an alert can show it: a long message can match many
    rules, and a pattern's match can be long."""
    return share(list(evidence)[:EVIDENCE_ITEMS], EVIDENCE_UNITS)
