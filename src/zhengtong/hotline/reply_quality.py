"""How good a department's reply to a citizen message is, scored before it is sent.

A reply is scored 0-100 on four components, and each shortfall becomes a hint
the handler can act on ("答复未回应留言中提到的“油烟”问题", "未引用政策依据").
Everything is word statistics and text patterns: fast (under a millisecond a
pair), explainable to the person writing the reply, and nothing to train
beyond counting words.

**Words** — message and reply are cut with rjieba in search mode (so that
"物业管理" also yields "物业" and "管理"); single characters, numbers and dates
are dropped. Each word weighs its inverse document frequency (IDF): words that
every message and reply use (您好, 问题, 收悉, 相关部门) weigh little, the
names of places, estates, roads and the matter itself weigh much. The IDF table
ships as ``BUILTIN_IDF``, made from nothing but the built-in list of generic
hotline words ``GENERIC_WORDS`` (weight 1; every other word 4, about the ratio a
fitted table shows). An installation does better with a table fitted on its
own messages and replies, ``fit_idf(texts)``, used through
``ReplyScorer(idf)`` and stored with ``IdfTable.to_dict()``. Generic words are
never key terms, whatever the table says.

**Relevance** — how much of the message's substance the reply addresses. The
title counts twice (it is the citizen's own summary). The message's key terms
are its ``KEY_TERMS`` heaviest words by tf-idf. Two measures are averaged:

* coverage: the IDF weight of the key terms the reply mentions (as one of its
  words or as a substring) over the weight of all key terms;
* cosine: between the message's and the reply's tf-idf vectors (sublinear tf).

Each is divided by what a good reply reaches (``FULL_COVERAGE``,
``FULL_COSINE``: about the upper quartile of real replies) and capped at 1. A
reply that only repeats the title ("您反映的“……”问题已收悉") earns nothing for
it: the title, and quoted passages made mostly of the title's characters, are
removed from the reply before comparing, and so are the message's own
clauses (``MIN_ECHO`` characters or more) copied into it word for word, so
that a reply that pastes the message back is as short as what it adds. A
generic reply that could answer
any message ("已收悉，将转交相关部门") shares no weighty word with it and scores
near 0.

**Completeness** — whether the reply answers each thing asked and has the parts
of a full reply. The asks are the title and the body's sentences with a
question or demand (？, 请, 希望, 要求, 能否, 是否, 为什么, 何时 ...), at most
``MAX_ASKS``; each ask is known by its ``ASK_TERMS`` nouns that weigh most in
the whole message (so an ask is known by what the message is about, not by a
rare turn of phrase; generic nouns make no ask: "请尽快处理" is not an ask of
its own). An ask's credit is the IDF share of its terms the reply touches,
divided by ``ASK_ANSWERED`` and capped at 1; a term of three characters or more
is touched by a non-generic two-character part too (精神疾病 for 精神病), since
answers use other words than questions. The asks' credits are averaged,
weighted by how much their terms weigh in the message. The parts are an
acknowledgement (您好, 收悉, 感谢), the investigation or finding (经调查, 经核实,
现场, 了解到; for a consultation, the rule that decides it), the measure or
result (已整改, 责令, 已于…开通, 可以凭…办理; or a next step: 下一步, 将于,
预计) and a contact (a phone number after 电话/致电/拨打, or 12345).
Completeness is ``ASKS_SHARE`` the asks' credit and the rest the parts
(``PART_WEIGHTS``).

**Interpretability** — whether the citizen can see why, and what happens next
(``INTERPRETABILITY_POINTS``): the basis (a named rule 《…条例/办法/规定/
意见/通知…》, an article 第X条 or a document number 〔2019〕12号; a bare
"根据有关规定" earns half), a result or a next step ("将转交" is neither), a
time frame that looks forward (6月底前, 15个工作日内, 预计今年8月底; the date a
reply is signed is not one) and a contact.

**Timeliness** — from ``received_at``, ``replied_at`` and ``due_at``. Working
days are the platform calendar's business, so the caller passes ``due_at``;
without it the due time is ``received_at`` plus the 15-day standard
(``STANDARD_TIME_LIMIT``). A reply within the first half of the time allowed
scores 100, at the deadline 70 (linearly in between); a late reply starts at 60
and loses those 60 points over one more time limit. Without ``replied_at``, or
without both ``received_at`` and ``due_at``, it is ``NEUTRAL_TIMELINESS``, the
score of a reply on time, as it is for a reply on time whose ``received_at`` is
unknown (the app passes the current time as ``replied_at`` when it scores a
draft).

**Total** — ``WEIGHTS``: relevance 35 %, completeness 30 %, interpretability
20 %, timeliness 15 %, rounded. Relevance weighs most because a well-formed
reply to a different question is the worst reply.

**Hints** — in order: a reply too short to answer anything; the terms of
unanswered asks the citizen dwelt on (used ``HINT_MENTIONS`` times, the title
counting twice), or, when the relevance is below ``HINT_RELEVANCE_BELOW``, the
terms missed; each missing part; a next step without a time frame; a missing or
unnamed basis; a missing phone number; the whole days past the due time.
Each hint is a ``Hint``: the text in the active language, with a code and
values that are what gets stored, so that ``hint_text`` shows a stored hint
in the language of whoever reads it later.

On the 2,816 public real message-reply pairs (``bench/hotline_reply_quality.py``)
relevance tells a message's own reply from another message's reply with a ROC
AUC of about 0.94 with a fitted table and 0.93 with the built-in one.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import rjieba
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

WEIGHTS: Mapping[str, float] = {
    "relevance": 0.35,
    "completeness": 0.30,
    "interpretability": 0.20,
    "timeliness": 0.15,
}
STANDARD_TIME_LIMIT = timedelta(days=15)
NEUTRAL_TIMELINESS = 70

# Relevance.
KEY_TERMS = 15
FULL_COVERAGE = 0.45
FULL_COSINE = 0.35
TITLE_REPEAT = 2
# A quoted passage of the reply is an echo of the title when this share of its
# character pairs occurs in the title.
ECHO_SHARE = 0.6
# A title, or a clause of the message, this long or longer found word for
# word in the reply is an echo too.
MIN_ECHO = 6
# Where the message's clauses end.
_CLAUSE_END = re.compile(r"[，,。！!？?；;：:、\s]+")

# Completeness.
MAX_ASKS = 5
# A word weighing less than this share of an unseen word's weight is too
# common to make an ask (with a table fitted on 3,000 texts: a word in more
# than about a seventh of them; the share shrinks as the table grows).
GENERIC_BELOW = 0.35
ASK_TERMS = 3
ASK_ANSWERED = 0.7
ASKS_SHARE = 0.6
# The hint naming unanswered matters names a term of an unanswered ask when
# the message uses it this often (the title counting TITLE_REPEAT times), and
# any missing term when the relevance is below HINT_RELEVANCE_BELOW.
HINT_MENTIONS = 3
HINT_RELEVANCE_BELOW = 50
HINT_TERMS = 3
PART_WEIGHTS: Mapping[str, float] = {
    "acknowledgement": 0.15,
    "finding": 0.35,
    "measure": 0.35,
    "contact": 0.15,
}

# Interpretability, out of 100.
INTERPRETABILITY_POINTS: Mapping[str, int] = {
    "named_basis": 40,  # 《…条例》, 第X条, 〔2019〕12号
    "vague_basis": 20,  # 根据…规定 without naming it
    "outcome": 25,  # what was done or will be done
    "time_frame": 15,  # by when
    "contact": 20,
}

# Replies shorter than this many characters of their own (quotations of the
# title removed) are too short to be a real answer.
SHORT_REPLY = 40

# The generic words of hotline messages and replies: salutations, the
# boilerplate of acknowledgement and thanks, and words that occur in almost
# any message whatever it is about. They make up the built-in IDF table.
_GENERIC_TEXT = """
您好 你好 尊敬 同志 网友 网民 市民 群众 先生 女士 领导 书记 市长 区长 县长
留言 来信 来电 信件 收悉 已收悉 回复 答复 如下 现将 现回复 特此 此致 敬礼
感谢 感谢您 谢谢 谢谢您 支持 关心 关注 理解 信任 监督 配合 重视 高度重视
反映 反应 咨询 投诉 举报 请求 恳请 希望 建议 要求 呼吁 诉求 问题 情况 事情
事项 工作 部门 相关 有关 单位 政府 我们 我局 我市 我区 我县 我镇 我办 本人
他们 你们 大家 这个 那个 这些 那些 这样 那样 一个 一些 什么 怎么 怎样 如何
为什么 为何 是否 能否 可否 可以 能够 不能 没有 已经 现在 目前 时间 时候
进行 处理 解决 办理 落实 开展 加强 及时 认真 积极 进一步 依法 相应 有效
根据 按照 依据 通过 由于 因为 所以 但是 而且 并且 或者 以及 如果 同时 其中
关于 对于 存在 需要 应该 应当 必须 严重 非常 特别 部分 所有 还是 还有 就是
平台 栏目 政务 网站 热线 调查 了解 核实 情况属实 联系 电话 予以 给予 相关部门
有关部门 职能部门 工作人员 人员 管理 服务 规定 政策 生活 影响 安全 合理 正常
地方 一直 已 将 请 望 谢谢你 再次 谨此 此复 最后 首先 其次 目前为止 一下
东西 方面 原因 结果 办法 方式 事儿 能力 权利 打扰
"""
GENERIC_WORDS = frozenset(_GENERIC_TEXT.split())
# Weights of the built-in table: generic words against every other word. The
# ratio is about that of a table fitted on real messages and replies.
_BUILTIN_GENERIC_WEIGHT = 1.0
_BUILTIN_OTHER_WEIGHT = 4.0


# The hints' texts, each translated when it is read: a hint is stored by its
# code and values (``Hint.as_data``), so that a reply scored in one language
# reads in the language of whoever looks at it later.
_HINT_TEXTS: Mapping[str, Callable[[Mapping[str, Any]], str]] = {
    "too_short": lambda v: _("答复过于简短，请针对留言反映的问题具体说明"),
    "unanswered": lambda v: _("答复未回应留言中提到的%(terms)s问题") % {"terms": v["terms"]},
    "no_finding": lambda v: _("未说明调查核实情况"),
    "no_measure": lambda v: _("未说明处理结果或下一步安排"),
    "no_time_frame": lambda v: _("说明了下一步安排，但未说明完成时限"),
    "vague_basis": lambda v: _("未写明所依据的政策文件名称或条款"),
    "no_basis": lambda v: _("未引用政策依据"),
    "no_contact": lambda v: _("未提供联系电话"),
    "late": lambda v: (
        ngettext("超过办理时限 %(days)d 天", "超过办理时限 %(days)d 天", int(v["days"]))
        % {"days": int(v["days"])}
    ),
}


class Hint(str):
    """One piece of advice: its text in the active language, and its code and values.

    It is a string, so it reads, compares and joins as the text; ``as_data``
    is what is stored, and ``hint_text`` turns that back into text in the
    reader's language.
    """

    code: str
    values: dict[str, Any]

    def __new__(cls, code: str, **values: Any) -> Hint:
        hint = super().__new__(cls, _HINT_TEXTS[code](values))
        hint.code = code
        hint.values = values
        return hint

    def as_data(self) -> dict[str, Any]:
        return {"code": self.code, "values": dict(self.values)}


def hint_text(stored: Any) -> str:
    """Return a stored hint (``Hint.as_data``) as text in the active language.

    Replies scored before hints were stored by code kept the text itself, in
    the language of the one who sent them: a fixed text is still translated,
    one with values in it is shown as it was written.
    """
    if isinstance(stored, Mapping):
        code = str(stored.get("code", ""))
        values = stored.get("values") or {}
        if code in _HINT_TEXTS and isinstance(values, Mapping):
            try:
                return _HINT_TEXTS[code](values)
            except (KeyError, TypeError, ValueError):
                pass
        return ""
    text = str(stored)
    return _(text) if text else ""


def readable_score(stored: Mapping[str, Any]) -> dict[str, Any]:
    """A stored score (``Case.reply_score``) with its hints as text in the active language."""
    if not stored:
        return {}
    readable = dict(stored)
    texts = (hint_text(item) for item in stored.get("advice") or [])
    readable["advice"] = [text for text in texts if text]
    return readable


@dataclass(frozen=True, slots=True)
class ReplyScore:
    """A reply's score, each component 0-100, and what would improve it."""

    relevance: int
    completeness: int
    interpretability: int
    timeliness: int
    total: int  # sum of WEIGHTS times the components
    advice: tuple[Hint, ...]


@dataclass(frozen=True, slots=True)
class IdfTable:
    """Inverse document frequency of words; words not in the table weigh ``unseen``."""

    weights: Mapping[str, float]
    unseen: float

    def weight(self, word: str) -> float:
        return self.weights.get(word, self.unseen)

    def to_dict(self) -> dict[str, Any]:
        """Return the table as JSON-ready data, for ``from_dict`` to read back."""
        return {"weights": dict(self.weights), "unseen": self.unseen}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IdfTable:
        weights = {str(word): float(value) for word, value in data["weights"].items()}
        return cls(weights=weights, unseen=float(data["unseen"]))


def fit_idf(texts: Iterable[str], *, min_df: int = 2) -> IdfTable:
    """Fit an IDF table on documents (messages and replies, each its own text).

    Words found in fewer than ``min_df`` documents are left out of the table
    and weigh ``unseen``, the weight of a word found once: with the default 2
    that keeps the table small without changing any weight.
    """
    document_frequency: Counter[str] = Counter()
    documents = 0
    for text in texts:
        documents += 1
        document_frequency.update(set(words_of(text)))
    weights = {
        word: math.log((documents + 1) / (count + 1)) + 1.0
        for word, count in document_frequency.items()
        if count >= min_df
    }
    return IdfTable(weights=weights, unseen=math.log((documents + 1) / 2) + 1.0)


BUILTIN_IDF = IdfTable(
    weights=dict.fromkeys(sorted(GENERIC_WORDS), _BUILTIN_GENERIC_WEIGHT),
    unseen=_BUILTIN_OTHER_WEIGHT,
)

_NUMBER_LIKE = re.compile(r"^[\d.,%\-:/年月日号时分秒点]+$")


def words_of(text: str) -> list[str]:
    """The words that carry meaning: rjieba's search-mode cut without single
    characters, punctuation, numbers and dates."""
    return [
        word
        for word in rjieba.cut_for_search(text)
        if len(word) > 1 and word.isalnum() and not _NUMBER_LIKE.match(word)
    ]


# Parts of speech (jieba's tags) that name what a message is about: nouns,
# place and organisation names, other proper nouns, verbal nouns, Latin words.
# Person names are left out: jieba guesses them often wrongly, and a matter is
# seldom known by a person's name.
_NOUN_TAGS = frozenset({"n", "ns", "nt", "nz", "vn", "eng"})
# Short codes such as "A3" (a district) or "5G" are too terse to name a matter.
_SHORT_CODE = re.compile(r"^[A-Za-z0-9]{1,3}$")


def nouns_of(text: str) -> list[str]:
    """The nouns and names of a text, the words an ask is about."""
    return [
        word
        for word, tag in rjieba.tag(text)
        if tag in _NOUN_TAGS
        and len(word) > 1
        and word.isalnum()
        and not _NUMBER_LIKE.match(word)
        and not _SHORT_CODE.match(word)
    ]


_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_QUOTED = re.compile(r"[“\"「『]([^”\"」』]{2,120})[”\"」』]")


def _char_pairs(text: str) -> set[str]:
    return {run[i : i + 2] for run in _CJK_RUN.findall(text) for i in range(len(run) - 1)}


def strip_message_echo(reply: str, title: str, body: str) -> str:
    """Remove from ``reply`` what repeats the message: its title and its clauses copied."""
    clauses = {clause for clause in _CLAUSE_END.split(body) if len(clause) >= MIN_ECHO}
    # The longest first, so that a clause is not left half removed by a part of it.
    for clause in sorted(clauses, key=len, reverse=True):
        reply = reply.replace(clause, "")
    return strip_title_echo(reply, title)


def strip_title_echo(reply: str, title: str) -> str:
    """Remove the title from ``reply``, and the quoted passages that mostly repeat it."""
    title_pairs = _char_pairs(title)
    if not title_pairs:
        return reply
    if len(title) >= MIN_ECHO:
        reply = reply.replace(title, "")

    def replace(match: re.Match[str]) -> str:
        pairs = _char_pairs(match.group(1))
        if pairs and len(pairs & title_pairs) >= ECHO_SHARE * len(pairs):
            return "“”"
        return match.group(0)

    return _QUOTED.sub(replace, reply)


# Sentences of the message, with the mark that ends them.
_SENTENCE = re.compile(r"[^。！!？?；;\n]+[。！!？?；;]?")
_ASK = re.compile(
    r"[？?]|请|希望|要求|能否|可否|是否|能不能|可不可以|有没有|为什么|为何|何时|什么时候|"
    r"怎么|如何|多少|哪里|哪些|建议|恳请|呼吁|盼望|期望|诉求|吗[。！!，,]?$"
)

_ACKNOWLEDGEMENT = re.compile(r"您好|你好|收悉|感谢|谢谢|来信|留言|反映的")
_FINDING = re.compile(
    r"经[^，。；]{0,12}?(调查|核实|核查|查明|了解|排查|检查|检测|监测|走访|勘察|研究)|经查|"
    r"查询|数据显示|(赶|赶赴|赶至|到达|来到)现场|"
    r"调查(发现|核实|了解|情况)|现场(查看|核实|勘察|检查|调查|处置)|实地|走访|暗访|巡查|回访|"
    r"了解到|核实情况|查实|查明|据(查|了解|核实)|情况属实|不属实|"
    r"该(项目|路段|工程|小区|企业|公司|单位|问题|区域)|目前(正在|已经|已|尚|该)|"
    r"按现行政策|根据[^。；]{0,30}(规定|政策)|调查处理|专门调查|"
    r"(组织|派|安排|责派)[^，。；]{0,10}(人员|队员|干部)|位于|(申请|申办|办理)条件"
)
# What was done, or the answer to a consultation. "已收悉", "已转交", "已阅"
# say nothing about a result.
_DONE = re.compile(
    r"已经?(?!收悉|收到|接到|阅|转|悉|知悉|将)[\u4e00-\u9fff]|"
    r"责令|责成|限期|督促|整改|予以(处理|处罚|查处|解决|答复)|批评|处罚|罚款|"
    r"清理|整治|取缔|拆除|查处|关停|修复|维修|更换|安装|开通|调整|恢复|"
    r"(可以|可|能够|不能|无法|不予|不属于|不符合|符合|应当|须|需)(办理|申请|领取|报销|享受|纳入|"
    r"缴纳|补缴|转|乘坐|参加|申报|使用|到|前往|携带|提供|凭|通过|直接|按照|按|向)"
)
# What will be done. "将转交" is no commitment, so "将" counts only before these.
_NEXT = re.compile(
    r"下一步|预计|计划(于|在|将)|拟(于|在|将)|力争|争取|跟踪|"
    r"将(于|在|会|对|加强|继续|进一步|督促|组织|安排|尽快|及时|按照|依法|根据|协调|跟踪|"
    r"开展|启动|实施|完成|纳入|列入|推进|加快)"
)
# A time frame looks forward: a date with 前, a number of days with 内, 预计 ...
_TIME_FRAME = re.compile(
    r"\d{1,2}月(\d{1,2}日|底|中旬|上旬|下旬|份)?(前|之前|以前)|年底|年内|月底|近期|"
    r"\d+个?(工作日|日|天|周|星期|月|小时)(内|以内)|"
    r"(预计|将于|计划|力争|争取|拟于|定于)[^。；]{0,12}(\d|年底|月底|年内)|"
    r"(今年|明年|下半年|上半年)[^。；，]{0,8}(完成|完工|开通|投入使用|建成|交付|竣工|通车|实施)"
)
_CONTACT = re.compile(
    r"(电话|致电|拨打|热线|联系方式|手机|联系人|咨询)[^。；\n]{0,16}?\d[\d\-－—‐ ]{4,}\d|12345"
)
_NAMED_BASIS = re.compile(
    r"《[^》]{2,80}?(法|条例|规定|办法|细则|意见|通知|决定|规划|方案|标准|规范|规程|政策|"
    r"制度|纲要|目录|指南|章程|准则|批复|公告|通告|解释|守则|要点|措施|计划|通则)"
    r"(（[^）]{0,20}）)?》|第[一二三四五六七八九十百零〇\d]+条|"
    r"[〔﹝\[【(（]\s*(19|20)\d{2}\s*[〕﹞\]】)）]\s*第?\s*\d+\s*号"
)
_VAGUE_BASIS = re.compile(
    r"(根据|依据|按照|依照|参照)[^。；]{0,30}(规定|政策|标准|文件|要求|精神|法律|法规)|"
    r"(法律|法规|政策)(规定|明确)|相关规定|有关规定"
)


@dataclass(frozen=True, slots=True)
class _Ask:
    terms: tuple[str, ...]
    mass: float


class ReplyScorer:
    """Score replies with one IDF table (the built-in one unless given)."""

    def __init__(self, idf: IdfTable | None = None) -> None:
        self.idf = idf if idf is not None else BUILTIN_IDF

    def score(
        self,
        title: str,
        body: str,
        reply: str,
        *,
        received_at: datetime | None = None,
        replied_at: datetime | None = None,
        due_at: datetime | None = None,
    ) -> ReplyScore:
        """Score ``reply`` to the message ``title`` / ``body``.

        The times are all naive or all aware; see the module docstring for
        what is assumed when some are missing.
        """
        title = title.strip()
        body = body.strip()
        own = strip_message_echo(reply.strip(), title, body)
        reply_words = Counter(words_of(own))
        message_counts = Counter(words_of(title) * TITLE_REPEAT + words_of(body))
        message_vector = self._vector(message_counts)

        key_terms = sorted(
            (word for word in message_vector if word not in GENERIC_WORDS),
            key=lambda w: (-message_vector[w], w),
        )[:KEY_TERMS]
        covered = {term for term in key_terms if _mentions(term, reply_words, own)}
        coverage = min(1.0, self._share(key_terms, covered) / FULL_COVERAGE)
        cosine = min(1.0, _cosine(message_vector, self._vector(reply_words)) / FULL_COSINE)
        relevance = _percent(0.5 * coverage + 0.5 * cosine)

        asks = self._asks(title, body, message_vector)
        answered_mass = 0.0
        missing: list[str] = []
        for ask in asks:
            found = {term for term in ask.terms if _touches(term, reply_words, own)}
            credit = min(1.0, self._share(ask.terms, found) / ASK_ANSWERED)
            answered_mass += credit * ask.mass
            if credit < 1.0:
                missing.extend(term for term in ask.terms if term not in found)
        asked_mass = sum(ask.mass for ask in asks)
        # A message without recognisable asks is answered as far as its key terms are.
        answered = answered_mass / asked_mass if asked_mass else coverage
        done = bool(_DONE.search(own))
        next_steps = bool(_NEXT.search(own))
        named_basis = bool(_NAMED_BASIS.search(own))
        vague_basis = not named_basis and bool(_VAGUE_BASIS.search(own))
        parts = {
            "acknowledgement": bool(_ACKNOWLEDGEMENT.search(own)),
            # Explaining the rule that decides the matter is the finding of a consultation.
            "finding": named_basis or bool(_FINDING.search(own)),
            "measure": done or next_steps,
            "contact": bool(_CONTACT.search(own)),
        }
        part_share = sum(PART_WEIGHTS[name] for name, present in parts.items() if present)
        completeness = _percent(ASKS_SHARE * answered + (1 - ASKS_SHARE) * part_share)

        time_frame = bool(_TIME_FRAME.search(own))
        points = INTERPRETABILITY_POINTS
        interpretability = min(
            100,
            (points["named_basis"] if named_basis else 0)
            + (points["vague_basis"] if vague_basis else 0)
            + (points["outcome"] if parts["measure"] else 0)
            + (points["time_frame"] if time_frame else 0)
            + (points["contact"] if parts["contact"] else 0),
        )

        timeliness, days_late = _timeliness(received_at, replied_at, due_at)

        # The hints, most important first.
        advice: list[Hint] = []
        if len("".join(own.split())) < SHORT_REPLY:
            advice.append(Hint("too_short"))
        # Name what the citizen dwelt on; when the whole reply is off the point,
        # name the message's key terms.
        named = [term for term in missing if message_counts[term] >= HINT_MENTIONS]
        if relevance < HINT_RELEVANCE_BELOW:
            named = named or missing or [term for term in key_terms if term not in covered]
        named = _dedupe(named)
        if named:
            quoted = "".join(f"“{term}”" for term in named[:HINT_TERMS])
            advice.append(Hint("unanswered", terms=quoted))
        if not parts["finding"]:
            advice.append(Hint("no_finding"))
        if not parts["measure"]:
            advice.append(Hint("no_measure"))
        elif next_steps and not time_frame:
            advice.append(Hint("no_time_frame"))
        if vague_basis:
            advice.append(Hint("vague_basis"))
        elif not named_basis:
            advice.append(Hint("no_basis"))
        if not parts["contact"]:
            advice.append(Hint("no_contact"))
        if days_late > 0:
            advice.append(Hint("late", days=days_late))

        total = round(
            WEIGHTS["relevance"] * relevance
            + WEIGHTS["completeness"] * completeness
            + WEIGHTS["interpretability"] * interpretability
            + WEIGHTS["timeliness"] * timeliness
        )
        return ReplyScore(
            relevance=relevance,
            completeness=completeness,
            interpretability=interpretability,
            timeliness=timeliness,
            total=total,
            advice=tuple(advice),
        )

    def _vector(self, counts: Mapping[str, int]) -> dict[str, float]:
        return {
            word: (1.0 + math.log(count)) * self.idf.weight(word) for word, count in counts.items()
        }

    def _share(self, terms: Iterable[str], found: set[str]) -> float:
        weights = {term: self.idf.weight(term) for term in terms}
        whole = sum(weights.values())
        return sum(weights[term] for term in found) / whole if whole else 0.0

    def _asks(self, title: str, body: str, message_vector: Mapping[str, float]) -> list[_Ask]:
        """The title and the body's questions and demands, each by its central nouns.

        A noun is central when it weighs much in the whole message (tf-idf), so
        that an ask is known by what the message is about rather than by a rare
        turn of phrase.
        """
        sentences = [title] if title else []
        sentences += [
            match.group(0).strip()
            for match in _SENTENCE.finditer(body)
            if _ASK.search(match.group(0).strip())
        ]
        asks: list[_Ask] = []
        seen: set[tuple[str, ...]] = set()
        for sentence in sentences:
            # Words the IDF table calls generic do not make an ask of their own.
            nouns = {
                word
                for word in nouns_of(sentence)
                if word not in GENERIC_WORDS
                and self.idf.weight(word) > GENERIC_BELOW * self.idf.unseen
            }
            ranked = sorted(nouns, key=lambda w: (-message_vector.get(w, 0.0), w))
            terms = tuple(ranked[:ASK_TERMS])
            if not terms or terms in seen:
                continue
            seen.add(terms)
            mass = sum(message_vector.get(term, 0.0) for term in terms)
            asks.append(_Ask(terms=terms, mass=mass))
            if len(asks) == MAX_ASKS:
                break
        return asks


def _mentions(term: str, reply_words: Mapping[str, int], reply: str) -> bool:
    return term in reply_words or term in reply


def _touches(term: str, reply_words: Mapping[str, int], reply: str) -> bool:
    """Whether the reply mentions the term or, for a term of three characters or
    more, a two-character part of it that is not generic (精神疾病 for 精神病,
    收费 for 乱收费): an ask may be answered in other words than it was put."""
    if _mentions(term, reply_words, reply):
        return True
    if len(term) < 3:
        return False
    parts = {term[i : i + 2] for i in range(len(term) - 1)} - GENERIC_WORDS
    return any(part in reply for part in parts)


def _cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(value * b.get(word, 0.0) for word, value in a.items())
    norm = math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))
    return dot / norm


def _percent(fraction: float) -> int:
    return round(100 * min(1.0, max(0.0, fraction)))


def _dedupe(terms: Iterable[str]) -> list[str]:
    """Keep the first of each term, and drop a term contained in one already kept."""
    kept: list[str] = []
    for term in terms:
        if not any(term in other or other in term for other in kept):
            kept.append(term)
    return kept


def _timeliness(
    received_at: datetime | None, replied_at: datetime | None, due_at: datetime | None
) -> tuple[int, int]:
    """Return the timeliness score and the whole days late (0 when on time)."""
    if replied_at is None:
        return NEUTRAL_TIMELINESS, 0
    if received_at is None:
        if due_at is None:
            return NEUTRAL_TIMELINESS, 0
        # How early within the time allowed is unknown: on time is all that is known.
        allowed = STANDARD_TIME_LIMIT
        if replied_at <= due_at:
            return NEUTRAL_TIMELINESS, 0
    else:
        if due_at is None:
            due_at = received_at + STANDARD_TIME_LIMIT
        allowed = due_at - received_at
        if allowed <= timedelta(0):
            allowed = STANDARD_TIME_LIMIT
        if replied_at <= due_at:
            used = (replied_at - received_at) / allowed
            return _percent(1.0 - 0.3 * max(0.0, used - 0.5) / 0.5), 0
    late = replied_at - due_at
    days_late = math.ceil(late / timedelta(days=1))
    return _percent(0.6 * (1.0 - min(1.0, late / allowed))), days_late


_default_scorer = ReplyScorer()


def score_reply(
    title: str,
    body: str,
    reply: str,
    *,
    received_at: datetime | None = None,
    replied_at: datetime | None = None,
    due_at: datetime | None = None,
) -> ReplyScore:
    """Score a reply with the built-in IDF table; see the module docstring."""
    return _default_scorer.score(
        title, body, reply, received_at=received_at, replied_at=replied_at, due_at=due_at
    )
