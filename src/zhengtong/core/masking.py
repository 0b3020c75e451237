"""Masking personal information for display (脱敏), with one default policy.

The policy (docs/masking.md) follows GB/T 35273 and common government
practice: show enough to recognise one's own record, never enough to identify
a stranger.

===========  =====================  ==========================================
kind         example                rule
===========  =====================  ==========================================
name         张三 -> 张*            keep the surname (two characters for a
                                    compound surname such as 欧阳), mask the rest
id_number    430102********1234     keep the first 6 and last 4 characters
phone        138****5678            keep the first 3 and last 4 digits
bank_card    622202*********0123    keep the first 6 and last 4 digits
address      湖南省长沙市芙蓉区***  keep the administrative divisions down to the
                                    township (街道/乡镇), hide the rest
email        z***@example.com       keep the first character and the domain
===========  =====================  ==========================================

Every function is idempotent (masking a masked value changes nothing), returns
``""`` for empty input, and never shows more of a short value than of a long
one: values too short for the rule are masked entirely.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable
from functools import cache

from zhengtong.core.divisions import names_by_level

MASK = "*"
# A fixed-length tail for free text, so that the mask does not reveal its length.
HIDDEN = "***"

# Two-character surnames (复姓) common enough to appear in registers.
# fmt: off
COMPOUND_SURNAMES = frozenset({
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "西门", "澹台", "公冶", "宗政", "濮阳", "淳于",
    "单于", "太叔", "申屠", "仲孙", "钟离", "呼延", "闻人", "万俟", "赫连", "拓跋", "百里", "东郭",
    "南门", "羊舌", "微生", "公羊", "梁丘", "左丘", "第五", "谷梁", "乐正", "司空", "司寇", "亓官",
    "巫马", "鲜于", "闾丘", "公良", "漆雕", "壤驷", "公西", "颛孙", "子车", "段干", "马佳",
})
# fmt: on
# Separators inside a name that are shown as they are (阿依古丽·买买提, John Smith).
NAME_SEPARATORS = frozenset("·•・．. -")
_NUMBER_SEPARATORS = re.compile(r"[\s\-()（）]")


def _clean(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def _keep_ends(value: str, head: int, tail: int) -> str:
    """Show ``head`` leading and ``tail`` trailing characters, masking the middle.

    A value with nothing left to mask between the two ends is masked entirely.
    """
    hidden = len(value) - head - tail
    if hidden <= 0:
        return MASK * len(value)
    return value[:head] + MASK * hidden + value[len(value) - tail :]


def mask_name(value: str) -> str:
    """Keep the surname and mask the given name: 张三 -> 张*, 欧阳娜娜 -> 欧阳**."""
    name = _clean(value)
    if not name:
        return ""
    shown = 2 if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES else 1
    return name[:shown] + "".join(
        char if char in NAME_SEPARATORS else MASK for char in name[shown:]
    )


def mask_id_number(value: str) -> str:
    """Keep the first 6 (address code) and last 4 characters: 430102********1234."""
    number = _clean(value).upper()
    if not number:
        return ""
    return _keep_ends(number, 6, 4)


def mask_phone(value: str) -> str:
    """Keep the first 3 and last 4 digits of a mobile number: 138****5678."""
    number = _NUMBER_SEPARATORS.sub("", _clean(value))
    if not number:
        return ""
    # The country code carries no information about the holder.
    for prefix in ("+86", "0086"):
        if number.startswith(prefix) and len(number) - len(prefix) == 11:
            number = number[len(prefix) :]
    if len(number) >= 11:
        return _keep_ends(number, 3, 4)
    # Landlines and short numbers: the last four digits only.
    return _keep_ends(number, 0, 4)


def mask_bank_card(value: str) -> str:
    """Keep the first 6 (issuer) and last 4 digits of a card number: 622202*********0123."""
    number = _NUMBER_SEPARATORS.sub("", _clean(value))
    if not number:
        return ""
    if len(number) > 10:
        return _keep_ends(number, 6, 4)
    return _keep_ends(number, 0, 4)


def mask_email(value: str) -> str:
    """Keep the first character of the mailbox and the domain: z***@example.com."""
    address = _clean(value)
    if not address:
        return ""
    local, at, domain = address.rpartition("@")
    if not at:
        return HIDDEN
    return f"{local[:1]}{HIDDEN}@{domain}"


@cache
def _province_short_names() -> frozenset[str]:
    """Return the short forms people write for provinces (湖南, 广西, 内蒙古)."""
    shorts = set()
    for name in names_by_level().get(1, frozenset()):
        if name.endswith("特别行政区"):
            shorts.add(name[: -len("特别行政区")])
        elif name.endswith("自治区"):
            shorts.add(name[:3] if name.startswith("内蒙古") else name[:2])
        elif name.endswith(("省", "市")):
            shorts.add(name[:-1])
    return frozenset(shorts)


# A set of names with, for each two first characters, the lengths of the names
# that start with them, longest first: a prefix search tries only the lengths
# that can match.
_Names = tuple[frozenset[str], dict[str, tuple[int, ...]]]


def _indexed(names: frozenset[str]) -> _Names:
    lengths: dict[str, set[int]] = {}
    for name in names:
        if len(name) >= 2:
            lengths.setdefault(name[:2], set()).add(len(name))
    return names, {start: tuple(sorted(found, reverse=True)) for start, found in lengths.items()}


_DivisionIndex = tuple[dict[int, _Names], _Names]
_division_index: _DivisionIndex | None = None
_division_index_lock = threading.Lock()


def _division_names() -> _DivisionIndex:
    """The division names by level, and the provinces' short names, each indexed by their starts.

    Computed once per process, together: keying a cache on the large sets
    themselves made every look-up compare them element by element whenever two
    threads had built equal but distinct sets on their first, concurrent, call.
    Building takes about 0.2 s (the division list is parsed too), so threads
    arriving together wait for one build instead of each making its own.
    """
    global _division_index
    index = _division_index
    if index is None:
        with _division_index_lock:
            index = _division_index
            if index is None:
                levels = {level: _indexed(names) for level, names in names_by_level().items()}
                index = _division_index = (levels, _indexed(_province_short_names()))
    return index


def prepare_address_masking() -> None:
    """Build the division index now, so that a server's first masked address does not wait for it.

    The web entry points (``zhengtong.wsgi``, ``zhengtong.asgi``) call it as a
    worker starts; other commands build it on first use, if ever.
    """
    _division_names()


_NO_NAMES: _Names = (frozenset(), {})


def _longest_prefix(text: str, names: _Names) -> int:
    """Return the length of the longest name (two characters or more) starting the text, or 0."""
    found, lengths = names
    for length in lengths.get(text[:2], ()):
        if length <= len(text) and text[:length] in found:
            return length
    return 0


def _division_prefix_length(address: str) -> int:
    """Return how many leading characters of the address are division names (省/市/县/乡)."""
    levels, short_names = _division_names()
    position = _longest_prefix(address, levels.get(1, _NO_NAMES))
    # A short province name (湖南) counts only when a division follows it, so
    # that a road named after a province (北京路) is not taken for one.
    short = 0 if position else _longest_prefix(address, short_names)
    for level in (2, 3, 4):
        position += _longest_prefix(address[position + short :], levels.get(level, _NO_NAMES))
        if short and position:
            position += short
            short = 0
    return position


def mask_address(value: str) -> str:
    """Keep the divisions down to the township and hide the rest: 湖南省长沙市芙蓉区***."""
    address = _clean(value)
    if not address:
        return ""
    kept = _division_prefix_length(address)
    if kept == len(address):
        # Only division names: nothing personal to hide.
        return address
    return address[:kept] + HIDDEN


MASKERS: dict[str, Callable[[str], str]] = {
    "name": mask_name,
    "id_number": mask_id_number,
    "phone": mask_phone,
    "bank_card": mask_bank_card,
    "address": mask_address,
    "email": mask_email,
}


def mask(kind: str, value: str) -> str:
    """Mask a value of the given kind with the default policy; unknown kinds are a bug."""
    try:
        masker = MASKERS[kind]
    except KeyError:
        raise ValueError(f"unknown kind of personal information: {kind!r}") from None
    return masker(value)
