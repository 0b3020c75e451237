"""Punctuation between a label and its value, in the reader's language.

Loaded as a built-in library (``TEMPLATES`` in settings), so every template
can write ``{% translate "发证机关" %}{% colon %}{{ issuer }}``: a full-width
colon in Chinese, a colon and a space in English; and ``{{ note|bracketed }}``:
"（note）" in Chinese, " (note)" in English.
"""

from typing import Any

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import pgettext

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
    return mark_safe(pgettext("brackets around a note", "（%(note)s）") % {"note": note})  # noqa: S308
