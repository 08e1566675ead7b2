"""The person's side of the helpline: triage every message, answer at once, escalate.

A child who writes something that shows danger gets a calm reply in the same update and a case
in the counsellor queue; a person with an open case is heard by the counsellor, not the bot.
`Helpline` (facade.py) is what the handlers call; each sub-journey has its module, and a
critical message reads top-down through hearing.py, then escalation.py.
"""

from bot.services.helpline.after_close import AFTER_CLOSE
from bot.services.helpline.cards import (
    CARD_WORDS,
    EVIDENCE_ITEMS,
    EVIDENCE_UNITS,
    case_card,
    evidence_quotes,
    tier_for,
)
from bot.services.helpline.facade import Helpline
from bot.services.helpline.line import Heard, HelplinePolicy
from bot.services.helpline.question import ASKED_WORDS, DUE_BATCH

__all__ = [
    "AFTER_CLOSE",
    "ASKED_WORDS",
    "CARD_WORDS",
    "DUE_BATCH",
    "EVIDENCE_ITEMS",
    "EVIDENCE_UNITS",
    "Heard",
    "Helpline",
    "HelplinePolicy",
    "case_card",
    "evidence_quotes",
    "tier_for",
]
