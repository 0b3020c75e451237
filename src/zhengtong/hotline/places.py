"""Which district and street of the city a citizen message is about.

A 12345 message goes to the department of the district (区/县/县级市) where the
matter is, and to the street office (街道/镇/乡) when the text names one. The
resolver reads the location field, the title and the body against the GB/T 2260
division list that ``zhengtong.core.divisions`` ships, plus an admin-editable
table of aliases (landmarks, communities, roads) that point at a division code
of the city.

How it works:

1. At construction every name that can appear in a message is put into one
   table: the city's districts and streets by full name; district short forms
   ("岳麓" for 岳麓区) when at least two characters long and not an everyday
   word; street short forms followed by an office suffix ("橘子洲街道办事处",
   "橘子洲办事处"); the aliases; the city's and province's own names (context,
   no evidence); the bare street short forms ("望城坡", "浏阳河"), which are
   read but count as nothing, so that "浏阳河" never means 浏阳市 and "望城坡"
   never means 望城区; and the names of every other province, city and district
   of the country, so that "株洲市天元区" or "福州市鼓楼区" is recognised as
   elsewhere. Every prefix of every name goes into one dictionary, and one
   pass over the text looks up the leftmost-longest name at each position:
   most characters start no name and cost one look-up, and a walk never goes
   further than the longest name, so the time grows with the length of the
   text and not with the number of names. A 500-character message takes
   about a tenth of a millisecond; building the resolver for a city takes
   about 20 ms once the division list has been parsed (a quarter of a second,
   once per process).
2. A district or street name directly after another city's or district's name
   ("福州市鼓楼区") is about that other place and is dropped; the run of names
   is kept as a place outside the city (``PlaceMatch.outside``) when it is
   more than one name or a full name ("湘潭市"), so that the message is not
   routed automatically.
3. The mentions are weighed: a street and its own district both mentioned
   (a consistent pair) win; otherwise the earliest text argument wins (the
   location field before the title before the body), and within it an alias
   before a division name and a street before a district. A street name shared
   by several districts of the city (城关镇-like names) counts for all of them,
   so it decides nothing unless one of those districts is mentioned too.
   When equally good mentions point at different districts and none is
   mentioned more often, the match is ambiguous and names no district.

Variant spellings that people use for official names (橘/桔, 榔/㮾) are folded
before matching; the spans reported are those of the original text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import IntEnum

from django.utils.translation import gettext as _

from zhengtong.core.divisions import Division, division_list
from zhengtong.core.errors import InvalidInput

# One character for another, so that spans keep their positions.
_VARIANTS = str.maketrans({"桔": "橘", "㮾": "榔"})

# Short forms that are everyday words or names shared by roads across several
# districts; they are never taken to mean the district ("芙蓉路" runs through
# three districts of 长沙). Full names ("芙蓉区") still count.
_COMMON_SHORT_FORMS = (
    "芙蓉 城关 城区 城中 城东 城西 城南 城北 市中 市辖 郊区 矿区 新区 新城 老城 古城 开发"
    " 高新 经济 东区 西区 南区 北区 中区 河东 河西 河北 河南 江北 江南 江东 江西 山东 山西"
    " 朝阳 和平 白云 新华 长安 解放 人民 胜利 红旗 向阳 光明 建设 青山 东风 先锋 团结 幸福"
    " 东方 城厢 铁东 铁西 海港 港口 工农 大同 太平 永安 永和 新兴 中山 东山 西山 南山 北山"
    " 金山 宝山 龙华 龙岗 高新区 桥东 桥西 城阳 沙市 东湖 西湖 南湖 北湖"
)
COMMON_SHORT_FORMS = frozenset(_COMMON_SHORT_FORMS.split())

# Office suffixes that turn a street's short form into a mention of the street.
_STREET_OFFICE_SUFFIXES = ("街道办事处", "街道办", "街办", "办事处")

# Ethnic names in autonomous divisions ("长阳土家族自治县" -> "长阳").
_ETHNIC_NAMES = (
    "各族 土家族 苗族 侗族 瑶族 彝族 回族 满族 蒙古族 壮族 藏族 维吾尔族 维吾尔 哈萨克族 朝鲜族"
    " 布依族 仡佬族 黎族 畲族 傣族 白族 哈尼族 纳西族 傈僳族 拉祜族 佤族 景颇族 羌族 土族"
    " 撒拉族 东乡族 保安族 裕固族 达斡尔族 鄂温克族 鄂伦春族 锡伯族 水族 仫佬族 毛南族 京族"
    " 普米族 怒族 独龙族 德昂族 布朗族 阿昌族 基诺族 门巴族 珞巴族 塔吉克族 柯尔克孜族"
    " 乌孜别克族 俄罗斯族 塔塔尔族 赫哲族 高山族"
)
_ETHNIC = _ETHNIC_NAMES.split()
_ETHNIC_RE = "(?:" + "|".join(sorted(_ETHNIC, key=len, reverse=True)) + ")*"
_REGION_SUFFIX = re.compile(
    rf"{_ETHNIC_RE}(?:自治区|自治州|自治县|自治旗|特别行政区)$"
    r"|(?:新区|林区|矿区|地区|省|市|区|县|旗|盟)$"
)
_TOWNSHIP_SUFFIX = re.compile(rf"{_ETHNIC_RE}(?:民族乡|民族苏木)$|(?:街道|镇|乡|苏木)$")

# What separates the names of one address ("湖南省 长沙市·岳麓区").
_ADDRESS_GAP = re.compile(r"[\s·.,，、-]*")


def _fold(text: str) -> str:
    return text.translate(_VARIANTS)


def _region_short(name: str) -> str:
    return _REGION_SUFFIX.sub("", name)


def _township_short(name: str) -> str:
    return _TOWNSHIP_SUFFIX.sub("", name)


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    district_code: str | None  # level-3 code (6 digits) or None
    district_name: str
    street_code: str | None  # level-4 code (9 digits) or None
    street_name: str
    matched: tuple[str, ...]  # the text spans that decided it, for the dispatcher to see
    ambiguous: bool  # several districts were equally likely
    # Places the text names outside the city ("株洲市天元区"): such a message may
    # belong to another city's hotline and is never routed by itself.
    outside: tuple[str, ...] = ()


NO_PLACE = PlaceMatch(None, "", None, "", (), False)


class _Kind(IntEnum):
    FOREIGN = 0  # another province, city or district: marks what follows as elsewhere
    GENERIC = 1  # a district name that many cities have ("城区"): continues an address
    BLOCK = 2  # a bare street short form: read so that nothing shorter matches inside it
    CONTEXT = 3  # the city's or province's own name: no evidence, but not elsewhere
    DISTRICT = 4
    STREET = 5


@dataclass(frozen=True, slots=True)
class _Name:
    kind: _Kind
    priority: int  # a higher priority replaces a lower one under the same key
    # For STREET, pairs (street code, district code); for DISTRICT, (district, district).
    places: tuple[tuple[str, str], ...] = ()
    alias: bool = False


@dataclass(frozen=True, slots=True)
class _Mention:
    arg: int
    start: int
    span: str
    name: _Name

    @property
    def districts(self) -> frozenset[str]:
        return frozenset(district for _, district in self.name.places)


@dataclass(frozen=True, slots=True)
class _Outside:
    arg: int
    span: str


# Priorities: an alias replaces anything; a full name of the city replaces a short
# form; the city's own name replaces a district short form equal to it ("长沙").
_P_FOREIGN, _P_BLOCK, _P_SHORT, _P_CONTEXT, _P_FULL, _P_ALIAS = range(6)


class PlaceResolver:
    """Resolve message text to a district and street of one city."""

    def __init__(self, city_code: str, aliases: Mapping[str, str] | None = None) -> None:
        divisions = division_list().divisions
        by_code = {d.code: d for d in divisions}
        city = by_code.get(city_code)
        if city is None or city.level not in (1, 2):
            raise InvalidInput(
                _("不是市级行政区划代码：%(code)s。") % {"code": city_code},
                code="unknown_city",
                detail={"field": "city_code", "code": city_code},
            )
        self.city = city
        districts = [d for d in divisions if d.level == 3 and d.parent_code == city.code]
        district_codes = {d.code for d in districts}
        streets = [d for d in divisions if d.level == 4 and d.parent_code in district_codes]
        self._names_by_code: dict[str, Division] = {d.code: d for d in (*districts, *streets)}
        province = by_code.get(city.parent_code, city)

        table: dict[str, _Name] = {}

        def put(key: str, name: _Name) -> None:
            key = _fold(key)
            if len(key) < 2:
                return
            old = table.get(key)
            if old is None or name.priority > old.priority:
                table[key] = name
            elif name.priority == old.priority and name.kind == old.kind:
                merged = tuple(dict.fromkeys((*old.places, *name.places)))
                table[key] = _Name(name.kind, name.priority, merged, name.alias)

        foreign = _Name(_Kind.FOREIGN, _P_FOREIGN)
        generic = _Name(_Kind.GENERIC, _P_FOREIGN)
        for d in divisions:
            if d.level == 4 or d.code in (city.code, province.code) or d.code in district_codes:
                continue
            short = _region_short(d.name)
            if len(short) < 2 or short in COMMON_SHORT_FORMS:
                # "城区" or "朝阳区" alone does not say which city; it only
                # continues an address that another name has placed.
                put(d.name, generic)
                continue
            put(d.name, foreign)
            if d.level < 3:
                put(short, foreign)
        for d in {city.code: city, province.code: province}.values():
            context = _Name(_Kind.CONTEXT, _P_CONTEXT)
            put(d.name, context)
            put(_region_short(d.name), context)
        for s in streets:
            short = _township_short(s.name)
            if short != s.name:
                put(short, _Name(_Kind.BLOCK, _P_BLOCK))
        for d in districts:
            place = _Name(_Kind.DISTRICT, _P_FULL, ((d.code, d.code),))
            put(d.name, place)
            short = _region_short(d.name)
            if short not in COMMON_SHORT_FORMS:
                put(short, _Name(_Kind.DISTRICT, _P_SHORT, place.places))
        for s in streets:
            place = _Name(_Kind.STREET, _P_FULL, ((s.code, s.parent_code),))
            put(s.name, place)
            if s.name.endswith("街道"):
                short = _township_short(s.name)
                for suffix in _STREET_OFFICE_SUFFIXES:
                    put(short + suffix, place)
        for alias, code in (aliases or {}).items():
            target = self._names_by_code.get(code)
            if target is None or len(_fold(alias).strip()) < 2:
                raise InvalidInput(
                    _("别名“%(alias)s”须至少两个字，并指向本市的区县或街道乡镇。")
                    % {"alias": alias},
                    code="invalid_place_alias",
                    detail={"field": "aliases", "alias": alias, "code": code},
                )
            if target.level == 3:
                put(alias.strip(), _Name(_Kind.DISTRICT, _P_ALIAS, ((code, code),), alias=True))
            else:
                put(
                    alias.strip(),
                    _Name(_Kind.STREET, _P_ALIAS, ((code, target.parent_code),), alias=True),
                )
        self._table = table
        self._prefixes = _prefix_table(table)

    def resolve(self, *texts: str) -> PlaceMatch:
        """Return the district and street the texts are about, earlier texts first."""
        mentions: list[_Mention] = []
        outside: list[_Outside] = []
        for arg, text in enumerate(texts):
            if text:
                mentions.extend(self._mentions(arg, text, outside))
        if outside:
            spans = tuple(dict.fromkeys(o.span for o in outside))
            # A place of the city named too is still the best guess for the
            # dispatcher ("株洲的亲戚来岳麓区"); the outside places are kept so
            # that nobody routes such a message without a look.
            if not mentions:
                return PlaceMatch(None, "", None, "", spans, False, outside=spans)
            return replace(self._decide(mentions), outside=spans)
        if not mentions:
            return NO_PLACE
        return self._decide(mentions)

    def _decide(self, mentions: list[_Mention]) -> PlaceMatch:
        mentioned = {d for m in mentions if m.name.kind == _Kind.DISTRICT for d in m.districts}
        pairs = [
            (m, street, district)
            for m in mentions
            if m.name.kind == _Kind.STREET
            for street, district in m.name.places
            if district in mentioned
        ]
        if pairs:
            return self._decide_pairs(pairs, mentions)
        return self._decide_single(mentions)

    def _mentions(self, arg: int, text: str, outside: list[_Outside]) -> Iterable[_Mention]:
        """The city's places the text names; the places elsewhere go to ``outside``.

        A run of names placed elsewhere counts as a place outside the city
        when it is more than one name ("株洲天元区") or a full name with its
        suffix ("湘潭市"): a bare short form alone is too often part of a
        road's or a shop's name ("北京路", "株洲大酒店").
        """
        table = self._table
        elsewhere = False
        previous_end = -1
        run: list[tuple[int, int]] = []
        folded = _fold(text)

        def close_run() -> None:
            if run and (len(run) > 1 or _REGION_SUFFIX.search(text[run[0][0] : run[0][1]])):
                outside.append(_Outside(arg, text[run[0][0] : run[-1][1]]))
            run.clear()

        for start, end in _scan(folded, self._prefixes):
            name = table[folded[start:end]]
            adjacent = (
                previous_end >= 0 and _ADDRESS_GAP.fullmatch(text, previous_end, start) is not None
            )
            if not adjacent:
                elsewhere = False
                close_run()
            previous_end = end
            if name.kind == _Kind.FOREIGN:
                elsewhere = True
                run.append((start, end))
            elif name.kind == _Kind.CONTEXT:
                elsewhere = False
                close_run()
            elif elsewhere:
                run.append((start, end))
            elif name.kind in (_Kind.DISTRICT, _Kind.STREET):
                yield _Mention(arg, start, text[start:end], name)
        close_run()

    def _decide_pairs(
        self, pairs: list[tuple[_Mention, str, str]], mentions: list[_Mention]
    ) -> PlaceMatch:
        def level(m: _Mention) -> tuple[int, bool]:
            return (m.arg, not m.name.alias)

        pairs.sort(key=lambda p: (level(p[0]), p[0].start))
        best = level(pairs[0][0])
        tied = [p for p in pairs if level(p[0]) == best]
        district = _winner([d for _, _, d in tied])
        if district is None:
            spans = (m.span for m, _, _ in tied)
            return PlaceMatch(None, "", None, "", tuple(dict.fromkeys(spans)), True)
        mention, street, _ = next(p for p in tied if p[2] == district)
        district_mention = min(
            (m for m in mentions if m.name.kind == _Kind.DISTRICT and district in m.districts),
            key=lambda m: (m.arg, m.start),
        )
        return self._match(district, street, (district_mention.span, mention.span))

    def _decide_single(self, mentions: list[_Mention]) -> PlaceMatch:
        def level(m: _Mention) -> tuple[int, bool, bool]:
            return (m.arg, not m.name.alias, m.name.kind != _Kind.STREET)

        mentions.sort(key=lambda m: (level(m), m.start))
        best = level(mentions[0])
        tied = [m for m in mentions if level(m) == best]
        district = _winner([d for m in tied for d in m.districts])
        if district is None:
            return PlaceMatch(None, "", None, "", tuple(dict.fromkeys(m.span for m in tied)), True)
        mention = next(m for m in tied if district in m.districts)
        street = None
        if mention.name.kind == _Kind.STREET:
            street = next(s for s, d in mention.name.places if d == district)
        return self._match(district, street, (mention.span,))

    def _match(self, district: str, street: str | None, spans: tuple[str, ...]) -> PlaceMatch:
        return PlaceMatch(
            district_code=district,
            district_name=self._names_by_code[district].name,
            street_code=street,
            street_name=self._names_by_code[street].name if street else "",
            matched=tuple(dict.fromkeys(spans)),
            ambiguous=False,
        )


def _winner(districts: list[str]) -> str | None:
    """The district named most often, or None when several are named equally often."""
    counts: dict[str, int] = {}
    for district in districts:
        counts[district] = counts.get(district, 0) + 1
    top = max(counts.values())
    leaders = [d for d, n in counts.items() if n == top]
    return leaders[0] if len(leaders) == 1 else None


def _prefix_table(keys: Iterable[str]) -> dict[str, bool]:
    """Every prefix of every key, mapped to whether it is itself a key."""
    prefixes: dict[str, bool] = {}
    for key in keys:
        for end in range(1, len(key)):
            prefixes.setdefault(key[:end], False)
    for key in keys:
        prefixes[key] = True
    return prefixes


def _scan(text: str, prefixes: dict[str, bool]) -> Iterable[tuple[int, int]]:
    """The (start, end) of the leftmost-longest keys in the text, without overlaps.

    Every key has at least two characters, so a name can only start where the
    two characters there begin some key; one comprehension finds those places
    and a walk along the prefix table from each finds the longest key. A walk
    never goes further than the longest name, so the time grows with the length
    of the text and not with the number of names.
    """
    size = len(text)
    starts = [i for i in range(size - 1) if text[i : i + 2] in prefixes]
    covered = 0
    for start in starts:
        if start < covered:
            continue
        longest = 0
        end = start + 2
        while end <= size:
            is_key = prefixes.get(text[start:end])
            if is_key is None:
                break
            if is_key:
                longest = end
            end += 1
        if longest:
            yield start, longest
            covered = longest
