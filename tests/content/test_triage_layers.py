"""The shipped lexicon's newer layers (issue 17 item 1): compositions, sounds, the eating,
grooming, neglect and relayed families, laughter and word boundaries, in both languages.

Each example names the behaviour it pins; the figures over the labelled sets are in
tests/triage."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.catalog.triage import SOUNDS_FILE, TRIAGE_DIR, TriageContentError, load_triager
from bot.domain.triage import Category, RiskLevel, Triager
from content import CONTENT_DIR
from tests import shipped
from tests.content.samples import GOOD_RULE, lexicon_dir

ROOT = CONTENT_DIR.parent


@pytest.fixture(scope="module")
def triager() -> Triager:
    return shipped.triager()


def _at_least(triager: Triager, text: str, level: RiskLevel, category: Category) -> None:
    result = triager.classify(text)
    assert result.level.at_least(level), (text, result)
    assert category in result.categories, (text, result)


def _below(triager: Triager, text: str, level: RiskLevel) -> None:
    result = triager.classify(text)
    assert not result.level.at_least(level), (text, result)


# --- compositions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "老鼠药我已经买好了，放学回家就吃",
        "药我都攒好了，今天晚上就用",
        "安眠药我偷偷攒了好久，今晚就",
        "i have been saving my pills for weeks, tonight is the night",
        "ive got the rope, after school today",
        "老鼠药我放书包里了 今晚就吃",
        "i have the knife from kitchen in my room, tonight i finish it",
        "i poured the 农药 in a cup. just looking at it now",  # mixed script
    ],
)
def test_means_time_and_the_first_person_are_critical(triager: Triager, text: str) -> None:
    _at_least(triager, text, RiskLevel.CRITICAL, Category.SUICIDE)


def test_means_hoarded_without_a_time_is_high(triager: Triager) -> None:
    _at_least(triager, "药我都攒好了", RiskLevel.HIGH, Category.SUICIDE)


@pytest.mark.parametrize(
    "text",
    [
        "感冒药我买好了，今天晚上就吃",
        "我今天晚上要吃药，医生开的",
        "my mum bought the pills for my cold, i take them tonight",
        "奶奶的药我帮她放好了，今晚记得提醒她吃",
    ],
)
def test_medicine_for_an_illness_is_no_composition(triager: Triager, text: str) -> None:
    _below(triager, text, RiskLevel.HIGH)


# --- sounds --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("我想紫砂", Category.SUICIDE),
        ("真的好想子杀", Category.SUICIDE),
        ("我要去似了", Category.SUICIDE),
        ("活着好累 想去似了", Category.SUICIDE),
        ("我又想资残了", Category.SELF_HARM),
    ],
)
def test_sound_alikes_are_matched_by_sound(
    triager: Triager, text: str, category: Category
) -> None:
    _at_least(triager, text, RiskLevel.HIGH, category)


@pytest.mark.parametrize(
    "text",
    [
        "我买了一个紫砂壶送给爷爷",
        "暑假我们要去四川玩",
        "我想四点去公园",
        "我想思考一下这道题",
        "我们俩长得很相似了",
        "电视剧里女主角吃药自杀了",  # the word itself: a mention in a frame, as before
    ],
)
def test_sounds_do_not_fire_on_everyday_words(triager: Triager, text: str) -> None:
    _below(triager, text, RiskLevel.MEDIUM)


@pytest.mark.slow
def test_the_sounds_table_is_what_the_generator_gives() -> None:
    pytest.importorskip("pypinyin")
    from bot.cli.triage_sounds import render

    shipped = (CONTENT_DIR / SOUNDS_FILE).read_text("utf-8")
    assert shipped == render(), "stale: run python -m bot triage sounds"


@pytest.mark.slow
def test_the_bot_never_imports_pypinyin() -> None:
    code = (
        "import sys\n"
        "from bot.catalog.triage import load_triager\n"
        "from content import CONTENT_DIR\n"
        "assert load_triager(CONTENT_DIR).classify('我想紫砂').level.value == 'high'\n"
        "assert 'pypinyin' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


# --- the missing families ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "level", "category"),
    [
        (
            "三天只吃了一个苹果，还是觉得自己太胖了，吃了就想吐",
            RiskLevel.HIGH,
            Category.EATING_DISORDER,
        ),
        ("吃完饭就去厕所抠喉咙 吐出来才不会胖", RiskLevel.HIGH, Category.EATING_DISORDER),
        ("我偷偷买了泻药 每天都吃", RiskLevel.HIGH, Category.EATING_DISORDER),
        ("我害怕吃饭 一吃就觉得会变胖", RiskLevel.MEDIUM, Category.EATING_DISORDER),
        (
            "i make myself throw up after dinner, nobody knows",
            RiskLevel.HIGH,
            Category.EATING_DISORDER,
        ),
        ("havent eaten in 4 days and lost 6 pounds", RiskLevel.HIGH, Category.EATING_DISORDER),
        (
            "i keep counting calories and feel guilty after every meal",
            RiskLevel.MEDIUM,
            Category.EATING_DISORDER,
        ),
        ("网上的哥哥让我拍照片给他，还说不能告诉大人", RiskLevel.HIGH, Category.SEXUAL_ABUSE),
        (
            "游戏里认识的叔叔送了我皮肤，说这是我们的秘密，让我别告诉妈妈",
            RiskLevel.HIGH,
            Category.SEXUAL_ABUSE,
        ),
        ("网友约我周末去他家见面", RiskLevel.HIGH, Category.ONLINE_THREAT),
        ("他说不给他钱就把我的照片发出去", RiskLevel.HIGH, Category.ONLINE_THREAT),
        (
            "a 20 yr old on discord keeps asking for pics and says he'll buy me robux",
            RiskLevel.HIGH,
            Category.SEXUAL_ABUSE,
        ),
        (
            "he said he'd leak my pics if i stop talking to him",
            RiskLevel.HIGH,
            Category.ONLINE_THREAT,
        ),
        ("我妈昨晚没回家，我一个人在家", RiskLevel.MEDIUM, Category.NEGLECT),
        ("每天晚上都是我一个人在家 爸妈在外地", RiskLevel.MEDIUM, Category.NEGLECT),
        (
            "my mom hasnt been home since tuesday and theres nothing in the fridge",
            RiskLevel.MEDIUM,
            Category.NEGLECT,
        ),
        ("外孙女说活着太累了，她想去找她妈妈", RiskLevel.HIGH, Category.SUICIDE),
        ("孙女说她妈妈去世了，她想去找妈妈", RiskLevel.HIGH, Category.SUICIDE),
        ("我孙子跟我说他不想活了", RiskLevel.HIGH, Category.SUICIDE),
        ("my grandson said he wants to die", RiskLevel.HIGH, Category.SUICIDE),
        (
            "my daughter keeps saying everyone would be better off without her",
            RiskLevel.HIGH,
            Category.SUICIDE,
        ),
        ("my grandson told me he will hang himself tonight", RiskLevel.CRITICAL, Category.SUICIDE),
    ],
)
def test_the_new_families_are_flagged(
    triager: Triager, text: str, level: RiskLevel, category: Category
) -> None:
    _at_least(triager, text, level, category)


@pytest.mark.parametrize(
    "text",
    [
        "我吃坏肚子了，吃了就想吐",
        "我们健康课讲了进食障碍 厌食症和暴食症有什么区别",
        "not starving myself, i just had a big lunch so no dinner",
        "今天看了个恐怖片 吓死我了 晚上不敢一个人睡",
        "娃儿说他们学校有个学生跳楼了是真的吗",
        "if i don't send the photos to my group project they'll be mad",
        "奶奶让我拍照片给她看看新衣服",
        "孙子说想去找妈妈，妈妈在外地打工",
    ],
)
def test_everyday_lines_near_the_new_families_are_not_flagged(triager: Triager, text: str) -> None:
    _below(triager, text, RiskLevel.HIGH)


# --- laughter ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("laughing", "plain"),
    [
        ("我想死哈哈哈", "我想死"),
        ("i want to die lol", "i want to die"),
        ("想自杀😂", "想自杀"),
        ("我不想活了哈哈", "我不想活了"),
        ("i want to kill myself lmao", "i want to kill myself"),
    ],
)
def test_laughter_never_lowers_a_disclosure(triager: Triager, laughing: str, plain: str) -> None:
    assert triager.classify(laughing).level is triager.classify(plain).level
    assert triager.classify(laughing).level.at_least(RiskLevel.HIGH)


def test_a_context_that_would_lower_a_disclosure_is_refused(tmp_path: Path) -> None:
    text = GOOD_RULE + "contexts:\n  - {id: laugh, cap: medium, upto: high, phrases: [哈哈]}\n"
    with pytest.raises(TriageContentError, match="laugh: `upto` must be medium or lower"):
        load_triager(lexicon_dir(tmp_path, zh=text))


# --- word boundaries -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "我要杀了我哥，他把我的薯片吃光了",
        "我要杀了我弟，他把我的乐高拆了😤",
        "我要杀了我室友 她把我最后一包泡面吃了",
        "我妈打我弟，我好害怕",
        "finished all my homework before dinner for once, proud of myself",
        "这是我最后一次玩蛋仔了 我妈说考完试才能玩",
        "周末回老家帮外公割麦子 手都磨红了",
        "我才不会去死呢 我还要长大当警察",
    ],
)
def test_words_inside_other_words_are_no_alarm(triager: Triager, text: str) -> None:
    _below(triager, text, RiskLevel.HIGH)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("他说要杀了我", Category.ABUSE),
        ("妈妈的男朋友在客厅拿着刀，说要杀了我们", Category.ABUSE),
        ("阿爸饮醉酒就打我同阿妈", Category.ABUSE),
        ("im going to off myself", Category.SUICIDE),
        ("这是我最后一次跟你们说话了", Category.SUICIDE),
    ],
)
def test_the_boundaries_keep_the_real_disclosures(
    triager: Triager, text: str, category: Category
) -> None:
    _at_least(triager, text, RiskLevel.HIGH, category)


# --- the loader's answer to broken compositions and sounds ---------------------------------

BOOSTERS = """
boosters:
  - {id: b-time, kind: time, raises: [suicide], phrases: [今晚]}
  - {id: b-self, kind: self, raises: [suicide], support_only: true, phrases: [我]}
"""


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "compositions:\n  - {id: c, category: suicide, level: critical, all: [time]}\n",
            "c: `all` is ['time']; expected two or more",
        ),
        (
            "compositions:\n  - {id: c, category: suicide, level: critical, all: [time, soon]}\n",
            "c: `all` is ['time', 'soon']",
        ),
        (
            "compositions:\n  - {id: c, category: suicide, level: critical, all: [time, ready]}\n",
            "c: no booster of kind ['ready'] in any file",
        ),
        (
            "compositions:\n  - {id: c, category: sucide, level: high, all: [time, self]}\n",
            "c: unknown category 'sucide'",
        ),
        (
            "compositions:\n"
            "  - {id: c, category: suicide, level: high, all: [time, self], x: 1}\n",
            "unknown keys ['x']",
        ),
        (
            "sounds: ['zi 自紫']\nrules:\n"
            "  - {id: s, category: suicide, level: high, sounds: ['zi sha 自杀']}\n",
            "s: sound 'zi sha 自杀'",
        ),
        ("sounds: ['zi 自a']\n", "'a' is not a Chinese character"),
        ("sounds: ['zi 自', 'zi 自']\n", "sounds lists '自' twice"),
        ("sounds: ['Zi 自']\n", "must be a toneless syllable"),
        (
            "exclusions:\n  - {id: e, sounds: ['zi sha 自杀']}\n",
            "unknown keys ['sounds'] in `exclusions`",
        ),
    ],
)
def test_a_broken_composition_or_sound_is_named(tmp_path: Path, extra: str, expected: str) -> None:
    text = GOOD_RULE + BOOSTERS + extra
    if extra.startswith("sounds:") and "\nrules:" in extra:
        # A second `rules:` key would be a YAML error: put the rule in a file of its own.
        sounds, rule = extra.split("\nrules:", 1)
        files = {"zh": GOOD_RULE + BOOSTERS, "zz": f"version: v\n{sounds}\nrules:{rule}"}
    else:
        files = {"zh": text}
    with pytest.raises(TriageContentError) as err:
        load_triager(lexicon_dir(tmp_path, **files))
    assert expected in str(err.value), str(err.value)


def test_the_compositions_file_is_where_reviewers_look() -> None:
    assert (CONTENT_DIR / TRIAGE_DIR / "compositions.yaml").is_file()
    readme = (CONTENT_DIR / TRIAGE_DIR / "README.md").read_text("utf-8")
    assert "## Compositions" in readme and "## Sounds" in readme


# --- emergencies that are not about feelings --------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "厨房着火了 好大的烟 出不去",
        "奶奶早上叫不醒了 怎么办",
        "房子塌了一角 爷爷被压着",
        "我弟掉进河里了",
        "有个不认识的叔叔拉着我要带我走",
        "our house is on fire and i cant get out",
        "my grandma wont wake up",
        "a man is trying to pull me into his car",
    ],
)
def test_an_emergency_is_critical(triager: Triager, text: str) -> None:
    _at_least(triager, text, RiskLevel.CRITICAL, Category.ACUTE_DISTRESS)


@pytest.mark.parametrize(
    "text",
    ["游戏里房子着火了", "我梦里掉进河里了", "动画片里房子塌了", "奶奶在睡午觉 我不敢吵醒她"],
)
def test_a_game_or_a_dream_is_no_emergency(triager: Triager, text: str) -> None:
    _below(triager, text, RiskLevel.MEDIUM)


@pytest.mark.parametrize(
    ("text", "level", "category"),
    [
        ("👨\u200d🦳🛏️❌🫁", RiskLevel.CRITICAL, Category.ACUTE_DISTRESS),
        ("🚪🔒🍺👊😰", RiskLevel.HIGH, Category.ABUSE),
    ],
)
def test_a_story_told_in_emoji_is_heard(
    triager: Triager, text: str, level: RiskLevel, category: Category
) -> None:
    _at_least(triager, text, level, category)


@pytest.mark.parametrize("text", ["👊 兄弟", "赢了👊😭太感人了", "💊", "🔪🍉"])
def test_a_lone_emoji_or_a_fist_bump_is_no_alarm(triager: Triager, text: str) -> None:
    _below(triager, text, RiskLevel.MEDIUM)
