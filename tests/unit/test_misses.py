"""Learning from misses, the pure parts: what a counsellor types after /missed, a relayed post
matched back to the person's messages, de-identification, and the maintainers' TSV and JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli.misses import HEADER, as_json, as_tsv
from bot.domain.lengths import MARK
from bot.domain.misses import Inbound, deidentify, match_relayed, parse_miss, week_of
from bot.domain.triage import Category, RiskLevel
from bot.services.misses import MissLine, count_weeks
from tests.triage import load_examples

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("typed", "level", "categories", "note"),
    [
        ("critical", RiskLevel.CRITICAL, (), ""),
        ("HIGH 她在告别", RiskLevel.HIGH, (), "她在告别"),
        ("危急 自杀 在交代后事", RiskLevel.CRITICAL, (Category.SUICIDE,), "在交代后事"),
        ("中 霸凌 欺凌 被同学孤立", RiskLevel.MEDIUM, (Category.BULLYING,), "被同学孤立"),
        ("高 self_harm", RiskLevel.HIGH, (Category.SELF_HARM,), ""),
    ],
)
def test_levels_in_both_languages_and_an_optional_category(
    typed: str, level: RiskLevel, categories: tuple[Category, ...], note: str
) -> None:
    words = parse_miss(typed)
    assert words is not None
    assert (words.level, words.categories, words.note) == (level, categories, note)


@pytest.mark.parametrize("typed", ["", "purple", "low", "none", "自杀 危急", "紫"])
def test_no_level_is_no_report(typed: str) -> None:
    assert parse_miss(typed) is None


def test_a_relayed_post_finds_its_messages_merged_and_cut() -> None:
    inbound = [
        Inbound(1, "我今晚就想自杀"),
        Inbound(2, "嗯"),
        Inbound(3, "我的猫以后就拜托你们了" * 3),
        Inbound(4, "嗯"),
    ]
    # A long message cut in two (the rest marked as going on) and a short one merged after it.
    head, rest = inbound[2].body[:10], inbound[2].body[10:]
    found = match_relayed([head + MARK, MARK + rest, "嗯"], inbound)
    assert [m.id for m in found] == [3, 4]  # a repeated word is the latest one
    assert match_relayed(["谁也没说过的话"], inbound) == []
    assert match_relayed([MARK, ""], inbound) == []


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ("我叫李小红，电话13812345678", ["我叫<NAME>", "<PHONE>"], ["李小红", "1381234"]),
        ("我的身份证是11010120080101123X", ["<ID>"], ["110101"]),
        ("加我QQ：123456789 或者 vx: abc_123456", ["QQ<QQ>", "vx<WECHAT>"], ["12345", "abc_"]),
        ("我在县一中读书，王老师总骂我", ["<SCHOOL>", "<NAME>老师"], ["县一中", "王"]),
        ("红旗小学的同学都欺负我", ["<SCHOOL>"], ["红旗"]),
        ("我家在王庄村3组", ["<PLACE>", "<ADDRESS>"], ["王庄", "3组"]),
        ("住在长治市潞州区12号楼", ["<PLACE><PLACE><ADDRESS>"], ["长治", "潞州", "12"]),
        ("My friend Tom said he will jump, mail a.b@c.com", ["<NAME>", "<EMAIL>"], ["Tom"]),
        ("my name is lily and i want to die", ["my name is <NAME>"], ["lily"]),
        ("find me @secret_kid or https://t.me/x", ["<HANDLE>", "<URL>"], ["secret", "t.me"]),
        ("我的学号是20230518", ["<NUMBER>"], ["2023"]),
        ("第一行\t第二行\n第三行", ["第一行 第二行 第三行"], ["\t", "\n"]),
    ],
)
def test_deidentify_hides_what_names_someone(text: str, kept: list[str], gone: list[str]) -> None:
    out = deidentify(text)
    for part in kept:
        assert part in out, out
    for part in gone:
        assert part not in out, out


@pytest.mark.parametrize(
    "text",
    [
        "老鼠药我已经买好了，放学回家就吃",
        "我不想去学校了，我们学校的人都讨厌我",
        "我坐在水库边上，脚已经放进水里了",
        "我在农村，爸妈在城市打工，我上小学三年级",
        "吃了40片安眠药",
        "I am so tired of everything. I'm done",
        "高中同学都不理我",
    ],
)
def test_deidentify_leaves_words_that_name_nobody(text: str) -> None:
    assert deidentify(text) == text


def _line(text: str, week: str = "2026-W49", given: str = "none") -> MissLine:
    return MissLine(week, text, "critical", given, ("suicide",), "red", "孩子<NAME>在告别")


def test_tsv_pastes_into_a_labelled_set(tmp_path: Path) -> None:
    since = datetime(2026, 9, 1, tzinfo=UTC)
    lines = [_line("我的猫以后就拜托你们了"), _line("老鼠药买好了", "2026-W50", "medium")]
    out = as_tsv(lines, since)
    rows = [x for x in out.splitlines() if not x.startswith("#")]
    assert rows[0] == HEADER == "text\tlevel\tcategories\ttag"
    assert rows[1:] == [
        "我的猫以后就拜托你们了\tcritical\tsuicide\tmissed",
        "老鼠药买好了\tcritical\tsuicide\tmissed",
    ]
    assert "# 2026-W49" in out and "# 2026-W50" in out and "# triage gave: medium" in out
    # The labelled sets' own reader takes it as it is.
    path = tmp_path / "missed.tsv"
    path.write_text(out, "utf-8")
    [first, second] = load_examples(path)
    assert first.level is RiskLevel.CRITICAL and first.categories == (Category.SUICIDE,)
    assert second.text == "老鼠药买好了" and second.tag == "missed"


def test_json_has_every_field_and_no_one() -> None:
    [row] = [json.loads(x) for x in as_json([_line("我的猫以后就拜托你们了")]).splitlines()]
    assert row == {
        "week": "2026-W49",
        "text": "我的猫以后就拜托你们了",
        "level": "critical",
        "given": "none",
        "categories": ["suicide"],
        "case_tier": "red",
        "note": "孩子<NAME>在告别",
    }


def test_weeks_are_counted_where_the_service_is_and_quiet_weeks_are_listed() -> None:
    since = datetime(2026, 11, 22, 16, tzinfo=UTC)  # Monday 2026-11-23 00:00 in Shanghai
    until = since + timedelta(days=21)
    # Sunday 23:30 UTC is already Monday in Shanghai: the next week.
    times = [datetime(2026, 11, 29, 23, 30, tzinfo=UTC), datetime(2026, 11, 24, tzinfo=UTC)]
    assert week_of(times[0], SHANGHAI) == "2026-W49"
    assert count_weeks(times, since, until, SHANGHAI) == {
        "2026-W48": 1,
        "2026-W49": 1,
        "2026-W50": 0,
    }
