"""The counsellor's side, by sub-journey: access, claims, relay, ready replies, tiers,
transfers, closing, referrals, follow-ups, notes. `Casework` (facade.py) is what the handlers
call; the other services ask StaffAccess (access.py) who may act."""

from bot.services.casework.access import (
    GONE,
    NOT_STAFF,
    NOT_YOURS,
    STALE,
    StaffAccess,
    holder_refusal,
    role_refusal,
)
from bot.services.casework.claims import Claims
from bot.services.casework.closing import parse_outcome
from bot.services.casework.desk import REASON_LIMIT, REASON_UNITS
from bot.services.casework.facade import Casework
from bot.services.casework.follow_ups import FOLLOW_UP_DAYS, NOTE_UNITS
from bot.services.casework.notes import AUTHORITY_UNITS, NOTE_PREFIXES
from bot.services.casework.referrals import REFERRAL_TOASTS
from bot.services.casework.relay import CLAIM_FIRST, pseudonym_data
from bot.services.casework.results import CardRefresh, Menu, Place, StaffResult
from bot.services.casework.transfers import (
    SUMMARY_NOTES_UNITS,
    SUMMARY_WORDS_UNITS,
    transfer_notice,
)

__all__ = [
    "AUTHORITY_UNITS",
    "CLAIM_FIRST",
    "FOLLOW_UP_DAYS",
    "GONE",
    "NOTE_PREFIXES",
    "NOTE_UNITS",
    "NOT_STAFF",
    "NOT_YOURS",
    "REASON_LIMIT",
    "REASON_UNITS",
    "REFERRAL_TOASTS",
    "STALE",
    "SUMMARY_NOTES_UNITS",
    "SUMMARY_WORDS_UNITS",
    "CardRefresh",
    "Casework",
    "Claims",
    "Menu",
    "Place",
    "StaffAccess",
    "StaffResult",
    "holder_refusal",
    "parse_outcome",
    "pseudonym_data",
    "role_refusal",
    "transfer_notice",
]
