"""What each staff role may do: the one table the staff chat, the dashboard and the tests read.

The roles follow 民发〔2023〕61号. A 心理老师 (counsellor) talks with children in the case topics.
A 督导 (clinical supervisor) does all a counsellor does and also acts on a colleague's case,
lowers a red case, manages staff and reads the access log. A 儿童主任 (village or community
children's director) visits families, guides them to services and follows children up: they
see their own service point's files, record visits, notes and care plans, make referrals,
request screenings and keep follow-ups, but never claim a conversation, so they neither
speak to a child through the bot nor re-tier or close a case. A 儿童督导员 (township children's
supervisor) oversees the directors of a township: the queue, figures (`/stats` and the weekly
digest) and follow-ups of their service point, with no action on a case. The township role is not a
clinical supervisor, and a clinical supervisor's powers never come from the word 督导 alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from bot.domain.people import Role


class StaffAction(StrEnum):
    QUEUE = "queue"  # /queue, and a case card's menus
    CLAIM = "claim"  # ✋, /next, release, reopen: hold the conversation with the child
    DUTY = "duty"  # /onduty, /offduty: be alerted to new conversations
    RELAY = "relay"  # write, send media or a ready reply to the child
    NOTE = "note"  # a private note (`! …`) in a case topic
    VISIT = "visit"  # /visit: the home-visit checklist
    CARE_PLAN = "care_plan"  # /plan care: 分人分类关爱方案
    SAFETY_PLAN = "safety_plan"  # /plan safety: made with the child
    RETIER = "retier"  # /tier and the tier buttons
    CLOSE = "close"  # /close and the close buttons
    TRANSFER = "transfer"  # move a case to a colleague
    REFER = "refer"  # refer to a service, and record the referral's outcome
    FOLLOW_UP = "follow_up"  # /followups, set one, mark one done
    FILE = "file"  # /file: screening results and case summary, never the child's words
    SCREEN = "screen"  # /screen: ask a child or guardian to fill in a questionnaire
    TELL_GUARDIAN = "tell_guardian"  # invite the guardian to talk about their child
    REPORT = "report"  # /reported: a mandatory report made, on the record
    MISSED = "missed"  # /missed: a risk triage missed (reads the child's words)
    INVITE = "invite"  # /invite guardian|child
    STATS = "stats"  # /stats
    DASHBOARD = "dashboard"  # the web dashboard
    STAFF_LIST = "staff_list"  # /staff list
    STAFF_MANAGE = "staff_manage"  # /staff add|remove
    ACCESS_LOG = "access_log"  # /accesslog


A = StaffAction

_COUNSELLOR = frozenset(A) - {A.STAFF_MANAGE, A.DASHBOARD, A.ACCESS_LOG}

PERMISSIONS: Mapping[Role, frozenset[StaffAction]] = {
    Role.COUNSELLOR: _COUNSELLOR,
    Role.SUPERVISOR: frozenset(A),
    Role.DIRECTOR: frozenset(
        {
            A.QUEUE,
            A.NOTE,
            A.VISIT,
            A.CARE_PLAN,
            A.REFER,
            A.FOLLOW_UP,
            A.FILE,
            A.SCREEN,
            A.REPORT,
            A.INVITE,
            A.STAFF_LIST,
        }
    ),
    # Not the web dashboard yet: it shows every service point and each case's record.
    Role.TOWNSHIP: frozenset({A.QUEUE, A.FOLLOW_UP, A.STATS, A.INVITE, A.STAFF_LIST}),
}

# Roles that see only their own service point's children, wherever they ask from.
OWN_SERVICE_POINT_ONLY: frozenset[Role] = frozenset({Role.DIRECTOR, Role.TOWNSHIP})


def may(role: Role | None, action: StaffAction) -> bool:
    """Whether a staff member in this role may take this action (anyone else: never)."""
    return role is not None and action in PERMISSIONS.get(role, frozenset())


def sees_only_own_point(role: Role | None) -> bool:
    return role in OWN_SERVICE_POINT_ONLY
