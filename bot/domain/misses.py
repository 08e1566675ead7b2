"""Learning from misses: a counsellor says a message deserved more than triage gave it.

Pure Python: the words a counsellor types (`/missed high 原话是在告别`), the matching of a
relayed post back to the person's messages, and the de-identification of a child's words
before they leave the database for whoever maintains the lexicon and the training data.

De-identification is best effort and errs towards removing too much: a placeholder costs the
training set a little, a name or a phone number left in costs a child their privacy. What it
finds: phone, ID, QQ and WeChat numbers, e-mail, links and @handles, any other run of five or
more digits, names said as names (我叫…, my name is …, a surname before 老师/同学/…, a
capitalised English word inside a sentence), schools and places whose name stands before a
school or place word (红旗小学, 县一中, 王庄村, 长治市). It cannot find a bare Chinese name
(小红说…): the maintainer reads each line before it goes into a training set.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.lengths import MARK
from bot.domain.triage import Category, RiskLevel

# The levels a miss can say a message should have had: `low` or `none` is never a miss.
LEVEL_WORDS: dict[str, RiskLevel] = {
    "critical": RiskLevel.CRITICAL,
    "crit": RiskLevel.CRITICAL,
    "high": RiskLevel.HIGH,
    "medium": RiskLevel.MEDIUM,
    "med": RiskLevel.MEDIUM,
    "危急": RiskLevel.CRITICAL,
    "紧急": RiskLevel.CRITICAL,
    "高": RiskLevel.HIGH,
    "中": RiskLevel.MEDIUM,
}
CATEGORY_WORDS: dict[str, Category] = {
    **{c.value: c for c in Category},
    "自杀": Category.SUICIDE,
    "自伤": Category.SELF_HARM,
    "自残": Category.SELF_HARM,
    "虐待": Category.ABUSE,
    "家暴": Category.ABUSE,
    "性侵": Category.SEXUAL_ABUSE,
    "性侵害": Category.SEXUAL_ABUSE,
    "欺凌": Category.BULLYING,
    "霸凌": Category.BULLYING,
    "忽视": Category.NEGLECT,
    "网络": Category.ONLINE_THREAT,
    "网络威胁": Category.ONLINE_THREAT,
    "情绪危机": Category.ACUTE_DISTRESS,
}
NOTE_LIMIT = 300  # characters of a counsellor's note kept with a miss


@dataclass(frozen=True, slots=True)
class MissWords:
    """What a counsellor typed after /missed."""

    level: RiskLevel
    categories: tuple[Category, ...]
    note: str


def parse_miss(args: str) -> MissWords | None:
    """`<level> [category…] [note]`; None when the first word is not a level."""
    words = args.split()
    if not words:
        return None
    level = LEVEL_WORDS.get(words[0].lower())
    if level is None:
        return None
    categories: list[Category] = []
    rest = words[1:]
    while rest and rest[0].lower() in CATEGORY_WORDS:
        found = CATEGORY_WORDS[rest.pop(0).lower()]
        if found not in categories:
            categories.append(found)
    return MissWords(level, tuple(categories), " ".join(rest)[:NOTE_LIMIT])


@dataclass(frozen=True, slots=True)
class Inbound:
    """One of the person's messages in a case, as the database has it."""

    id: int
    body: str


def _bare(piece: str) -> str:
    """A relayed piece without the marks that say it was cut (head…, …rest)."""
    return piece.strip().removeprefix(MARK).removesuffix(MARK).strip()


def match_relayed(lines: Sequence[str], inbound: Sequence[Inbound]) -> list[Inbound]:
    """The person's messages a relayed post carries, oldest first. A post may hold several
    messages (merged while the group's budget was tight) and a long message is cut into
    pieces: each piece belongs to the latest message that contains it."""
    found: dict[int, Inbound] = {}
    for line in lines:
        piece = _bare(line)
        if not piece:
            continue
        for message in reversed(inbound):
            if piece in message.body:
                found[message.id] = message
                break
    return sorted(found.values(), key=lambda m: m.id)


# -- de-identification ----------------------------------------------------------------------

_DIGIT = r"[0-9０-９]"
_ID = re.compile(
    rf"(?<!{_DIGIT}){_DIGIT}{{17}}[0-9０-９Xx]|(?<!{_DIGIT}){_DIGIT}{{15}}(?!{_DIGIT})"
)
_PHONE = re.compile(
    rf"(?<!{_DIGIT})(?:\+?86[- ]?)?1[3-9]{_DIGIT}(?:[- ]?{_DIGIT}{{4}}){{2}}(?!{_DIGIT})"
    rf"|(?<!{_DIGIT})0{_DIGIT}{{2,3}}-{_DIGIT}{{7,8}}(?!{_DIGIT})"
)
_QQ = re.compile(rf"(?i)(qq|扣扣|企鹅)(号|號)?\s*[:：是为]?\s*{_DIGIT}{{5,12}}")
_WECHAT = re.compile(
    r"(?i)(微信|威信|薇信|v信|vx|wx|wechat|weixin)(号|號)?\s*[:：是为]?\s*[a-z][-_a-z0-9]{5,19}"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_URL = re.compile(r"(?i)\b(https?://|www\.)\S+")
_HANDLE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{3,32}")
_NUMBER = re.compile(rf"{_DIGIT}{{5,}}")
_CALLED = re.compile(
    r"(我叫|我名字叫|我的名字叫|我的名字是|我名字是|名字叫|叫做)\s*(?![他她它你我人])[\u4e00-\u9fff]{2,3}"
)
_CALLED_EN = re.compile(r"(?i)\b(my name is|my name's|call me|i am called)\s+[A-Za-z][a-z'-]*")
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤"
)
_TITLED = re.compile(
    rf"(?!高中|高一|高二|高三|万一)[{SURNAMES}][\u4e00-\u9fff]{{0,2}}?"
    r"(?=老师|校长|主任|班主任|叔叔|阿姨|医生|警官|同学|哥哥|姐姐|爷爷|奶奶|大爷|大妈|老板)"
)
# An English name: a capitalised word after a lower-case word (not at a sentence's start).
_NAME_EN = re.compile(r"(?<=[a-z,] )(?!I\b|I'|OK\b|QQ\b|ID\b|TV\b)[A-Z][a-z]+")
# What stands before a school or place word and is not part of its name: a name is what
# follows the last of these (我在县一中 → 县一中; 我不想去学校 → nothing to hide).
_FUNCTION = set(
    "我你他她它们咱在去上到回是读念从离的了不想要跟和说就都也还很太又再被把给这那个今明昨天放学"
    "以前后里外边附近住家来自们哪啥么吗呢啊吧呀嘛对向往同所每某一有没别让叫能会"
)
_SCHOOL = re.compile(
    r"([\u4e00-\u9fff0-9]{1,8}?)"
    r"(实验学校|小学|中学|初中|高中|学校|职高|技校|中专|完小|[一二三四五六七八九十0-9]+中(?![午间旬心]))"
)
_PLACE = re.compile(r"([\u4e00-\u9fff]{1,8}?)(街道|小区|社区|村|镇|乡|县|省|市|区)")
_HOUSE = re.compile(rf"{_DIGIT}+(号楼|栋|幢|单元|室|号院|号|组)")


def _named(prefix: str) -> str:
    """The part of `prefix` that is a name: after its last function character."""
    for i in range(len(prefix) - 1, -1, -1):
        if prefix[i] in _FUNCTION:
            return prefix[i + 1 :]
    return prefix


def _school(m: re.Match[str]) -> str:
    prefix, word = m.group(1), m.group(2)
    name = _named(prefix)
    # 我们学校, 上小学 name nobody; 在一中 does (a county has one 一中).
    if not name and not word[0].isdigit() and word[0] not in "一二三四五六七八九十":
        return m.group(0)
    return prefix[: len(prefix) - len(name)] + "<SCHOOL>"


def _place(m: re.Match[str]) -> str:
    prefix = m.group(1)
    name = _named(prefix)
    if len(name) < 2:  # 农村, 城市, 超市, 山区: a kind of place, not one place
        return m.group(0)
    return prefix[: len(prefix) - len(name)] + "<PLACE>"


def deidentify(text: str) -> str:
    """`text` with what could name a person or a place replaced by placeholders; one line."""
    out = " ".join(text.split())  # tabs and line breaks would break a TSV row
    out = _URL.sub("<URL>", out)
    out = _EMAIL.sub("<EMAIL>", out)
    out = _QQ.sub(lambda m: m.group(1) + "<QQ>", out)
    out = _WECHAT.sub(lambda m: m.group(1) + "<WECHAT>", out)
    out = _ID.sub("<ID>", out)
    out = _PHONE.sub("<PHONE>", out)
    out = _NUMBER.sub("<NUMBER>", out)
    out = _HANDLE.sub("<HANDLE>", out)
    out = _CALLED.sub(lambda m: m.group(1) + "<NAME>", out)
    out = _CALLED_EN.sub(lambda m: m.group(1) + " <NAME>", out)
    out = _TITLED.sub("<NAME>", out)
    out = _NAME_EN.sub("<NAME>", out)
    out = _HOUSE.sub("<ADDRESS>", out)
    out = _SCHOOL.sub(_school, out)
    return _PLACE.sub(_place, out)


def week_of(at: datetime, tz: ZoneInfo) -> str:
    """The ISO week of a moment where the service is, like 2026-W49: when, but not the day."""
    year, week, _ = at.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"
