"""What a result says, rendered in both languages (issue 18, items 1 and 8): a safety answer
or a positive subscale is never followed by a lower band's reassurance, every form credits its
authors where its result is shown, and our own Chinese is marked provisional for staff only."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import pytest

from bot.domain.replies import Reply
from bot.domain.screening import Instrument, Result, score
from bot.services.child_file import about, for_chat
from bot.services.screening import summary_reply
from tests import shipped
from tests.shipped import LOCALES

FORMS = shipped.instruments()


def tr(catalog: Any, locale: str, words: str) -> str:
    return str(catalog.translations[locale].gettext(words))


def shown(catalog: Any, reply: Reply, locale: str) -> str:
    return html.unescape(catalog.render(reply, locale).text)


def _lowest(form: Instrument) -> dict[int, int | None]:
    return {i.id: min(o.value for o in i.options) for i in form.items if not i.only_if_any_yes}


def flagged(form: Instrument) -> Iterator[tuple[str, Result]]:
    """Each way a form's result can be flagged, on otherwise lowest answers."""
    for item in form.items:
        if item.safety and not item.only_if_any_yes:
            yield f"safety {item.id}", score(form, {**_lowest(form), item.id: item.top})
    for sub in form.subscales:
        answers = _lowest(form)
        for i in sub.items:
            answers[i] = form.item(i).top  # type: ignore[union-attr]
        yield sub.id, score(form, answers)


CASES = [(f.id, name, r) for f in FORMS.values() for name, r in flagged(f)]


def test_every_flag_kind_is_exercised() -> None:
    names = {(form, name) for form, name, _ in CASES}
    assert ("phq-a", "safety 9") in names and ("mood-kids", "feels_unsafe") in names
    assert {("psc-17", s) for s in ("internalising", "attention", "externalising")} <= names
    assert any(form == "asq" for form, _ in names)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    ("form_id", "name", "result"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES]
)
def test_a_flag_is_never_followed_by_a_lower_bands_words(
    catalog: Any, locale: str, form_id: str, name: str, result: Result
) -> None:
    form = FORMS[form_id]
    assert result.tier is not None
    for formal in (False, True):
        for staffed in (False, True):
            text = shown(catalog, summary_reply(form, result, formal, staffed), locale)
            for band in form.bands:
                if band.tier.rank < result.tier.rank:
                    for words in (band.summary, band.advice):
                        assert tr(catalog, locale, words) not in text, (name, words)
            if name.startswith("safety") or form.id == "asq":
                said = "安全" if locale == "zh_Hans" else "safety"
                assert said in text.split("\n")[0], text  # acknowledged first
            for sub in form.subscales:
                if f"{sub.id}_positive" in result.flags:
                    assert tr(catalog, locale, sub.summary) in text


@pytest.mark.parametrize("locale", LOCALES)
def test_the_phq_a_item_9_reproduction(catalog: Any, locale: str) -> None:
    """0 on items 1-8, "nearly every day" on item 9: the summary said the two weeks were
    mostly okay. Now it acknowledges the answer and says a counsellor will write."""
    form = FORMS["phq-a"]
    result = score(form, {**dict.fromkeys(range(1, 9), 0), 9: 3})
    for staffed in (False, True):
        text = shown(catalog, summary_reply(form, result, False, staffed), locale)
        assert ("大体过得还不错" if locale == "zh_Hans" else "mostly okay") not in text
        assert ("心理老师" if locale == "zh_Hans" else "counsellor") in text
        on_duty = "已经知道了" if locale == "zh_Hans" else "has been told"
        assert (on_duty in text) is staffed  # never "told" while nobody is on duty
        assert ("110" in text) is not staffed


@pytest.mark.parametrize("locale", LOCALES)
def test_a_positive_psc_17_subscale_is_never_the_usual_range(catalog: Any, locale: str) -> None:
    form = FORMS["psc-17"]
    answers: dict[int, int | None] = dict.fromkeys(range(1, 18), 0)
    answers.update({2: 2, 6: 2, 9: 1})  # internalising 5, total 5
    text = shown(catalog, summary_reply(form, score(form, answers), True, False), locale)
    assert ("常见的范围内" if locale == "zh_Hans" else "usual range for children.") not in text
    assert ("情绪方面" if locale == "zh_Hans" else "feelings") in text


def test_every_form_credits_its_authors() -> None:
    for form in FORMS.values():
        assert form.translation in ("published", "provisional"), form.id
        if form.validated:
            assert form.credit, f"{form.id} has no credit"
    phq, gad, who = FORMS["phq-a"].credit, FORMS["gad-7"].credit, FORMS["who-5"].credit
    for author in ("Spitzer", "Williams", "Kroenke"):
        assert author in phq and author in gad
    assert "Johnson" in phq
    assert "CC BY-NC-SA 3.0 IGO" in who and "World Health Organization" in who
    assert "adaptation" in who and "not endorsed by WHO" in who
    assert {f.id for f in FORMS.values() if f.translation == "provisional"} >= {"asq", "psc-17"}
    assert FORMS["phq-a"].translation == "published"


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("form_id", sorted(FORMS))
def test_the_credit_is_shown_with_the_result(catalog: Any, locale: str, form_id: str) -> None:
    form = FORMS[form_id]
    result = score(form, _lowest(form))
    text = shown(catalog, summary_reply(form, result, True, False), locale)
    if form.credit:
        credit = tr(catalog, locale, form.credit)
        assert credit in text
        if locale == "zh_Hans":
            assert credit != form.credit  # translated
    # The person who answered (a child too) is never told the Chinese is unvalidated.
    assert "未经验证" not in text and "not validated" not in text


@pytest.mark.parametrize("locale", LOCALES)
def test_staff_read_which_chinese_is_provisional(catalog: Any, locale: str) -> None:
    point = {"date": "2026-12-01", "total": 1, "icon": "🟢", "tier": "green", "band": ""}
    data = {
        "code": "P-ABC234",
        "role": "child",
        "age": "12-13",
        "trends": [{"instrument": k, "points": [point], **about(FORMS[k])} for k in sorted(FORMS)],
        "cases": [],
        "follow_ups": [],
        "views": 1,
    }
    text = shown(catalog, Reply("screening/file", for_chat(data)), locale)
    mark = "本项目自译" if locale == "zh_Hans" else "our own translation"
    # Each form by the name staff read (PSC-17（…）, not the code psc-17).
    names = {"mood-kids": "心情小测" if locale == "zh_Hans" else "mood check"}
    lines = {
        k: next(line for line in text.split("\n") if names.get(k, k.upper()) in line)
        for k in ("psc-17", "asq", "phq-a", "who-5", "mood-kids")
    }
    assert mark in lines["psc-17"] and mark in lines["asq"]
    assert mark not in lines["phq-a"] and mark not in lines["who-5"]
    assert ("未经验证" if locale == "zh_Hans" else "not validated") in lines["mood-kids"]
