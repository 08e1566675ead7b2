"""Everything the adapters need from the core, handed over in one value by bot.app."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.typed import Vocabulary
from bot.ports import Catalog, Sender
from bot.services.account import Account
from bot.services.casework import Casework
from bot.services.child_file import ChildFile
from bot.services.dashboard import Dashboard
from bot.services.duty import Duty
from bot.services.family import Family
from bot.services.helpline import Helpline
from bot.services.lesson_chat import LessonChat
from bot.services.lessons import Lessons
from bot.services.misses import Misses
from bot.services.onboarding import Onboarding
from bot.services.oversight import Oversight
from bot.services.privacy import Privacy
from bot.services.safety import Safety
from bot.services.screening import Screening
from bot.services.staff_invites import StaffInvites


@dataclass(slots=True)
class Services:
    catalog: Catalog
    onboarding: Onboarding
    family: Family
    account: Account
    safety: Safety
    staff_invites: StaffInvites
    sender: Sender
    staff_chat_ids: frozenset[int]
    help_labels: frozenset[str]
    staff_locale: str
    lessons: Lessons
    lesson_chat: LessonChat
    helpline: Helpline
    casework: Casework
    duty: Duty
    screening: Screening
    child_file: ChildFile
    privacy: Privacy
    # The supervisors' web dashboard (sign-in links for `/dashboard`).
    dashboard: Dashboard | None = None
    # Figures for supervisors: `/stats` in a staff chat.
    oversight: Oversight | None = None
    # Learning from misses: `/missed` in a case topic.
    misses: Misses | None = None
    # The words typed answers are read with (content/typed/answers.yaml).
    typed: Vocabulary = field(default_factory=Vocabulary)
