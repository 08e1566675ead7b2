"""Issue 19 item 4: no code from the database in what staff read, in either language."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.replies import Reply
from bot.domain.screening import Result
from bot.services.screening import evidence
from tests import shipped
from tests.shipped import LOCALES

FORMS = shipped.instruments()


def card(catalog: Any, lines: list[str], locale: str) -> str:
    data = {
        "code": "C-0001",
        "tier": "orange",
        "icon": "🟠",
        "trigger": "screening",
        "categories": [],
        "evidence": lines,
        "role": "child",
        "age": "12-13",
        "target": 30,
    }
    return str(catalog.render(Reply("helpline/card", data), locale).text)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_form_and_band_on_a_card_is_in_words(catalog: Any, locale: str) -> None:
    """Each band of each form, as the screening service quotes it, and each subscale."""
    for form in FORMS.values():
        for band in form.bands:
            result = Result(form.id, 1, "", total=0, band=band.band, tier=band.tier)
            text = card(catalog, evidence(form, result, {}), locale)
            assert f"{form.id}:" not in text, text
            # English labels may share a word with the code ("mild"), never its underscores.
            assert band.band not in text if locale == "zh_Hans" else "_" not in text, text
        for sub in form.subscales:
            line = f"{form.id} {sub.id}: item {sub.items[0]} = 2"
            text = card(catalog, [line], locale)
            assert sub.id not in text and form.id not in text, text
    zh = card(
        catalog, ["gad-7: moderate", "phq-a item 9 = 3", "psc-17: positive (P-ABC234)"], "zh_Hans"
    )
    assert "GAD-7（焦虑）：中度" in zh and "PHQ-A（情绪低落）：第 9 题 = 3" in zh, zh
    assert "PSC-17（监护人填写的孩子情况）：阳性（超过临界值） (P-ABC234)" in zh, zh
    en = card(catalog, ["gad-7: moderate"], "en")
    assert "GAD-7 (worry): moderate" in en


def test_a_childs_own_words_are_quoted_as_they_are(catalog: Any) -> None:
    """Evidence that is the person's words is never taken for a form's result."""
    for words in ("我说: 你好", "gad-7 是什么", "item 9 = 3"):
        assert words.replace("<", "&lt;") in card(catalog, [words], "zh_Hans")
