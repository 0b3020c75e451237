"""The checks every text typed into regulation shares: visible, and free of control characters.

A note, reason or name of nothing but zero-width spaces, byte-order marks
or other invisible characters (U+200B, U+FEFF ...) shows its reader nothing:
it is no text, and a required one is missing. A bell or a terminal's escape
sequence pasted in shows as nothing, or as garbage, wherever the text is read
later (the public credit list, the enterprise's file, the ledger); line
breaks and tabs are text.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from zhengtong.core.errors import InvalidInput
from zhengtong.core.validators import first_control_character, has_visible_text


def visible_text(value: str) -> str:
    """The text without surrounding white space; "" when nothing of it would show."""
    text = value.strip()
    return text if has_visible_text(text) else ""


def refuse_control_characters(text: str, field: str) -> None:
    """Refuse a text holding a control character other than a line break or a tab."""
    character = first_control_character(text)
    if character is not None:
        raise InvalidInput(
            _("内容含有不可见的控制字符（%(character)s），请删除后重试。")
            % {"character": character},
            code="control_characters",
            detail={"fields": {field: "invalid"}, "character": character},
        )
