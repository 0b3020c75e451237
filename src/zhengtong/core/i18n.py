"""Texts that are stored, not shown: written in the platform's language, read in the reader's.

A note in a case's history or a message to a user is read later by others,
in their own language setting; translating it with the language of the
request that wrote it would store English for one user's action and Chinese
for the next. Such messages are marked with ``gettext_noop`` where they are
written and turned into text here, in ``settings.LANGUAGE_CODE``: that text
is what is stored, searched, sent by SMS and shown where nothing else is
known.

The text also remembers what it was made from (``StoredText``). A row that
keeps ``message_of(text)`` beside the text can be shown in the reader's
language later (``shown_text``); the values filled in (numbers, names) stay
as they were written.
"""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise


class StoredText(str):
    """A stored text that keeps the message id and the values it was filled in with."""

    message: str
    values: Mapping[str, object]

    @classmethod
    def made(cls, text: str, message: str, values: Mapping[str, object]) -> "StoredText":
        made = cls(text)
        made.message = message
        made.values = values
        return made


def stored_text(message: str, **values: object) -> str:
    """Return a ``gettext_noop``-marked message in the platform's language, filled in."""
    with translation.override(settings.LANGUAGE_CODE):
        text = translation.gettext(message)
    return StoredText.made(text % values if values else text, message, values)


def stored_label(label: Promise | str) -> str:
    """Return a choice's (lazy) label in the platform's language, for a stored note."""
    with translation.override(settings.LANGUAGE_CODE):
        text = str(label)
    with translation.override(None):
        message = str(label)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            if translation.gettext(message) != str(label):
                # A label with a context (pgettext) cannot be looked up again
                # by its id alone: it is kept as text only.
                return text
    return StoredText.made(text, message, {})


def message_of(text: str) -> dict[str, Any] | None:
    """What a stored text was made from, as JSON for a column beside it (None: plain text)."""
    if not isinstance(text, StoredText):
        return None
    values: dict[str, Any] = {}
    for name, value in text.values.items():
        inner = message_of(value) if isinstance(value, str) else None
        if inner is not None:
            values[name] = inner
        elif isinstance(value, bool | int | float) or value is None:
            values[name] = value
        else:
            values[name] = str(value)
    return {"id": text.message, "values": values}


def shown_text(text: str, message: Mapping[str, Any] | None) -> str:
    """A stored text in the active language, from ``message_of``'s record where there is one."""
    if not message or translation.get_language() == settings.LANGUAGE_CODE:
        return text
    try:
        return _render(message)
    except (KeyError, TypeError, ValueError):
        # A record the message no longer fits (its wording changed since):
        # the text as stored is still right, only not translated.
        return text


def _render(message: Mapping[str, Any]) -> str:
    template = translation.gettext(str(message["id"]))
    values = {
        name: _render(value) if isinstance(value, Mapping) else value
        for name, value in message.get("values", {}).items()
    }
    # Formatted as ``stored_text`` did; a message that names values the
    # record lacks raises KeyError here rather than showing its placeholders.
    return template % values if values or "%(" in template else template
