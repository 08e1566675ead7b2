"""Guardians get guardian forms, and a skipped item doesn't quietly void a result (issue 18
item 5): who is offered which form, each form's published rule for a blank item, what the
item buttons and the intro say about it, and no screening text a guardian reads tells them to
"tell an adult you trust". Both languages."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.domain.people import AgeBand, Person, Role
from bot.domain.replies import Reply
from bot.domain.screening import Instrument, MissingAs, Respondent, Subject
from bot.services.screening import Screening, item_reply
from tests import shipped
from tests.shipped import LOCALES
from tests.support import FixedClock

FORMS = shipped.instruments()
SCREENING = Screening(None, FixedClock(), FORMS, None)  # type: ignore[arg-type]

# Each form's published rule for an item left blank: how many may be, and what they count as.
# PSC-17 (Massachusetts General Hospital, "PSC-17 Scoring", 2008): "Items that are left blank
# are simply ignored (i.e., score equals 0). If four or more items are left blank, the
# questionnaire is considered invalid." The PHQ-A, the GAD-7 (both wordings), the WHO-5 and the
# ASQ publish no rule that scores a form with a blank (for the ASQ a refusal is never a "no");
# our own mood-kids allows none. A new form must be added here with its rule.
PUBLISHED_MISSING: dict[str, tuple[int, MissingAs | None]] = {
    "phq-a": (0, None),
    "gad-7": (0, None),
    "gad-7-guardian": (0, None),
    "who-5": (0, None),
    "mood-kids": (0, None),
    "asq": (0, None),
    "psc-17": (3, MissingAs.ZERO),
}
# "Tell an adult you trust", in the words the content uses for it.
TRUSTED_ADULT = re.compile(
    r"adult you trust|grown-up|trusted adult|信任的大人|信任的成年人|找大人"
)


def person(role: Role, age: AgeBand | None = None) -> Person:
    return Person(telegram_id=1, locale="zh_Hans", code="P-X", role=role, age_band=age)


def guardian_forms() -> list[Instrument]:
    return SCREENING.offered_to(person(Role.GUARDIAN), menu=False)


def test_a_guardian_is_offered_guardian_forms_and_never_a_teen_self_report() -> None:
    offered = {f.id for f in guardian_forms()}
    assert offered == {"psc-17", "who-5", "gad-7-guardian"}
    for form in guardian_forms():
        # A parent's report about the child, or an adult's form about themselves.
        assert form.respondent is Respondent.GUARDIAN or form.subject is Subject.GUARDIAN
    child_self = {
        f.id
        for f in FORMS.values()
        if f.respondent is Respondent.SELF and f.subject is Subject.CHILD
    }
    assert child_self >= {"phq-a", "gad-7", "asq", "mood-kids"}
    assert not child_self & offered


def test_a_child_is_never_offered_an_adults_form() -> None:
    for age in AgeBand:
        offered = SCREENING.offered_to(person(Role.CHILD, age), menu=False)
        assert all(f.subject is Subject.CHILD for f in offered), age
        assert all(f.respondent is Respondent.SELF for f in offered), age


def test_the_adult_gad_7_is_the_gad_7() -> None:
    teen, adult = FORMS["gad-7"], FORMS["gad-7-guardian"]
    assert [(i.id, i.text, i.options) for i in adult.items] == [
        (i.id, i.text, i.options) for i in teen.items
    ]
    assert [(b.min, b.max, b.tier) for b in adult.bands] == [
        (b.min, b.max, b.tier) for b in teen.bands
    ]
    assert adult.subject is Subject.GUARDIAN and adult.ages[0] >= 18


@pytest.mark.parametrize("form", ["gad-7-guardian", "who-5"])
def test_a_guardians_own_form_speaks_to_them_with_nin(catalog: Any, form: str) -> None:
    zh = catalog.translations["zh_Hans"]
    instrument = FORMS[form]
    texts = [instrument.prompt] + [t for b in instrument.bands for t in (b.summary, b.advice)]
    for text in texts:
        translated = zh.gettext(text)
        assert translated != text, f"{text!r} has no Chinese"
        assert "你" not in translated, translated
    assert "您" in zh.gettext(instrument.prompt)


def _guardian_replies() -> list[Reply]:
    """Every screening message a guardian can be sent, with the texts of their forms."""
    replies = [
        Reply("screening/menu"),
        Reply("screening/needs_consent"),
        Reply("screening/no_child_linked"),
        Reply("screening/which_child"),
        Reply("screening/child_added", {"code": "P-ABC234"}),
        Reply("screening/again", {"days": 14}),
        Reply("screening/stopped"),
        Reply("screening/offer_counsellor", {"formal": True}),
        Reply("screening/case_offer", {"formal": True}),
        Reply("screening/case_declined", {"formal": True}),
    ]
    for form in guardian_forms():
        replies.append(Reply("screening/invitation", {"name": form.name}))
        replies.append(
            Reply(
                "screening/intro",
                {
                    "name": form.name,
                    "prompt": form.prompt,
                    "validated": form.validated,
                    "count": len(form.items),
                    "skips": form.max_missing,
                    "formal": True,
                },
            )
        )
        replies += [
            Reply("screening/item", {"n": 1, "total": len(form.items), "text": i.text})
            for i in form.items
        ]
        replies += [
            Reply(
                "screening/summary",
                {
                    "complete": c,
                    "summary": b.summary,
                    "advice": b.advice,
                    "tier": b.tier.value,
                    "formal": True,
                },
            )
            for b in form.bands
            for c in (True, False)
        ]
    return replies


@pytest.mark.parametrize("locale", LOCALES)
def test_no_screening_text_tells_a_guardian_to_tell_an_adult_they_trust(
    catalog: Any, locale: str
) -> None:
    for reply in _guardian_replies():
        rendered = catalog.render(reply, locale)
        labels = " ".join(label for row in rendered.buttons for label, _, _ in row)
        text = f"{rendered.text} {labels}"
        assert not TRUSTED_ADULT.search(text), (reply.template, text)


def test_the_teen_forms_still_say_it_to_children(catalog: Any) -> None:
    """The check above would catch the phrase: the children's forms carry it."""
    zh = catalog.translations["zh_Hans"]
    assert TRUSTED_ADULT.search(zh.gettext(FORMS["gad-7"].bands[-1].advice))


def test_every_form_follows_its_published_rule_for_a_blank_item() -> None:
    assert set(FORMS) == set(PUBLISHED_MISSING), "a form without a known rule for blanks"
    for form_id, (allowed, counted_as) in PUBLISHED_MISSING.items():
        form = FORMS[form_id]
        assert form.max_missing == allowed, form_id
        if counted_as is not None:
            assert form.missing_as is counted_as, form_id


def _nav(form: Instrument, answers: dict[int, int | None], position: int) -> list[str]:
    reply = item_reply(form, 7, answers, position)
    return [c.label for c in reply.choices[-1]]


@pytest.mark.parametrize("form_id", sorted(PUBLISHED_MISSING))
def test_skip_is_offered_only_where_the_rule_scores_a_blank(form_id: str) -> None:
    form = FORMS[form_id]
    first = _nav(form, {}, 0)
    assert "btn.screening.stop" in first  # a way out without answering, always
    if form.max_missing == 0:
        answered: dict[int, int | None] = {}
        for n, item in enumerate(form.to_ask({})):
            assert "btn.screening.skip" not in _nav(form, answered, n), (form_id, item.id)
            answered[item.id] = item.options[0].value
        return
    # PSC-17: skip on up to three items, never a fourth.
    skipped: dict[int, int | None] = {}
    for n, item in enumerate(form.items[: form.max_missing]):
        assert "btn.screening.skip" in _nav(form, skipped, n)
        skipped[item.id] = None
    assert "btn.screening.skip" not in _nav(form, skipped, form.max_missing)
    # Going back to a skipped item: it may stay skipped.
    assert "btn.screening.skip" in _nav(form, skipped, 0)


INTRO = {
    # (locale, skips, formal): words that must be said before the first item
    ("zh_Hans", 0, False): "每一题都要回答",
    ("zh_Hans", 0, True): "每一题都需要您回答",
    ("zh_Hans", 3, True): "最多跳过 3 题",
    ("en", 0, False): "Please answer every one",
    ("en", 0, True): "Each question needs an answer",
    ("en", 3, True): "no more than 3",
}


@pytest.mark.parametrize(("locale", "skips", "formal"), sorted(INTRO))
def test_the_intro_says_whether_every_answer_is_needed(
    catalog: Any, locale: str, skips: int, formal: bool
) -> None:
    form = FORMS["psc-17" if skips else "phq-a"]
    text = catalog.render(
        Reply(
            "screening/intro",
            {
                "name": form.name,
                "prompt": form.prompt,
                "validated": True,
                "count": len(form.items),
                "skips": skips,
                "formal": formal,
            },
        ),
        locale,
    ).text
    assert INTRO[(locale, skips, formal)] in text, text
    if not skips:
        assert "跳过" not in text and "skip" not in text.lower()
