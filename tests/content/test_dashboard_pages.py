"""The dashboard's HTML pages render in every locale, escape what comes from the database, and
hold nothing the Content-Security-Policy would block (no script, no inline style)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.catalog.pages import HtmlPages
from bot.domain.oversight import FunnelRow, GuardianCounts
from bot.services.dashboard import Viewer
from content import CONTENT_DIR
from tests import shipped
from tests.shipped import LOCALES

EVIL = "<script>alert(1)</script>"
PAGES = sorted(
    p.stem for p in (CONTENT_DIR / "templates" / "dashboard").glob("*.html") if p.stem[0] != "_"
)
VIEWER = Viewer(1, f"王督导{EVIL}", 1, "zh_Hans", datetime(2026, 3, 2, tzinfo=UTC))
STAFF = {"name": f"李老师{EVIL}", "n": 2, "role": "counsellor"}
AGE = {"days": 0, "hours": 1, "minutes": 5}
CASE = {
    "code": "C-0001",
    "tier": "red",
    "status": "claimed",
    "trigger": "triage",
    "opened": "2026-03-02 10:00",
    "age": AGE,
    "claimed_by": STAFF,
    "answered": True,
    "point": f"城关镇儿童之家{EVIL}",
}
RESOURCE = {"id": "psyclinic", "name": "City mental health centre (精神卫生中心)", "kind": "x"}
FOLLOW_UP = {"code": "C-0001", "due": "2026-03-03", "done": "", "overdue": True, "who": STAFF}
EVENTS = [
    {"at": "2026-03-02 10:00", "kind": k, "by": STAFF, "data": d, "resource": RESOURCE}
    for k, d in (
        ("opened", {"trigger": "triage"}),
        ("raised", {"tier": "red"}),
        ("claimed", {}),
        ("released", {"why": "silence"}),
        ("released", {"why": "by_supervisor"}),
        ("transferred", {}),
        ("retiered", {"before": "yellow", "after": "red"}),
        ("note", {}),
        ("referred", {}),
        ("referral_status", {"status": "attended"}),
        ("follow_up", {"due": "2026-03-05T10:00:00+08:00"}),
        ("follow_up", {}),
        ("reported", {}),
        ("sla_realert", {}),
        ("sla_supervisor", {}),
        ("out_of_hours", {}),
        ("closed", {"outcome": "referred"}),
        ("reopened", {}),
        ("something_new", {}),
    )
]
SAMPLES: dict[str, dict[str, Any]] = {
    "queue": {
        "waiting": [CASE],
        "claimed": [CASE],
        "on_duty": [STAFF],
        "now": "2026-03-02 10:05",
    },
    "case": {
        "case": CASE,
        "categories": ["suicide"],
        "closed": "",
        "outcome": "",
        "first_response": "2026-03-02 10:03",
        "person": {"code": "P-ABC234", "role": "child"},
        "events": EVENTS,
        "counts": {"in": 3, "out": 2, "note": 1},
        "referrals": [{"resource": RESOURCE, "status": "accepted", "created": "", "updated": ""}],
        "follow_ups": [FOLLOW_UP, {**FOLLOW_UP, "done": "2026-03-04", "overdue": False}],
    },
    "followups": {"overdue": [FOLLOW_UP], "soon": [], "later": [FOLLOW_UP]},
    "referrals": {
        "groups": [
            {
                "status": s,
                "items": [{"code": "C-0001", "resource": RESOURCE, "created": "", "updated": ""}],
            }
            for s in ("suggested", "accepted", "attended", "declined")
        ]
    },
    "file": {
        "code": "P-ABC234",
        "role": "child",
        "age": "12-13",
        "trends": [
            {
                "instrument": "phq-a",
                "points": [{"date": "2026-03-01", "total": 17, "tier": "orange", "band": ""}],
            },
            {
                "instrument": "psc-17",
                "credit": "PSC-17: Gardner W, Murphy M, Childs G, et al. (1999), from the"
                " Pediatric Symptom Checklist by Jellinek MS, Murphy JM et al. (1988).",
                "provisional": True,
                "validated": True,
                "points": [
                    {"date": "2026-02-01", "total": 3, "tier": "green", "band": "", "flags": []},
                    {
                        "date": "2026-03-01",
                        "total": 9,
                        "tier": "yellow",
                        "band": "negative",
                        "flags": [
                            {
                                "kind": "subscale",
                                "label": "Internalising (sad, hopeless, worried)",
                                "value": 6,
                                "cutoff": 5,
                                "categories": [],
                            },
                            {"kind": "missing", "items": [3, 7], "how": "missing_as_zero"},
                        ],
                    },
                ],
            },
            {
                "instrument": "mood-kids",
                "credit": "",
                "provisional": True,
                "validated": False,
                "points": [
                    {
                        "date": "2026-03-01",
                        "total": 4,
                        "tier": "orange",
                        "band": "some_hard_days",
                        "flags": [
                            {
                                "kind": "subscale",
                                "label": "Feels scared or unsafe at home or at school",
                                "value": 4,
                                "cutoff": 4,
                                "categories": ["abuse", "neglect"],
                            },
                            {"kind": "safety", "item": 9, "value": 3},
                        ],
                    }
                ],
            },
        ],
        "cases": [
            {
                **CASE,
                "outcome": "",
                "notes": 1,
                "referral_items": [{"resource": RESOURCE, "status": "suggested"}],
            }
        ],
        "follow_ups": [{"due": "2026-03-03", "done": False}],
        "views": 3,
    },
    "access_log": {
        "code": "P-ABC234",
        "total": 6,
        "items": [
            {"at": "2026-03-02 10:00", "who": w, "n": 1, "role": r, "what": what, "via": via}
            for w, r, what, via in (
                ("staff", "supervisor", "file", "dashboard"),
                ("staff", "counsellor", "case", "staff_chat"),
                ("guardian", "guardian", "mydata", "guardian"),
                ("self", "child", "mydata", "self"),
                ("gone", "", "told_guardian", "staff_chat"),
                ("other", "", "access_log", "other"),
            )
        ],
    },
    "login": {"token": "abc-DEF_123"},
    "reports": {
        "first": "2026-03-01",
        "last": "2026-03-07",
        "sp": "1",
        "points": [{"id": 1, "name": f"城关镇{EVIL}"}],
        "error": "",
        "place": f"城关镇{EVIL}",
        "query": "first=2026-03-01&last=2026-03-07&sp=1",
        "misses": [{"week": "2026-W09", "n": 0}, {"week": "2026-W10", "n": 2}],
        "f": {
            "cases": 5,
            "tiers": [{"tier": "red", "n": 2}, {"tier": "green", "n": 3}],
            "outcomes": {},
            "answered": 4,
            "unanswered": 1,
            "median": "3",
            "p90": "9",
            "within": 80,
            "open": 2,
            "overdue": 1,
            "fu": {"open": 1, "overdue": 1, "due": 2, "done": 1},
            "referrals": {"accepted": 1},
            "screenings": 4,
            "instruments": {"phq-a": 4},
            "worsened": 1,
            "guardians": GuardianCounts(enrolled=10, active=8),
            "funnel": FunnelRow("", 10, 8, 3, 5, 6),
        },
    },
    "signed_out": {"bye": True},
}


@pytest.fixture(scope="module")
def pages() -> HtmlPages:
    return HtmlPages(shipped.catalog())


def _base(viewer: Viewer | None) -> dict[str, Any]:
    return {
        "viewer": viewer,
        "viewer_until": "2026-03-02 18:00",
        "csrf": "c" * 64,
        "here": "/dashboard/",
        "nav": "queue",
        "reports": True,
    }


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("page", PAGES)
def test_page_renders(pages: HtmlPages, page: str, locale: str) -> None:
    anonymous = page in ("login", "refused", "signed_out")
    variants = [SAMPLES.get(page, {})]
    if page == "reports":
        variants += [{**SAMPLES[page], "error": e, "f": None} for e in ("order", "place", "x")]
    if page == "signed_out":
        variants.append({"bye": False})
    for data in variants:
        html = pages.page(page, locale, {**_base(None if anonymous else VIEWER), **data})
        assert html.startswith("<!doctype html>")
        assert (EVIL not in html and "&lt;script&gt;" in html) or anonymous or page == "file"
        assert "<script" not in html and "style=" not in html and " on" + "click" not in html
        assert "{{" not in html and "{%" not in html
        if locale == "zh_Hans":
            assert re.search(r"[\u4e00-\u9fff]", html)
            assert 'lang="zh-Hans"' in html
        else:
            assert 'lang="en"' in html
            body = html.split("<main>", 1)[1]
            # English pages carry no Chinese of our own (names and places may be Chinese).
            ours = re.sub(r"王督导|李老师|城关镇儿童之家|城关镇|精神卫生中心|中文", "", body)
            ours = re.sub(r"（[^）]*）|\([^)]*\)", "", ours)
            assert not re.search(r"[\u4e00-\u9fff]", ours), page


def test_every_page_has_a_sample() -> None:
    assert set(PAGES) - set(SAMPLES) <= {"refused", "not_found"}


@pytest.mark.parametrize("locale", LOCALES)
def test_the_file_page_shows_every_flag_credit_and_provisional_translation(
    pages: HtmlPages, locale: str
) -> None:
    """Issue 18 items 4 and 8: the dashboard showed only the total and the tier."""
    page = pages.page("file", locale, {**_base(VIEWER), **SAMPLES["file"]})
    zh = locale == "zh_Hans"
    for words in (
        "内化（难过、没有希望、担心） 6 ≥ 5"
        if zh
        else "Internalising (sad, hopeless, worried) 6 ≥ 5",
        "跳过第 3, 7 题（按 0 分计）" if zh else "skipped items 3, 7 (counted as 0)",
        "可能涉及：虐待, 忽视" if zh else "possible: abuse, neglect",
        "安全题（第 9 题）答 3" if zh else "safety item 9 answered 3",
        "中文为本项目自译" if zh else "our own translation, provisional",
        "本项目自编，未经验证" if zh else "our own check, not validated",
        "Gardner W" if not zh else "Gardner W、Murphy M",
    ):
        assert words in page, words


@pytest.mark.parametrize("locale", LOCALES)
def test_every_label_of_the_figures_csv_is_in_words(pages: HtmlPages, locale: str) -> None:
    """The CSV for civil-affairs offices (issue 19): each measure, breakdown and value the
    report writes has words in each language, one a line, in order."""
    from bot.domain.oversight import Period
    from bot.services.reports import Choice, Reports
    from tests.figures import make_figures

    tz = ZoneInfo("Asia/Shanghai")
    period = Period.week_before(datetime(2026, 3, 2, tzinfo=UTC), tz)
    figures = make_figures(period)
    asked: list[tuple[str, str]] = []
    said: list[str] = []

    def words(cells: Any) -> list[str]:
        asked.extend(cells)
        text = pages.page("_csv_labels", locale, {"cells": [list(c) for c in cells]})
        said.extend(text.lstrip("\n").split("\n")[: len(cells)])
        return said

    choice = Choice(period, None, period.first_day(tz), period.last_day(tz))
    Reports(None, None, None, None, "Asia/Shanghai").csv(  # type: ignore[arg-type]
        choice, figures, datetime(2026, 3, 2, tzinfo=UTC), words
    )
    assert asked
    for (kind, code), label in zip(asked, said, strict=True):
        if code and locale == "zh_Hans":
            assert re.search(r"[\u4e00-\u9fff]", label), (kind, code, label)
        if "_" in code or "-" in code:
            assert code not in label, (kind, code, label)
