"""Lexicon families learnt from the three writers added in 2026-12 (county boarding-school
teens, children writing Chinese as a second language, learners of English): each is pinned
here with wording of its own, not the labelled sets' lines, and with the everyday lines that
share its words and must stay quiet. The figures over the labelled sets are in tests/triage."""

from __future__ import annotations

import pytest

from bot.domain.triage import Category, RiskLevel, Triager
from tests import shipped

C, H = RiskLevel.CRITICAL, RiskLevel.HIGH
S, SH, A, D, SX = (
    Category.SUICIDE,
    Category.SELF_HARM,
    Category.ABUSE,
    Category.ACUTE_DISTRESS,
    Category.SEXUAL_ABUSE,
)


@pytest.fixture(scope="module")
def triager() -> Triager:
    return shipped.triager()


@pytest.mark.parametrize(
    ("text", "level", "category"),
    [
        # means hoarded + a time, in the object-first order
        ("褪黑素攒了三十多颗 星期六回家就吃", C, S),
        ("wo ba yao dou zan qi lai le", H, S),
        # a poison or household chemical swallowed, named; an overdose by its amount
        ("我刚才喝了消毒液 嗓子好疼", C, S),
        ("老鼠药我吃了 半袋", C, S),
        ("吃了一板布洛芬 还有半瓶安眠药", C, S),
        ("I just drink some toilet cleaner, my mouth is burning", C, S),
        ("i take 30 sleeping pills already", C, S),
        # a body at an edge, or walking into water
        ("我站在阳台栏杆上 再往前一步就行", C, S),
        ("四楼的护栏外面我坐着 脚在晃", C, S),
        ("水库的水好深 我往中间走 走几步就好了", C, S),
        ("im on the bridge and i wont come back home", C, S),
        ("sitting at the edge of the roof, legs are hanging over", C, S),
        # burns and wounds in progress
        ("我把手按进滚水里了", C, SH),
        ("我割了 很深 肉都翻出来了", C, SH),
        # a relative relays a call from a height, with a sign that it is now
        ("我侄女打电话说她在天台上 然后电话就关机了", C, S),
        # days without food and the body giving way
        ("已经四天没吃东西了 刚才在宿舍晕倒了", C, D),
        ("I not eat for 4 days, I fall down at school and cant stand", C, D),
        # things given away with words that close a life off (the giving-farewell composition)
        ("我的游戏号送给同桌了 以后我不在了", H, S),
        ("我把存钱罐留给妹妹了 你们不要难过", H, S),
        ("I sent all my savings to my little brother. he will understand one day", H, S),
        # learners' ways of saying it
        ("how many floors is enough, I'm at 9 now", C, S),
        ("when you read this I will be in a better place", H, S),
        ("my mom say she will burn my hand if I lose the key again", H, A),
        ("my uncle came into my room and told me to keep quiet", H, SX),
    ],
)
def test_the_learnt_families_are_flagged(
    triager: Triager, text: str, level: RiskLevel, category: Category
) -> None:
    result = triager.classify(text)
    assert result.level.at_least(level), (text, result)
    assert category in result.categories, (text, result)


@pytest.mark.parametrize(
    "text",
    [
        # hyperbole stays none
        "这个题目好难啊 我想撞墙",
        "我要杀了我哥 他吃了我的辣条",
        "背课文背到想死",
        "我姐说再碰她的口红就打死我",
        "I want to die of embarrassment lol",
        "im gonna die if i hear that ad one more time",
        "电影里那个人从楼上跳下来 居然没事",
        "we saw a film where the boy jumps off the bridge to catch the train",
        # the words of the families, everyday
        "刀已经磨好了 爷爷说今天杀鸡",
        "i have a knife in my hand rn cutting watermelon",
        "药吃了 感冒好多了",
        "药吃了好多天了 还是咳嗽",
        "奶奶的降压药吃了一板了 要再去买",
        "我吃了一盒饼干 好困",
        "我坐在窗台上看书 一步也不想动",
        "我站在石头上钓鱼 往里走几步就是深水",
        "不小心手伸进开水里了 皮掉了一块",
        "烤红薯的皮都烧没了",
        "我弟把自己关在房间里打游戏 叫他也没声音",
        "饿了一天 有点心慌",
        "这是我这周最后一条消息了 明天手机要交给班主任",
        "我把旧衣服都送给表妹了 对不起没问你",
        "我把猫送给奶奶养了 因为我要去县城上学",
        "I gave all my old toys to my cousin",
        "i took my medicine, 2 pills, now my heart is fast because i drank coffee",
        "how high is enough for the basketball hoop?",
        "my dad said he will break my phone if I play more games",
        "I'm going to delete my game account, it's boring now, bye bye forever",
        "this homework makes me want to pull my hair out",
    ],
)
def test_everyday_lines_near_the_learnt_families_are_not_alarms(
    triager: Triager, text: str
) -> None:
    result = triager.classify(text)
    assert not result.level.at_least(RiskLevel.HIGH), (text, result)
