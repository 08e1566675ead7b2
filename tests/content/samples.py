"""Sample data the content tests share: data for every template (a new template without
its sample fails test_catalogs.py), and a minimal lexicon written where a loader can read it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.catalog.triage import TRIAGE_DIR
from bot.domain.people import Relation
from content import CONTENT_DIR
from tests import shipped

TEMPLATES = sorted(
    str(p.relative_to(CONTENT_DIR / "templates").with_suffix(""))
    for p in (CONTENT_DIR / "templates").rglob("*.j2")
    if not p.name.startswith("_")
)


# At 3 a.m. in Jinzhong its own 12356 seat is closed: every group of lines has a member.
_HOTLINE_DATA: dict[str, Any] = dict(
    shipped.hotlines().shown("shanxi-jinzhong", datetime(2026, 12, 1, 19, tzinfo=UTC))
)
# When counsellors are next on duty: tomorrow, today, a date, or no time to promise.
_BACKS: list[dict[str, Any] | None] = [
    {"day": d, "time": "8:00", "weekday": 0, "month": 12, "date": 8}
    for d in ("today", "tomorrow", "date")
] + [None]


_Q = shipped.instruments()["phq-a"]
_PSC = shipped.instruments()["psc-17"]
_FLAGS = [
    {"kind": "safety", "item": 9, "value": 3},
    {"kind": "asq_positive"},
    {"kind": "asq_acute"},
    {"kind": "subscale", "label": _PSC.subscales[0].label, "value": 6, "cutoff": 5},
    {"kind": "subscale", "label": "x", "value": 4, "cutoff": 4, "categories": ["abuse"]},
    {"kind": "missing", "items": [3, 7], "how": "missing_as_zero"},
    {"kind": "missing", "items": [3], "how": "prorated"},
    {"kind": "missing", "items": [3], "how": "incomplete"},
]


# Real lesson text, so templates made only of content show their translation too.
_L = shipped.programmes()["guardian"].lessons[0]
# Sample data per template; a new template without a sample fails test_every_template_has_sample.
SAMPLES: dict[str, list[dict[str, Any]]] = {
    "onboarding/welcome": [
        {"service_point": ""},
        {"service_point": "城关镇儿童之家 <&>"},
        {"service_point": "城关镇儿童之家 <&>", "invited_as": "guardian", "inviter": ""},
        *(
            {"service_point": sp, "invited_as": "child", "inviter": relation.value}
            for relation in Relation
            for sp in ("", "城关镇儿童之家 <&>")
        ),
    ],
    "onboarding/privacy": [
        {"role": "guardian", "needs_guardian": False},
        {"role": "child", "needs_guardian": True},
        {"role": "child", "needs_guardian": False},
    ],
    "onboarding/privacy_more": [{"role": "guardian"}, {"role": "child"}],
    "onboarding/invite_problem": [
        {"problem": p} for p in ("expired", "used", "revoked", "unknown", "malformed")
    ],
    "onboarding/invite_wrong_role": [{"role": "child"}, {"role": "guardian"}],
    "onboarding/already": [{"role": "guardian"}],
    "onboarding/staff_unknown": [{"telegram_id": 123456789}],
    "onboarding/thanks_consent": [{"role": "guardian"}],
    "family/invite_child_link": [{"link": "https://t.me/x?start=abc", "days": 14}],
    "family/invite_guardian_link": [{"link": "https://t.me/x?start=abc", "days": 14}],
    "account/privacy": [
        {"role": r, "consent": c}
        for r in ("child", "")
        for c in ("given", "awaiting_guardian", "none")
    ],
    "account/fallback": [
        {"role": r, "variant": v}
        for r in ("child", "guardian", "counsellor", "supervisor")
        for v in (0, 1, 2)
    ],
    # Also without a variant: lessons and /invite show it to someone not yet registered.
    "account/fallback_new": [{}, *({"variant": v} for v in (0, 1, 2))],
    "account/media": [
        {"form": f, "role": r}
        for f in ("voice", "photo", "video", "file", "sticker", "location")
        for r in ("child", "guardian", "")
    ],
    "safety/help": [_HOTLINE_DATA],
    # The helpline: person side.
    **{
        f"helpline/{t}": [
            {**_HOTLINE_DATA, "minutes": 5, "back": b, "staffed": s, "told": told}
            for b in _BACKS
            for s in (True, False)
            for told in (True, False)
        ]
        for t in ("safety_now", "requested_unstaffed", "safe_no", "safe_yes", "passed_on")
    },
    "helpline/requested": [{**_HOTLINE_DATA, "minutes": 15, "again": a} for a in (True, False)],
    # The direct question and what follows it (issue 17).
    "helpline/ask": [{**_HOTLINE_DATA, "guardian": g} for g in (False, True)],
    "helpline/ask_no": [{"guardian": g} for g in (False, True)],
    "helpline/check_in": [{"guardian": g} for g in (False, True)],
    "helpline/ask_skip": [
        {**_HOTLINE_DATA, "minutes": 30, "back": b, "staffed": s}
        for s in (True, False)
        for b in _BACKS
    ],
    "helpline/quiet_hotlines": [_HOTLINE_DATA],
    "helpline/staff_after_close": [{"code": "C-0001"}],
    "helpline/relay_out": [{"n": 7, "body": "你好 <&>"}, {"n": 7, "canned": "Are you safe?"}],
    "helpline/relay_out_media": [{"n": 7}],
    # The helpline: staff side (data as the services send it; user text is escaped).
    **{
        form: [
            {"code": "C-0001", "tier": "orange", "icon": "🟠", "categories": ["abuse"]},
            {"code": "C-0002", "tier": "green", "icon": "🟢", "categories": []},
        ]
        for form in ("staff/plan_safety", "staff/plan_care", "staff/visit")
    },
    "helpline/card": [
        {
            "code": "C-0001",
            "tier": "red",
            "icon": "🔴",
            "trigger": trigger,
            "categories": ["suicide"],
            "evidence": ["自杀 <&>", "gad-7: moderate", "psc-17 attention: item 3 = 2"],
            "role": "child",
            "age": "12-13",
            "opened": "2026-11-29T10:00:00+00:00",
            "target": 5,
            "first": first,
        }
        for trigger in ("triage", "request", "screening", "asked", "unconfirmed")
        for first in ("", "我今晚就想 <&>")
    ]
    # The model's own escalation: no words matched, so the card says what it rests on.
    + [
        {
            "code": "C-0002",
            "tier": "orange",
            "icon": "🟠",
            "trigger": "triage",
            "categories": [],
            "evidence": [],
            "role": "child",
            "age": "12-13",
            "opened": "2026-11-29T10:00:00+00:00",
            "target": 15,
            "first": "明天的太阳我就不看了",
        }
    ],
    "helpline/relay_in": [{"lines": ["我有点害怕 <&>", "还在吗"]}],
    "helpline/staff_raised": [
        {"code": "C-0001", "tier": "red", "categories": ["suicide"], "evidence": ["跳楼"]}
    ],
    "helpline/staff_safe": [{"code": "C-0001", "safe": s} for s in (True, False)],
    "helpline/staff_claimed": [{"code": "C-0001", "name": "李老师", "n": 3}],
    "helpline/staff_released": [
        {"code": "C-0001", "why": w, "name": n}
        for w, n in (("silence", ""), ("by_counsellor", "李老师"), ("by_supervisor", "王督导"))
    ],
    "helpline/staff_canned_sent": [
        {"label": "Greeting"},
        {"label": "Greeting", "text": "Are you safe?", "locale": "en"},
    ],
    "helpline/staff_canned_confirm": [
        {"label": "Greeting", "text": "Are you safe?", "locale": loc} for loc in ("en", "zh_Hans")
    ],
    "helpline/staff_retiered": [
        {"code": "C-0001", "tier": "orange", "reason": "好转 <&>", "name": "李老师"}
    ],
    "helpline/staff_transferred": [
        {
            "code": "C-0001",
            "by": "李老师",
            "to": "王老师",
            "to_id": 5,
            "tier": "red",
            "categories": ["suicide"],
            "notes": ["紧张"],
            "last_in": ["害怕"],
            "count": 4,
        }
    ],
    "helpline/staff_closed": [
        {"code": "C-0001", "outcome": "supported", "name": "李老师", "note": n}
        for n in ("", "已联系家人，孩子安全 <&>")
    ],
    "helpline/staff_reopened": [{"code": "C-0001", "name": "李老师"}],
    "helpline/staff_referral": [
        {
            "code": "C-0001",
            "resource": "12356 national psychological assistance line",
            "phone": "12356",
            "status": "suggested",
            "name": "李老师",
        }
    ],
    "helpline/staff_follow_up_set": [
        {"code": "C-0001", "due": "2026-12-02", "name": "李老师", "note": n} for n in ("", "家访")
    ],
    "helpline/staff_follow_up_due": [
        {"code": "C-0001", "note": "家访", "name": "李老师", "tg": 5}
    ],
    "helpline/staff_reported": [{"code": "C-0001", "authority": "城关派出所", "name": "李老师"}],
    "helpline/staff_missed_caught": [{"given": "critical"}, {"given": "none"}],
    "helpline/staff_missed_recorded": [
        {"code": "C-0001", "level": "critical", "given": "none", "messages": 1, "again": False},
        {"code": "C-0001", "level": "medium", "given": "low", "messages": 3, "again": True},
    ],
    "helpline/staff_missed_usage": [{}, {"reply": True}],
    "helpline/staff_toast": [{"text": "已发送。"}],
    "helpline/staff_duty": [
        {"name": "李老师", "on": on, "count": c, "names": ["李老师"] * c}
        for on in (True, False)
        for c in (0, 1)
    ],
    "helpline/staff_queue": [
        {"items": [], "waiting": 0},
        {
            "items": [
                {
                    "icon": "🔴",
                    "code": "C-0001",
                    "tier": "red",
                    "status": "waiting",
                    "minutes": 3,
                    "who": "",
                },
                {
                    "icon": "🟡",
                    "code": "C-0002",
                    "tier": "yellow",
                    "status": "claimed",
                    "minutes": 30,
                    "who": "李老师",
                },
            ],
            "waiting": 1,
        },
    ],
    "helpline/staff_follow_ups": [
        {"items": []},
        {
            "items": [
                {
                    "id": 1,
                    "code": "C-0001",
                    "due": "2026-12-01",
                    "overdue": True,
                    "who": "李老师",
                    "note": "家访",
                }
            ]
        },
    ],
    "helpline/staff_added": [{"name": "李老师", "role": "counsellor", "n": 3}],
    "helpline/staff_removed": [
        {
            "ok": ok,
            "name": "李老师",
            "groups": [
                {"here": here, "place": place, "result": result}
                for here, place, result in (
                    (True, "", "removed"),
                    (False, "城关儿童之家", "banned"),
                    (False, "", "owner"),
                    (False, "<b>站</b>", "admin"),
                    (False, "城关儿童之家", "no_rights"),
                    (False, "", "failed"),
                )
            ],
            "still": ok,
        }
        for ok in (True, False)
    ]
    + [{"ok": True, "name": "李老师", "groups": [], "still": False}],
    "helpline/staff_list": [
        {"members": [], "strangers": [], "admins_known": True},
        {
            "members": [{"name": "李老师", "role": "counsellor", "n": 3, "on_duty": True}],
            "strangers": [{"id": 777000, "admin": False}, {"id": 777001, "admin": True}],
            "admins_known": False,
        },
    ],
    "helpline/staff_overdue": [{"code": "C-0001", "tier": "red", "minutes": 6}],
    "helpline/page_unstaffed": [{"code": "C-0001", "tier": "red"}],
    "helpline/dm_red_case": [
        {"code": "C-0001", "tier": "red", "categories": ["suicide"]},
        {"code": "C-0002", "tier": "red", "categories": []},
    ],
    "helpline/staff_person_blocked": [{"code": "C-0001"}],
    "helpline/staff_post_failed": [
        {"code": "C-0001", "reason": "Bad Request: message is too long <&>"}
    ],
    "helpline/staff_relay_failed": [{"code": "C-0001", "reason": "Bad Request: chat not found"}],
    "helpline/page_overdue": [{"code": "C-0001", "tier": "red", "minutes": 10}],
    # Self-checks, with real questionnaire text so the translation shows.
    "screening/again": [{"days": 14}],
    "screening/intro": [
        {"name": _Q.name, "prompt": _Q.prompt, "validated": v, "count": c, "skips": k, "formal": f}
        for v in (True, False)
        for c in (9, "4–5")
        for k in (0, 3)
        for f in (False, True)
    ],
    "screening/case_offer": [{"formal": f} for f in (False, True)],
    "screening/case_declined": [{"formal": f} for f in (False, True)],
    "screening/item": [{"n": 1, "total": 9, "text": _Q.items[0].text}],
    "screening/summary": [
        {
            "complete": True,
            "summary": b.summary,
            "advice": b.advice,
            "tier": b.tier.value,
            "formal": f,
        }
        for b in _Q.bands
        for f in (False, True)
    ]
    + [{"complete": False, "summary": "", "advice": "", "tier": "", "formal": f} for f in (0, 1)]
    # After a safety answer, and a positive subscale with no band text, with the credit.
    + [
        {
            "complete": c,
            "summary": "",
            "advice": "",
            "subscales": [{"summary": s.summary, "advice": s.advice} for s in _PSC.subscales],
            "safety": safe,
            "staffed": staffed,
            "credit": _Q.credit,
            "tier": "orange",
            "formal": f,
        }
        for c in (True, False)
        for safe in (True, False)
        for staffed in (True, False)
        for f in (True, False)
    ],
    "screening/staff_concern": [
        {"code": "C-0001", "categories": ["abuse", "neglect"], "evidence": ["mood-kids: x"]}
    ],
    "screening/case_opened": [
        {**_HOTLINE_DATA, "minutes": 30, "formal": f, "staffed": s, "again": a, "back": b}
        for f in (False, True)
        for s in (False, True)
        for a in (False, True)
        for b in _BACKS
    ],
    "screening/file": [
        {
            "code": "P-ABC234",
            "role": "child",
            "age": "12-13",
            "trends": [
                {
                    "instrument": "phq-a",
                    "points": [
                        {"date": "2026-10-01", "total": 12, "icon": "🟠", "band": "moderate"},
                        {"date": "2026-11-01", "total": None, "icon": "⚪", "band": ""},
                    ],
                },
                {
                    "instrument": "psc-17",
                    "credit": _PSC.credit,
                    "provisional": True,
                    "validated": True,
                    "points": [{"date": "2026-10-01", "total": 9, "icon": "🟡", "band": ""}],
                    "flagged": {"date": "2026-10-01", "flags": _FLAGS},
                },
                {
                    "instrument": "mood-kids",
                    "provisional": True,
                    "validated": False,
                    "points": [{"date": "2026-10-01", "total": 4, "icon": "🟠", "band": ""}],
                },
            ],
            "cases": [
                {
                    "code": "C-0001",
                    "icon": "🔴",
                    "status": "closed",
                    "outcome": "referred",
                    "opened": "2026-10-02",
                    "notes": 2,
                    "referrals": ["psyclinic:attended"],
                }
            ],
            "follow_ups": [{"due": "2026-12-01", "done": False}],
            "views": 3,
        },
        {
            "code": "P-ABC234",
            "role": "",
            "age": "",
            "trends": [],
            "cases": [],
            "follow_ups": [],
            "views": 1,
        },
    ],
    "screening/screen_planned": [
        {"code": "P-ABC234", "instrument": "phq-a", "every": e} for e in (0, 90)
    ],
    "screening/invitation": [{"name": _Q.name}],
    "screening/child_added": [{"code": "P-ABC234"}],
    "screening/offer_counsellor": [{"formal": f} for f in (False, True)],
    "screening/guardian_invited": [
        {"code": "C-0001", "name": "李老师", "child_told": t, "no_chat": n, "reason": r}
        for t, n, r in ((True, False, ""), (False, True, ""), (False, False, "爸爸打她 <&>"))
    ],
    "staff/invite_usage": [{"max_uses": 500}],
    "staff/unknown_service_point": [{"code": "X<1>"}],
    "staff/invite_link": [
        {
            "link": "https://t.me/x?start=c",
            "code": "c",
            "role": r,
            "uses": 3,
            "days": 7,
            "service_point": sp,
        }
        for r in ("guardian", "child")
        for sp in ("", "学校")
    ],
    "lessons/ask_hour": [{"weekday": 3}],
    "typed/choose": [{"formal": f} for f in (False, True)],
    "typed/on_the_hour": [{"time": "19:30"}],
    "lessons/enrolled": [{"weekday": d, "hour": h} for d in range(7) for h in (8, 20)],
    "lessons/schedule_changed": [{"weekday": 0, "hour": 12, "minute": 30}],
    "lessons/resumed": [{"weekday": 6, "hour": 19}],
    "lessons/part": [
        {
            "title": _L.title,
            "text": _L.messages[0],
            "n": 1,
            "total": 4,
            "first": True,
            "sources": "",
        },
        {
            "title": _L.title,
            "text": _L.messages[1],
            "n": 2,
            "total": 4,
            "first": False,
            "sources": "",
        },
        {
            "title": _L.title,
            "text": _L.messages[-1],
            "n": 4,
            "total": 4,
            "first": False,
            "sources": _L.sources,
        },
    ],
    "lessons/child_task": [{"task": _L.task}],
    "lessons/question": [{"prompt": _L.prompt}],
    "lessons/feedback": [{"text": o.feedback, "best": o.best} for o in _L.options],
    "lessons/task": [{"task": _L.task, "days": 3}],
    "lessons/checkin": [{"task": _L.task, "prompt": _L.checkin_prompt}],
    "lessons/checkin_reply": [{"text": o.reply, "key": o.key} for o in _L.checkin_options],
    "lessons/progress": [
        {
            "marks": "✅📖⬜",
            "done": 1,
            "total": 3,
            "goal": g,
            "status": st,
            "paused_until": pu,
            "weekday": 6,
            "hour": 19,
        }
        for g in ("", _L.goal)
        for st, pu in (("active", ""), ("paused", "2026-12-01"), ("paused", ""), ("completed", ""))
    ],
    "lessons/paused": [{"until": "2026-12-24"}, {"until": ""}],
    # Data rights and the access log.
    "privacy/mydata": [{"role": r, "children": n} for r in ("guardian", "child") for n in (0, 2)],
    "privacy/mydata_summary": [
        {
            "role": role,
            "relation": "grandparent" if full and role == "guardian" else "",
            "age_key": "btn.age.12-13" if full and role == "child" else "",
            "place": "城关镇儿童之家" if full else "",
            "since": {"y": 2026, "m": 12, "d": 7},
            "agreed": {"y": 2026, "m": 12, "d": 7} if full else None,
            "lessons_read": 3 if full else 0,
            "weekday": 2 if full else None,
            "hour": 19 if full else None,
            "paused": paused,
            "checks": 2 if full else 0,
            "last_check": {"y": 2026, "m": 12, "d": 1} if full else None,
            "talks": 1 if full else 0,
            "talk_open": full,
            "children": (
                [{"age_key": "btn.cage.9-11", "own": True}, {"age_key": "", "own": False}]
                if full and role == "guardian"
                else []
            ),
        }
        for role in ("guardian", "child", "")
        for full, paused in ((True, False), (True, True), (False, False))
    ],
    "privacy/nothing_kept": [{"anything": a} for a in (True, False)],
    "privacy/ask_delete": [
        {"role": r, "children": c, "kept": k}
        for r in ("guardian", "child", "")
        for c, k in ((0, 0), (1, 2))
    ],
    "privacy/delete_refused": [
        {"role": r, "whose": w} for r in ("guardian", "child") for w in ("self", "child")
    ],
    "privacy/delete_cancelled": [{"role": r} for r in ("guardian", "child")],
    "privacy/deleted": [{"role": r} for r in ("guardian", "child", "")],
    "privacy/page_delete_waiting": [{"code": "C-0001"}],
    # The supervisors' web dashboard: the sign-in link and the kind no.
    "dashboard/link": [
        {"url": "https://xq.example.org/dashboard/login?t=abc-DEF_123", "minutes": 10}
    ],
    "dashboard/supervisors_only": [{"staff": True}, {"staff": False}],
    "privacy/accesslog": [
        {"code": "P-ABC234", "total": 0, "items": []},
        {
            "code": "P-ABC234",
            "total": 9,
            "items": [
                {"at": "2026-11-29 10:00", "who": w, "n": n, "role": r, "what": what}
                for w, n, r, what in (
                    ("staff", 1, "supervisor", "access_log"),
                    ("staff", 3, "counsellor", "file"),
                    ("staff", 3, "counsellor", "told_guardian"),
                    ("guardian", 0, "guardian", "mydata"),
                    ("self", 0, "child", "mydata"),
                    ("gone", 0, "", "file"),
                    ("other", 0, "", "other <&>"),
                )
            ],
        },
    ],
    # Oversight: the digest's caption (every line filled, and the quietest week) and /stats.
    "oversight/digest": [
        {
            "weekly": weekly,
            "first": "2026-03-02",
            "last": last,
            "place": place,
            "cases": cases,
            "tiers": [
                {"icon": "🔴", "tier": "red", "n": cases},
                {"icon": "🟢", "tier": "green", "n": 0},
            ],
            "answered": answered,
            "median": median,
            "p90": p90,
            "within": within,
            "unanswered": 1,
            "open": 12,
            "overdue": 3,
            "fu_due": 4,
            "fu_overdue": 1,
            "screenings": 40,
            "worsened": 2,
            "guardians": 100000,
            "active": 98765,
            "new": 1234,
            "delivered": 99999,
            "opened": 88888,
            "checked_in": 77777,
            "tried": 66666,
        }
        for weekly, last, place, cases, answered, median, p90, within in (
            (
                True,
                "2026-03-08",
                "城关镇儿童之家 <&>" * 5,
                12,
                11,
                {"n": "4", "unit": "min"},
                {"n": "2.5", "unit": "h"},
                83,
            ),
            (False, "2026-03-02", "", 0, 0, None, None, None),
            (
                False,
                "2026-03-31",
                "",
                3,
                3,
                {"n": "3", "unit": "days"},
                {"n": "9", "unit": "days"},
                0,
            ),
        )
    ],
    "helpline/topic_name": [
        {"icon": "🟠", "code": "C-0427", "tier": "orange", "closed": False},
        {"icon": "🔴", "code": "C-0001", "tier": "red", "closed": True},
    ],
    "oversight/bad_period": [
        {"reason": r, "text": "明天 <&>"} for r in ("format", "order", "too_long", "future")
    ],
}


GOOD_RULE = """
version: test-1
rules:
  - id: zh-test
    category: suicide
    level: high
    phrases: [想死]
"""


def lexicon_dir(tmp_path: Path, **files: str) -> Path:
    root = tmp_path / TRIAGE_DIR
    root.mkdir(parents=True)
    for name, text in files.items():
        (root / f"{name}.yaml").write_text(text, "utf-8")
    return tmp_path
