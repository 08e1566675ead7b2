"""Screening instruments and their scoring: totals, subscales, missing items, reverse items,
severity bands and a colour tier (docs/DOMAIN.md §4).

Results are screening (筛查/测评), never a diagnosis. The instruments themselves are content
(content/questionnaires/); this module only knows how any of them is scored, so a clinician can
change a cut-off without touching Python, and an old result can be re-scored from its raw
answers with the cut-offs of its time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.domain.cases import Tier


class Method(StrEnum):
    SUM = "sum"
    ASQ = "asq"  # yes/no items; any yes is positive, the acuity item makes it acute


class MissingAs(StrEnum):
    """What a skipped item counts as, when few enough are skipped to score at all."""

    PRORATE = "prorate"  # raw × items / answered: no published rule, so err upwards
    ZERO = "zero"  # the PSC's own rule: "items left blank are simply ignored (score 0)"


class Direction(StrEnum):
    HIGHER_WORSE = "higher_worse"
    HIGHER_BETTER = "higher_better"  # WHO-5: a high score is good wellbeing


class Respondent(StrEnum):
    SELF = "self"
    GUARDIAN = "guardian"


class Subject(StrEnum):
    CHILD = "child"
    GUARDIAN = "guardian"


class InvalidAnswersError(ValueError):
    """Answers that do not fit the form: an unknown item or a value it does not offer."""


@dataclass(frozen=True, slots=True)
class Option:
    value: int
    label: str


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    text: str
    options: tuple[Option, ...]
    subscale: str | None = None
    reverse: bool = False
    # An answer above 0 starts the safety path at once, not at the end of the form.
    safety: bool = False
    # ASQ's acuity question: asked only when an earlier answer was yes.
    only_if_any_yes: bool = False

    @property
    def values(self) -> frozenset[int]:
        return frozenset(o.value for o in self.options)

    @property
    def top(self) -> int:
        return max(o.value for o in self.options)


@dataclass(frozen=True, slots=True)
class Band:
    min: int
    max: int
    band: str
    tier: Tier
    summary: str = ""
    advice: str = ""


@dataclass(frozen=True, slots=True)
class Subscale:
    id: str
    items: tuple[int, ...]
    cutoff: int
    # At or above the cutoff the result is at least this tier (mood-kids "feels unsafe":
    # orange, so a person reads it) and a case carries these risk categories.
    tier: Tier = Tier.YELLOW
    categories: tuple[str, ...] = ()
    label: str = ""  # what staff read in the child's file
    # What the person who answered reads when it is positive: the band's text may not fit.
    summary: str = ""
    advice: str = ""


@dataclass(frozen=True, slots=True)
class Instrument:
    id: str
    version: int
    cutoff_version: str
    validated: bool
    name: str
    respondent: Respondent
    subject: Subject
    ages: tuple[int, int]
    recall_days: int
    prompt: str
    items: tuple[Item, ...]
    method: Method = Method.SUM
    multiplier: int = 1
    max_missing: int = 0
    missing_as: MissingAs = MissingAs.PRORATE
    direction: Direction = Direction.HIGHER_WORSE
    bands: tuple[Band, ...] = ()
    subscales: tuple[Subscale, ...] = ()
    # Whose instrument it is, shown wherever its result is (licences ask for it).
    credit: str = ""
    # "published": a published Chinese version; "provisional": the project's own, not
    # validated, which staff are told (never the child).
    translation: str = "provisional"

    def item(self, item_id: int) -> Item | None:
        return next((i for i in self.items if i.id == item_id), None)

    def to_ask(self, answers: Mapping[int, int | None]) -> list[Item]:
        """The items this person is asked, given what they answered so far."""
        any_yes = any((answers.get(i.id) or 0) > 0 for i in self.items if not i.only_if_any_yes)
        return [i for i in self.items if not i.only_if_any_yes or any_yes]

    @property
    def how_many(self) -> str:
        """How many questions a person is asked, as they are told it: "4–5" when one is asked
        only after a "yes" (ASQ's fifth), so nobody is promised four and given five."""
        least, most = len(self.to_ask({})), len(self.items)
        return str(least) if least == most else f"{least}–{most}"

    def safety_hit(self, item_id: int, value: int | None) -> bool:
        item = self.item(item_id)
        return item is not None and item.safety and (value or 0) > 0

    def band_for(self, total: int) -> Band | None:
        return next((b for b in self.bands if b.min <= total <= b.max), None)

    @property
    def score_range(self) -> tuple[int, int]:
        counted = [i for i in self.items if not i.only_if_any_yes]
        low = sum(min(o.value for o in i.options) for i in counted) * self.multiplier
        return low, sum(i.top for i in counted) * self.multiplier


@dataclass(frozen=True, slots=True)
class Result:
    instrument: str
    version: int
    cutoff_version: str
    total: int | None
    subscales: Mapping[str, int | None] = field(default_factory=dict)
    band: str | None = None
    tier: Tier | None = None
    flags: tuple[str, ...] = ()
    missing: tuple[int, ...] = ()

    @property
    def complete(self) -> bool:
        return self.total is not None

    def to_json(self) -> dict[str, object]:
        return {
            "instrument": self.instrument,
            "version": self.version,
            "total": self.total,
            "subscales": dict(self.subscales),
            "band": self.band,
            "tier": self.tier.value if self.tier else None,
            "flags": list(self.flags),
        }


def _raise(tier: Tier | None, floor: Tier) -> Tier:
    return floor if tier is None else tier.raised_to(floor)


def check_answers(instrument: Instrument, answers: Mapping[int, int | None]) -> None:
    for item_id, value in answers.items():
        item = instrument.item(item_id)
        if item is None:
            raise InvalidAnswersError(f"{instrument.id} has no item {item_id}")
        if value is not None and value not in item.values:
            raise InvalidAnswersError(
                f"{instrument.id} item {item_id}: {value} is not one of {sorted(item.values)}"
            )


def score(instrument: Instrument, answers: Mapping[int, int | None]) -> Result:
    """Score raw answers (item id -> value, None or absent = skipped)."""
    check_answers(instrument, answers)
    if instrument.method is Method.ASQ:
        return _score_asq(instrument, answers)
    asked = [i for i in instrument.to_ask(answers) if not i.only_if_any_yes]
    given = {i.id: answers[i.id] for i in asked if answers.get(i.id) is not None}
    missing = tuple(i.id for i in asked if i.id not in given)
    flags = [f"safety_item_{i.id}" for i in asked if instrument.safety_hit(i.id, given.get(i.id))]
    tier: Tier | None = None
    if flags:
        tier = Tier.ORANGE  # a safety answer is never green, whatever the total
    subscales: dict[str, int | None] = {}
    for sub in instrument.subscales:
        values = [_value(instrument, i, given) for i in sub.items]
        known = [v for v in values if v is not None]
        scorable = len(known) == len(values) or (
            instrument.missing_as is MissingAs.ZERO and len(missing) <= instrument.max_missing
        )
        value = sum(known) if scorable else None
        subscales[sub.id] = value
        if value is not None and value >= sub.cutoff:
            flags.append(f"{sub.id}_positive")
            tier = _raise(tier, sub.tier)
    if len(missing) > instrument.max_missing:
        return _result(
            instrument,
            None,
            subscales=subscales,
            tier=tier,
            flags=(*flags, "incomplete"),
            missing=missing,
        )
    raw = sum(v for i in asked if (v := _value(instrument, i.id, given)) is not None)
    if missing and instrument.missing_as is MissingAs.ZERO:
        flags.append("missing_as_zero")
    elif missing:
        raw = round(raw * len(asked) / (len(asked) - len(missing)))
        flags.append("prorated")
    total = raw * instrument.multiplier
    band = instrument.band_for(total)
    if band is not None:
        tier = _raise(tier, band.tier)
    return _result(
        instrument,
        total,
        subscales=subscales,
        band=band.band if band else None,
        tier=tier,
        flags=tuple(flags),
        missing=missing,
    )


def _result(instrument: Instrument, total: int | None, **fields: object) -> Result:
    """A result stamped with the instrument and cut-off versions it was scored with."""
    return Result(
        instrument=instrument.id,
        version=instrument.version,
        cutoff_version=instrument.cutoff_version,
        total=total,
        **fields,  # type: ignore[arg-type]
    )


def _value(instrument: Instrument, item_id: int, given: Mapping[int, int | None]) -> int | None:
    value = given.get(item_id)
    item = instrument.item(item_id)
    if value is None or item is None:
        return None
    return item.top - value if item.reverse else value


def _score_asq(instrument: Instrument, answers: Mapping[int, int | None]) -> Result:
    core = [i for i in instrument.items if not i.only_if_any_yes]
    acuity = [i for i in instrument.items if i.only_if_any_yes]
    missing = tuple(i.id for i in core if answers.get(i.id) is None)
    any_yes = any((answers.get(i.id) or 0) > 0 for i in core)
    acute = any((answers.get(i.id) or 0) > 0 for i in acuity)
    flags: list[str] = []
    if any_yes:
        flags.append("asq_positive")
    if acute:
        flags.append("asq_acute")
    if any_yes and any(answers.get(i.id) is None for i in acuity):
        missing = (*missing, *(i.id for i in acuity))
    # ASQ's bands are in order: negative, non-acute positive, acute positive.
    band = instrument.bands[2 if acute else 1 if any_yes else 0]
    if missing and not any_yes:
        # Unanswered questions are not a "no": without a yes there is no result.
        return _result(instrument, None, flags=(*flags, "incomplete"), missing=missing)
    return _result(
        instrument,
        sum(answers.get(i.id) or 0 for i in core),
        band=band.band,
        tier=band.tier,
        flags=tuple(flags) + (("incomplete",) if missing else ()),
        missing=missing,
    )


# Flags that mean a safety answer was given (the safety path has already run).
ASQ_SAFETY_FLAGS = frozenset({"asq_positive", "asq_acute"})


def safety_flagged(flags: Sequence[str]) -> bool:
    return any(f.startswith("safety_item_") or f in ASQ_SAFETY_FLAGS for f in flags)


@dataclass(frozen=True, slots=True)
class Reading:
    """What the person who answered reads at the end of a form."""

    safety: bool  # a safety answer: acknowledged before anything else
    band: Band | None  # None when a flag lifted the result above its band
    subscales: tuple[Subscale, ...]  # the positive ones, each with its own words


def reading(instrument: Instrument, result: Result) -> Reading:
    """A flag outranks the band: when a safety answer or a positive subscale lifted the tier
    above the band's own, the band's words ("mostly okay", "the usual range") would reassure
    wrongly, so they are not shown."""
    band = next((b for b in instrument.bands if b.band == result.band), None)
    if band is not None and result.tier is not None and band.tier.rank < result.tier.rank:
        band = None
    positive = tuple(s for s in instrument.subscales if f"{s.id}_positive" in result.flags)
    return Reading(safety_flagged(result.flags), band, positive)


def concerns(instrument: Instrument, result: Result) -> list[str]:
    """The risk categories a result's positive subscales name, for the case it opens."""
    out: list[str] = []
    for sub in instrument.subscales:
        if f"{sub.id}_positive" in result.flags:
            out.extend(c for c in sub.categories if c not in out)
    return out


def missing_items(instrument: Instrument, answers: Mapping[int, int | None]) -> tuple[int, ...]:
    """The items that were asked and not answered, from stored answers (an older result that
    no longer fits the form: its skipped answers, as stored)."""
    try:
        return score(instrument, answers).missing
    except InvalidAnswersError:
        return tuple(sorted(i for i, v in answers.items() if v is None))


def parse_scores(instrument: Instrument, values: Sequence[str]) -> dict[int, int | None]:
    """Command-line answers in item order: numbers, or '-' for a skipped item."""
    items = instrument.items
    if len(values) > len(items):
        raise InvalidAnswersError(
            f"{instrument.id} has {len(items)} items, got {len(values)} answers"
        )
    out: dict[int, int | None] = {}
    for item, raw in zip(items, values, strict=False):
        if raw in ("-", "x", "_"):
            out[item.id] = None
            continue
        try:
            out[item.id] = int(raw)
        except ValueError as exc:
            raise InvalidAnswersError(f"item {item.id}: {raw!r} is not a number") from exc
    return out


class SessionStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    ABANDONED = "abandoned"
    # Completed, with a case offered and the person's yes or no still to come.
    CASE_OFFERED = "case_offered"


@dataclass(frozen=True, slots=True)
class Session:
    """A questionnaire being answered, one item at a time, resumable after any pause."""

    id: int
    person_id: int  # who answers
    subject_id: int  # whom it is about (the child, for PSC-17 answered by a guardian)
    instrument: str
    version: int
    answers: Mapping[int, int | None]
    position: int
    status: SessionStatus
    safety_fired: bool


@dataclass(frozen=True, slots=True)
class StoredResult:
    """A result in the child's file, as it was scored then."""

    id: int
    subject_id: int
    respondent_id: int | None
    instrument: str
    version: int
    cutoff_version: str
    answers: Mapping[int, int | None]
    total: int | None
    band: str | None
    tier: Tier | None
    flags: tuple[str, ...]
    taken_at: datetime
