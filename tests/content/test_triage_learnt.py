"""Lexicon families learnt from new writers: the three added in 2026-12 (county boarding-school
teens, children writing Chinese as a second language, learners of English) and the three after
them (children of 8–11 who disguise the words, English-speaking teenagers in algospeak, carers
writing about a child in dialect). Each family is pinned here with wording of its own, not the
labelled sets' lines, and with the everyday lines that share its words and must stay quiet.
The figures over the labelled sets are in tests/triage."""

from __future__ import annotations

import pytest

from bot.domain.triage import Category, RiskLevel, Triager
from tests import shipped

C, H, M = RiskLevel.CRITICAL, RiskLevel.HIGH, RiskLevel.MEDIUM
S, SH, A, D, SX, OT, B, ED = (
    Category.SUICIDE,
    Category.SELF_HARM,
    Category.ABUSE,
    Category.ACUTE_DISTRESS,
    Category.SEXUAL_ABUSE,
    Category.ONLINE_THREAT,
    Category.BULLYING,
    Category.EATING_DISORDER,
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


# The three writers after them (2026-12c): disguised words, algospeak, carers in dialect.
LEARNT_2026_12C = [
    # this year's words for dying, said of oneself
    ("真的好想噶 活着没劲", H, S),
    ("今晚就噶了 大家拜拜", C, S),
    ("我想亖 没人懂我", H, S),
    ("我想si 不骗你", H, S),
    ("想重开了 不是开玩笑", H, S),
    ("重开 今晚 天台", C, S),
    ("我准备去见太奶了 真的", H, S),
    ("我要去天上当天使了", H, S),
    ("明天是我的忌日", H, S),
    ("把我埋在外婆的坟旁边", H, S),
    # an act at home told by its signs
    ("我弟在房间里开了煤气 门反锁了 我闻到味道了", C, S),
    ("我儿子烧炭 现在人迷迷糊糊的", C, S),
    ("她在浴室里好久了 地上的水是红的", C, S),
    ("他昨晚在门框上吊了 绳子断了", C, S),
    ("妈妈的药瓶我拿了 我全吃了 头好晕", C, S),
    # danger now, told by a child or a carer
    ("我被几个人堵在厕所里 他们拿着棍子", C, D),
    ("我爸说不要我了 把我扔在汽车站 天黑了", C, D),
    ("孙子从家里跑了 说要去水库那边 电话打不通", C, D),
    ("她留了一封信 说对不起 现在人找不到了", C, D),
    ("我姐在掐我 我躲在柜子里", C, A),
    ("叫他后爸打得腿上都是血印子", H, A),
    # goodbyes told by what surrounds them
    ("他发了个朋友圈 就一张安眠药的照片", H, S),
    ("他说等我下班回来就见不到他了", H, S),
    ("我昨天差点就跳下去了", H, S),
    ("我把游戏存档送给表弟了 以后你们就知道了", H, S),
    ("孙女把衣服都送给了妹妹 还说谢谢奶奶这些年", H, S),
    # check-ins
    ("我们宿舍好几个人都在划 我也试了", M, SH),
    ("他们说再不交钱就揍我", M, B),
    # algospeak: ways out said sideways
    ("im about to jump.", H, S),
    ("might just walk into traffic on the way home", H, S),
    ("logging off forever, it was fun", H, S),
    ("wont be here to read the replies", H, S),
    ("if anyone finds this phone, tell my mom im sorry", H, S),
    ("see you on the other side guys", H, S),
    ("the void is calling again", H, S),
    ("this will be my last christmas", H, S),
    ("i kinda hope the bus doesnt stop for me", H, S),
    ("the plan i told you about is tonight", C, S),
    ("on the roof of the mall, its over", C, S),
    ("bridge tonight. bye", C, S),
    ("my friend texted shes on the roof rn and wont answer", H, S),
    # bleeding now, too much taken, danger now
    ("cutting rn and it wont stop", C, SH),
    ("the towel is soaked, i went deeper with the blade", C, SH),
    ("i took a lot and now i changed my mind", C, S),
    ("i think i od'd, i cant feel my legs", C, S),
    ("i swallowed a handful of whatever was in the medicine cabinet", C, S),
    ("my stepdad has the knife out pointing it at us", C, D),
    ("i purged all day and now i have chest pains", C, D),
    # threats and grooming
    ("come over tonight or he posts my pics", C, OT),
    ("my coach is forcing me to do stuff", H, SX),
    ("my sister is being groomed by a guy online", H, SX),
    # check-ins
    ("im running away tomorrow, dont tell anyone", M, D),
    ("some guy in a roblox server knows what school i go to", M, OT),
    ("collarbones finally showing, body check done", M, ED),
]


@pytest.mark.parametrize(("text", "level", "category"), LEARNT_2026_12C)
def test_the_families_learnt_from_three_more_writers_are_flagged(
    triager: Triager, text: str, level: RiskLevel, category: Category
) -> None:
    result = triager.classify(text)
    assert result.level.at_least(level), (text, result)
    assert category in result.categories, (text, result)


@pytest.mark.parametrize(
    "text",
    [
        # games, laughter and idioms with this year's words
        "被对面打野噶了五次 气死",
        "这个视频我要笑噶了",
        "笑亖我了 我爸学鸭子叫",
        "似乎不太对",
        "我想4点去踢球",
        "你要几个 我要4",
        "这关太难了 我要重开一局",
        "我的世界存档坏了 要重开",
        "差点去见太奶 跑了八百米",
        "我要去天上了 坐飞机去北京",
        "我今天跳楼梯 被老师说了",
        "我想吃烧烤想死了",
        "老师让我们写遗书 是生命教育课",
        # the families' words, everyday
        "开了煤气做饭 好香",
        "我在楼顶晒被子 风好大",
        "im about to jump in the pool",
        "im gonna jump on a call real quick",
        "walked into the road to get my ball back",
        "logging off for tonight, bye",
        "see you on the other side of exams",
        "my last birthday party was so fun",
        "i cut my finger cutting onions lol",
        "in biology we cut open a fish, blood everywhere",
        "my nosebleed went everywhere, blood everywhere lol",
        "i think i od'd on sugar at the party",
        "took a handful of sweets from the jar",
        "the plan is to meet at 5",
        "my dad says hes on the bridge, traffic is bad",
        "gave away all my old clothes to charity",
        "i want to die my hair blue",
        "i'm starving myself of sleep before exams",
        "this album slaps so hard i wanna die",
        "the way i would unalive for a pizza rn",
    ],
)
def test_everyday_lines_near_the_newest_families_are_not_alarms(
    triager: Triager, text: str
) -> None:
    result = triager.classify(text)
    assert not result.level.at_least(RiskLevel.HIGH), (text, result)
