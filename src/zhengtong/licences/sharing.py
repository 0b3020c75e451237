"""Share links: a signed token naming a stored link (models.LicenceShare).

The token is signed with the platform's secret key (django.core.signing), so
it cannot be forged or altered; what it shows, until when, and whether the
holder withdrew it are read from the stored link.

Links made before links were stored carry the licence's number and their
expiry in the token itself ("legacy" tokens, valid for at most 30 days).
They keep working until they expire, but cannot be withdrawn: nothing names them.
Thirty days after this change is deployed none is left, and that branch can go.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.core import signing
from django.utils import timezone

SALT = "zhengtong.licences.share"
SHARE_DAYS = (1, 7, 30)
# What the share form offers first.
DEFAULT_SHARE_DAYS = 7


def share_token(key: uuid.UUID) -> str:
    """Return the token of the stored link with this key."""
    return signing.dumps({"k": key.hex}, salt=SALT)


@dataclass(frozen=True, slots=True)
class StoredShareToken:
    """A token naming a stored link; the link says whether it still works."""

    key: uuid.UUID


@dataclass(frozen=True, slots=True)
class LegacyShareToken:
    """A token of a link made before links were stored, not yet expired."""

    number: str
    expires_at: datetime


def read_share_token(
    token: str, *, now: datetime | None = None
) -> StoredShareToken | LegacyShareToken | None:
    """Return what a token names, or None if it is forged, damaged or an expired legacy one."""
    try:
        content = signing.loads(token, salt=SALT)
        if "k" in content:
            return StoredShareToken(uuid.UUID(hex=str(content["k"])))
        number, expires = str(content["n"]), int(content["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    expires_at = datetime.fromtimestamp(expires, tz=timezone.get_current_timezone())
    if expires_at <= (now or timezone.now()):
        return None
    return LegacyShareToken(number, expires_at)
