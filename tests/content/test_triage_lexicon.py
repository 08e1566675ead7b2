"""The triage lexicon as shipped, and the loader's answer to a broken one."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalog.triage import TRIAGE_DIR, TriageContentError, load_lexicon, load_triager
from bot.domain.triage import Category, RiskLevel
from content import CONTENT_DIR
from tests import shipped
from tests.content.samples import GOOD_RULE, lexicon_dir

LEXICON = load_lexicon(CONTENT_DIR)


def test_the_shipped_lexicon_compiles() -> None:
    triager = shipped.triager()
    assert triager.classify("我不想活了").level is RiskLevel.HIGH
    assert "zh@" in LEXICON.version
    assert "en@" in LEXICON.version


def test_every_file_has_a_header_and_a_version() -> None:
    for path in sorted((CONTENT_DIR / TRIAGE_DIR).glob("*.yaml")):
        text = path.read_text("utf-8")
        assert text.startswith("#"), f"{path.name}: start with a comment telling how to edit it"
        assert "\nversion:" in text, path.name
    assert (CONTENT_DIR / TRIAGE_DIR / "README.md").is_file()


@pytest.mark.parametrize("category", list(Category))
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_category_has_rules_in_both_languages(category: Category, language: str) -> None:
    ids = [r.id for r in LEXICON.rules if r.category is category]
    assert any(i.startswith(f"{language}-") for i in ids), (category, ids)


def test_every_level_below_none_is_used() -> None:
    used = {r.level for r in LEXICON.rules}
    assert used == {RiskLevel.CRITICAL, RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW}


def test_the_traditional_map_is_substantial_and_one_way() -> None:
    t2s = dict(LEXICON.t2s or {})
    assert len(t2s) > 3000
    assert t2s["殺"] == "杀" and t2s["經"] == "经" and t2s["麼"] == "么"
    # A Simplified character mapped again would change text that is already Simplified.
    assert not set(t2s) & set(t2s.values())


def test_a_minimal_lexicon_loads(tmp_path: Path) -> None:
    triager = load_triager(lexicon_dir(tmp_path, zh=GOOD_RULE))
    assert triager.classify("我 想 死").level is RiskLevel.HIGH


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rules: [\n  - id: x\n", "not valid YAML"),
        ("rules: []\n", "version"),
        ("version: v\nrulez: []\n", "unknown keys ['rulez']"),
        (GOOD_RULE.replace("suicide", "sucide"), "zh-test: unknown category 'sucide'"),
        (GOOD_RULE.replace("level: high", "level: severe"), "zh-test: `level` is 'severe'"),
        (GOOD_RULE.replace("level: high", "level: none"), "zh-test: `level` is 'none'"),
        (GOOD_RULE.replace("[想死]", "['  ']"), "zh-test: empty entry in `phrases`"),
        (GOOD_RULE.replace("[想死]", "[no]"), "zh-test: phrases entry False is not text"),
        (GOOD_RULE.replace("[想死]", "[想死, 想死]"), "zh-test: '想死' appears twice"),
        (GOOD_RULE.replace("phrases: [想死]", "patterns: ['(想死']"), "zh-test: pattern '(想死'"),
        (GOOD_RULE.replace("phrases: [想死]", "note: nothing"), "zh-test: has no phrases"),
        (GOOD_RULE.replace("id: zh-test", "id: Zh_Test"), "kebab-case `id`"),
        (
            GOOD_RULE.replace("    phrases", "    colour: red\n    phrases"),
            "unknown keys ['colour']",
        ),
        (
            GOOD_RULE + "boosters:\n  - {id: b, kind: soon, raises: [suicide], phrases: [今晚]}\n",
            "b: `kind` is 'soon'",
        ),
        (
            GOOD_RULE + "contexts:\n  - {id: c, cap: high, upto: low, phrases: [电影]}\n",
            "c: `cap` must be below `upto`",
        ),
        (GOOD_RULE + "t2s: ['殺杀 經']\n", "t2s entry '經' must be exactly two characters"),
    ],
)
def test_a_broken_file_is_named_with_the_rule(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(TriageContentError) as err:
        load_triager(lexicon_dir(tmp_path, zh=text))
    message = str(err.value)
    assert message.startswith(str(TRIAGE_DIR / "zh.yaml")), message
    assert expected in message, message


def test_a_duplicate_id_names_both_files(tmp_path: Path) -> None:
    with pytest.raises(TriageContentError) as err:
        load_triager(lexicon_dir(tmp_path, en=GOOD_RULE, zh=GOOD_RULE))
    assert "zh.yaml: zh-test: duplicate id (also in" in str(err.value)
    assert "en.yaml" in str(err.value)


def test_no_files_is_an_error(tmp_path: Path) -> None:
    (tmp_path / TRIAGE_DIR).mkdir(parents=True)
    with pytest.raises(TriageContentError, match="no lexicon files"):
        load_triager(tmp_path)
