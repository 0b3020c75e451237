"""Punctuation between a label and its value, in the reader's language.

Loaded as a built-in library (``TEMPLATES`` in settings), so every template
can write ``{% translate "发证机关" %}{% colon %}{{ issuer }}``: a full-width
colon in Chinese, a colon and a space in English.
"""

from django import template
from django.utils.translation import pgettext

register = template.Library()


@register.simple_tag
def colon() -> str:
    """The colon after a label: "：" in Chinese, ": " in English."""
    return pgettext("punctuation after a label", "：")
