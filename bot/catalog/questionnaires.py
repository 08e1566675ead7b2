"""Load and check the screening instruments in content/questionnaires/*.yaml.

A clinician edits these files; a mistake must stop the bot with a message that names the file
and the field, never score a child with a half-read form.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.domain.cases import Tier
from bot.domain.screening import (
    Band,
    Direction,
    Instrument,
    Item,
    Method,
    MissingAs,
    Option,
    Respondent,
    Subject,
    Subscale,
)
from bot.domain.triage import Category

FORBIDDEN = ("diagnos", "诊断", "disorder", "抑郁症")
# How the Chinese wording came about: a published version, or the project's own (provisional).
TRANSLATIONS = frozenset({"published", "provisional"})


class QuestionnaireError(ValueError):
    pass


def load_instruments(content_dir: Path) -> dict[str, Instrument]:
    out: dict[str, Instrument] = {}
    for path in sorted((content_dir / "questionnaires").glob("*.yaml")):
        try:
            instrument = _instrument(yaml.safe_load(path.read_text("utf-8")))
        except (KeyError, TypeError, ValueError) as exc:
            raise QuestionnaireError(f"questionnaires/{path.name}: {exc}") from exc
        if instrument.id != path.stem:
            raise QuestionnaireError(f"questionnaires/{path.name}: id {instrument.id!r}")
        out[instrument.id] = instrument
    return out


def _options(raw: Any) -> tuple[Option, ...]:
    options = tuple(Option(int(o["value"]), str(o["label"])) for o in raw)
    if len({o.value for o in options}) != len(options) or not options:
        raise ValueError("options need distinct values")
    return options


def _instrument(data: dict[str, Any]) -> Instrument:
    shared = _options(data["options"]) if data.get("options") else ()
    items = tuple(
        Item(
            id=int(i["id"]),
            text=str(i["text"]),
            options=_options(i["options"]) if i.get("options") else shared,
            subscale=i.get("subscale"),
            reverse=bool(i.get("reverse", False)),
            safety=bool(i.get("safety", False)),
            only_if_any_yes=bool(i.get("only_if_any_yes", False)),
        )
        for i in data["items"]
    )
    if not items or len({i.id for i in items}) != len(items):
        raise ValueError("items need distinct ids")
    if any(not i.options for i in items):
        raise ValueError("every item needs answer options")
    scoring = data.get("scoring") or {}
    bands = tuple(
        Band(
            int(b["min"]),
            int(b["max"]),
            str(b["band"]),
            Tier(b["tier"]),
            str(b.get("summary", "")),
            str(b.get("advice", "")),
        )
        for b in scoring.get("bands") or ()
    )
    subscales = tuple(_subscale(s) for s in scoring.get("subscales") or ())
    ages = tuple(int(a) for a in data["ages"])
    instrument = Instrument(
        id=str(data["id"]),
        version=int(data["version"]),
        cutoff_version=str(data["cutoff_version"]),
        validated=bool(data["validated"]),
        name=str(data["name"]),
        respondent=Respondent(data["respondent"]),
        subject=Subject(data["subject"]),
        ages=(ages[0], ages[1]),
        recall_days=int(data.get("recall_days", 14)),
        prompt=str(data.get("prompt", "")),
        items=items,
        method=Method(scoring.get("method", "sum")),
        multiplier=int(scoring.get("multiplier", 1)),
        max_missing=int(scoring.get("max_missing", 0)),
        missing_as=MissingAs(scoring.get("missing_as", "prorate")),
        direction=Direction(scoring.get("direction", "higher_worse")),
        bands=bands,
        subscales=subscales,
        credit=str(data.get("credit") or ""),
        translation=str(data.get("translation") or "provisional"),
    )
    _check(instrument)
    return instrument


def _subscale(raw: dict[str, Any]) -> Subscale:
    categories = tuple(str(c) for c in raw.get("categories") or ())
    unknown = set(categories) - {c.value for c in Category}
    if unknown:
        raise ValueError(f"subscale {raw.get('id')}: unknown categories {sorted(unknown)}")
    return Subscale(
        str(raw["id"]),
        tuple(int(x) for x in raw["items"]),
        int(raw["cutoff"]),
        tier=Tier(raw.get("tier", "yellow")),
        categories=categories,
        label=str(raw.get("label") or ""),
        summary=str(raw.get("summary") or ""),
        advice=str(raw.get("advice") or ""),
    )


def _check(instrument: Instrument) -> None:
    ids = {i.id for i in instrument.items}
    for sub in instrument.subscales:
        if not set(sub.items) <= ids:
            raise ValueError(f"subscale {sub.id} names items the form does not have")
    if instrument.method is Method.ASQ:
        if len(instrument.bands) != 3:
            raise ValueError("asq needs three bands: negative, non-acute, acute")
    else:
        _check_bands(instrument)
    _check_wording(instrument)
    if instrument.translation not in TRANSLATIONS:
        raise ValueError(f"translation must be one of {sorted(TRANSLATIONS)}")
    if not 0 <= instrument.max_missing < len(instrument.items):
        raise ValueError("max_missing must leave at least one item")


def _check_wording(instrument: Instrument) -> None:
    """No band or subscale calls a result a diagnosis: results are screening."""
    for band in instrument.bands:
        text = f"{band.summary} {band.advice}".lower()
        if any(word in text for word in FORBIDDEN):
            raise ValueError(f"band {band.band}: results are screening, never a diagnosis")
    for sub in instrument.subscales:
        text = f"{sub.summary} {sub.advice}".lower()
        if any(word in text for word in FORBIDDEN):
            raise ValueError(f"subscale {sub.id}: results are screening, never a diagnosis")


def _check_bands(instrument: Instrument) -> None:
    """Bands cover every reachable total exactly once."""
    low, high = instrument.score_range
    step = instrument.multiplier
    for total in range(low, high + 1, step):
        hits = [b for b in instrument.bands if b.min <= total <= b.max]
        if len(hits) != 1:
            raise ValueError(f"a total of {total} falls in {len(hits)} bands")
