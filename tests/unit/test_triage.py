"""Risk triage: normalisation, the rule mechanics on a tiny lexicon, and the real lexicon on
the everyday phrases it must leave alone."""

from __future__ import annotations

import json

import pytest

from bot.domain.triage import (
    Booster,
    Category,
    Composition,
    Context,
    Exclusion,
    Lexicon,
    LexiconError,
    Negation,
    RiskLevel,
    Rule,
    Terms,
    Triage,
    Triager,
    normalise,
)
from tests import shipped

T2S = {"殺": "杀", "經": "经", "藥": "药"}


@pytest.fixture(scope="module")
def real() -> Triager:
    return shipped.triager()


# --- normalisation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我 想 死", "我想死"),  # spaces between characters
        ("我　想　死", "我想死"),  # ideographic spaces
        ("自.杀", "自杀"),
        ("自-杀", "自杀"),
        ("自*杀", "自杀"),
        ("今-晚-就-自-杀", "今晚就自杀"),
        ("我，想，死", "我想死"),  # one character per clause is disguise
        ("我想死，你们别管我", "我想死,你们别管我"),  # a real clause keeps its comma
        ("自\u200b杀", "自杀"),  # zero-width space
        ("k\u200bil", "kil"),
        ("自殺", "自杀"),  # Traditional
        ("我已經吃了一瓶藥", "我已经吃了一瓶药"),
        ("ｋｉｌｌ", "kil"),  # full-width letters, then squeezed
        ("I WANT TO DIE", "i want to die"),
        ("diiiie", "die"),
        ("killlll myselfffff", "kil myself"),
        ("k i l l myself", "kil myself"),  # spelled out
        ("s.u.i.c.i.d.e", "suicide"),
        ("don't", "dont"),
        ("I’m", "im"),
        ("zì shā", "zi sha"),  # tone marks
        ("死死死死", "死死"),
        ("哈哈哈哈哈", "哈哈"),
        ("爸爸", "爸爸"),
        ("💊\ufe0f", "💊"),  # variation selector
        ("  a \t b  \n\n c ", "a b\nc"),
    ],
)
def test_normalise_undoes_each_disguise(text: str, expected: str) -> None:
    assert normalise(text, T2S) == expected


def test_normalise_of_nothing_is_empty() -> None:
    assert normalise("") == ""
    assert normalise("\u200b\u200d \ufeff") == ""


# --- mechanics on a tiny lexicon ---------------------------------------------------------------


def _terms(*phrases: str, patterns: tuple[str, ...] = (), pinyin: tuple[str, ...] = ()) -> Terms:
    return Terms(tuple(phrases), patterns, pinyin)


TINY = Lexicon(
    rules=(
        Rule("ideation", Category.SUICIDE, RiskLevel.HIGH, _terms("想死", "want to die")),
        Rule("mention", Category.SUICIDE, RiskLevel.MEDIUM, _terms("自杀")),
        Rule("pinyin", Category.SUICIDE, RiskLevel.HIGH, _terms(pinyin=("bu xiang huo le",))),
        Rule("hits", Category.ABUSE, RiskLevel.HIGH, _terms(patterns=(r"\bhits?\s+me\b",))),
        Rule("sad", Category.ACUTE_DISTRESS, RiskLevel.LOW, _terms("难过", "sad")),
    ),
    boosters=(
        Booster("time", "time", (Category.SUICIDE, Category.ABUSE), _terms("今晚", "tonight")),
        Booster("means", "means", (Category.SUICIDE,), _terms("💊", "pills"), support_only=True),
    ),
    exclusions=(Exclusion("miss-you", _terms(patterns=("想死你了",))),),
    contexts=(Context("film", _terms("电影", "movie"), cap=RiskLevel.LOW, upto=RiskLevel.MEDIUM),),
    negations=(Negation("neg", _terms("不", "never", patterns=(r"\bnot(\s+[a-z]+){0,2}",))),),
    t2s=T2S,
    version="tiny",
)


@pytest.fixture(scope="module")
def tiny() -> Triager:
    return Triager(TINY)


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("我想死", RiskLevel.HIGH),
        ("我 想 死", RiskLevel.HIGH),
        ("我今晚想死", RiskLevel.CRITICAL),  # a time booster raises high to critical
        ("I want to die tonight", RiskLevel.CRITICAL),
        ("我想死 💊", RiskLevel.HIGH),  # means alone never raises
        ("💊💊💊", RiskLevel.NONE),
        ("我想死你了", RiskLevel.NONE),  # the exclusion blanks the idiom
        ("我想死你了，今晚见", RiskLevel.NONE),
        ("我不想死", RiskLevel.MEDIUM),  # negated: one step down
        ("I would never want to die tonight", RiskLevel.MEDIUM),  # and no booster
        ("I'm not going to want to die", RiskLevel.MEDIUM),
        ("电影里有人自杀了", RiskLevel.LOW),  # a frame caps a mention
        ("电影看完我想死", RiskLevel.HIGH),  # but not a disclosure
        ("I want to die lol", RiskLevel.HIGH),  # laughter never lowers a disclosure
        ("I want to die tonight lol", RiskLevel.CRITICAL),
        ("he hits me lol", RiskLevel.HIGH),
        ("buxianghuole", RiskLevel.HIGH),
        ("bu4 xiang3 huo2 le", RiskLevel.HIGH),
        ("abu xiang huo le", RiskLevel.NONE),  # whole words only
        ("有点难过", RiskLevel.LOW),
        ("今晚吃什么", RiskLevel.NONE),
        ("", RiskLevel.NONE),
    ],
)
def test_levels_on_the_tiny_lexicon(tiny: Triager, text: str, level: RiskLevel) -> None:
    assert tiny.classify(text).level is level, tiny.classify(text)


def test_categories_and_evidence(tiny: Triager) -> None:
    result = tiny.classify("他今晚又 hits me，我想死，好难过 💊")
    assert result.level is RiskLevel.CRITICAL
    # Most severe first; among equals, in lexicon order.
    assert result.categories == (Category.SUICIDE, Category.ABUSE, Category.ACUTE_DISTRESS)
    assert {"hits me", "想死", "今晚", "难过", "💊"} <= set(result.matched)
    assert {"hits", "ideation", "time", "sad", "means"} <= set(result.rules)


def test_json_shape(tiny: Triager) -> None:
    data = tiny.classify("我今晚想死").to_json()
    assert set(data) == {"level", "categories", "matched"}
    assert data["level"] == "critical"
    assert data["categories"] == ["suicide"]
    assert data["matched"] == ["想死", "今晚"]
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert Triage(RiskLevel.NONE).to_json() == {"level": "none", "categories": [], "matched": []}


def test_levels_rank_and_compare() -> None:
    ordered = [RiskLevel.NONE, RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH, RiskLevel.CRITICAL]
    assert [level.rank for level in ordered] == [0, 1, 2, 3, 4]
    assert RiskLevel.HIGH.at_least(RiskLevel.MEDIUM)
    assert not RiskLevel.LOW.at_least(RiskLevel.MEDIUM)
    assert RiskLevel.highest([RiskLevel.LOW, RiskLevel.HIGH, RiskLevel.MEDIUM]) is RiskLevel.HIGH
    assert RiskLevel.highest([]) is RiskLevel.NONE
    assert RiskLevel.of_rank(9) is RiskLevel.CRITICAL


@pytest.mark.parametrize(
    ("terms", "problem"),
    [
        (_terms(patterns=("(unclosed",)), "(unclosed"),
        (_terms(patterns=("Kill",)), "lower case"),
        (_terms("   "), "empty"),
        (_terms(pinyin=("zi-sha!",)), "syllables"),
        (_terms(), "no phrases"),
    ],
)
def test_a_broken_item_is_named(terms: Terms, problem: str) -> None:
    lexicon = Lexicon(rules=(Rule("broken-rule", Category.SUICIDE, RiskLevel.HIGH, terms),))
    with pytest.raises(LexiconError) as err:
        Triager(lexicon)
    assert err.value.item_id == "broken-rule"
    assert problem in str(err.value)


def test_no_context_may_lower_a_disclosure() -> None:
    laugh = Context("laugh", _terms("lol"), cap=RiskLevel.MEDIUM, upto=RiskLevel.HIGH)
    with pytest.raises(LexiconError) as err:
        Triager(Lexicon(rules=TINY.rules, contexts=(laugh,)))
    assert err.value.item_id == "laugh"


def test_patterns_are_squeezed_like_the_text(tiny: Triager) -> None:
    lexicon = Lexicon(
        rules=(Rule("pills", Category.SUICIDE, RiskLevel.HIGH, _terms(patterns=(r"\bpills\b",))),)
    )
    assert Triager(lexicon).classify("PILLLLS").level is RiskLevel.HIGH


# --- the real lexicon --------------------------------------------------------------------------

EVERYDAY = [
    "笑死我了",
    "累死了",
    "热死了",
    "我想死你了",
    "气死我了",
    "饿死了",
    "烦死了",
    "困死了",
    "吓死我了",
    "死机了",
    "电脑又死机了",
    "冷得要死",
    "作业多到要死",
    "想死你了奶奶",
    "跳楼价大甩卖",
    "杀毒软件",
    "电影里主角死了",
    "我在游戏里被杀了",
    "我们在玩狼人杀",
    "晚上打我电话吧",
    "xiang si ni le",
    "笑 死 我 了",
    "熱死了",
    "this homework is killing me",
    "I'm dead lol",
    "my phone died",
    "she's killing it",
    "I'm dying to see it",
    "he died in the movie",
    "this cake is to die for",
    "I'm bored to death",
    "I almost died laughing",
    "killing time before class",
    "🔪",
    "💊💊💊",
]


@pytest.mark.parametrize("text", EVERYDAY)
def test_everyday_hyperbole_is_not_flagged(real: Triager, text: str) -> None:
    result = real.classify(text)
    assert not result.level.at_least(RiskLevel.MEDIUM), result


@pytest.mark.parametrize("text", ["新闻说那边发生了自杀式袭击", "suicide bombers in history"])
def test_news_is_low_at_most(real: Triager, text: str) -> None:
    assert not real.classify(text).level.at_least(RiskLevel.MEDIUM)


@pytest.mark.parametrize(
    "text",
    [
        "我不会自杀的",
        "我没有想过自杀",
        "我今晚不会自杀",
        "I would never kill myself",
        "I'm not going to kill myself tonight",
        "I'm not suicidal",
    ],
)
def test_negation_is_never_critical_but_still_checked(real: Triager, text: str) -> None:
    result = real.classify(text)
    assert result.level in (RiskLevel.MEDIUM, RiskLevel.HIGH), result


@pytest.mark.parametrize(
    ("text", "level", "category"),
    [
        ("我今晚就跳楼", RiskLevel.CRITICAL, Category.SUICIDE),
        ("I have the pills ready", RiskLevel.CRITICAL, Category.SUICIDE),
        ("he is hitting me right now", RiskLevel.CRITICAL, Category.ABUSE),
        ("我已经吃了一瓶药", RiskLevel.CRITICAL, Category.SUICIDE),
        ("我不想活了", RiskLevel.HIGH, Category.SUICIDE),
        ("I cut myself", RiskLevel.HIGH, Category.SELF_HARM),
        ("爸爸经常打我", RiskLevel.HIGH, Category.ABUSE),
        ("he touched me where he shouldn't", RiskLevel.HIGH, Category.SEXUAL_ABUSE),
        ("没人在乎我", RiskLevel.MEDIUM, Category.ACUTE_DISTRESS),
        ("没人给我做饭好几天了", RiskLevel.MEDIUM, Category.NEGLECT),
        ("有点难过", RiskLevel.LOW, Category.ACUTE_DISTRESS),
    ],
)
def test_the_examples_of_the_issue(
    real: Triager, text: str, level: RiskLevel, category: Category
) -> None:
    result = real.classify(text)
    assert result.level is level, result
    assert category in result.categories


# Indirect wording: a place or a means with a word that makes it final, euphemisms and
# homophones, guardians writing about a child, sextortion. Written for these tests, not
# taken from any evaluation file.
@pytest.mark.parametrize(
    ("text", "level", "category"),
    [
        ("我现在在楼顶上，你们以后不用找我了", RiskLevel.CRITICAL, Category.SUICIDE),
        ("人在江边，这次是真的", RiskLevel.CRITICAL, Category.SUICIDE),
        ("I'm at the bridge. sorry for everything", RiskLevel.CRITICAL, Category.SUICIDE),
        ("我把老鼠药倒进水里了，等下就喝", RiskLevel.CRITICAL, Category.SUICIDE),
        ("the noose is tied, tonight's the night", RiskLevel.CRITICAL, Category.SUICIDE),
        ("我把我的猫送给了邻居，今晚就结束吧", RiskLevel.CRITICAL, Category.SUICIDE),
        ("刚刚割得很深，血一直流，好晕", RiskLevel.CRITICAL, Category.SELF_HARM),
        (
            "my son says he took a load of pills and won't wake up",
            RiskLevel.CRITICAL,
            Category.SUICIDE,
        ),
        ("紫砂的想法又来了", RiskLevel.HIGH, Category.SUICIDE),
        ("寄了，想zs", RiskLevel.HIGH, Category.SUICIDE),
        ("要是我消失了，大家会不会轻松一点", RiskLevel.HIGH, Category.SUICIDE),
        ("ctb thoughts again", RiskLevel.HIGH, Category.SUICIDE),
        ("what's the most painless way to die", RiskLevel.HIGH, Category.SUICIDE),
        ("大腿上全是我自己划的疤", RiskLevel.HIGH, Category.SELF_HARM),
        ("继父晚上会偷偷进我房间", RiskLevel.HIGH, Category.SEXUAL_ABUSE),
        ("有人冒充我在群里发消息", RiskLevel.MEDIUM, Category.ONLINE_THREAT),
    ],
)
def test_indirect_wording_is_flagged(
    real: Triager, text: str, level: RiskLevel, category: Category
) -> None:
    result = real.classify(text)
    assert result.level is level, result
    assert category in result.categories


@pytest.mark.parametrize(
    "text",
    [
        "今晚去河边放烟花，不回来吃饭了",
        "站在桥上拍了好多照片，晚霞太美了",
        "体育课跳远我跳了三米",
        "把旧书都送给图书角了",
        "紫砂壶是我爷爷的宝贝",
        "人生第一次蹦极，从桥上跳下去的感觉太爽了",
        "这首歌叫《跳楼机》",
        "尴尬到想消失",
        "最后跟你说一句，明天记得带伞",
        "we're going to the bridge to watch fireworks tonight",
        "standing on the bridge watching boats, this time of year is great",
        "if you see this, like and subscribe",
        "we had a picnic by the river, the dog jumped in",
        "we did a suicide prevention assembly today",
        "goodbye letters for my year 6 leavers book",
    ],
)
def test_everyday_lines_near_the_indirect_wording_are_not_flagged(
    real: Triager, text: str
) -> None:
    result = real.classify(text)
    assert not result.level.at_least(RiskLevel.MEDIUM), result


# A guardian passing on what the child said or plans: the child's words in the third person,
# after a word of telling (issue 16, item 15). Written for these tests, not taken from any
# evaluation file; the first two are the issue's own examples.
@pytest.mark.parametrize(
    ("text", "level", "category"),
    [
        ("My grandson told me he will hang himself tonight", RiskLevel.CRITICAL, Category.SUICIDE),
        ("外孙女说活着太累了，她想去找她妈妈", RiskLevel.HIGH, Category.SUICIDE),
        ("my granddaughter said she is going to kill herself", RiskLevel.HIGH, Category.SUICIDE),
        ("he told us he'd hang himself if we sent him back", RiskLevel.HIGH, Category.SUICIDE),
        ("our boy texted me that he wants to end his life", RiskLevel.HIGH, Category.SUICIDE),
        ("she keeps saying she wishes she were dead", RiskLevel.HIGH, Category.SUICIDE),
        ("my boy says he doesn't want to live any more", RiskLevel.HIGH, Category.SUICIDE),
        (
            "my son told me he's going to jump off the bridge tonight",
            RiskLevel.CRITICAL,
            Category.SUICIDE,
        ),
        (
            "the kid said he thinks we'd be better off without him",
            RiskLevel.HIGH,
            Category.SUICIDE,
        ),
        ("my daughter told me she has been cutting herself", RiskLevel.HIGH, Category.SELF_HARM),
        ("孙子说如果他死了，大家就轻松了", RiskLevel.HIGH, Category.SUICIDE),
        ("孩子跟我说她活着好累，想去陪她奶奶", RiskLevel.HIGH, Category.SUICIDE),
        ("女儿哭着说她死了就好了", RiskLevel.HIGH, Category.SUICIDE),
        ("外孙昨晚告诉我，想去找他爸爸，活着太累", RiskLevel.HIGH, Category.SUICIDE),
        ("孙女说活着真累，今晚就去找她妈妈", RiskLevel.CRITICAL, Category.SUICIDE),
        ("孫女說活著太累了，她想去找她媽媽", RiskLevel.HIGH, Category.SUICIDE),
    ],
)
def test_relayed_statements_get_the_level_of_the_childs_own_words(
    real: Triager, text: str, level: RiskLevel, category: Category
) -> None:
    result = real.classify(text)
    assert result.level is level, result
    assert category in result.categories


@pytest.mark.parametrize(
    "text",
    [
        "外孙女说想去找她妈妈，她妈妈在广州打工",  # a left-behind child missing her mother
        "孙子说今天作业太多，累死了",
        "孩子说她想去陪奶奶过年",
        "he told me he would never hurt himself, so don't worry",
        "my grandson said he hurt himself playing football",
        "she said she is proud of herself for the exam",
        "my granddaughter told me she cut herself a slice of cake",
        "he said the movie was so good he watched it twice",
    ],
)
def test_everyday_relayed_lines_are_not_flagged(real: Triager, text: str) -> None:
    result = real.classify(text)
    assert not result.level.at_least(RiskLevel.MEDIUM), result


def test_a_third_person_hanging_is_at_least_a_check_in(real: Triager) -> None:
    """Without a word of telling, "he will hang himself" is like "he will kill himself"."""
    assert real.classify("I'm scared he will hang himself").level.at_least(RiskLevel.MEDIUM)


@pytest.mark.parametrize(
    "text",
    ["the radio said a farmer hanged himself last year", "she told me her uncle killed himself"],
)
def test_a_death_that_happened_is_not_a_relayed_plan(real: Triager, text: str) -> None:
    assert not real.classify(text).level.at_least(RiskLevel.HIGH)


# --- sounds and compositions, on a tiny lexicon of their own --------------------------------

SOUNDS = {
    "自": ("zi",),
    "紫": ("zi",),
    "子": ("zi",),
    "杀": ("sha",),
    "砂": ("sha",),
    "沙": ("sha",),
    "去": ("qu",),
    "死": ("si",),
    "似": ("shi", "si"),
    "四": ("si",),
    "了": ("le",),
    "川": ("chuan",),
}
HEARD = Lexicon(
    rules=(
        Rule("written", Category.SUICIDE, RiskLevel.MEDIUM, _terms("自杀")),
        Rule(
            "heard",
            Category.SUICIDE,
            RiskLevel.HIGH,
            Terms(sounds=("zi sha 自杀", "qu si le 去死了")),
        ),
    ),
    boosters=(
        Booster("time", "time", (Category.SUICIDE,), _terms("今晚", "tonight")),
        Booster("ready", "ready", (Category.SUICIDE,), _terms("攒好"), support_only=True),
        Booster("me", "self", (Category.SUICIDE,), _terms("我", "i"), support_only=True),
    ),
    exclusions=(Exclusion("teapot", _terms("紫砂壶")),),
    negations=(Negation("neg", _terms("不", "不想")),),
    compositions=(
        Composition(
            "ready-time-me", Category.SUICIDE, RiskLevel.CRITICAL, ("ready", "time", "self")
        ),
    ),
    sounds=SOUNDS,
)


@pytest.fixture(scope="module")
def heard() -> Triager:
    return Triager(HEARD)


@pytest.mark.parametrize(
    ("text", "level", "evidence"),
    [
        ("我想紫砂", RiskLevel.HIGH, "紫砂"),  # other characters, the same sound
        ("子 杀", RiskLevel.HIGH, "子杀"),  # after the disguise is undone
        ("我要去似了", RiskLevel.HIGH, "去似了"),  # 似's second reading
        ("我不想紫砂", RiskLevel.MEDIUM, "紫砂"),  # a negation lowers a sound like a word
        ("自杀", RiskLevel.MEDIUM, "自杀"),  # the word itself is the written rules' to judge
        ("我买了一个紫砂壶", RiskLevel.NONE, None),  # blanked before anything is read aloud
        ("我们去四川了", RiskLevel.NONE, None),  # qu si chuan: whole syllables in sequence
        ("紫x砂", RiskLevel.NONE, None),  # anything not Chinese is a wall
    ],
)
def test_sounds_match_other_characters_read_the_same(
    heard: Triager, text: str, level: RiskLevel, evidence: str | None
) -> None:
    result = heard.classify(text)
    assert result.level is level, result
    if evidence:
        assert evidence in result.matched


def test_a_sound_must_read_like_its_word() -> None:
    bad = Rule("bad", Category.SUICIDE, RiskLevel.HIGH, Terms(sounds=("zi si 自杀",)))
    with pytest.raises(LexiconError, match="reads '杀' as 'sha', not 'si'") as err:
        Triager(Lexicon(rules=(bad,), sounds=SOUNDS))
    assert err.value.item_id == "bad"
    alone = Rule("alone", Category.SUICIDE, RiskLevel.HIGH, Terms(sounds=("si 死",)))
    with pytest.raises(LexiconError, match="two syllables"):
        Triager(Lexicon(rules=(alone,), sounds=SOUNDS))
    with pytest.raises(LexiconError, match="no sounds table"):
        Triager(
            Lexicon(
                rules=(
                    Rule("x", Category.SUICIDE, RiskLevel.HIGH, Terms(sounds=("zi sha 自杀",))),
                )
            )
        )


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("药我都攒好了，今晚就用", RiskLevel.CRITICAL),  # ready + time + the first person
        ("药都攒好了，今晚就用", RiskLevel.NONE),  # whose? no first person
        ("药我都攒好了", RiskLevel.NONE),  # no time: this composition needs all three
        ("我今晚吃药", RiskLevel.NONE),
    ],
)
def test_a_composition_needs_every_kind(heard: Triager, text: str, level: RiskLevel) -> None:
    result = heard.classify(text)
    assert result.level is level, result
    if level is RiskLevel.CRITICAL:
        assert "ready-time-me" in result.rules
        assert "我" not in result.matched  # the first person is no evidence to show
