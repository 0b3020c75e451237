"""G2G client credentials: ``<key_id>.<secret>``, with only a keyed hash of the secret stored.

The secret is 32 random bytes, so nobody can guess it from its hash however
fast the hash is; a slow password hash (Argon2) would only add tens of
milliseconds to every API call. The hash is an HMAC-SHA256 keyed with the
server's secret key, so that a copy of the database alone does not even allow
an offline check of a leaked secret. Keys listed in ``SECRET_KEY_FALLBACKS``
are still accepted while the secret key is being rotated, and the stored hash
is re-keyed the next time the client authenticates.
"""

import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.utils.crypto import salted_hmac

HASH_PREFIX = "hmac-sha256$"
_KEY_SALT = "zhengtong.identity.client-secret"
KEY_ID_BYTES = 12
SECRET_BYTES = 32


def new_key_id() -> str:
    """Return a fresh public key id: hexadecimal, so it never contains the separator."""
    return secrets.token_hex(KEY_ID_BYTES)


def new_secret() -> str:
    """Return a fresh secret of 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(SECRET_BYTES)


def hash_secret(secret: str, *, server_key: str | None = None) -> str:
    digest = salted_hmac(
        _KEY_SALT, secret, secret=server_key or settings.SECRET_KEY, algorithm="sha256"
    )
    return HASH_PREFIX + digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    # Set when the secret matched under a fallback key: the hash to store now.
    rehashed: str | None = None


def verify_secret(secret: str, stored_hash: str) -> Verification:
    """Check a presented secret against the stored hash in constant time."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    for index, key in enumerate(keys):
        if hmac.compare_digest(hash_secret(secret, server_key=key), stored_hash):
            return Verification(True, None if index == 0 else hash_secret(secret))
    return Verification(False)


def split_token(token: str) -> tuple[str, str] | None:
    """Split ``<key_id>.<secret>``; return None when the token has another shape."""
    key_id, sep, secret = token.strip().partition(".")
    if not sep or not key_id or not secret or len(key_id) > 32:
        return None
    return key_id, secret
