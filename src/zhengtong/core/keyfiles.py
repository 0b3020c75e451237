"""Ed25519 private keys kept in PEM files, generated there on first use.

Shared by every part that signs (the ledger's tree heads, electronic licences),
so that each keeps its own key file but all of them create and load keys the
same careful way.
"""

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured


def load_ed25519_private_key(pem: bytes, *, source: str) -> Ed25519PrivateKey:
    """Return the Ed25519 private key in ``pem``; refuse any other kind of key."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"{source} does not hold an Ed25519 private key")
    return key


def read_or_create_ed25519_pem(path: Path) -> bytes:
    """Return the PEM in ``path``, first writing a new Ed25519 key there if it is missing."""
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # O_EXCL with 0600 from the start: the key is never readable by others,
    # and two processes starting together end up with the same key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return pem
