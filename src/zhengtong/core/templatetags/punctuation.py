"""Punctuation between a label and its value, in the reader's language.

Loaded as a built-in library (``TEMPLATES`` in settings), so every template
can write ``{% translate "发证机关" %}{% colon %}{{ issuer }}``: a full-width
colon in Chinese, a colon and a space in English; and ``{{ note|bracketed }}``:
"（note）" in Chinese, " (note)" in English; ``{{ code|bracketed_code }}`` the
same with the note set as code; ``{{ names|listed }}``: 甲、乙 in Chinese,
"a, b" in English.
"""

from typing import Any

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import pgettext

from zhengtong.core.punctuation import bracket_pattern, list_separator

register = template.Library()


@register.simple_tag
def colon() -> str:
    """The colon after a label: "：" in Chinese, ": " in English."""
    return pgettext("punctuation after a label", "：")


@register.filter(needs_autoescape=True)
def bracketed(value: Any, autoescape: bool = True) -> SafeString:
    """A note in brackets after what it qualifies, in the reader's language."""
    note = conditional_escape(value) if autoescape else value
    # The pattern comes from the translation catalogue, the note is escaped.
    return mark_safe(bracket_pattern() % {"note": note})  # noqa: S308


@register.filter(needs_autoescape=True)
def bracketed_code(value: Any, autoescape: bool = True) -> SafeString:
    """A code in brackets after the name it belongs to, set as code."""
    code = conditional_escape(value) if autoescape else value
    return mark_safe(bracket_pattern() % {"note": f"<code>{code}</code>"})  # noqa: S308


@register.filter(is_safe=True, needs_autoescape=True)
def listed(value: Any, autoescape: bool = True) -> SafeString:
    """The items of a list joined as the reader's language lists them (甲、乙 or "a, b")."""
    items = [conditional_escape(item) if autoescape else str(item) for item in value]
    return mark_safe(conditional_escape(list_separator()).join(items))  # noqa: S308


@register.simple_tag(name="list_separator")
def list_separator_tag() -> str:
    """The separator between a list's items, for lists a template writes out itself."""
    return list_separator()
