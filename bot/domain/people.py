"""People, roles and the small vocabularies onboarding asks about."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


class Role(StrEnum):
    GUARDIAN = "guardian"
    CHILD = "child"
    COUNSELLOR = "counsellor"
    SUPERVISOR = "supervisor"  # 督导: the clinical supervisor
    DIRECTOR = "director"  # 儿童主任: a village or community's children's director
    TOWNSHIP = "township"  # 儿童督导员: a township's children's supervisor, not clinical

    @property
    def is_staff(self) -> bool:
        return self in STAFF_ROLES


STAFF_ROLES = frozenset({Role.COUNSELLOR, Role.SUPERVISOR, Role.DIRECTOR, Role.TOWNSHIP})


class PersonStatus(StrEnum):
    ACTIVE = "active"
    # Asked us to stop (/stop): no scheduled messages until /start.
    STOPPED = "stopped"
    # Blocked the bot or deleted the account: never retried until they write again.
    INACTIVE = "inactive"


class ConsentStatus(StrEnum):
    NONE = "none"
    GIVEN = "given"
    DECLINED = "declined"
    # A child under 14 agreed, but PIPL Art. 31 needs a guardian's consent before we keep data.
    AWAITING_GUARDIAN = "awaiting_guardian"


class ConsentDecision(StrEnum):
    """One line of the consent log."""

    AGREED = "agreed"
    DECLINED = "declined"
    # A guardian deciding for the young child who asked them to (PIPL Art. 31).
    AGREED_FOR_CHILD = "agreed_for_child"
    DECLINED_FOR_CHILD = "declined_for_child"
    # A guardian making an invitation link for their own child agrees for that child.
    AGREED_BY_INVITING = "agreed_by_inviting"


# The privacy notice people agree to; bump it when the notice's substance changes.
NOTICE_VERSION = "privacy-2026-11"


class AgeBand(StrEnum):
    """Children's own age bands: split at 12 (instrument ranges) and at 14 (consent age)."""

    A8_11 = "8-11"
    A12_13 = "12-13"
    A14_15 = "14-15"
    A16_17 = "16-17"
    UNSAID = "unsaid"

    @property
    def needs_guardian_consent(self) -> bool:
        # Someone who would rather not say is treated as the younger, more protected case.
        return self in (AgeBand.A8_11, AgeBand.A12_13, AgeBand.UNSAID)


class ChildAgeBand(StrEnum):
    """The bands a guardian picks for their child (JOURNEYS.md §1)."""

    A3_5 = "3-5"
    A6_8 = "6-8"
    A9_11 = "9-11"
    A12_14 = "12-14"
    A15_17 = "15-17"


class Relation(StrEnum):
    """How a guardian is related to the child, in the words the child calls them: an invitation
    from 奶奶 reads "你的奶奶…" to the child. (Each value fits the 16-character column.)"""

    MOTHER = "mother"
    FATHER = "father"
    GRANDMA_PATERNAL = "grandma_paternal"  # 奶奶
    GRANDPA_PATERNAL = "grandpa_paternal"  # 爷爷
    GRANDMA_MATERNAL = "grandma_maternal"  # 外婆
    GRANDPA_MATERNAL = "grandpa_maternal"  # 外公
    RELATIVE = "relative"
    OTHER = "other"
    # Answered before the finer choices; kept readable, no longer offered.
    PARENT = "parent"
    GRANDPARENT = "grandparent"


ASKED_RELATIONS = tuple(r for r in Relation if r not in (Relation.PARENT, Relation.GRANDPARENT))


class ServicePointKind(StrEnum):
    CHILDREN_HOME = "children_home"  # 儿童之家
    PROTECTION_STATION = "protection_station"  # 未成年人保护工作站
    SOCIAL_WORK_STATION = "social_work_station"  # 社工站
    SCHOOL = "school"
    OTHER = "other"


def child_band_for(own: AgeBand) -> ChildAgeBand | None:
    """Map a child's own band onto the coarser guardian-facing band, where one fits."""
    return {
        AgeBand.A8_11: ChildAgeBand.A9_11,
        AgeBand.A14_15: ChildAgeBand.A15_17,
        AgeBand.A16_17: ChildAgeBand.A15_17,
        AgeBand.A12_13: ChildAgeBand.A12_14,
    }.get(own)


class Person:
    """Someone the bot talks to. Mutable: services change it, the repository saves it."""

    __slots__ = (
        "age_band",
        "child_age_band",
        "code",
        "consent",
        "consent_at",
        "created_at",
        "id",
        "locale",
        "relation",
        "role",
        "service_point_id",
        "status",
        "telegram_id",
    )

    def __init__(
        self,
        *,
        telegram_id: int | None,
        locale: str,
        code: str,
        id: int | None = None,
        role: Role | None = None,
        status: PersonStatus = PersonStatus.ACTIVE,
        consent: ConsentStatus = ConsentStatus.NONE,
        consent_at: datetime | None = None,
        age_band: AgeBand | None = None,
        child_age_band: ChildAgeBand | None = None,
        relation: Relation | None = None,
        service_point_id: int | None = None,
        created_at: datetime | None = None,
    ) -> None:
        self.id = id
        self.telegram_id = telegram_id
        self.locale = locale
        self.code = code
        self.role = role
        self.status = status
        self.consent = consent
        self.consent_at = consent_at
        self.age_band = age_band
        self.child_age_band = child_age_band
        self.relation = relation
        self.service_point_id = service_point_id
        self.created_at = created_at

    @property
    def registered(self) -> bool:
        """Onboarded: consent given (by them or, for a young child, their guardian)."""
        return self.consent is ConsentStatus.GIVEN and self.role is not None

    def forget_personal_data(self) -> None:
        """Keep only the Telegram id and language: what declining consent leaves behind."""
        self.role = None
        self.age_band = None
        self.child_age_band = None
        self.relation = None
        self.service_point_id = None
        self.consent_at = None

    def __repr__(self) -> str:  # never print anything personal into logs
        return f"Person(id={self.id}, role={self.role}, status={self.status})"


_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_person_code(prefix: str = "P") -> str:
    """A short code staff can say aloud: no 0/O, 1/I/L confusion, never a name."""
    return prefix + "-" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))


def parse_enum(cls: type[E], value: str) -> E | None:
    """The member with this value, or None: callback data and storage can hold anything."""
    try:
        return cls(value)
    except ValueError:
        return None
