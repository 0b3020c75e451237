"""Keys kept in files, generated there on first use.

Ed25519 private keys in PEM files are shared by every part that signs (the
ledger's tree heads, electronic licences); random secret keys by every part
that seals data at rest (the inspection draws' seeds). Each part keeps its
own key file, but all of them create and load keys the same careful way.
"""

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured

from zhengtong.core.files import create_once


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
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return _write_once(path, pem)


def read_or_create_secret_key(path: Path, *, size: int = 32) -> bytes:
    """Return the random key of ``size`` bytes in ``path``, first writing one if it is missing."""
    key = path.read_bytes() if path.exists() else _write_once(path, os.urandom(size))
    if len(key) != size:
        raise ImproperlyConfigured(f"{path} does not hold a key of {size} bytes")
    return key


def _write_once(path: Path, content: bytes) -> bytes:
    """Write a new key file, or return the one another process wrote first.

    0600 from the start, so the key is never readable by others; on disk
    before anything is signed or sealed with it.
    """
    return create_once(path, content, mode=0o600)
