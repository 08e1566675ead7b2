"""The forms a counsellor calls up in a case topic (/plan safety, /plan care, /visit)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.cases import Case, CaseStatus, Tier, Trigger
from bot.services.plans import plan_form, visit_form
from tests import shipped

CATALOG = shipped.catalog()
CASE = Case(
    id=7,
    code="C-0007",
    person_id=1,
    tier=Tier.ORANGE,
    status=CaseStatus.CLAIMED,
    trigger=Trigger.SCREENING,
    categories=("abuse",),
    opened_at=datetime(2026, 12, 1, tzinfo=UTC),
    staff_chat_id=-100,
)


def _both(reply: object) -> tuple[str, str]:
    return CATALOG.render(reply, "zh_Hans").text, CATALOG.render(reply, "en").text  # type: ignore[arg-type]


def test_home_visit_checklist_covers_the_four_stressors_the_policy_names() -> None:
    zh, en = _both(visit_form(CASE))
    for word in ("学业压力", "经济困难", "家庭变故", "权益受侵", "强制报告", "/reported"):
        assert word in zh, word
    for word in ("Study pressure", "Money trouble", "Family change", "Rights violated"):
        assert word in en, word
    assert "C-0007" in zh and "橙" in zh and "（虐待）" in zh  # prefilled from the case
    assert "C-0007" in en and "orange" in en and "abuse" in en
    assert zh.count("☐") == en.count("☐") >= 12 and len(zh) <= 4096 and len(en) <= 4096


def test_safety_plan_and_care_plan_in_both_languages() -> None:
    zh, en = _both(plan_form(CASE, "safety"))
    assert "安全计划" in zh and "110" in zh and "农药" in zh and "/hotlines" in zh
    assert "Safety plan" in en and "pesticides" in en and "C-0007" in en
    zh, en = _both(plan_form(CASE, " CARE "))
    assert "分人分类关爱方案" in zh and "结对关爱" in zh and "/file C-0007" in zh
    assert "Care plan" in en and "/file C-0007" in en
    for word in ("学业压力", "经济困难", "家庭变故", "权益受侵", "流动儿童", "留守儿童"):
        assert word in zh, word
    for text in (zh, en):
        assert "诊断" not in text and "diagnos" not in text.lower() and len(text) <= 4096


def test_an_unknown_plan_says_how_to_ask() -> None:
    for args in ("", "sadety", "care please"):
        zh, en = _both(plan_form(CASE, args))
        assert "/plan safety" in zh and "/plan care" in zh and "/visit" in zh
        assert "/plan safety" in en
