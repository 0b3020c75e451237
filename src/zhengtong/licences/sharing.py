"""Share links: a signed token naming the licence and when the link stops working.

Nothing is stored: the token is signed with the platform's secret key
(django.core.signing), so it cannot be altered or extended, and it stops
working at its expiry time.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import signing
from django.utils import timezone

SALT = "zhengtong.licences.share"
SHARE_DAYS = (1, 7, 30)
# What the share form offers first.
DEFAULT_SHARE_DAYS = 7


@dataclass(frozen=True, slots=True)
class ShareLink:
    token: str
    expires_at: datetime


def make_share_link(number: str, days: int, *, now: datetime | None = None) -> ShareLink:
    expires_at = (now or timezone.now()) + timedelta(days=days)
    token = signing.dumps({"n": number, "e": int(expires_at.timestamp())}, salt=SALT)
    return ShareLink(token, expires_at)


@dataclass(frozen=True, slots=True)
class SharedLicence:
    number: str
    expires_at: datetime


def read_share_token(token: str, *, now: datetime | None = None) -> SharedLicence | None:
    """Return what a token shares, or None if it is forged, damaged or expired."""
    try:
        content = signing.loads(token, salt=SALT)
        number, expires = str(content["n"]), int(content["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    expires_at = datetime.fromtimestamp(expires, tz=timezone.get_current_timezone())
    if expires_at <= (now or timezone.now()):
        return None
    return SharedLicence(number, expires_at)
