"""Load the triage lexicon from content/helpline/triage/*.yaml and check it.

Every file may hold any of the sections below; ids are unique across all files. A mistake
stops the load with one message that names the file and the item, because a lexicon that
silently lost a rule would miss a child in danger.

signals.yaml beside them is not lexicon: it holds the safety net's uncertain signals (means and
death words, a guardian's relay, a request for a person), read by `load_safety_net` and
`load_net_policy` with the same care.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bot.domain.ngram_model import NgramModel
from bot.domain.safety_net import NetPolicy, SafetyNet, Signal
from bot.domain.triage import (
    Booster,
    Category,
    Context,
    Cues,
    Exclusion,
    Lexicon,
    LexiconError,
    Negation,
    RiskLevel,
    Rule,
    Terms,
    Triager,
)

TRIAGE_DIR = Path("helpline") / "triage"
BOOSTER_KINDS = frozenset({"time", "plan", "ongoing", "means"})
_TERM_KEYS = frozenset({"id", "note", "phrases", "patterns", "pinyin"})
_SECTION_KEYS = {
    "rules": _TERM_KEYS | {"category", "level", "negatable"},
    "boosters": _TERM_KEYS | {"kind", "raises", "support_only"},
    "exclusions": _TERM_KEYS,
    "contexts": _TERM_KEYS | {"cap", "upto", "categories"},
    "negations": _TERM_KEYS,
}
_TOP_KEYS = frozenset({"version", "t2s", *_SECTION_KEYS})
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# The C loader reads the 4,000-pair t2s map ten times faster where libyaml is present.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class TriageContentError(ValueError):
    """The lexicon is broken; the message names the file and the item."""


class _File:
    def __init__(self, path: Path, where: str) -> None:
        self.path = path
        self.where = where

    def fail(self, problem: str, item: str = "") -> TriageContentError:
        return TriageContentError(f"{self.where}: {item + ': ' if item else ''}{problem}")


MODEL_FILE = "helpline/triage/model.json"


def load_model(content_dir: Path) -> NgramModel | None:
    """The statistical second opinion's weights, if shipped (None: the lexicon decides alone)."""
    path = content_dir / MODEL_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text("utf-8"))
    return NgramModel(
        weights=data["weights"],
        bias=float(data["bias"]),
        ask_at=float(data["ask_at"]),
        version=hashlib.sha256(path.read_bytes()).hexdigest()[:12],
    )


SIGNALS_FILE = "signals.yaml"
# A denial cancels a means or death word (我不想死); a request or a relay stays what it is.
_NEGATABLE_SIGNALS = frozenset({Signal.MEANS, Signal.DEATH})
_ASKS = frozenset({Signal.MEANS, Signal.DEATH, Signal.RELAYED})


def load_safety_net(content_dir: Path) -> SafetyNet:
    """What the bot classifies with: the lexicon, the model (if shipped) and the signals."""
    triager = load_triager(content_dir)
    items = [
        (kind.value, raw["id"], terms, kind in _NEGATABLE_SIGNALS)
        for kind, raw, terms in _signal_items(content_dir)
    ]
    try:
        cues = Cues(triager, items)
    except LexiconError as exc:
        where = (TRIAGE_DIR / SIGNALS_FILE).as_posix()
        raise TriageContentError(f"{where}: {exc.item_id}: {exc.problem}") from None
    return SafetyNet(triager, load_model(content_dir), cues)


def load_net_policy(content_dir: Path) -> NetPolicy:
    """The decision's thresholds: the model's ask band (from its weights file) and the score
    from which each signal asks (signals.yaml `asks`)."""
    model = load_model(content_dir)
    data = _signals_data(content_dir)[0]
    asks = {Signal(k): float(v) for k, v in (data.get("asks") or {}).items()}
    default = NetPolicy()
    return NetPolicy(
        ask_at=model.ask_at if model else math.inf,
        means_ask_at=asks.get(Signal.MEANS, default.means_ask_at),
        death_ask_at=asks.get(Signal.DEATH, default.death_ask_at),
        relayed_ask_at=asks.get(Signal.RELAYED, default.relayed_ask_at),
    )


def _signals_data(content_dir: Path) -> tuple[dict[str, Any], _File]:
    path = content_dir / TRIAGE_DIR / SIGNALS_FILE
    f = _File(path, (TRIAGE_DIR / SIGNALS_FILE).as_posix())
    if not path.is_file():
        raise f.fail("missing: the safety net needs its signals")
    try:
        data = yaml.load(path.read_text("utf-8"), Loader=_LOADER)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        raise f.fail(f"not valid YAML: {exc}") from None
    allowed = {"version", "asks", *(s.value for s in Signal)}
    if not isinstance(data, dict) or sorted(set(data) - allowed):
        raise f.fail(f"must be a mapping with some of {sorted(allowed)}")
    if not isinstance(data.get("version"), str) or not data["version"].strip():
        raise f.fail("needs a `version:` (text)")
    asks = data.get("asks") or {}
    if not isinstance(asks, dict):
        raise f.fail("`asks` must be a mapping of signal to model score")
    for key, value in asks.items():
        if key not in {s.value for s in _ASKS}:
            raise f.fail(f"`asks` has {key!r}; expected some of {sorted(s.value for s in _ASKS)}")
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise f.fail(f"`asks.{key}` must be a model score between 0 and 1, got {value!r}")
    return data, f


def _signal_items(content_dir: Path) -> list[tuple[Signal, dict[str, Any], Terms]]:
    data, f = _signals_data(content_dir)
    found: list[tuple[Signal, dict[str, Any], Terms]] = []
    seen: set[str] = set()
    for kind in Signal:
        items = data.get(kind.value) or []
        if not isinstance(items, list) or not items:
            raise f.fail(f"`{kind.value}` must be a non-empty list")
        for raw in items:
            if not isinstance(raw, dict):
                raise f.fail(f"each entry of `{kind.value}` must be a mapping, got {raw!r}")
            item_id = raw.get("id")
            if not isinstance(item_id, str) or not _ID.fullmatch(item_id):
                raise f.fail(f"entry in `{kind.value}` needs a kebab-case `id`, got {item_id!r}")
            unknown = sorted(set(raw) - _TERM_KEYS)
            if unknown:
                raise f.fail(f"unknown keys {unknown} in `{kind.value}`", item_id)
            if item_id in seen:
                raise f.fail("duplicate id", item_id)
            seen.add(item_id)
            found.append((kind, raw, _terms(f, raw)))
    return found


def load_triager(content_dir: Path) -> Triager:
    """The compiled triager; raises TriageContentError naming the file and rule at fault."""
    lexicon, origin = _load(content_dir)
    try:
        return Triager(lexicon)
    except LexiconError as exc:
        raise TriageContentError(
            f"{origin.get(exc.item_id, '?')}: {exc.item_id}: {exc.problem}"
        ) from None


def load_lexicon(content_dir: Path) -> Lexicon:
    return _load(content_dir)[0]


def _load(content_dir: Path) -> tuple[Lexicon, dict[str, str]]:
    root = content_dir / TRIAGE_DIR
    paths = sorted(p for p in root.glob("*.yaml") if p.name != SIGNALS_FILE)
    if not paths:
        raise TriageContentError(f"{root}: no lexicon files (*.yaml)")
    sections: dict[str, list[Any]] = {name: [] for name in _SECTION_KEYS}
    origin: dict[str, str] = {}
    t2s: dict[str, str] = {}
    versions: list[str] = []
    for path in paths:
        f = _File(path, str(path.relative_to(content_dir)))
        data = _read(f)
        versions.append(f"{path.stem}@{data['version']}")
        _t2s(f, data.get("t2s") or [], t2s)
        for name, build in _BUILDERS.items():
            items = data.get(name) or []
            if not isinstance(items, list):
                raise f.fail(f"`{name}` must be a list")
            for raw in items:
                item = build(f, _item(f, name, raw))
                if item.id in origin:
                    raise f.fail(f"duplicate id (also in {origin[item.id]})", item.id)
                origin[item.id] = f.where
                sections[name].append(item)
    if not sections["rules"]:
        raise TriageContentError(f"{root}: no rules")
    lexicon = Lexicon(
        rules=tuple(sections["rules"]),
        boosters=tuple(sections["boosters"]),
        exclusions=tuple(sections["exclusions"]),
        contexts=tuple(sections["contexts"]),
        negations=tuple(sections["negations"]),
        t2s=t2s,
        version=" ".join(versions),
    )
    return lexicon, origin


def _read(f: _File) -> dict[str, Any]:
    try:
        data = yaml.load(f.path.read_text("utf-8"), Loader=_LOADER)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        raise f.fail(f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise f.fail("must be a mapping with `version:` and sections")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise f.fail(f"unknown keys {unknown}; expected some of {sorted(_TOP_KEYS)}")
    if not isinstance(data.get("version"), str) or not data["version"].strip():
        raise f.fail("needs a `version:` (text)")
    return data


def _t2s(f: _File, rows: Any, into: dict[str, str]) -> None:
    if not isinstance(rows, list):
        raise f.fail("`t2s` must be a list of strings of character pairs")
    for row in rows:
        if not isinstance(row, str):
            raise f.fail(f"t2s entry {row!r} is not text")
        for pair in row.split():
            if len(pair) != 2:
                raise f.fail(f"t2s entry {pair!r} must be exactly two characters")
            if pair[0] in into and into[pair[0]] != pair[1]:
                raise f.fail(f"t2s maps {pair[0]!r} twice")
            into[pair[0]] = pair[1]


def _item(f: _File, section: str, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise f.fail(f"each entry of `{section}` must be a mapping, got {raw!r}")
    item_id = raw.get("id")
    if not isinstance(item_id, str) or not _ID.fullmatch(item_id):
        raise f.fail(f"entry in `{section}` needs a kebab-case `id`, got {item_id!r}")
    unknown = sorted(set(raw) - _SECTION_KEYS[section])
    if unknown:
        raise f.fail(f"unknown keys {unknown} in `{section}`", item_id)
    return raw


def _terms(f: _File, raw: dict[str, Any]) -> Terms:
    found: dict[str, tuple[str, ...]] = {}
    for key in ("phrases", "patterns", "pinyin"):
        values = raw.get(key) or []
        if not isinstance(values, list):
            raise f.fail(f"`{key}` must be a list", raw["id"])
        for value in values:
            # YAML reads `- no` as False and `- 110` as a number: ask for quotes instead.
            if not isinstance(value, str):
                raise f.fail(f"{key} entry {value!r} is not text (quote it)", raw["id"])
            if not value.strip():
                raise f.fail(f"empty entry in `{key}`", raw["id"])
        if len(set(values)) != len(values):
            dup = next(v for v in values if values.count(v) > 1)
            raise f.fail(f"{dup!r} appears twice in `{key}`", raw["id"])
        found[key] = tuple(values)
    if not any(found.values()):
        raise f.fail("has no phrases, patterns or pinyin", raw["id"])
    return Terms(found["phrases"], found["patterns"], found["pinyin"])


def _level(f: _File, raw: dict[str, Any], key: str, allowed: tuple[RiskLevel, ...]) -> RiskLevel:
    value = raw.get(key)
    if value not in {level.value for level in allowed}:
        names = ", ".join(level.value for level in allowed)
        raise f.fail(f"`{key}` is {value!r}; expected one of {names}", raw["id"])
    return RiskLevel(value)


def _categories(f: _File, raw: dict[str, Any], key: str, required: bool) -> tuple[Category, ...]:
    value = raw.get(key)
    if value is None and not required:
        return ()
    values: list[Any] = value if isinstance(value, list) else [value]
    known = {c.value for c in Category}
    for v in values:
        if v not in known:
            raise f.fail(f"unknown category {v!r}; expected one of {sorted(known)}", raw["id"])
    if required and not values:
        raise f.fail(f"`{key}` needs at least one category", raw["id"])
    return tuple(Category(str(v)) for v in values)


def _flag(f: _File, raw: dict[str, Any], key: str, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise f.fail(f"`{key}` must be true or false", raw["id"])
    return value


_SIGNAL_LEVELS = (RiskLevel.CRITICAL, RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW)
_ALL_LEVELS = tuple(RiskLevel)


def _rule(f: _File, raw: dict[str, Any]) -> Rule:
    return Rule(
        id=raw["id"],
        category=_categories(f, raw, "category", required=True)[0],
        level=_level(f, raw, "level", _SIGNAL_LEVELS),
        terms=_terms(f, raw),
        negatable=_flag(f, raw, "negatable", default=True),
    )


def _booster(f: _File, raw: dict[str, Any]) -> Booster:
    if raw.get("kind") not in BOOSTER_KINDS:
        kinds = sorted(BOOSTER_KINDS)
        raise f.fail(f"`kind` is {raw.get('kind')!r}; expected one of {kinds}", raw["id"])
    return Booster(
        id=raw["id"],
        kind=raw["kind"],
        categories=_categories(f, raw, "raises", required=True),
        terms=_terms(f, raw),
        support_only=_flag(f, raw, "support_only", default=False),
    )


def _context(f: _File, raw: dict[str, Any]) -> Context:
    cap = _level(f, raw, "cap", _ALL_LEVELS)
    upto = _level(f, raw, "upto", _ALL_LEVELS)
    if cap.rank >= upto.rank:
        raise f.fail("`cap` must be below `upto`", raw["id"])
    return Context(
        id=raw["id"],
        terms=_terms(f, raw),
        cap=cap,
        upto=upto,
        categories=_categories(f, raw, "categories", required=False),
    )


_BUILDERS: dict[str, Callable[[_File, dict[str, Any]], Any]] = {
    "rules": _rule,
    "boosters": _booster,
    "exclusions": lambda f, raw: Exclusion(raw["id"], _terms(f, raw)),
    "contexts": _context,
    "negations": lambda f, raw: Negation(raw["id"], _terms(f, raw)),
}
