"""The Idempotency-Key header as every API takes it: its value, and how a caller's key is kept.

An app that lets a client retry a request safely checks the header's value
with ``checked_idempotency_key``, stores ``caller_key`` in a unique column and
makes what the request asks for with ``found_or_made``: the database then lets
one sending in when a request and its retry arrive at once. What counts as the
same request, and the refusal of a key reused for another one (``key_reused``,
with the app's own message naming what it made), stay with each app.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.db import IntegrityError
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from zhengtong.core.errors import Conflict, InvalidInput

HEADER = "Idempotency-Key"

T = TypeVar("T")

# Visible ASCII, as the IETF draft and the payment APIs that made the header
# common use it (a UUID, usually).
_VALUE = re.compile(r"[\x21-\x7e]{1,255}")


def checked_idempotency_key(value: str) -> str:
    """Return the header's value, refused unless 1 to 255 visible ASCII characters."""
    if not _VALUE.fullmatch(value):
        raise InvalidInput(
            _("Idempotency-Key 须为 1 至 255 个可见 ASCII 字符。"),
            code="invalid_idempotency_key",
            detail={"header": HEADER},
        )
    return value


def caller_key(caller: str, idempotency_key: str) -> str:
    """Return the stored form of a caller's key: made with the caller, so it never finds another's.

    The format is stored: changing it would make every retry of a request
    already answered a second one.
    """
    return hashlib.sha256(f"{caller}\n{idempotency_key}".encode()).hexdigest()[:32]


def key_reused(message: str | Promise, detail: Mapping[str, Any]) -> Conflict:
    """The refusal of a key already used for a request that asked for something else."""
    return Conflict(message, code="idempotency_key_reused", detail=detail)


def found_or_made(find: Callable[[], T | None], make: Callable[[], T]) -> tuple[T, bool]:
    """Return what ``find`` finds under the key, else what ``make`` makes; and whether it was found.

    ``make`` stores the key in a unique column: when a request and its retry
    are sent at once, both find nothing and both make, and the database lets
    one in; the other then finds what the first made.
    """
    found = find()
    if found is not None:
        return found, True
    try:
        return make(), False
    except IntegrityError:
        found = find()
        if found is None:
            raise
        return found, True
