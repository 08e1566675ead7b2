"""Typed answers where a button was expected: times, numbers, labels, yes and no."""

from __future__ import annotations

import pytest

from bot.catalog.typed import load_typed
from bot.domain.typed import Clock, Part, number, pick, pick_age, read_time
from content import CONTENT_DIR

WORDS = load_typed(CONTENT_DIR)
PHQ_ZH = ["完全不会", "好几天", "一半以上的天数", "几乎每天", "◀ 上一题", "跳过", "⏹ 先停在这里"]
PHQ_EN = ["Not at all", "Several days", "More than half the days", "Nearly every day", "◀ Back"]


@pytest.mark.parametrize(
    ("text", "value"),
    [("2", 2), ("二", 2), ("两", 2), ("十", 10), ("十九", 19), ("二十", 20), ("三十", 30)],
)
def test_numbers_in_digits_and_chinese_numerals(text: str, value: int) -> None:
    assert number(text) == value


@pytest.mark.parametrize("text", ["", "abc", "十十", "123", "二三四五六"])
def test_not_numbers(text: str) -> None:
    assert number(text) is None


@pytest.mark.parametrize(
    ("text", "hour", "minute"),
    [
        ("19:30", 19, 30),
        ("19：30", 19, 30),  # the full-width colon of a Chinese keyboard
        ("晚上七点半", 19, 30),
        ("晚上7点半", 19, 30),
        ("7:30pm", 19, 30),
        ("7:30 PM", 19, 30),
        ("7pm", 19, 0),
        ("8am", 8, 0),
        ("早上八点", 8, 0),
        ("下午3点", 15, 0),
        ("十九点三十分", 19, 30),
        ("19点", 19, 0),
        ("中午12点", 12, 0),
        ("晚上八点钟", 20, 0),
        ("20点05分", 20, 5),
    ],
)
def test_times_typed_in_words_and_digits(text: str, hour: int, minute: int) -> None:
    clock = read_time(text, WORDS)
    assert clock is not None and (clock.hour, clock.minute) == (hour, minute)


def test_a_time_without_its_part_of_the_day_may_be_morning_or_evening() -> None:
    clock = read_time("7点半", WORDS)
    assert clock == Clock(7, 30, None)
    assert clock.candidates() == ((7, 30), (19, 30))
    assert read_time("晚上七点半", WORDS) == Clock(19, 30, Part.AFTERNOON)


@pytest.mark.parametrize("text", ["好几天", "明天", "7点99", "25:00", "我晚上七点半睡不着觉啊"])
def test_not_times(text: str) -> None:
    assert read_time(text, WORDS) is None


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("好几天", 1),
        ("好几天。", 1),
        ("2", 1),
        ("二", 1),
        ("第二个", 1),
        ("选2", 1),
        ("一半以上", 2),  # a close form: part of exactly one label
        ("有好几天", 1),  # holds exactly one label
        ("几乎每天！", 3),
    ],
)
def test_options_typed_in_chinese(text: str, index: int) -> None:
    assert pick(text, PHQ_ZH, WORDS, numbered=4) == index


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("several days", 1),
        ("Several days.", 1),
        ("2", 1),
        ("option 4", 3),
        ("nearly every day", 3),
    ],
)
def test_options_typed_in_english(text: str, index: int) -> None:
    assert pick(text, PHQ_EN, WORDS, numbered=4) == index


@pytest.mark.parametrize(
    "text",
    ["5", "0", "你好", "我好几天都睡不着，也不想吃饭", "天", "hello"],
)
def test_what_is_no_option_is_not_picked(text: str) -> None:
    # "5" would be "◀ 上一题": numbers reach the answers only, never back, skip or stop.
    assert pick(text, PHQ_ZH, WORDS, numbered=4) is None


@pytest.mark.parametrize(
    ("text", "labels", "index"),
    [
        ("是", ["是", "否"], 0),
        ("不是", ["是", "否"], 1),
        ("对", ["是", "否"], 0),
        ("不对", ["是", "否"], 1),
        ("yes", ["Yes", "No"], 0),
        ("no", ["Yes", "No"], 1),
        ("是的", ["是的，请咨询师联系我", "不用了，谢谢"], 0),
        ("不用", ["是的，请咨询师联系我", "不用了，谢谢"], 1),
        ("Yes", ["Yes, ask a counsellor to contact me", "No, thank you"], 0),
        ("nope", ["Yes, ask a counsellor to contact me", "No, thank you"], 1),
    ],
)
def test_yes_and_no_typed_for_yes_no_buttons(text: str, labels: list[str], index: int) -> None:
    assert pick(text, labels, WORDS) == index


@pytest.mark.parametrize(
    ("text", "day"),
    [("周三", 2), ("星期三", 2), ("礼拜天", 6), ("Wednesday", 2), ("wed", 2), ("周日", 6)],
)
def test_weekdays(text: str, day: int) -> None:
    assert WORDS.weekday(text) == day


AGES = ["8–11 岁", "12–13 岁", "14–15 岁", "16–17 岁", "不想说"]


@pytest.mark.parametrize(
    ("text", "index"),
    [("12", 1), ("12岁", 1), ("我十二岁", 1), ("十五", 2), ("I'm 16", 3), ("9 years old", 0)],
)
def test_an_age_typed_falls_in_its_band(text: str, index: int) -> None:
    assert pick_age(text, AGES) == index


@pytest.mark.parametrize("text", ["20", "5岁", "不知道"])
def test_an_age_outside_every_band_picks_none(text: str) -> None:
    assert pick_age(text, AGES) is None


@pytest.mark.parametrize(
    ("text", "weeks"),
    [
        ("两周", 2),
        ("1 周", 1),
        ("一个星期", 1),
        ("4个礼拜", 4),
        ("一个月", 4),
        ("2 weeks", 2),
        ("a week", 1),
        ("One month", 4),
        ("2", 2),
    ],
)
def test_lengths_of_a_pause(text: str, weeks: int) -> None:
    assert WORDS.weeks_of(text) == weeks


@pytest.mark.parametrize("text", ["周", "周一", "weeks", "好久", "some weeks"])
def test_not_lengths(text: str) -> None:
    assert WORDS.weeks_of(text) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("中文", "zh_Hans"),
        ("汉语", "zh_Hans"),
        ("Chinese", "zh_Hans"),
        ("英文", "en"),
        ("English!", "en"),
    ],
)
def test_languages_typed(text: str, code: str) -> None:
    assert WORDS.language(text) == code
    assert WORDS.language("法语") is None
