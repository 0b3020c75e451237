"""Finding a service item the way people ask for it.

People do not ask for "食品经营许可证核发"; they ask "开饭店要办什么". A query
is cut into words with rjieba, everyday phrasings are mapped to the official
terms through the ``INTENTS`` table below, and each item is scored by where
the words are found: the name counts most, then the item's own 俗称, its
keywords, and last its materials and FAQs. Official terms reached through an
intent count a little less than the words typed, so that an item that names
exactly what was asked stays ahead.

The table is data: a department adds a line when people ask in a way the
table does not know yet.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import rjieba

# (what people say, the official terms it means), words separated by spaces.
# Phrases are matched as substrings of the query, so "我想开饭店" finds "开饭店".
_INTENT_TABLE = (
    ("开饭店 开餐馆 开饭馆 开餐厅 卖吃的 卖熟食 小吃店 饭店 餐馆 饭馆 餐厅 奶茶店 咖啡店"
     " 面馆 快餐店 外卖 食堂 食品店 烘焙 蛋糕店 卖零食", "食品经营"),
    ("退休 养老 老了 农村养老 居民养老 交养老 满60", "养老保险"),
    ("养老金 领养老钱 养老钱 退休金 领退休金 领钱 领养老", "养老保险 待遇领取"),
    ("开店 开个店 个体户 摆摊 摆地摊 小卖部 夫妻店 做生意 做小生意 办执照 营业执照 开网店"
     " 小店", "个体工商户"),
    ("理发店 理发 美发 美容院 美容店 美甲 宾馆 旅馆 旅店 酒店 民宿 招待所 游泳馆 游泳池"
     " 澡堂 浴室 洗浴 足浴 歌舞厅 KTV 影院", "公共场所卫生许可"),
    ("一件事 一次办 一起办 一窗办 开餐饮店", "一件事"),
    ("社保 交社保 参保 买社保", "参保登记 养老保险"),
)  # fmt: skip
INTENTS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = tuple(
    (tuple(phrases.split()), tuple(terms.split())) for phrases, terms in _INTENT_TABLE
)

# Words that say nothing about which item is meant, including words of the
# official names that alone do not tell the items apart.
_STOPWORDS = (
    "怎么 怎样 如何 我要 我想 想要 需要 要办 办理 什么 哪些 哪里 去哪 多少 可以 是否 申请"
    " 材料 手续 流程 一下 请问 的 了 吗 呢 要 想 办 我 登记 许可 审批 核发 服务 办事 事项"
    " 办证"
)
STOPWORDS = frozenset(_STOPWORDS.split())

# How much a query word counts where it is found.
WEIGHTS = {"name": 6, "phrasings": 5, "keywords": 3, "materials": 1, "faqs": 1}
# Official terms reached through an intent count this share of a typed word.
INTENT_FACTOR = 0.8
# An item whose own 俗称 contains the whole query gets this bonus.
WHOLE_PHRASING_BONUS = 4.0


def words_of(text: str) -> set[str]:
    """The search words of a text: rjieba's search-mode cut, lower-cased, without
    stopwords; single characters only when nothing longer is left."""
    cut = {
        word.lower()
        for word in rjieba.cut_for_search(text)
        if word.strip() and word.lower() not in STOPWORDS
    }
    cut = {word for word in cut if len(word) > 1 or word.isalnum()}
    longer = {word for word in cut if len(word) > 1}
    return longer or cut


def query_terms(query: str) -> dict[str, float]:
    """Return each word to look for with its weight: typed words 1, intent terms less."""
    query = query.strip()
    terms: dict[str, float] = dict.fromkeys(words_of(query), 1.0)
    lowered = query.lower()
    for phrases, official in INTENTS:
        if any(phrase.lower() in lowered for phrase in phrases):
            for term in official:
                terms[term.lower()] = max(terms.get(term.lower(), 0.0), INTENT_FACTOR)
    return terms


@dataclass(frozen=True, slots=True)
class Document:
    """The searchable text of one item, field by field."""

    name: str
    phrasings: Iterable[str]
    keywords: str
    materials: Iterable[str]
    faqs: Iterable[str]


def score(document: Document, terms: dict[str, float], query: str = "") -> float:
    """Sum, for each term, its weight times the weight of each field containing it."""
    fields = {
        "name": document.name.lower(),
        "phrasings": " ".join(document.phrasings).lower(),
        "keywords": document.keywords.lower(),
        "materials": " ".join(document.materials).lower(),
        "faqs": " ".join(document.faqs).lower(),
    }
    total = 0.0
    for term, weight in terms.items():
        for name, text in fields.items():
            if term in text:
                total += weight * WEIGHTS[name]
    query = query.strip().lower()
    if query and any(query in phrasing.lower() for phrasing in document.phrasings):
        total += WHOLE_PHRASING_BONUS
    return total
