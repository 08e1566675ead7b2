"""Risk triage of free text: how urgently a child's or guardian's message needs a human.

The words are content (content/helpline/triage/); this module only knows how to match them.
Matching runs on a normalised copy of the text, and the lexicon goes through the same
normalisation, so reviewers write phrases as people spell them while the disguises children
use (spaces between characters, Traditional characters, full-width or repeated letters,
invisible characters) fall away on both sides.

A message's level is the highest level among the rules it matches, after three adjustments:
a negation just before a match lowers it ("我不会自杀"), a booster elsewhere in the message
(a time, a plan, an act under way) raises a high match to critical, and a context (a film,
the news) caps the mild matches it explains. Everyday hyperbole (笑死, "killing me") is
blanked out before any rule sees the text.

Two more channels see what no single word says. A rule's `sounds` are toneless pinyin matched
against the message's Chinese characters read aloud (through a char→syllable table shipped as
data), so 紫砂 and 去似 read as zi sha and qu si whichever characters are in fashion this
year. A composition names kinds of booster (means in hand, a time, the first person) that
together make a level no one of them reaches: "药我都攒好了，今天晚上就用".
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

_RANKS = {"none": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


class RiskLevel(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NONE = "none"

    @property
    def rank(self) -> int:
        """none=0 … critical=4; compare ranks, never the strings."""
        return _RANKS[self.value]

    def at_least(self, other: RiskLevel) -> bool:
        return self.rank >= other.rank

    @classmethod
    def of_rank(cls, rank: int) -> RiskLevel:
        return _BY_RANK[max(0, min(4, rank))]

    @classmethod
    def highest(cls, levels: Iterable[RiskLevel]) -> RiskLevel:
        return max(levels, key=lambda level: level.rank, default=cls.NONE)


_BY_RANK = {level.rank: level for level in RiskLevel}


class Category(StrEnum):
    SUICIDE = "suicide"
    SELF_HARM = "self_harm"
    ABUSE = "abuse"
    SEXUAL_ABUSE = "sexual_abuse"
    BULLYING = "bullying"
    NEGLECT = "neglect"
    ONLINE_THREAT = "online_threat"
    ACUTE_DISTRESS = "acute_distress"
    EATING_DISORDER = "eating_disorder"


@dataclass(frozen=True, slots=True)
class Triage:
    level: RiskLevel
    categories: tuple[Category, ...] = ()
    matched: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()  # ids of the rules and boosters that decided, for the audit
    # The statistical second opinion (bot/domain/ngram_model.py), 0.0 where no model ran.
    score: float = 0.0
    # Cues that make a message uncertain rather than risky (bot/domain/safety_net.py Signal):
    # a means or death word without intent, a guardian relaying, a request for a person.
    signals: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "level": self.level.value,
            "categories": [c.value for c in self.categories],
            "matched": list(self.matched),
        }


NO_RISK = Triage(RiskLevel.NONE)


# --- the lexicon, as plain data ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Terms:
    """What to look for. Phrases and pinyin are literal; patterns are regular expressions
    over the normalised text (lower case, Simplified, repeated letters squeezed to one).
    Sounds are toneless pinyin matched against the message's Chinese characters read aloud
    (自杀, 紫砂 and 子杀 all read zi sha), where pinyin matches what a child typed in Latin."""

    phrases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    pinyin: tuple[str, ...] = ()
    sounds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    category: Category
    level: RiskLevel
    terms: Terms
    negatable: bool = True


@dataclass(frozen=True, slots=True)
class Booster:
    """Immediacy found anywhere in the message: raises a high match in `categories` to
    critical. A support-only booster (a knife emoji, the word "pills") is evidence, never
    enough on its own: the safety check asks for intent, plan or time, not only means."""

    id: str
    kind: str
    categories: tuple[Category, ...]
    terms: Terms
    support_only: bool = False


@dataclass(frozen=True, slots=True)
class Exclusion:
    """Everyday hyperbole (笑死, "dying to see it"): blanked before the rules run."""

    id: str
    terms: Terms


@dataclass(frozen=True, slots=True)
class Context:
    """A frame that explains mild matches (a film, the news, laughter): matches in
    `categories` (all when empty) at or below `upto` are capped at `cap`."""

    id: str
    terms: Terms
    cap: RiskLevel
    upto: RiskLevel
    categories: tuple[Category, ...] = ()


@dataclass(frozen=True, slots=True)
class Negation:
    """Words that, right before a match in the same clause, deny it (不会, never)."""

    id: str
    terms: Terms


@dataclass(frozen=True, slots=True)
class Composition:
    """Kinds of booster that, all found in one message, make a level and category on their
    own: means in hand + a time + the first person is critical though no rule is high."""

    id: str
    category: Category
    level: RiskLevel
    kinds: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Lexicon:
    rules: tuple[Rule, ...]
    boosters: tuple[Booster, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    contexts: tuple[Context, ...] = ()
    negations: tuple[Negation, ...] = ()
    compositions: tuple[Composition, ...] = ()
    t2s: Mapping[str, str] | None = None
    # Chinese character → its toneless syllables (sounds.yaml), for the `sounds` channel.
    sounds: Mapping[str, tuple[str, ...]] | None = None
    version: str = ""


class LexiconError(ValueError):
    def __init__(self, item_id: str, problem: str) -> None:
        super().__init__(f"{item_id}: {problem}")
        self.item_id = item_id
        self.problem = problem


# --- normalisation -------------------------------------------------------------------------

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# Format and control characters, variation selectors and skin tones: invisible, or noise
# inside a word ("自\u200b杀"); newline and tab stay, a newline ends a clause.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f\u00ad\u034f\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U0001f3fb-\U0001f3ff\U000e0000-\U000e007f]"
)
# Between two Chinese characters these are disguise, not punctuation: 自.杀, 我 想 死, 自-杀.
# (It starts with the character, not a lookbehind, so the regex engine can skip ahead.)
_CJK_GAP = re.compile(
    f"([{_CJK}])[ \\t\u3000._\\-*~·•/\\\\|+^'\"`＿－＊～／＼｜＋＾・．‘’“”]+(?=[{_CJK}])"
)
# Clause punctuation joins characters only when every piece is one character (我，想，死),
# so that 我想死，你们别管我 keeps its comma.
_CLAUSE = "，,。、!！?？;；:：…"
_CJK_SPELLED = re.compile(f"(?<![{_CJK}])[{_CJK}](?:[{_CLAUSE}]+[{_CJK}](?![{_CJK}])){{2,}}")
_CLAUSE_RUN = re.compile(f"[{_CLAUSE}]+")
_MAY_BE_SPELLED = re.compile(f"[{_CLAUSE}][{_CJK}][{_CLAUSE}]")
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Apostrophes go: "don't" and "dont" are typed alike, and patterns need no quoting.
_APOSTROPHES = re.compile("['‘’‛ʼ`´]")
_SPELLED_LATIN = re.compile(r"(?<![a-z])[a-z](?:[ ._\-*]+[a-z](?![a-z])){2,}")
_LATIN_SEP = re.compile(r"[ ._\-*]+")
_WIDE_GAP = re.compile(r"\s{2,}")
# diiiie, killlll: squeezed to one letter, in the text and in the lexicon alike.
_LATIN_REPEAT = re.compile(r"([a-z])\1+")
# 死死死死 → 死死: two stay, because doubling is grammar (爸爸, 天天, 哈哈).
_CJK_REPEAT = re.compile(f"([{_CJK}])\\1{{2,}}")
_SPACES = re.compile(r"[ \t]+")
_NEWLINES = re.compile(r" ?\n[\n ]*")
_BLANK = "\x00"
_BOUNDARY = re.compile(f"[.\n{_BLANK}{_CLAUSE}]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class _T2S:
    """Traditional→Simplified. A regex finds the few Traditional characters; str.translate
    would look up every character of every message in a 4,000-entry table."""

    def __init__(self, mapping: Mapping[str, str] | None) -> None:
        self.map = {k: v for k, v in (mapping or {}).items() if len(k) == 1 and k != v}
        # A character class beyond the BMP is searched member by member, so the few rare
        # characters there get their own regex, run only on text that has such characters.
        self.regexes = [
            (re.compile(f"[{chars}]"), gate)
            for chars, gate in (
                ("".join(re.escape(k) for k in sorted(self.map) if ord(k) < 0x10000), None),
                ("".join(re.escape(k) for k in sorted(self.map) if ord(k) >= 0x10000), _ASTRAL),
            )
            if chars
        ]

    def __call__(self, text: str) -> str:
        for regex, gate in self.regexes:
            if gate is None or gate.search(text):
                text = regex.sub(lambda m: self.map[m.group()], text)
        return text


_NO_T2S = _T2S(None)


def normalise(text: str, t2s: Mapping[str, str] | None = None) -> str:
    """The form every rule matches against: NFKD with accents dropped (so ｋｉｌｌ and zì shā
    read as kill and zi sha), lower case, no apostrophes, invisible characters gone,
    separators between Chinese characters gone, spelled-out letters joined, repeats squeezed,
    Traditional characters mapped to Simplified through `t2s`.

    Builds the t2s regex on every call: fine for tests; `Triager.normalise` reuses its own."""
    return _normalise(text, _T2S(t2s) if t2s else _NO_T2S)


def _normalise(text: str, t2s: _T2S) -> str:
    s = _INVISIBLE.sub("", text)
    s = _CJK_GAP.sub(r"\1", s)
    if _MAY_BE_SPELLED.search(s):
        s = _CJK_SPELLED.sub(lambda m: _CLAUSE_RUN.sub("", m.group()), s)
    if not s.isascii():
        s = _COMBINING.sub("", unicodedata.normalize("NFKD", s))
    s = t2s(_APOSTROPHES.sub("", s.casefold()))
    s = _SPELLED_LATIN.sub(_join_spelled, s)
    s = _LATIN_REPEAT.sub(r"\1", s)
    s = _CJK_REPEAT.sub(r"\1\1", s)
    s = _SPACES.sub(" ", s)
    return _NEWLINES.sub("\n", s).strip()


def _join_spelled(m: re.Match[str]) -> str:
    """k i l l → kill; a wider gap is a word break: k i l l  m e → kill me."""
    return " ".join(_LATIN_SEP.sub("", word) for word in _WIDE_GAP.split(m.group()))


# --- compiling the lexicon -----------------------------------------------------------------

_WORD_GAP = r"[\s\-_.]*"  # kill myself, killmyself, kill-myself
_LATIN_EDGE = re.compile(r"[a-z0-9]")
_SYLLABLE = re.compile(r"[a-z]+")
_UPPER = re.compile(r"(?<!\\)[A-Z]")
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


def _phrase_regex(phrase: str, t2s: _T2S) -> str:
    norm = _normalise(phrase, t2s)
    if not norm:
        raise ValueError("is empty once normalised")
    body = _WORD_GAP.join(_leet(re.escape(word)) for word in norm.split(" "))
    if _LATIN_EDGE.match(norm[0]):
        # The word edge is checked after the first letter, not before it: a regex that starts
        # with a literal lets the engine skip to candidate positions, one that starts with a
        # lookbehind is tried at every position of the message.
        body = f"{body[0]}(?<![a-z0-9]{body[0]}){body[1:]}"
    if _LATIN_EDGE.match(norm[-1]):
        body += "(?![a-z0-9])"
    return body


# Letters children swap for look-alike digits and signs (k1ll, su1c1de, d!e, k!ll): read in
# English phrases only, not in the text, where tone digits of pinyin (zi4sha1) must survive.
_LEET = {"i": "[i1!|]", "o": "[o0]", "e": "[e3]", "a": "[a4@]", "s": "[s5$]", "l": "[l1|]"}


def _leet(escaped_word: str) -> str:
    if not escaped_word.isascii():
        return escaped_word
    # Only the letters inside the word: a phrase's first letter stays literal so the engine
    # can still skip ahead to it (see the word-edge trick below).
    head, tail = escaped_word[:1], escaped_word[1:]
    return head + "".join(_LEET.get(c, c) for c in tail)


def _pinyin_regex(phrase: str) -> str:
    """zi sha → zisha, zi sha, zi4 sha1, zi-sha; tone digits and separators optional."""
    syllables = _normalise(phrase, _NO_T2S).replace("-", " ").split()
    if not syllables or not all(_SYLLABLE.fullmatch(s) for s in syllables):
        raise ValueError("pinyin must be plain syllables separated by spaces")
    body = _WORD_GAP.join(f"{s}[1-5]?" for s in syllables)
    return f"{body[0]}(?<![a-z]{body[0]}){body[1:]}(?![a-z])"


def _sound_regex(entry: str, table: Mapping[str, str], t2s: _T2S) -> tuple[str, str]:
    """ "zi sha 自杀" → (a regex over the spoken form, the word itself). The spoken form is
    "wo xiang zi sha ": a space after each character's readings, which are joined by "/"
    where it has two ("qu shi/si "), and "|" for anything that is not a Chinese character,
    so a sound matches whole syllables only. The word itself is left to the written rules,
    which know its negations and contexts: the sound is for the characters put in its place.
    """
    *syllables, word = entry.split() or [""]
    word = _normalise(word, t2s)
    if not syllables or not all(_SYLLABLE.fullmatch(s) for s in syllables):
        raise ValueError(
            "write a sound as toneless syllables in lower case, then the word: zi sha 自杀"
        )
    if len(word) != len(syllables):
        raise ValueError(f"{word!r} does not have one character per syllable")
    for ch, syllable in zip(word, syllables, strict=True):
        if syllable not in table.get(ch, "").split("/"):
            raise ValueError(f"sounds.yaml reads {ch!r} as {table.get(ch)!r}, not {syllable!r}")
    if len(syllables) < 2:
        raise ValueError("a sound needs two syllables or more: one syllable has dozens of words")
    # The first syllable is literal (the engine skips ahead to it); the edge is checked after.
    first, *rest = syllables
    head = f"{first[0]}(?<![a-z]{first[0]}){first[1:]}(?:/[a-z]+)* "
    return head + "".join(f"(?:[a-z]+/)*{s}(?:/[a-z]+)* " for s in rest), word


def _squeeze_pattern(src: str) -> str:
    """Squeeze doubled letters in a pattern as the text is squeezed, skipping escapes."""
    out: list[str] = []
    prev = ""
    i = 0
    while i < len(src):
        c = src[i]
        if c == "\\" and i + 1 < len(src):
            width = 2 + _HEX_ESCAPES.get(src[i + 1], 0)
            out.append(src[i : i + width])
            i += width
            prev = ""
            continue
        if c == "(":
            # A group opening does not separate letters: cut(ting)? must read cut(ing)?.
            end = i + 3 if src.startswith("(?:", i) else i + 1
            out.append(src[i:end])
            i = end
            continue
        if not (c == prev and "a" <= c <= "z"):
            out.append(c)
        prev = c
        i += 1
    return "".join(out)


def _pattern_regex(src: str, t2s: _T2S) -> str:
    if _UPPER.search(src):
        raise ValueError("write patterns in lower case: the text is lower-cased first")
    return _squeeze_pattern(t2s(src))


_ESCAPE = re.compile(r"\\.")
_HAS_CJK = re.compile(f"[{_CJK}]")
_HAS_LATIN = re.compile("[a-z]")


class _Matcher:
    """An item's regexes, split by script so that a Chinese message skips the English
    alternatives and the other way round."""

    def __init__(
        self,
        phrases: list[str],
        patterns: list[str],
        sounds: list[tuple[str, str]] | None = None,
    ) -> None:
        self.sounds = _join([r for r, _ in sounds]) if sounds else None
        self.spelled = frozenset(w for _, w in sounds or ())
        found: dict[str, list[re.Pattern[str]]] = {"latin": [], "cjk": [], "any": []}
        for script, parts in _by_script(phrases).items():
            found[script] += [_join(parts)] if parts else []
        for script, parts in _by_script(patterns).items():
            # A Chinese pattern starts with a character the engine can skip ahead to, but only
            # when it stands alone; English ones start with \b and gain nothing from it.
            found[script] += [re.compile(p) for p in parts] if script == "cjk" else []
            found[script] += [_join(parts)] if parts and script != "cjk" else []
        self.latin, self.cjk, self.any = found["latin"], found["cjk"], found["any"]

    def regexes(self, latin: bool, cjk: bool) -> list[re.Pattern[str]]:
        return (self.latin if latin else []) + (self.cjk if cjk else []) + self.any

    def search(self, text: str, latin: bool, cjk: bool) -> re.Match[str] | None:
        for regex in self.regexes(latin, cjk):
            m = regex.search(text)
            if m is not None:
                return m
        return None


def _by_script(parts: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"latin": [], "cjk": [], "any": []}
    for part in parts:
        literal = _ESCAPE.sub("", part)
        cjk, latin = bool(_HAS_CJK.search(literal)), bool(_HAS_LATIN.search(literal))
        out["cjk" if cjk and not latin else "latin" if latin and not cjk else "any"].append(part)
    return out


def _join(parts: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts))


def _compile_terms(
    item_id: str, terms: Terms, t2s: _T2S, table: Mapping[str, str] | None = None
) -> _Matcher:
    """An item's phrases, pinyin and patterns as regexes, longest phrases first."""
    literal: list[str] = []
    patterns: list[str] = []
    sounds: list[tuple[str, str]] = []
    if terms.sounds and not table:
        raise LexiconError(item_id, "lists sounds but there is no sounds table")
    for kind, items, build, into in (
        ("phrase", terms.phrases, lambda p: _phrase_regex(p, t2s), literal),
        ("pinyin", terms.pinyin, _pinyin_regex, literal),
        ("pattern", terms.patterns, lambda p: _pattern_regex(p, t2s), patterns),
    ):
        for item in items:
            try:
                regex = build(item)
                if kind == "pattern":
                    re.compile(regex)
            except (ValueError, re.error) as exc:
                raise LexiconError(item_id, f"{kind} {item!r}: {exc}") from None
            into.append(regex)
    for item in terms.sounds:
        try:
            sounds.append(_sound_regex(item, table or {}, t2s))
        except ValueError as exc:
            raise LexiconError(item_id, f"sound {item!r}: {exc}") from None
    if not literal and not patterns and not sounds:
        raise LexiconError(item_id, "has no phrases, pinyin, patterns or sounds")
    return _Matcher(sorted(literal, key=len, reverse=True), patterns, sounds)


class _Spoken:
    """A text's Chinese characters read aloud: "我想紫砂" → "wo xiang zi sha ", with where
    each character's syllable starts, so a sound match maps back to the characters."""

    __slots__ = ("starts", "text")

    def __init__(self, text: str, table: Mapping[str, str]) -> None:
        parts: list[str] = []
        starts: list[int] = []
        at = 0
        for ch in text:
            starts.append(at)
            # Anything but a known character is a wall: no sound spans 自 and 杀 in 自x杀.
            piece = table.get(ch, "|") + " "
            parts.append(piece)
            at += len(piece)
        self.text = "".join(parts)
        self.starts = starts

    def span(self, m: re.Match[str]) -> tuple[int, int]:
        """The characters of the message that a match over the spoken form covers."""
        return bisect_right(self.starts, m.start()) - 1, bisect_right(self.starts, m.end() - 1)


# --- classifying ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Hit:
    rule: Rule
    level: RiskLevel
    evidence: str
    negated: bool
    raised_by: tuple[tuple[str, str], ...] = ()


class Triager:
    """Compiles a lexicon once; `classify` then runs on every incoming message."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.version = lexicon.version
        self._t2s = t2s = _T2S(lexicon.t2s)
        table = {ch: "/".join(s) for ch, s in (lexicon.sounds or {}).items()}
        self._rules = [(r, _compile_terms(r.id, r.terms, t2s, table)) for r in lexicon.rules]
        self._boosters = [(b, _compile_terms(b.id, b.terms, t2s)) for b in lexicon.boosters]
        for c in lexicon.contexts:
            if c.upto.rank > RiskLevel.MEDIUM.rank:
                # A frame explains a mention. Laughter, a film, a game never lower a disclosure:
                # "我想死哈哈哈" is 我想死 said by a child who is afraid to be taken seriously.
                raise LexiconError(c.id, "a context may reach medium at most (`upto`)")
        self._contexts = [(c, _compile_terms(c.id, c.terms, t2s)) for c in lexicon.contexts]
        self._exclusions = [_compile_terms(e.id, e.terms, t2s) for e in lexicon.exclusions]
        self._compositions = lexicon.compositions
        # Empty when no rule listens: then no message is read aloud at all.
        listens = any(m.sounds is not None for _, m in self._rules)
        self._sound_table: Mapping[str, str] = table if listens else {}
        negations = [_compile_terms(n.id, n.terms, t2s) for n in lexicon.negations]
        cues = [r.pattern for m in negations for r in m.regexes(latin=True, cjk=True)]
        self._negation = re.compile(f"(?:{_join(cues).pattern})\\s*$") if cues else None

    def normalise(self, text: str) -> str:
        return _normalise(text, self._t2s)

    def classify(self, text: str) -> Triage:
        norm = _normalise(text, self._t2s)
        if not norm:
            return NO_RISK
        scripts = (_HAS_LATIN.search(norm) is not None, _HAS_CJK.search(norm) is not None)
        scan = norm
        for matcher in self._exclusions:
            for regex in matcher.regexes(*scripts):
                scan = regex.sub(_BLANK, scan)
        # Read aloud only when some rule listens and there are characters to read.
        spoken = _Spoken(scan, self._sound_table) if scripts[1] and self._sound_table else None
        hits = self._hits(scan, scripts, spoken)
        hits += self._compose(scan, scripts)
        if not hits:
            return NO_RISK
        support = self._boost(scan, hits, scripts)
        self._cap(norm, hits, scripts)
        return _verdict(hits, support)

    def _hits(self, scan: str, scripts: tuple[bool, bool], spoken: _Spoken | None) -> list[_Hit]:
        hits: list[_Hit] = []
        for rule, matcher in self._rules:
            best: _Hit | None = None
            for start, evidence in _finditer(matcher, scan, scripts, spoken):
                negated = rule.negatable and self._negated(scan, start)
                if best is None or best.negated:
                    best = _Hit(rule, rule.level, evidence, negated)
                if not negated:
                    break
            if best is not None:
                if best.negated:
                    # Safer to check in than to drop: one step down, and never above medium.
                    best.level = RiskLevel.of_rank(min(best.level.rank - 1, 2))
                hits.append(best)
        return hits

    def _compose(self, scan: str, scripts: tuple[bool, bool]) -> list[_Hit]:
        """Compositions whose every kind of booster is somewhere in the message."""
        if not self._compositions:
            return []
        found: dict[str, str | None] = {}  # kind → first evidence, searched once per kind

        def evidence(kind: str) -> str | None:
            if kind not in found:
                found[kind] = None
                for booster, matcher in self._boosters:
                    if booster.kind == kind:
                        m = matcher.search(scan, *scripts)
                        if m is not None:
                            found[kind] = m.group()
                            break
            return found[kind]

        hits: list[_Hit] = []
        for comp in self._compositions:
            # Kinds are checked in the order written: put the rarest first, it stops early.
            parts = []
            for kind in comp.kinds:
                part = evidence(kind)
                if part is None:
                    break
                parts.append(part)
            else:
                rule = Rule(comp.id, comp.category, comp.level, Terms(), negatable=False)
                # The first person ("我") is what makes it the child's own: not shown as evidence.
                shown = [p for k, p in zip(comp.kinds, parts, strict=True) if k != "self"]
                hits.append(_Hit(rule, comp.level, " + ".join(shown), negated=False))
        return hits

    def _negated(self, scan: str, start: int) -> bool:
        if self._negation is None or start == 0:
            return False
        clause = _BOUNDARY.split(scan[max(0, start - 24) : start])[-1]
        return bool(clause) and self._negation.search(clause) is not None

    def _boost(
        self, scan: str, hits: list[_Hit], scripts: tuple[bool, bool]
    ) -> list[tuple[str, str]]:
        """Raise high matches that co-occur with immediacy; return support-only evidence."""
        support: list[tuple[str, str]] = []
        for booster, matcher in self._boosters:
            m = matcher.search(scan, *scripts)
            if m is None:
                continue
            if booster.support_only:
                # "我" is no evidence worth showing a counsellor; it only serves compositions.
                if booster.kind != "self":
                    support.append((booster.id, m.group()))
                continue
            for hit in hits:
                if (
                    not hit.negated
                    and hit.level in (RiskLevel.HIGH, RiskLevel.CRITICAL)
                    and hit.rule.category in booster.categories
                ):
                    hit.level = RiskLevel.CRITICAL
                    hit.raised_by += ((booster.id, m.group()),)
        return support

    def _cap(self, norm: str, hits: list[_Hit], scripts: tuple[bool, bool]) -> None:
        for context, matcher in self._contexts:
            if matcher.search(norm, *scripts) is None:
                continue
            for hit in hits:
                if (
                    hit.level.rank <= context.upto.rank
                    and hit.level.rank > context.cap.rank
                    and (not context.categories or hit.rule.category in context.categories)
                ):
                    hit.level = context.cap


def _finditer(
    matcher: _Matcher, text: str, scripts: tuple[bool, bool], spoken: _Spoken | None
) -> Iterator[tuple[int, str]]:
    """(where in the text, the evidence) of each match, written matches first, then sounds."""
    for regex in matcher.regexes(*scripts):
        for m in regex.finditer(text):
            yield m.start(), m.group()
    if spoken is not None and matcher.sounds is not None:
        for m in matcher.sounds.finditer(spoken.text):
            start, end = spoken.span(m)
            if text[start:end] not in matcher.spelled:
                yield start, text[start:end]


def _verdict(hits: list[_Hit], support: list[tuple[str, str]]) -> Triage:
    hits = sorted((h for h in hits if h.level is not RiskLevel.NONE), key=lambda h: -h.level.rank)
    if not hits:
        return NO_RISK
    level = hits[0].level
    categories = tuple(dict.fromkeys(h.rule.category for h in hits))
    evidence: list[tuple[str, str]] = []
    for hit in hits:
        evidence.append((hit.rule.id, hit.evidence))
        evidence += hit.raised_by
    if level.at_least(RiskLevel.MEDIUM):
        evidence += support
    found = list(dict.fromkeys(e.replace(_BLANK, "").strip() for _, e in evidence))
    # 跳楼 says nothing that 就跳楼 did not: keep the longer evidence only.
    matched = tuple(m for m in found if m and not any(m != o and m in o for o in found))
    rules = tuple(dict.fromkeys(i for i, _ in evidence))
    return Triage(level, categories, matched, rules)


# --- cues outside the lexicon --------------------------------------------------------------


class Cues:
    """Named term lists matched the way the rules are, for cues that decide no level (the
    safety net's signals, bot/domain/safety_net.py): on the normalised text with everyday
    hyperbole blanked, so 累死了 is not a death word, and, where an item is negatable, not
    when a negation right before denies it (我不想死; in a pattern with groups, right before
    its last group: 我不会消失 against 我[^。]{0,6}(消失))."""

    def __init__(self, triager: Triager, items: Iterable[tuple[str, str, Terms, bool]]) -> None:
        """`items`: (key, id, terms, negatable); `find` answers with the keys found."""
        self._triager = triager
        self._items = [
            (key, negatable, _compile_terms(item_id, terms, triager._t2s))
            for key, item_id, terms, negatable in items
        ]

    def find(self, norm: str) -> dict[str, str]:
        """The keys found in an already normalised text (`Triager.normalise`), each with the
        first evidence for it."""
        if not norm:
            return {}
        t = self._triager
        scripts = (_HAS_LATIN.search(norm) is not None, _HAS_CJK.search(norm) is not None)
        scan = norm
        for matcher in t._exclusions:
            for regex in matcher.regexes(*scripts):
                scan = regex.sub(_BLANK, scan)
        found: dict[str, str] = {}
        for key, negatable, matcher in self._items:
            if key in found:
                continue
            for regex in matcher.regexes(*scripts):
                m = next(
                    (
                        m
                        for m in regex.finditer(scan)
                        if not (negatable and t._negated(scan, _cue_start(m)))
                    ),
                    None,
                )
                if m is not None:
                    found[key] = m.group()
                    break
        return found


def _cue_start(m: re.Match[str]) -> int:
    """Where the denied word starts: a pattern's last group, else the whole match."""
    return m.start(m.lastindex) if m.lastindex else m.start()
