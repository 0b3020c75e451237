"""Punctuation that differs between the platform's languages.

A name with a code or note after it reads 名称（代码） in Chinese and
"name (code)" in English; the pattern comes from the translation catalogue,
so labels built in Python follow the reader's language as templates do.
"""

from collections.abc import Iterable

from django.utils.translation import pgettext


def bracket_pattern() -> str:
    """The brackets around a note in the active language, with ``%(note)s`` inside."""
    return pgettext("brackets around a note", "（%(note)s）")


def with_note(text: object, note: object) -> str:
    """``text`` followed by ``note`` in brackets, in the active language."""
    return f"{text}{bracket_pattern() % {'note': note}}"


def list_separator() -> str:
    """What separates the items of a list in the active language: 、 or a comma."""
    return pgettext("separator between the items of a list", "、")


def listed(items: Iterable[object]) -> str:
    """The items as one list in the active language: 甲、乙 in Chinese, "a, b" in English."""
    return list_separator().join(str(item) for item in items)


def sentences(parts: Iterable[object]) -> str:
    """Whole sentences one after another: run together in Chinese, a space between in English."""
    pattern = pgettext("one sentence after another", "%(first)s%(then)s")
    texts = [str(part) for part in parts if str(part)]
    joined = texts[0] if texts else ""
    for text in texts[1:]:
        joined = pattern % {"first": joined, "then": text}
    return joined
