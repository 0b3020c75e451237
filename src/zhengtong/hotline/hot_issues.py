"""Hot issues: the matters many people raise about the same place in the same period.

A hot issue is a group of messages of one time window that share a *where* and
a *what*. The method is meant to be explained to the dispatcher who reads its
output, so every step is a plain rule; the weights are named constants below.

**Messages.** A copy of a message (same title, same second) and a repeat by the
same author (same title) join the first one: both keys are listed, but they
count as one message and add no support of their own, because one person
sending a text again is not a second voice.

**Where.** Places are read from the text coarse to fine, the way Chinese
addresses are written: anonymised divisions (``A市``, ``A5区``, ``C3县``), named
districts, towns and streets (``…区``, ``…县``, ``…街道``, ``…镇``, ``…乡``),
roads (``…路``, ``…街``, ``…大道``, ``…巷``) and sites, the sub-locality that
matters most: estates, buildings, villages, schools, hospitals, companies,
markets (``…小区``, ``…花园``, ``…城``, ``…苑``, ``…村``, ``…学院``, ``…公司``
…, see ``SITE_SUFFIXES``). A place phrase starts at a clause, after a division
or after a lead-in such as 反映; it is the longest stretch of at most
``MAX_PLACE_CHARS`` characters, free of function words and of the words a
complaint starts with, that ends in a place suffix, and it is cut after its
districts, towns and roads: ``劳动东路魅力之城小区`` gives the road ``劳动东路``
and the site ``魅力之城小区``. Characters work better than words here, since
the word cutter glues an unknown estate name to what follows (``魅力之城楼板``
→ ``城楼``). A site's key drops a generic ``小区`` and phase words (``二期``).
A message's *spot* is the finest place of its title (site, else road, else
town); else a site of the window's titles that the title names without a
suffix; else the site its body names most often. The ``place`` the application
already resolved comes before the text. Its district and city are the first
the resolved place, the title or the body names (the body only by code: free
text has too many words that end in 区). Two spots of one level where one key
contains the other (``万科魅力之城`` and ``魅力之城``, ``星沙四区凉塘路`` and
``凉塘路``) are the same place.

**What.** The words of the title (counted ``TITLE_WEIGHT`` times) and of the
body, cut and tagged by rjieba, without the message's own place names, stop
words and words that are not nouns, verbs, adjectives or idioms, plus the
title's character pairs (which catch names the cutter does not know, such as
车贷), weighted by TF-IDF over the window (sublinear term frequency, smoothed
IDF, unit length). A name the cutter does not know but the window's titles
use as one (a guessed word that always comes with the same neighbours, grown
by them: 车贷 after 58 gives 58车贷, a lending platform) counts ``NAME_WEIGHT``
times in every title that holds it, so that messages about the same platform
or firm find each other however else they are worded. Two messages say the
same thing to the degree of the cosine of their vectors.

**Cluster.** The similarity of two messages is the cosine of their *what* plus
a bonus for a shared place: ``SAME_SITE_BONUS`` for the same site,
``SAME_SPOT_BONUS`` for the same road or town, else ``SAME_DISTRICT_BONUS`` for
the same district. It is zero when they name different spots of one level,
different districts or different cities: "油烟扰民" in two estates is two
issues. Messages join by average linkage while the mean similarity between two
groups is at least ``LINK_THRESHOLD``, so the same estate needs a shared theme
(mean cosine ≥ 0.08, where unrelated complaints about one estate measure about
0.01 on the real data), the same road ≥ 0.15, the same district ≥ 0.25 and no
shared place ≥ 0.5, a nearly identical message. Average linkage runs inside
the connected components of the graph of pairs at least that similar, which
hold every such group and keep the work small.

**Heat.** ``heat = (people + ½·(messages − people) + 1.5·ln(1 + supporters +
0.3·opposers)) · (1 + ½·max(growth, 0))``. A person counts fully and a second
message from the same person half (people are distinct authors where authors
are known, otherwise messages). Support counts on a log scale: a thousand 点赞
are many more concerned people than one, but fewer than a thousand letters.
An opposer has also read and cared, so counts a little. ``growth`` compares
the message rate in the last quarter of the window with the rate before it:
``(recent − earlier) / (recent + earlier)``, from −1 (all earlier) through 0
(steady) to +1 (all recent); a growing issue is up to half again as hot.

**Label.** The issue's place is the spot at least half of its messages share
(the most used name of it), under the district (or city) they name most; its
keywords are the words most of its titles contain, weighted by rarity, in the
order the titles use them: ``A5区魅力之城小区 商铺油烟扰民``. A word the cutter
guessed (one not in its dictionary) is a piece of a name it does not know
when most titles holding it cut it otherwise (穿长 of 下穿长浏高速), and is
left out; else it grows by the character that comes with it in nine tenths
of the titles, so 贷案 is shown as 58车贷案.

**Alerts.** ``heat_jumps`` pairs each current issue with the previous issue
that shares most messages or, failing that, has the same place and a keyword
in common, and reports it when its heat is at least ``ratio`` times the
previous heat and at least ``minimum``. An issue with no previous match is
compared with the heat of one lone message, ``LONE_MESSAGE_HEAT``.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import rjieba
from scipy import sparse
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse.csgraph import connected_components


@dataclass(frozen=True, slots=True)
class MessageForMining:
    """One citizen message as the miner needs it."""

    key: str
    title: str
    body: str
    created_at: datetime
    supporters: int = 0
    opposers: int = 0
    # A place text the application has already resolved (district, street), if any.
    place: str = ""
    # Who wrote it, when known: distinct people weigh more than repeated messages.
    author: str = ""


@dataclass(frozen=True, slots=True)
class HotIssue:
    """A group of messages about the same matter at the same place."""

    label: str
    place: str
    keywords: tuple[str, ...]
    first_at: datetime
    last_at: datetime
    message_keys: tuple[str, ...]
    heat: float
    # Distinct messages: a message posted twice counts once (both keys are listed).
    message_count: int
    supporters: int
    growth: float


# Place levels, coarse to fine.
PROVINCE, CITY, DISTRICT, TOWN, ROAD, SITE = range(6)


# A note's finest place: (level, key).
Spot = tuple[int, str]


@dataclass(frozen=True, slots=True)
class Place:
    """A place named in a text: its level, the words as written and a key to match on."""

    level: int
    name: str
    key: str


# How a place phrase ends, by level: sites (estates, buildings, villages, schools,
# hospitals, companies, markets …), roads and towns.
_SITE_SUFFIX_TEXT = (
    "小区 花园 家园 公寓 大厦 广场 中心 新村 社区 新城 山庄 公馆 华庭 国际 公元 半岛"
    " 学校 学院 大学 中学 小学 幼儿园 医院 卫生院 公司 集团 工厂 市场 商场 超市 公园"
    " 车站 机场 楼盘 银行 村 城 苑 园 府 湾 邸 厂 寓 居 阁 岛"
)
SITE_SUFFIXES = tuple(_SITE_SUFFIX_TEXT.split())
ROAD_SUFFIXES = ("大道", "路", "街", "巷")
TOWN_SUFFIXES = ("街道", "镇", "乡")
# Town, road and district ends inside a longer phrase, and the level they close.
_INNER_ENDS = {
    "街道": TOWN,
    "大道": ROAD,
    "镇": TOWN,
    "乡": TOWN,
    "路": ROAD,
    "街": ROAD,
    "巷": ROAD,
    "区": DISTRICT,
    "县": DISTRICT,
}
_INNER_END = re.compile("|".join(_INNER_ENDS))
_NAMED_DISTRICT = re.compile(r"[\u4e00-\u9fff]{2,4}[区县]")
# Words ending in 区 or 县 that are not districts.
_NOT_DISTRICT_TEXT = (
    "小区 社区 城区 景区 园区 校区 片区 山区 市区 郊区 街区 辖区 老区 厂区 矿区 营区"
    " 病区 库区 湖区 一区 二区 三区 四区 五区 六区 七区 八区 九区 十区 东区 西区 南区"
    " 北区 中区 县城"
)
_NOT_DISTRICTS = tuple(_NOT_DISTRICT_TEXT.split())
# Words ending in a place suffix that are not places themselves.
_NOT_PLACE_TEXT = (
    "小区 社区 新城 城区 城市 县城 农村 乡村 村里 本村 该村 全村 道路 马路 公路 水泥路"
    " 街道 大街 公司 物业公司 开发公司 公园 学校 学院 大学 中学 小学 幼儿园 医院 市场"
    " 菜市场 商场 超市 工厂 厂 苑 园 府 湾 城 村 居 阁 岛 家园 花园 广场 中心 国际 集团"
    " 楼盘 新村 车站 机场 政府 市政府 区政府 县政府 镇政府 乡政府 政务中心 服务中心"
    " 社区医院 老小区 老旧小区 该小区 本小区 我们小区 我小区 整个小区 职工小区 安置小区"
    " 商品房小区 小区内 校园 动物园 游乐园 旧城 老城 城管 长城 进城 回城 全城 满城"
    " 新城区 老城区 卫生院 邻居 入住 民居"
)
NOT_PLACES = frozenset(_NOT_PLACE_TEXT.split())
# Ends that make a generic word of a phrase (星沙农村 of 星沙农村商业银行 is no village).
_NOT_PLACE_ENDS = ("农村", "乡村", "城区", "市区", "山区", "郊区", "政府")
# Anonymised divisions in the data (A市, A5区, C3县; 西地省 is its anonymised province).
_CODE = re.compile(r"[A-Z][0-9]{0,2}[省市区县]|西地省")
_CODE_LEVEL = {"省": PROVINCE, "市": CITY, "区": DISTRICT, "县": DISTRICT}
# Characters and words that end a place phrase: function words, punctuation,
# digits, and the words a complaint starts with.
_STOP_CHARS = frozenset(
    "的和与及在对被把是有等里内旁边从给让为了吗呢吧啊也很就又还但却这那"
    "，。！？、；：,.!?;:()（）【】[]\"'“”‘’《》 \t\r\n…—-/·~～0123456789０１２３４５６７８９"
)
_STOP_WORD_TEXT = (
    "以东 以西 以南 以北 临街 沿街 街边 附近 周边 周围 对面 旁边 门口 楼下 楼上 一楼"
    " 底层 存在 进入 要求 强制 拒绝 没有 无法 不能 能否 何时 为何 如何 是否 经常 严重"
    " 违规 违法 私自 占用 开发商 物业 业主 居民 住户 村民 学生 家长 老师 问题 什么 怎么"
    " 多次 长期 至今 一直 目前 现在 已经 为什么 出现 发生 施工 噪音 扰民 投诉 反映 请求"
    " 建议 希望 咨询 举报 关于 请问 恳请 求助 再次 强烈 紧急 夜间 深夜 半夜 凌晨 晚上"
    " 白天 每天 不予 不给 不按 未按 迟迟 拖欠 乱收 收取 办理 申请 安装 修建 改造 拆迁"
    " 征收 政府 督促"
)
_LEAD_INS = ("反映", "关于", "投诉", "举报", "咨询", "请问", "建议", "希望", "请求", "恳请", "求助")
MAX_PLACE_CHARS = 14
# Where a place phrase must end: the first stop character, stop word or division.
_PHRASE_STOP = re.compile(
    "|".join(
        [
            "[" + re.escape("".join(sorted(_STOP_CHARS - {"有"}))) + "]",
            "有(?!限)",  # 有 ends a phrase, 有限公司 does not
            *map(re.escape, _STOP_WORD_TEXT.split()),
            _CODE.pattern,
        ]
    )
)
_SUFFIX_LAST_CHARS = frozenset(
    suffix[-1] for suffix in ("区", "县", *SITE_SUFFIXES, *ROAD_SUFFIXES, *TOWN_SUFFIXES)
)
# Generic ends a site key drops: 魅力之城小区 and 魅力之城 are one site, so are 桃花苑二期
# and 桃花苑.
_SITE_KEY_TAIL = re.compile(r"(?:小区|社区)?(?:[一二三四五六七八九十0-9]+期)?$")
# Shorter keys are too often words (花园, 新城) to say that two names are one place.
_MIN_KEY_CHARS = 3

# Similarity (see "Cluster" in the module docstring).
SAME_SITE_BONUS = 0.42
SAME_SPOT_BONUS = 0.35
SAME_DISTRICT_BONUS = 0.25
LINK_THRESHOLD = 0.5
TITLE_WEIGHT = 3
PAIR_WEIGHT = 1
# A name the word cutter does not know (58车贷), shared by titles, counts as two title words.
NAME_WEIGHT = 2 * TITLE_WEIGHT
# Heat (see "Heat" in the module docstring).
REPEAT_WEIGHT = 0.5
SUPPORT_WEIGHT = 1.5
OPPOSER_WEIGHT = 0.3
GROWTH_WEIGHT = 0.5
RECENT_SHARE = 0.25
# The heat of one message nobody supported: the baseline of a new issue's jump.
LONE_MESSAGE_HEAT = 1.0
KEYWORDS = 3

# Words that say nothing about what the matter is.
_STOPWORD_TEXT = (
    "反映 问题 请问 希望 领导 政府 相关 部门 您好 你好 尊敬 谢谢 感谢 市民 我们 你们"
    " 他们 没有 进行 情况 要求 解决 处理 什么 怎么 如何 为什么 是否 可以 能否 能够 这个"
    " 那个 这些 那些 这样 那样 已经 一直 目前 现在 还是 但是 因为 所以 如果 就是 而且"
    " 并且 以及 或者 不是 一个 一些 自己 大家 本人 以上 以下 其中 其他 其它 此事 此外"
    " 另外 关于 对于 由于 通过 及时 尽快 有关 有关部门 相关部门 工作 工作人员 时候 时间"
    " 多次 很多 非常 严重 得到 出现 发生 存在 导致 造成 需要 应该 必须 可能 恳请 请求"
    " 建议 咨询 投诉 举报 强烈 呼吁 真的 一下 之后 以后 之前 以前 今年 去年 明年 今天"
    " 每天 这里 那里 哪里 为何 何时 给予 予以 帮助 回复 答复 落实 关注 重视 解答 感谢您"
    " 辛苦 百姓 老百姓 群众 居民 业主 市长 书记 坚决 问问 疑惑 何年何月 进一步 信箱 留言"
    " 网友 特此 谁来管 谁管"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
# Word classes that can say what a matter is: nouns, verbs, adjectives, idioms,
# abbreviations; not adverbs, pronouns, numbers, times or positions such as 附近,
# which jieba tags d, r, m, t and f.
_CONTENT_TAGS = frozenset("nvaijl")
# Adjectives used as adverbs (正式 of 何时正式开放) and verbs used so (ad, vd):
# they say how, not what.
_MANNER_TAGS = frozenset(("ad", "vd"))
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_WORD = re.compile(r"^[\u4e00-\u9fff]{2,}$")


def places_in(text: str) -> list[Place]:
    """Find the places a text names, in the order written (divisions, towns, roads, sites)."""
    found: list[Place] = []
    for clause in _clauses(text):
        found.extend(_places_in_clause(clause))
    return found


def _clauses(text: str) -> list[str]:
    return [part for part in re.split(r"[，。！？；,.!?;\s]+", text) if part]


def _places_in_clause(clause: str) -> list[Place]:
    found: list[Place] = []
    starts = [0]
    for match in _CODE.finditer(clause):
        code = match.group()
        level = PROVINCE if code.endswith("省") else _CODE_LEVEL[code[-1]]
        found.append(Place(level, code, code))
        # "A8县市…" in the data: a 市 after a county code is not part of the next name.
        starts.append(match.end() + (code[-1] == "县" and clause.startswith("市", match.end())))
    if clause.startswith(_LEAD_INS):
        starts.append(next(len(lead) for lead in _LEAD_INS if clause.startswith(lead)))
    seen_end = -1
    for start in sorted(set(starts)):
        if start <= seen_end:
            continue
        pieces, end = _place_phrase(clause, start)
        if pieces:
            seen_end = end
            found.extend(pieces)
    found.sort(key=lambda place: clause.find(place.name))
    return found


def _place_phrase(clause: str, start: int) -> tuple[list[Place], int]:
    """The places of the longest stretch from ``start`` that ends in a place, and its end.

    The stretch holds no stop character or stop word and is at most
    ``MAX_PLACE_CHARS`` long; a stretch whose last piece is a generic word
    (农村, 政府 …) gives way to a shorter one.
    """
    limit = min(len(clause), start + MAX_PLACE_CHARS)
    stop = _PHRASE_STOP.search(clause, start, limit)
    end = stop.start() if stop else limit
    for cut in range(end, start + 1, -1):
        if clause[cut - 1] not in _SUFFIX_LAST_CHARS:
            continue
        head = clause[start:cut]
        level = _suffix_level(head)
        if level is None or (level == ROAD and clause.startswith("口", cut)):
            continue
        pieces = _split_phrase(head)
        if pieces and head.endswith(pieces[-1].name):
            return pieces, cut
    return [], start


def _suffix_level(text: str) -> int | None:
    if _NAMED_DISTRICT.fullmatch(text) and not text.endswith(_NOT_DISTRICTS):
        return DISTRICT
    if text.endswith(TOWN_SUFFIXES):
        return TOWN
    if text.endswith(ROAD_SUFFIXES):
        return ROAD
    if text.endswith(SITE_SUFFIXES):
        return SITE
    return None


def _split_phrase(phrase: str) -> list[Place]:
    """Cut a phrase after its towns and roads: 劳动东路魅力之城小区 → 劳动东路, 魅力之城小区."""
    pieces: list[Place] = []
    begin = 0
    for match in _INNER_END.finditer(phrase):
        end = match.end()
        if end - begin < 3 or end == len(phrase):
            continue
        if match.group() in ("区", "县") and _suffix_level(phrase[begin:end]) != DISTRICT:
            continue
        # A town or road name inside a longer phrase: cut after it.
        pieces.append(_place(phrase[begin:end], _INNER_ENDS[match.group()]))
        begin = end
    rest = phrase[begin:]
    # The phrase ends in a suffix, so the rest does too.
    pieces.append(_place(rest, _suffix_level(rest) or SITE))
    return [piece for piece in pieces if _is_place(piece)]


def _is_place(place: Place) -> bool:
    return (
        place.name not in NOT_PLACES
        and not place.name.endswith(_NOT_PLACE_ENDS)
        and len(place.key) >= 2
    )


def _place(name: str, level: int) -> Place:
    key = _SITE_KEY_TAIL.sub("", name) if level == SITE else name
    return Place(level, name, key or name)


def mine_hot_issues(
    messages: Sequence[MessageForMining],
    *,
    now: datetime | None = None,
    window: timedelta = timedelta(days=30),
    min_messages: int = 2,
    limit: int = 20,
) -> list[HotIssue]:
    """Group the messages of the window ending at ``now`` into issues, hottest first.

    ``now`` defaults to the newest message, so that replaying old messages
    behaves like a live run. Issues with fewer than ``min_messages`` distinct
    messages, or from fewer than two people, are left out.
    """
    if not messages:
        return []
    end = now if now is not None else max(message.created_at for message in messages)
    start = end - window
    notes = _merge_reposts([m for m in messages if start < m.created_at <= end])
    if not notes or len(notes) < min_messages:
        return []
    related = _locate(notes)
    vectors, idf = _what_vectors(notes)
    groups = [
        [notes[i] for i in group] for group in _clusters(notes, vectors, related, min_messages)
    ]
    # One person's messages, however many and however worded, are not an
    # issue: it takes at least two people raising the matter.
    issues = [
        _issue(group, idf, related, start=start, end=end)
        for group in groups
        if _people(group) >= min(MIN_PEOPLE, min_messages)
    ]
    issues.sort(key=lambda issue: (-issue.heat, issue.first_at, issue.message_keys))
    return issues[:limit]


def heat_jumps(
    previous: Sequence[HotIssue],
    current: Sequence[HotIssue],
    *,
    ratio: float = 2.0,
    minimum: float = 5.0,
) -> list[tuple[HotIssue, float]]:
    """Return the current issues whose heat rose at least ``ratio`` times, with the factor.

    Only issues at least ``minimum`` hot are reported, hottest first. An
    issue's earlier self is the previous issue that shares most of its
    messages, or else the hottest one at the same place with a keyword in
    common; a new issue is compared with the heat of one lone message.
    """
    jumps: list[tuple[HotIssue, float]] = []
    for issue in current:
        if issue.heat < minimum:
            continue
        before = _same_issue(issue, previous)
        factor = issue.heat / (before.heat if before is not None else LONE_MESSAGE_HEAT)
        if factor >= ratio:
            jumps.append((issue, factor))
    jumps.sort(key=lambda jump: -jump[0].heat)
    return jumps


def _same_issue(issue: HotIssue, previous: Sequence[HotIssue]) -> HotIssue | None:
    keys = set(issue.message_keys)
    best: HotIssue | None = None
    best_shared = 0
    for candidate in previous:
        shared = len(keys.intersection(candidate.message_keys))
        if shared > best_shared:
            best, best_shared = candidate, shared
    if best is not None:
        return best
    same_place = [
        candidate
        for candidate in previous
        if candidate.place == issue.place and set(candidate.keywords) & set(issue.keywords)
    ]
    return max(same_place, key=lambda candidate: candidate.heat, default=None)


@dataclass(slots=True)
class _Note:
    """One distinct message being mined: a repost adds its key to the first copy."""

    keys: list[str]
    title: str
    body: str
    created_at: datetime
    supporters: int
    opposers: int
    author: str
    resolved_place: str
    city: str = ""
    district: str = ""
    # The finest place the message is about: (level, key), and the names it goes by.
    spot: Spot | None = None
    spot_names: list[str] = field(default_factory=list)
    # Place names to take out of the text before reading its what.
    place_names: set[str] = field(default_factory=set)
    # The title without its place names, and its words.
    what_title: str = ""
    title_words: list[str] = field(default_factory=list)


def _merge_reposts(messages: Iterable[MessageForMining]) -> list[_Note]:
    """One note per distinct message: a copy (same title, same second) or a repeat (same
    author, same title) adds its key, and no support of its own, to the first one."""
    notes: list[_Note] = []
    seen: dict[tuple[str, object], _Note] = {}
    for message in sorted(messages, key=lambda m: (m.created_at, m.key)):
        title = " ".join(message.title.split())
        body = " ".join(message.body.split())
        text = re.sub(r"\W", "", title) or re.sub(r"\W", "", body)[:60]
        marks: list[tuple[str, object]] = [(text, message.created_at)]
        if message.author:
            marks.append((text, message.author))
        note = next((seen[mark] for mark in marks if mark in seen), None)
        if note is None:
            note = _Note(
                keys=[message.key],
                title=title,
                body=body,
                created_at=message.created_at,
                supporters=message.supporters,
                opposers=message.opposers,
                author=message.author,
                resolved_place=message.place,
            )
            notes.append(note)
        else:
            # A copy shows the same matter to the same readers: keep the larger count.
            note.keys.append(message.key)
            note.supporters = max(note.supporters, message.supporters)
            note.opposers = max(note.opposers, message.opposers)
        for mark in marks:
            seen.setdefault(mark, note)
    return notes


def _locate(notes: list[_Note]) -> set[tuple[Spot, Spot]]:
    """Set each note's city, district and spot (see "Where" in the module docstring).

    Returns the pairs of the window's spots that are one place, the longer name
    first (万科魅力之城, 魅力之城).
    """
    title_places = [places_in(note.title) for note in notes]
    resolved = [places_in(note.resolved_place) for note in notes]
    body_places = [places_in(note.body) for note in notes]
    gazetteer = {
        place.key
        for places in (*title_places, *resolved)
        for place in places
        if place.level == SITE and len(place.key) >= _MIN_KEY_CHARS
    }
    for note, in_title, in_resolved, in_body in zip(
        notes, title_places, resolved, body_places, strict=True
    ):
        # A body's named districts are too often words (建筑区 …): only its codes count.
        ordered = [*in_resolved, *in_title, *(p for p in in_body if _CODE.fullmatch(p.name))]
        note.city = next((p.key for p in ordered if p.level == CITY), "")
        note.district = next((p.key for p in ordered if p.level == DISTRICT), "")
        note.place_names = {p.name for p in (*in_resolved, *in_title)} | {
            p.name for p in in_body if p.level <= DISTRICT
        }
        spot = _spot(in_resolved + in_title) or _gazetteer_spot(note.title, gazetteer)
        if spot is None:
            counts = Counter(p.key for p in in_body if p.level == SITE)
            known = [(n, key) for key, n in counts.items() if key in gazetteer or n >= 2]
            if known:
                spot = (SITE, max(known)[1])
        note.spot = spot
        if spot is not None:
            names = [
                p.name
                for p in (*in_resolved, *in_title, *in_body)
                if p.level == spot[0] and p.key == spot[1]
            ]
            note.spot_names = names or [spot[1]]
            note.place_names.update(names)
            note.place_names.add(spot[1])
    return _related_spots({note.spot for note in notes if note.spot is not None})


def _related_spots(spots: set[Spot]) -> set[tuple[Spot, Spot]]:
    """Pairs of spots of one level where the first's key contains the second's.

    万科魅力之城 and 魅力之城 are one estate, 星沙四区凉塘路 and 凉塘路 one road.
    """
    return {
        (spot, (spot[0], spot[1][i:j]))
        for spot in spots
        for i in range(len(spot[1]))
        for j in range(i + _MIN_KEY_CHARS, len(spot[1]) + 1)
        if (i, j) != (0, len(spot[1])) and (spot[0], spot[1][i:j]) in spots
    }


def _spot(places: list[Place]) -> Spot | None:
    """The finest place in a list: a site before a road before a town, first named first."""
    for level in (SITE, ROAD, TOWN):
        for place in places:
            if place.level == level:
                return level, place.key
    return None


def _gazetteer_spot(title: str, gazetteer: set[str]) -> Spot | None:
    """A site of the window that a title names without a suffix (魅力之城 in 魅力之城楼板…)."""
    for length in range(MAX_PLACE_CHARS, _MIN_KEY_CHARS - 1, -1):
        for start in range(len(title) - length + 1):
            if title[start : start + length] in gazetteer:
                return SITE, title[start : start + length]
    return None


def _without_places(text: str, place_names: set[str]) -> str:
    for name in sorted(place_names, key=len, reverse=True):
        text = text.replace(name, " ")
    return _CODE.sub(" ", text)


def _words(text: str) -> list[str]:
    return [
        word
        for word, tag in rjieba.tag(text)
        if tag[:1] in _CONTENT_TAGS
        and tag not in _MANNER_TAGS
        and _WORD.match(word)
        and word not in STOPWORDS
    ]


def _pairs(text: str) -> list[str]:
    """Character pairs of a title: they catch names the word cutter does not know (58车贷)."""
    return [
        "#" + run[index : index + 2]
        for run in _HAN_RUN.findall(text)
        for index in range(len(run) - 1)
    ]


def _what_vectors(notes: list[_Note]) -> tuple[sparse.csr_matrix, dict[str, float]]:
    """TF-IDF vectors of the notes' what (rows of unit length) and the IDF of each word."""
    documents: list[Counter[str]] = []
    for note in notes:
        title = note.what_title = _without_places(note.title, note.place_names)
        note.title_words = _words(title)
        words = Counter(_words(_without_places(note.body, note.place_names)))
        for word in note.title_words:
            words[word] += TITLE_WEIGHT
        for pair in _pairs(title):
            words[pair] += PAIR_WEIGHT
        documents.append(words)
    names = _unknown_names(notes)
    for note, words in zip(notes, documents, strict=True):
        for name in names:
            if name in note.what_title:
                words["@" + name] += NAME_WEIGHT
    frequency: Counter[str] = Counter()
    for words in documents:
        frequency.update(words.keys())
    vocabulary = {word: index for index, word in enumerate(sorted(frequency))}
    total = len(documents)
    idf = {word: math.log((1 + total) / (1 + df)) + 1 for word, df in frequency.items()}
    rows: list[int] = []
    columns: list[int] = []
    values: list[float] = []
    for row, words in enumerate(documents):
        for word, count in words.items():
            rows.append(row)
            columns.append(vocabulary[word])
            values.append((1 + math.log(count)) * idf[word])
    matrix = sparse.csr_matrix(
        (np.array(values), (np.array(rows, dtype=np.int64), np.array(columns, dtype=np.int64))),
        shape=(total, max(len(vocabulary), 1)),
    )
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1 / norms) @ matrix, idf


def _clusters(
    notes: list[_Note], vectors: sparse.csr_matrix, related: set[tuple[Spot, Spot]], min_size: int
) -> list[list[int]]:
    """Average-linkage groups of notes, within the components of the strong-pair graph."""
    count = len(notes)
    spot_ids: dict[object, int] = {}
    spots = _ids([note.spot for note in notes], spot_ids)
    # Spot ids that are one place, as codes first * size + second, both ways.
    size = len(spot_ids) + 1
    related_codes = np.array(
        sorted(spot_ids[a] * size + spot_ids[b] for pair in related for a, b in (pair, pair[::-1])),
        dtype=np.int64,
    )
    spot_levels = np.array([note.spot[0] if note.spot else -1 for note in notes])
    districts = _ids([note.district or None for note in notes])
    cities = _ids([note.city or None for note in notes])

    def adjusted(first: np.ndarray, second: np.ndarray, cosine: np.ndarray) -> np.ndarray:
        same_spot = ((spots[first] == spots[second]) & (spots[first] >= 0)) | np.isin(
            spots[first] * size + spots[second], related_codes
        )
        same_district = (districts[first] == districts[second]) & (districts[first] >= 0)
        bonus = np.where(
            same_spot,
            np.where(spot_levels[first] == SITE, SAME_SITE_BONUS, SAME_SPOT_BONUS),
            np.where(same_district, SAME_DISTRICT_BONUS, 0.0),
        )
        clash = (
            ((spot_levels[first] == spot_levels[second]) & (spots[first] >= 0) & ~same_spot)
            | _differ(districts, first, second)
            | _differ(cities, first, second)
        )
        return np.where(clash, 0.0, cosine + bonus)

    lowest = LINK_THRESHOLD - SAME_SITE_BONUS
    pairs = (vectors @ vectors.T).tocoo()
    keep = (pairs.row < pairs.col) & (pairs.data >= lowest)
    first, second = pairs.row[keep], pairs.col[keep]
    strong = adjusted(first, second, pairs.data[keep]) >= LINK_THRESHOLD
    graph = sparse.coo_matrix(
        (np.ones(int(strong.sum())), (first[strong], second[strong])), shape=(count, count)
    )
    _, component_of = connected_components(graph, directed=False)
    members: dict[int, list[int]] = defaultdict(list)
    for index, component in enumerate(component_of.tolist()):
        members[component].append(index)
    groups: list[list[int]] = []
    top = 1 + SAME_SITE_BONUS
    for component in members.values():
        if len(component) < min_size:
            continue
        if len(component) <= 2:  # nothing to split (and linkage needs two or more)
            groups.append(component)
            continue
        positions = np.array(component)
        block = vectors[positions]
        cosine = np.asarray((block @ block.T).todense())
        rows, cols = np.triu_indices(len(component), k=1)
        similarity = adjusted(positions[rows], positions[cols], cosine[rows, cols])
        tree = linkage(np.clip(top - similarity, 0.0, None), method="average")
        labels = fcluster(tree, t=top - LINK_THRESHOLD + 1e-9, criterion="distance")
        by_label: dict[int, list[int]] = defaultdict(list)
        for position, label in enumerate(labels.tolist()):
            by_label[label].append(component[position])
        groups.extend(group for group in by_label.values() if len(group) >= min_size)
    return groups


def _ids(values: list[object], seen: dict[object, int] | None = None) -> np.ndarray:
    """Small integers for equal values, -1 for none; ``seen`` collects the numbering."""
    seen = {} if seen is None else seen
    return np.array([-1 if v is None else seen.setdefault(v, len(seen)) for v in values])


def _differ(ids: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    result: np.ndarray = (ids[first] >= 0) & (ids[second] >= 0) & (ids[first] != ids[second])
    return result


MIN_PEOPLE = 2


def _people(group: Sequence[_Note]) -> int:
    """Distinct authors, each message of unknown author counting as one more."""
    authors = {note.author for note in group if note.author}
    return len(authors) + sum(1 for note in group if not note.author)


def _issue(
    group: list[_Note],
    idf: dict[str, float],
    related: set[tuple[Spot, Spot]],
    *,
    start: datetime,
    end: datetime,
) -> HotIssue:
    group.sort(key=lambda note: (note.created_at, note.keys[0]))
    place = _issue_place(group, related)
    keywords = _keywords(group, idf, place)
    return _measured(
        group,
        label=f"{place} {''.join(keywords)}".strip(),
        place=place,
        keywords=keywords,
        start=start,
        end=end,
    )


def _measured(
    group: Sequence[_Note],
    *,
    label: str,
    place: str,
    keywords: tuple[str, ...],
    start: datetime,
    end: datetime,
) -> HotIssue:
    """The issue of these notes (sorted by time) with its counts, support, growth and heat."""
    count = len(group)
    people = _people(group)
    supporters = sum(note.supporters for note in group)
    opposers = sum(note.opposers for note in group)
    recent_from = end - (end - start) * RECENT_SHARE
    recent = sum(1 for note in group if note.created_at > recent_from) / RECENT_SHARE
    earlier = sum(1 for note in group if note.created_at <= recent_from) / (1 - RECENT_SHARE)
    growth = (recent - earlier) / (recent + earlier)
    heat = (
        people
        + REPEAT_WEIGHT * (count - people)
        + SUPPORT_WEIGHT * math.log1p(supporters + OPPOSER_WEIGHT * opposers)
    ) * (1 + GROWTH_WEIGHT * max(growth, 0.0))
    return HotIssue(
        label=label,
        place=place,
        keywords=keywords,
        first_at=group[0].created_at,
        last_at=group[-1].created_at,
        message_keys=tuple(key for note in group for key in note.keys),
        heat=round(heat, 3),
        message_count=count,
        supporters=supporters,
        growth=round(growth, 3),
    )


def issue_among(
    issue: HotIssue, messages: Iterable[MessageForMining], *, start: datetime, end: datetime
) -> HotIssue | None:
    """The issue as only its messages among ``messages`` make it, or None if it has none there.

    For an area's view of an issue mined over the whole city (a district
    leader's): the same matter, label and place, with the counts, support,
    growth and heat of the area's messages alone, over the window the issue
    was mined in (``start`` to ``end``).
    """
    keys = set(issue.message_keys)
    group = _merge_reposts(message for message in messages if message.key in keys)
    if not group:
        return None
    group.sort(key=lambda note: (note.created_at, note.keys[0]))
    return _measured(
        group,
        label=issue.label,
        place=issue.place,
        keywords=issue.keywords,
        start=start,
        end=end,
    )


def _issue_place(group: list[_Note], related: set[tuple[Spot, Spot]]) -> str:
    """The finest place at least half the group names, under its district (or city).

    A site counts for every note that names it or a longer form of it, so
    魅力之城小区 and 万科魅力之城 both count for 魅力之城.
    """
    districts = Counter(note.district for note in group if note.district)
    cities = Counter(note.city for note in group if note.city)
    area = (districts or cities).most_common(1)[0][0] if (districts or cities) else ""
    spots = Counter(note.spot for note in group if note.spot is not None)
    if not spots:
        return area

    def support(spot: Spot) -> tuple[int, int]:
        same = sum(
            1
            for note in group
            if note.spot == spot or (note.spot is not None and (note.spot, spot) in related)
        )
        return same, spots[spot]

    # The most used name among the sites at least half the group shares.
    shared = [spot for spot in spots if support(spot)[0] * 2 >= len(group)]
    if not shared:
        return area
    spot = max(shared, key=lambda spot: (spots[spot], len(spot[1])))
    names = Counter(name for note in group if note.spot == spot for name in note.spot_names)
    name = max(names.items(), key=lambda item: (item[1], len(item[0])))[0]
    return area + name if area and not name.startswith(area) else name


def _keywords(group: list[_Note], idf: dict[str, float], place: str) -> tuple[str, ...]:
    """The words most of the group's titles share, weighted by rarity, in title order.

    A word counts for every title that contains it, so 油烟 also counts for 油烟味;
    a word inside a chosen one (or around it) is not chosen again.
    """
    titles = [note.what_title for note in group]
    # A word the cutter guessed is shown as the whole word it is part of, or not at all.
    rarity: dict[str, float] = {}
    for word in {word for note in group for word in note.title_words}:
        shown = _label_word(word, titles, group)
        if shown is not None:
            rarity[shown] = max(rarity.get(shown, 0.0), idf[word])
    # A part of the place left in a title (梅溪湖 of 梅溪湖嘉顺苑) says where, not what.
    presence = {
        word: sum(1 for title in titles if word in title) for word in rarity if word not in place
    }
    ranked = sorted(presence, key=lambda word: (-presence[word] * math.sqrt(rarity[word]), word))
    if not ranked:
        return ()
    chosen: list[str] = []
    for word in ranked:
        if presence[word] < max(2, len(group) / 4) and chosen:
            break
        if any(word in other or other in word for other in chosen):
            continue
        chosen.append(word)
        if len(chosen) == KEYWORDS:
            break

    def position(word: str) -> float:
        found = [title.find(word) for title in titles if word in title]
        return sum(found) / len(found)

    return tuple(sorted(chosen, key=position))


# A guessed word grows to at most this many characters (广圣瑞生堂涉黄) before it is dropped.
MAX_GROWN_WORD_CHARS = 8
# A neighbour that comes with a word this often, in at least two titles, is part of it.
BOUND_SHARE = 0.9
_WORD_CHAR = re.compile(r"[\u4e00-\u9fff0-9A-Za-z]")


def _label_word(word: str, titles: list[str], group: list[_Note]) -> str | None:
    """How a title word is shown in a label, or ``None`` when it is a broken word.

    A dictionary word is shown as it is. A word the cutter guessed is a broken
    one when most titles that contain it cut it otherwise (穿长 of 下穿长永高速,
    cut 穿 · 长永 in as many titles), and it is grown while the same character comes
    before or after it in the titles (贷案 → 58车贷案), since a guessed word
    that never stands alone is the middle of a longer name.
    """
    if rjieba.has_word(word):
        return word
    holding = [note for note in group if word in note.what_title]
    cut_so = sum(1 for note in holding if word in note.title_words)
    if len(holding) > 1 and cut_so * 2 <= len(holding):
        return None
    return _fully_grown(word, titles)


def _grown(word: str, titles: list[str]) -> str:
    """``word`` with the character that nearly always comes before or after it, if any."""
    for before in (True, False):
        neighbours: Counter[str] = Counter()
        for title in titles:
            at = title.find(word)
            while at >= 0:
                index = at - 1 if before else at + len(word)
                inside = 0 <= index < len(title)
                neighbours[title[index] if inside else ""] += 1
                at = title.find(word, at + 1)
        if sum(neighbours.values()) < 2:
            return word
        char, count = neighbours.most_common(1)[0]
        if char and _WORD_CHAR.match(char) and count >= BOUND_SHARE * sum(neighbours.values()):
            return char + word if before else word + char
    return word


def _unknown_names(notes: list[_Note]) -> list[str]:
    """Names the word cutter does not know that the window's titles use (58车贷, 66金贷).

    A guessed word of two or more titles that nearly always comes with the
    same neighbours (车贷 after 58) is the piece of a name: the name is the word
    grown by them, as in a label (``_label_word``).
    """
    titles_holding: Counter[str] = Counter()
    for note in notes:
        titles_holding.update({word for word in note.title_words if not rjieba.has_word(word)})
    titles = [note.what_title for note in notes]
    names: set[str] = set()
    for word, count in titles_holding.items():
        if count < 2:
            continue
        holding = [title for title in titles if word in title]
        name = _fully_grown(word, holding)
        if name is not None and name != word:
            names.add(name)
    return sorted(names)


def _fully_grown(word: str, titles: list[str]) -> str | None:
    """``word`` grown while a neighbour comes with it, or ``None`` past the longest name."""
    while True:
        grown = _grown(word, titles)
        if grown == word:
            return word
        if len(grown) > MAX_GROWN_WORD_CHARS:
            return None
        word = grown
