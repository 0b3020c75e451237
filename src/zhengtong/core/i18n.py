"""Texts that are stored, not shown: written in the platform's language, whoever acts.

A note in a case's history or an alarm's detail is read later by others, in
their own language setting; translating it with the language of the request
that wrote it would store English for one user's action and Chinese for the
next. Such messages are marked with ``gettext_noop`` where they are written
and turned into text here, in ``settings.LANGUAGE_CODE``.
"""

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise


def stored_text(message: str, **values: object) -> str:
    """Return a ``gettext_noop``-marked message in the platform's language, filled in."""
    with translation.override(settings.LANGUAGE_CODE):
        text = translation.gettext(message)
    return text % values if values else text


def stored_label(label: Promise | str) -> str:
    """Return a choice's (lazy) label in the platform's language, for a stored note."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(label)
