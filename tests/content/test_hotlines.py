"""The hotline book: every line has its hours, source and checked date; 24-hour lines exist;
and no rendering claims that a closed line helps now (issue 18, items 2 and 7)."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.catalog.helpline import HelplineContentError
from bot.catalog.hotlines import load_hotlines
from bot.domain.replies import Reply
from content import CONTENT_DIR
from tests import shipped
from tests.shipped import LOCALES

BOOK = shipped.hotlines()
AT_3AM = datetime(2026, 12, 7, 19, 0, tzinfo=UTC)  # 03:00 on the 8th in Shanghai
AT_NOON = datetime(2026, 12, 8, 4, 0, tzinfo=UTC)
BACK = {"day": "today", "time": "8:00", "weekday": 1, "month": 12, "date": 8}
# Every template that shows hotlines, with what each needs besides them.
SHOWING = {
    "safety/help": {},
    "helpline/safety_now": {"minutes": 5, "staffed": False, "back": BACK},
    "helpline/requested_unstaffed": {"back": BACK},
    "helpline/safe_no": {"told": True, "staffed": False, "back": BACK},
    "helpline/safe_yes": {"told": True, "staffed": False, "back": BACK},
    "helpline/ask": {"guardian": False},
    "helpline/ask_skip": {"minutes": 5, "staffed": False, "back": BACK},
    "helpline/passed_on": {"staffed": False, "back": BACK},
    "helpline/quiet_hotlines": {},
    "screening/case_opened": {
        "minutes": 5,
        "formal": False,
        "staffed": False,
        "again": False,
        "back": BACK,
    },
}


def every_line() -> list[tuple[str, Any]]:
    return [(region, h) for region, lines in BOOK.regions.items() for h in lines]


def test_every_line_has_hours_source_and_a_checked_date() -> None:
    for region, h in every_line():
        assert h.hours.strip(), f"{region} {h.number}: no hours"
        assert h.source.strip(), f"{region} {h.number}: no source"
        assert h.checked is not None and h.checked <= date.today(), f"{region} {h.number}"


def test_the_national_list_has_the_24_hour_crisis_lines() -> None:
    national = {h.number: h for h in BOOK.for_region(None)}
    for number in ("110", "120", "400-161-9995", "010-82951332 / 800-810-1117"):
        assert national[number].open_hours.always, number
    # 12356 runs at least 18 hours a day, not 24 everywhere; 12355 often office hours.
    assert not national["12356"].open_hours.known
    assert not national["12355"].open_hours.known


def test_a_citys_12356_seat_keeps_its_own_hours() -> None:
    jinzhong = {h.number: h for h in BOOK.for_region("shanxi-jinzhong")}
    assert not jinzhong["12356"].open_hours.always
    assert "110" in jinzhong and "400-161-9995" in jinzhong  # never lost by a local block


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            '      hours: "24 hours"\n      open: 24h\n      note: "For',
            '      note: "For',
            "hours",
        ),
        ("      checked: 2026-12-07\n", "", "checked"),
        ('      source: "Ministry of Public Security', '      sauce: "x', "unknown field"),
        ('      open: "08:00-02:00"', '      open: "8am till 2"', "spans like"),
        ('    - number: "120"', '    - number: "120 ambulance"', "digits"),
        (
            "      open: 24h\n      emergency: true",
            "      open: varies\n      emergency: true",
            "24h",
        ),
    ],
)
def test_the_loader_refuses_a_line_without_what_a_child_needs(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    shutil.copytree(CONTENT_DIR / "helpline", tmp_path / "helpline")
    path = tmp_path / "helpline" / "hotlines.yaml"
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")
    with pytest.raises(HelplineContentError, match=message):
        load_hotlines(tmp_path)


def test_a_book_without_a_24_hour_line_is_refused(tmp_path: Path) -> None:
    shutil.copytree(CONTENT_DIR / "helpline", tmp_path / "helpline")
    path = tmp_path / "helpline" / "hotlines.yaml"
    text = path.read_text("utf-8").replace(
        "      open: 24h\n      note:", "      open: varies\n      note:"
    )
    path.write_text(text, "utf-8")
    with pytest.raises(HelplineContentError, match="open 24h"):
        load_hotlines(tmp_path)


def render(catalog: Any, template: str, locale: str, region: str | None, now: datetime) -> str:
    data = {**BOOK.shown(region, now), **SHOWING[template]}
    return str(catalog.render(Reply(template, data), locale).text)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", sorted(SHOWING))
def test_at_3am_a_24_hour_line_is_shown_before_any_other(
    catalog: Any, template: str, locale: str
) -> None:
    text = render(catalog, template, locale, "shanxi-jinzhong", AT_3AM)
    assert "110" in text and "400-161-9995" in text
    if "12356" in text:
        assert text.index("400-161-9995") < text.index("12356")
    # Nobody is on duty: nobody was told, and no closed line helps now.
    for claim in (
        *("现在就能帮你", "who can help right now"),
        *("已经通知", "已经告诉", "我已经请", "has been told", "We have told", "I have asked"),
        *("passed your message on", "第一位上班"),
    ):
        assert claim not in text, (template, claim)


@pytest.mark.parametrize("locale", LOCALES)
def test_a_closed_line_is_said_to_be_closed(catalog: Any, locale: str) -> None:
    text = render(catalog, "safety/help", locale, "shanxi-jinzhong", AT_3AM)
    seat = next(line for line in text.splitlines() if "<b>12356</b>" in line)
    assert ("现在不在接听时间" if locale == "zh_Hans" else "closed now") in seat
    assert ("8:00" in seat) and ("2:00" in seat)
    noon = render(catalog, "safety/help", locale, "shanxi-jinzhong", AT_NOON)
    answering = noon.split("\n\n<b>")[2]  # the block of lines that answer now
    assert "<b>12356</b>" in answering and "closed" not in answering


@pytest.mark.parametrize(
    ("locale", "words"),
    [("zh_Hans", ("不收服务费", "电话费")), ("en", ("No service charge", "call charges"))],
)
def test_12356_is_free_of_service_charges_not_of_call_charges(
    catalog: Any, locale: str, words: tuple[str, ...]
) -> None:
    text = render(catalog, "safety/help", locale, None, AT_NOON)
    after = text[text.index("<b>12356</b>") :]
    assert all(w in after.split("\n\n")[0] for w in words)
    assert "免费。压力大" not in text  # the old unconditional "free"


@pytest.mark.parametrize(
    ("locale", "when"),
    [
        ("zh_Hans", ["今天 8:00", "明天 8:00", "12月10日（周四）8:00"]),
        ("en", ["today at 8:00", "tomorrow at 8:00", "on Thursday, 12/10, at 8:00"]),
    ],
)
def test_out_of_hours_says_when_counsellors_are_back(
    catalog: Any, locale: str, when: list[str]
) -> None:
    backs = [
        BACK,
        {**BACK, "day": "tomorrow"},
        {"day": "date", "time": "8:00", "weekday": 3, "month": 12, "date": 10},
    ]
    for back, said in zip(backs, when, strict=True):
        for template, needs in SHOWING.items():
            if "back" not in needs:
                continue
            data = {**BOOK.shown(None, AT_3AM), **needs, "back": back}
            text = catalog.render(Reply(template, data), locale).text
            assert said in text, (template, said)
