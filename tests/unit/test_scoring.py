"""The scorer against the published scoring rules of each instrument (docs/DOMAIN.md §4), on the
real content: all zeros, all maximum, exactly on each cut-off, missing items, invalid forms."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.domain.cases import Tier
from bot.domain.screening import Instrument, InvalidAnswersError, Result, parse_scores, score
from tests import shipped

FORMS = shipped.instruments()


def answers_for(form: Instrument, total: int) -> dict[int, int | None]:
    """Answers that add up to `total`, filled from the first item (no reverse items here)."""
    out: dict[int, int | None] = {}
    left = total
    for item in form.items:
        if item.only_if_any_yes:
            continue
        out[item.id] = min(left, item.top)
        left -= out[item.id] or 0
    assert left == 0, f"{form.id} cannot reach {total}"
    return out


def run(form_id: str, values: Sequence[int | None]) -> Result:
    form = FORMS[form_id]
    return score(form, dict(zip((i.id for i in form.items), values, strict=False)))


@pytest.mark.parametrize(
    ("total", "tier"),
    [
        (0, Tier.GREEN),
        (4, Tier.GREEN),
        (5, Tier.YELLOW),
        (9, Tier.YELLOW),
        (10, Tier.ORANGE),
        (14, Tier.ORANGE),
        (15, Tier.RED),
        (19, Tier.RED),
        (20, Tier.RED),
        (27, Tier.RED),
    ],
)
def test_phq_a_bands(total: int, tier: Tier) -> None:
    # Filled from item 1, so item 9 (the safety item) stays 0 up to a total of 24.
    result = score(FORMS["phq-a"], answers_for(FORMS["phq-a"], total))
    assert (result.total, result.tier) == (total, tier)


def test_phq_a_item_9_is_a_safety_item_whatever_the_total() -> None:
    result = run("phq-a", [0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert result.total == 1 and "safety_item_9" in result.flags
    assert result.tier is Tier.ORANGE  # never green with a safety answer
    assert FORMS["phq-a"].safety_hit(9, 1) and not FORMS["phq-a"].safety_hit(9, 0)
    assert not FORMS["phq-a"].safety_hit(1, 3)


@pytest.mark.parametrize(
    ("total", "tier"),
    [
        (0, Tier.GREEN),
        (4, Tier.GREEN),
        (5, Tier.YELLOW),
        (9, Tier.YELLOW),
        (10, Tier.ORANGE),
        (14, Tier.ORANGE),
        (15, Tier.RED),
        (21, Tier.RED),
    ],
)
def test_gad_7_bands(total: int, tier: Tier) -> None:
    result = score(FORMS["gad-7"], answers_for(FORMS["gad-7"], total))
    assert (result.total, result.tier) == (total, tier)


def test_psc_17_total_cut_off_and_subscales() -> None:
    form = FORMS["psc-17"]
    subs = {s.id: s for s in form.subscales}
    assert {s: (len(subs[s].items), subs[s].cutoff) for s in subs} == {
        "internalising": (5, 5),
        "attention": (5, 7),
        "externalising": (7, 7),
    }
    assert score(form, dict.fromkeys((i.id for i in form.items), 0)).tier is Tier.GREEN
    everything = score(form, dict.fromkeys((i.id for i in form.items), 2))
    assert everything.total == 34 and everything.tier is Tier.ORANGE
    assert {"internalising_positive", "attention_positive", "externalising_positive"} <= set(
        everything.flags
    )
    fourteen = score(form, answers_for(form, 14))
    fifteen = score(form, answers_for(form, 15))
    assert fourteen.total == 14 and fifteen.total == 15
    assert fifteen.tier is Tier.ORANGE and fourteen.band != fifteen.band
    # A subscale at its cut-off is flagged even when the total is low.
    only_internal = {i.id: 0 for i in form.items}
    for item_id in subs["internalising"].items:
        only_internal[item_id] = 1
    low = score(form, only_internal)
    assert low.total == 5 and "internalising_positive" in low.flags
    assert low.subscales["internalising"] == 5 and low.tier is Tier.YELLOW


@pytest.mark.parametrize(
    ("raw", "reported", "tier"),
    [
        (0, 0, Tier.RED),
        (7, 28, Tier.RED),
        (8, 32, Tier.ORANGE),
        (12, 48, Tier.ORANGE),
        (13, 52, None),
        (25, 100, Tier.GREEN),
    ],
)
def test_who_5_is_reported_times_four(raw: int, reported: int, tier: Tier | None) -> None:
    result = score(FORMS["who-5"], answers_for(FORMS["who-5"], raw))
    assert result.total == reported
    if tier is not None:
        assert result.tier is tier
    else:
        assert result.tier in (Tier.GREEN, Tier.YELLOW)  # above 50: not low wellbeing


def test_asq_negative_positive_and_acute() -> None:
    assert run("asq", [0, 0, 0, 0]).tier is Tier.GREEN
    positive = run("asq", [0, 1, 0, 0, 0])
    assert positive.tier is Tier.ORANGE and "asq_positive" in positive.flags
    acute = run("asq", [1, 0, 0, 0, 1])
    assert acute.tier is Tier.RED and "asq_acute" in acute.flags
    form = FORMS["asq"]
    # The acuity question is asked only after a yes.
    assert len(form.to_ask({1: 0, 2: 0, 3: 0, 4: 0})) == 4
    assert len(form.to_ask({1: 1})) == 5
    assert all(form.safety_hit(i, 1) for i in (1, 2, 3, 4))
    # An unanswered question is not a "no".
    assert not run("asq", [0, 0, None, 0]).complete


def test_missing_items_make_an_incomplete_or_prorated_result() -> None:
    form = FORMS["gad-7"]
    skipped = form.max_missing + 1
    values: list[int | None] = [2] * (len(form.items) - skipped) + [None] * skipped
    result = run("gad-7", values)
    assert not result.complete and "incomplete" in result.flags and result.tier is None
    if form.max_missing:
        prorated = run("gad-7", [2] * (len(form.items) - 1) + [None])
        assert prorated.total == 2 * len(form.items) and "prorated" in prorated.flags


def test_psc_17_counts_up_to_three_blanks_as_zero_and_four_as_invalid() -> None:
    """MGH's rule: "Items that are left blank are simply ignored (i.e., score equals 0). If
    four or more items are left blank, the questionnaire is considered invalid." """
    form = FORMS["psc-17"]
    subs = {s.id: s for s in form.subscales}
    answers: dict[int, int | None] = {i.id: 1 for i in form.items}
    blanks = list(subs["attention"].items[:3])
    for item_id in blanks:
        answers[item_id] = None
    three = score(form, answers)
    # 14 answered "sometimes" = 14: not prorated up to 17, so just under the cut-off.
    assert three.complete and three.total == 14 and three.tier is Tier.YELLOW
    assert "missing_as_zero" in three.flags and "prorated" not in three.flags
    assert set(three.missing) == set(blanks)
    # The subscale with the blanks is still scored, blanks as 0: 2 of 5 answered "sometimes".
    assert three.subscales["attention"] == 2
    assert three.subscales["internalising"] == 5  # at its cut-off: yellow, not green
    # Exactly on the total cut-off with blanks: 15 from answered items is positive.
    on_cut = dict(answers)
    for item_id in subs["externalising"].items[:1]:
        on_cut[item_id] = 2
    assert score(form, on_cut).total == 15 and score(form, on_cut).tier is Tier.ORANGE
    answers[subs["externalising"].items[0]] = None
    four = score(form, answers)
    assert not four.complete and four.tier is Tier.YELLOW and "incomplete" in four.flags
    assert four.subscales["attention"] is None  # invalid form: no blank-as-zero subscales


@pytest.mark.parametrize("form_id", sorted(FORMS))
def test_every_form_scores_all_zeros_and_all_maximum(form_id: str) -> None:
    form = FORMS[form_id]
    low = score(form, {i.id: min(o.value for o in i.options) for i in form.to_ask({})})
    high = score(form, {i.id: i.top for i in form.items})
    assert low.complete and high.complete
    assert low.tier is not None and high.tier is not None
    if form_id == "who-5":  # higher is better
        assert low.tier.rank > high.tier.rank
    else:
        assert low.tier.rank <= high.tier.rank


@pytest.mark.parametrize(
    ("answers", "problem"),
    [({99: 1}, "no item 99"), ({1: 7}, "not one of")],
)
def test_invalid_forms_are_refused(answers: dict[int, int], problem: str) -> None:
    with pytest.raises(InvalidAnswersError, match=problem):
        score(FORMS["phq-a"], answers)


def test_parse_scores_from_the_command_line() -> None:
    form = FORMS["gad-7"]
    assert parse_scores(form, ["1", "-", "2"]) == {1: 1, 2: None, 3: 2}
    with pytest.raises(InvalidAnswersError):
        parse_scores(form, ["a"])
    with pytest.raises(InvalidAnswersError):
        parse_scores(form, ["0"] * 8)


def test_mood_check_is_marked_as_not_validated() -> None:
    assert not FORMS["mood-kids"].validated
    assert all(f.validated for k, f in FORMS.items() if k != "mood-kids")


def test_who_is_offered_which_form() -> None:
    from bot.domain.people import AgeBand, Person, Role
    from bot.services.screening import Screening
    from tests.support import FixedClock

    screening = Screening(None, FixedClock(), FORMS, None)  # type: ignore[arg-type]

    def offered(role: Role, age: AgeBand | None = None, menu: bool = True) -> set[str]:
        person = Person(telegram_id=1, locale="zh_Hans", code="P-X", role=role, age_band=age)
        return {f.id for f in screening.offered_to(person, menu)}

    assert offered(Role.GUARDIAN) == {"psc-17", "who-5", "gad-7-guardian"}
    assert offered(Role.CHILD, AgeBand.A8_11) == {"mood-kids"}
    assert offered(Role.CHILD, AgeBand.A14_15) == {"phq-a", "gad-7"}
    assert "asq" in offered(Role.CHILD, AgeBand.A14_15, menu=False)  # by invitation only
    assert offered(Role.COUNSELLOR) == set()
