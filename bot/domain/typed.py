"""Typed answers where a button was expected (issue 19 item 2).

A grandmother types "好几天" instead of pressing it, a child types "2", a guardian types
"晚上七点半" for the lesson time: each is the answer just the same. These are pure readings of
one message against the buttons on offer; the words they know (是/不是, 晚上, Wednesday) come
from content/typed/answers.yaml, so this module holds the grammar only."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

# A message longer than this is talk, not a typed button (and is matched by nothing but its
# whole self): "我好几天都睡不着" must not become the option 好几天.
SHORT = 12
_TRIM = " \t\r\n。．.!！?？~～…,，、;；:：\"'“”‘’「」()（）✏️👇"

_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "两": 2, "贰": 2, "三": 3, "叁": 3,
    "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8,
    "捌": 8, "九": 9, "玖": 9,
}  # fmt: skip
# English small numbers, as typed before a unit ("a week", "two weeks").
_SMALL = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4}
_NUMBER = re.compile(r"[0-9零〇一壹二两贰三叁四肆五伍六陆七柒八捌九玖十拾]+")


class Part(StrEnum):
    """The part of the day a time names, if it names one."""

    MORNING = "morning"  # 早上, am
    NOON = "noon"  # 中午
    AFTERNOON = "afternoon"  # 下午, 晚上, pm


def fold(text: str) -> str:
    """One spelling for comparing: full-width to half-width, case, spaces, end punctuation."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"\s+", " ", text).strip(_TRIM).strip()


def _bare(text: str) -> str:
    """Letters and digits only: a label's emoji and punctuation are not what people type."""
    return "".join(ch for ch in fold(text) if ch.isalnum())


def number(text: str) -> int | None:
    """A whole number in digits or Chinese numerals (0 to 99): "2", "二", "十九", "两"."""
    text = fold(text)
    if not text or len(text) > 4:
        return None
    if text.isdecimal():
        return int(text) if len(text) <= 2 else None
    if not all(ch in _DIGITS or ch in "十拾" for ch in text):
        return None
    if "十" not in text and "拾" not in text:
        return _DIGITS[text] if len(text) == 1 else None
    tens, _, ones = text.replace("拾", "十").partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return None
    return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0)


class YesNo(StrEnum):
    YES = "yes"
    NO = "no"


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The words typed answers are read with (content/typed/answers.yaml)."""

    yes: frozenset[str] = frozenset()
    no: frozenset[str] = frozenset()
    parts: Mapping[str, Part] = field(default_factory=dict)  # "晚上" -> afternoon
    half: frozenset[str] = frozenset({"半"})  # "七点半": half past
    hour_marks: frozenset[str] = frozenset({"点", "点钟", "時", "时"})
    minute_marks: frozenset[str] = frozenset({"分"})
    weekdays: Mapping[str, int] = field(default_factory=dict)  # "周三", "wednesday" -> 2
    ordinals: Sequence[str] = ()  # "第", "选", "option": "第二个" is 2
    weeks: frozenset[str] = frozenset()  # "周", "个星期", "weeks": "两周" is 2
    months: frozenset[str] = frozenset()  # "个月", "month": "一个月" is 4 weeks
    languages: Mapping[str, str] = field(default_factory=dict)  # "英文" -> "en"

    def yes_no(self, text: str) -> YesNo | None:
        key = fold(text)
        if key in self.yes:
            return YesNo.YES
        if key in self.no:
            return YesNo.NO
        return None

    def weekday(self, text: str) -> int | None:
        return self.weekdays.get(_bare(text))

    def language(self, text: str) -> str | None:
        """The language a typed word names ("英文", "chinese"), as its locale code."""
        return self.languages.get(_bare(text))

    def weeks_of(self, text: str) -> int | None:
        """A length of time in weeks: "两周", "1 week", "一个星期", "a month" (4), "2"."""
        key = fold(text).replace(" ", "")
        for units, per in ((self.months, 4), (self.weeks, 1)):
            for unit in sorted(units, key=len, reverse=True):
                if unit and key.endswith(unit) and key != unit:
                    head = key[: -len(unit)].removesuffix("个")
                    n = _SMALL.get(head, number(head))
                    return n * per if n else None
        return number(key) or None

    def ordinal(self, text: str) -> int | None:
        """ "2", "二", "第二个", "选2", "option 2": the option's number."""
        key = fold(text)
        for word in sorted(self.ordinals, key=len, reverse=True):
            key = key.replace(word, " ")
        return number(key.strip())


@dataclass(frozen=True, slots=True)
class Clock:
    """A time of day as typed: "晚上七点半" is 19:30 with its part of the day said."""

    hour: int
    minute: int
    part: Part | None = None

    def candidates(self) -> tuple[tuple[int, int], ...]:
        """The 24-hour readings: "7点半" alone may be morning or evening."""
        if self.part is None and 1 <= self.hour <= 11:
            return ((self.hour, self.minute), (self.hour + 12, self.minute))
        return ((self.hour, self.minute),)


_COLON = re.compile(r"^(\d{1,2})[:.](\d{2})$")
_DIGITS_HOUR = re.compile(r"^(\d{1,2})$")


def read_time(text: str, vocabulary: Vocabulary) -> Clock | None:
    """A time of day typed in words or digits, or None: "19:30", "7:30pm", "7点半",
    "晚上七点半", "下午3点", "十九点三十分", "8am", "中午12点"."""
    part, rest = _part_of_day(fold(text).replace(" ", ""), vocabulary)
    hour, minute = _hour_and_minute(rest.strip(_TRIM), vocabulary)
    if hour is None or minute is None or not (0 <= hour <= 24 and 0 <= minute <= 59):
        return None
    return Clock(_on_24_hours(hour, part), minute, part)


def _part_of_day(rest: str, vocabulary: Vocabulary) -> tuple[Part | None, str]:
    """The part of the day said before or after the time ("晚上七点", "7pm"), and the rest."""
    for word in sorted(vocabulary.parts, key=len, reverse=True):
        folded = fold(word).replace(" ", "")
        if folded and (rest.startswith(folded) or rest.endswith(folded)):
            rest = rest[len(folded) :] if rest.startswith(folded) else rest[: -len(folded)]
            return vocabulary.parts[word], rest
    return None, rest


def _hour_and_minute(rest: str, vocabulary: Vocabulary) -> tuple[int | None, int | None]:
    """ "19:30", "8", or an hour mark with its minutes: "七点半", "十九点三十分"."""
    if m := _COLON.match(rest):
        return int(m.group(1)), int(m.group(2))
    if m := _DIGITS_HOUR.match(rest):
        return int(m.group(1)), 0
    for mark in sorted(vocabulary.hour_marks, key=len, reverse=True):
        head, sep, tail = rest.partition(mark)
        if sep:
            return number(head), _minutes(tail, vocabulary)
    return None, None


def _minutes(tail: str, vocabulary: Vocabulary) -> int | None:
    """What follows the hour mark: nothing, 半, or a number with or without 分 ("零五分")."""
    for end in vocabulary.minute_marks:
        tail = tail.removesuffix(end)
    if not tail:
        return 0
    if tail in vocabulary.half:
        return 30
    return number(tail.removeprefix("零"))


def _on_24_hours(hour: int, part: Part | None) -> int:
    """ "下午3点" is 15, "中午1点" is 13, "12am" is 0."""
    if (part is Part.AFTERNOON and hour < 12) or (part is Part.NOON and hour < 6):
        hour += 12
    elif part is Part.MORNING and hour == 12:
        hour = 0
    return hour % 24


def pick(
    text: str,
    labels: Sequence[str],
    vocabulary: Vocabulary,
    numbered: int | None = None,
) -> int | None:
    """Which of the buttons (their labels, in order) a typed message chose, or None.

    In turn: a label as typed; a yes or no word for the one button that says yes or no; a
    number for the first `numbered` buttons (the answers, not "back" or "stop"); then a
    short message that is part of exactly one label, or holds exactly one label."""
    typed = _bare(text)
    if not typed:
        return None
    bare = [_bare(label) for label in labels]
    exact = [i for i, b in enumerate(bare) if b and b == typed]
    if len(exact) == 1:
        return exact[0]
    said = vocabulary.yes_no(text)
    if said is not None:
        sides = [i for i, label in enumerate(labels) if _side(label, vocabulary) is said]
        if len(sides) == 1:
            return sides[0]
    count = len(labels) if numbered is None else numbered
    n = vocabulary.ordinal(text)
    if n is not None:
        return n - 1 if 1 <= n <= count else None
    if len(typed) > SHORT or said is not None:
        return None
    near = [
        i
        for i, b in enumerate(bare)
        if b and len(typed) >= 2 and (typed in b or (len(b) >= 2 and b in typed))
    ]
    return near[0] if len(near) == 1 else None


_RANGE = re.compile(r"(\d+)\s*[–\-~～至到]\s*(\d+)")
_AGE_WORDS = re.compile(r"周岁|岁|years?\s*old|years?|yrs?|我|今年|快|了|i'?m|i am", re.IGNORECASE)


def pick_age(text: str, labels: Sequence[str]) -> int | None:
    """Which age-band button ("12–13 岁") a typed age falls in: "12", "十二岁", "I'm 12"."""
    typed = fold(text)
    if len(typed) > SHORT:
        return None
    age = number(_AGE_WORDS.sub("", typed).strip())
    if age is None:
        return None
    for i, label in enumerate(labels):
        m = _RANGE.search(fold(label))
        if m and int(m.group(1)) <= age <= int(m.group(2)):
            return i
    return None


def _side(label: str, vocabulary: Vocabulary) -> YesNo | None:
    """Whether a button says yes or no: its whole label, or the word it starts with
    ("Yes, ask a counsellor to contact me", "不用了，谢谢")."""
    whole = vocabulary.yes_no(label)
    if whole is not None:
        return whole
    head = re.split(r"[,，、。!！ ]", fold(re.sub(r"^\W+", "", label)), maxsplit=1)[0]
    return vocabulary.yes_no(head)


def vocabulary_of(
    data: Mapping[str, Iterable[str]],
    weekdays: Sequence[Iterable[str]],
    languages: Mapping[str, Iterable[str]] | None = None,
) -> Vocabulary:
    """The vocabulary from the content file's lists (see bot/catalog/typed.py)."""
    parts: dict[str, Part] = {}
    for key, part in (("morning", Part.MORNING), ("noon", Part.NOON), ("evening", Part.AFTERNOON)):
        parts.update(dict.fromkeys(data.get(key, ()), part))
    days = {_bare(w): d for d, words in enumerate(weekdays) for w in words if _bare(w)}
    return Vocabulary(
        yes=frozenset(fold(w) for w in data.get("yes", ())),
        no=frozenset(fold(w) for w in data.get("no", ())),
        parts=parts,
        half=frozenset(data.get("half", ("半",))),
        hour_marks=frozenset(data.get("hour_marks", ("点",))),
        minute_marks=frozenset(data.get("minute_marks", ("分",))),
        weekdays=days,
        ordinals=tuple(fold(w) for w in data.get("ordinals", ())),
        weeks=frozenset(fold(w).replace(" ", "") for w in data.get("weeks", ())),
        months=frozenset(fold(w).replace(" ", "") for w in data.get("months", ())),
        languages={
            _bare(w): code for code, words in (languages or {}).items() for w in words if _bare(w)
        },
    )
