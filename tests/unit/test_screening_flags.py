"""A flag outranks a band (issue 18, items 1 and 4): what the person reads after a safety
answer or a positive subscale, the case a "feels unsafe" answer opens, and the flags staff
read in the child's file, derived from the stored answers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.catalog.questionnaires import QuestionnaireError, _instrument
from bot.domain.cases import Tier
from bot.domain.screening import (
    StoredResult,
    concerns,
    missing_items,
    reading,
    score,
)
from bot.services.child_file import about, result_flags
from bot.services.screening import evidence, summary_reply
from tests import shipped

FORMS = shipped.instruments()
ZEROS_THEN_9 = {**dict.fromkeys(range(1, 9), 0), 9: 3}


def stored(form_id: str, answers: Mapping[int, int | None]) -> StoredResult:
    result = score(FORMS[form_id], answers)
    return StoredResult(
        id=1,
        subject_id=1,
        respondent_id=1,
        instrument=form_id,
        version=result.version,
        cutoff_version=result.cutoff_version,
        answers=answers,
        total=result.total,
        band=result.band,
        tier=result.tier,
        flags=result.flags,
        taken_at=datetime(2026, 12, 1, tzinfo=UTC),
    )


def test_phq_a_item_9_with_every_other_answer_0_shows_no_low_band_text() -> None:
    form = FORMS["phq-a"]
    result = score(form, ZEROS_THEN_9)
    assert result.band == "minimal" and result.tier is Tier.ORANGE
    seen = reading(form, result)
    assert seen.safety and seen.band is None
    for formal in (False, True):
        data = summary_reply(form, result, formal, staffed=False).data
        assert data["safety"] and not data["staffed"]
        assert data["summary"] == data["advice"] == ""


def test_a_safety_answer_in_a_band_that_fits_keeps_the_bands_words() -> None:
    form = FORMS["phq-a"]
    result = score(form, {**dict.fromkeys(range(1, 9), 2), 9: 3})  # 19: red on its own
    seen = reading(form, result)
    assert seen.safety and seen.band is not None and seen.band.tier is Tier.RED


@pytest.mark.parametrize("acute", [False, True])
def test_any_asq_yes_is_a_safety_reading(acute: bool) -> None:
    form = FORMS["asq"]
    result = score(form, {1: 0, 2: 1, 3: 0, 4: 0, 5: int(acute)})
    assert reading(form, result).safety
    assert not reading(form, score(form, {1: 0, 2: 0, 3: 0, 4: 0})).safety


@pytest.mark.parametrize(
    ("subscale", "items"),
    [("internalising", [2, 6, 9]), ("attention", [1, 3, 7, 13]), ("externalising", [4, 5, 8, 10])],
)
def test_a_positive_psc_17_subscale_is_never_the_usual_range(
    subscale: str, items: list[int]
) -> None:
    form = FORMS["psc-17"]
    answers: dict[int, int | None] = dict.fromkeys(range(1, 18), 0)
    for i in items:
        answers[i] = 2
    result = score(form, answers)
    assert result.total is not None and result.total < 15  # the green band's total
    assert f"{subscale}_positive" in result.flags
    seen = reading(form, result)
    assert seen.band is None  # "in the usual range for children" is not said
    assert [s.id for s in seen.subscales] == [subscale]
    data = summary_reply(form, result, True, False).data
    assert data["subscales"] == [
        {"summary": seen.subscales[0].summary, "advice": seen.subscales[0].advice}
    ]


def test_psc_17_without_a_flag_still_says_the_usual_range() -> None:
    form = FORMS["psc-17"]
    result = score(form, dict.fromkeys(range(1, 18), 0))
    seen = reading(form, result)
    assert seen.band is not None and seen.band.band == "negative" and not seen.subscales


@pytest.mark.parametrize("value", [4, 7])
def test_mood_kids_feeling_unsafe_is_orange_and_names_abuse_or_neglect(value: int) -> None:
    form = FORMS["mood-kids"]
    result = score(form, {1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: value})
    assert result.tier is Tier.ORANGE
    assert "feels_unsafe_positive" in result.flags
    assert concerns(form, result) == ["abuse", "neglect"]
    seen = reading(form, result)
    assert [s.id for s in seen.subscales] == ["feels_unsafe"]
    if value == 4:
        assert seen.band is None  # "some days were hard" would understate it
    assert "mood-kids feels_unsafe: item 6 = " + str(value) in evidence(
        form, result, {1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: value}
    )


def test_mood_kids_without_the_unsafe_answer_names_no_concern() -> None:
    form = FORMS["mood-kids"]
    result = score(form, {1: 2, 2: 2, 3: 0, 4: 0, 5: 0, 6: 0})
    assert result.tier is Tier.YELLOW and concerns(form, result) == []


def test_the_childs_file_spells_out_every_flag_from_the_stored_answers() -> None:
    flags = result_flags(FORMS["phq-a"], stored("phq-a", ZEROS_THEN_9))
    assert flags == [{"kind": "safety", "item": 9, "value": 3}]
    psc: dict[int, int | None] = dict.fromkeys(range(1, 18), 0)
    psc.update({2: 2, 6: 2, 9: 1, 3: None, 7: None})
    flags = result_flags(FORMS["psc-17"], stored("psc-17", psc))
    assert {"kind": "missing", "items": [3, 7], "how": "missing_as_zero"} in flags
    sub = next(f for f in flags if f["kind"] == "subscale")
    assert sub["value"] == 5 and sub["cutoff"] == 5 and sub["label"].startswith("Internalising")
    unsafe = result_flags(
        FORMS["mood-kids"], stored("mood-kids", {1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 7})
    )
    assert unsafe[0]["categories"] == ["abuse", "neglect"]
    asq = result_flags(FORMS["asq"], stored("asq", {1: 1, 2: 0, 3: 0, 4: 0, 5: None}))
    assert {"kind": "asq_positive"} in asq
    assert {"kind": "missing", "items": [5], "how": "incomplete"} in asq
    # A form no longer loaded: the skips are still shown, from the answers as stored.
    gone = result_flags(None, stored("phq-a", {**ZEROS_THEN_9, 4: None}))
    assert {"kind": "missing", "items": [4], "how": "incomplete"} in gone


def test_missing_items_of_answers_that_no_longer_fit_the_form() -> None:
    assert missing_items(FORMS["phq-a"], {1: 0, 2: None, 99: 1}) == (2,)


def test_staff_are_told_which_chinese_is_provisional() -> None:
    assert about(FORMS["psc-17"])["provisional"] and about(FORMS["asq"])["provisional"]
    assert not about(FORMS["phq-a"])["provisional"] and not about(FORMS["who-5"])["provisional"]
    assert not about(FORMS["mood-kids"])["validated"]


def _form(**subscale: Any) -> dict[str, Any]:
    return {
        "id": "x",
        "version": 1,
        "cutoff_version": "x-1",
        "validated": True,
        "name": "x",
        "respondent": "self",
        "subject": "child",
        "ages": [8, 11],
        "options": [{"value": 0, "label": "no"}, {"value": 1, "label": "yes"}],
        "items": [{"id": 1, "text": "a"}, {"id": 2, "text": "b"}],
        "scoring": {
            "bands": [{"min": 0, "max": 2, "band": "b", "tier": "green"}],
            "subscales": [{"id": "s", "items": [1], "cutoff": 1, **subscale}],
        },
    }


def test_the_loader_refuses_an_unknown_risk_category_or_translation_state() -> None:
    assert _instrument(_form(tier="orange", categories=["abuse"])).subscales[0].tier is (
        Tier.ORANGE
    )
    with pytest.raises(ValueError, match="unknown categories"):
        _instrument(_form(categories=["abuze"]))
    with pytest.raises(ValueError, match="translation"):
        _instrument({**_form(), "translation": "official-ish"})
    with pytest.raises(ValueError, match="diagnosis"):
        _instrument(_form(summary="a disorder"))
    assert issubclass(QuestionnaireError, ValueError)
