"""Invitation codes: what makes one usable, and why not."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.people import Role

# Telegram's deep-link payload allows A-Z a-z 0-9 _ - and up to 64 characters.
_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CODE_BYTES = 12


class InviteProblem(StrEnum):
    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class InvitationView:
    code: str
    role: Role
    service_point_id: int | None
    inviter_person_id: int | None
    # The child this guardian invitation was created by, awaiting the guardian's consent.
    for_child_id: int | None
    guardian_consent: bool
    max_uses: int
    uses: int
    expires_at: datetime | None
    revoked: bool


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def looks_like_code(text: str) -> bool:
    return bool(_CODE_RE.match(text))


def problem_with(inv: InvitationView | None, now: datetime) -> InviteProblem | None:
    if inv is None:
        return InviteProblem.UNKNOWN
    if inv.revoked:
        return InviteProblem.REVOKED
    if inv.expires_at is not None and now >= inv.expires_at:
        return InviteProblem.EXPIRED
    if inv.uses >= inv.max_uses:
        return InviteProblem.USED
    return None
