"""The ledger's Ed25519 signing key: loaded from a PEM file, generated there on first use."""

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from zhengtong.core.keyfiles import load_ed25519_private_key as _load_private
from zhengtong.core.keyfiles import read_or_create_ed25519_pem as _read_or_create

SIGNATURE_ALGORITHM = "Ed25519"


@dataclass(frozen=True, slots=True)
class SigningKey:
    private_key: Ed25519PrivateKey
    public_key: bytes  # raw, 32 bytes
    key_id: str

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)

    @property
    def public_key_pem(self) -> str:
        return public_key_pem(self.public_key)


def key_id_of(public_key: bytes) -> str:
    """Return the key id: the first 16 hex digits of SHA-256 over the raw public key."""
    return hashlib.sha256(bytes(public_key)).hexdigest()[:16]


def public_key_pem(public_key: bytes) -> str:
    key = Ed25519PublicKey.from_public_bytes(bytes(public_key))
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def raw_public_key_from_pem(pem: bytes) -> bytes:
    """Return the raw Ed25519 public key in a PEM file (a public or a private key)."""
    if b"PRIVATE KEY" in pem:
        return _raw_public(_load_private(pem, source="PEM"))
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def verify_signature(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """Return whether ``signature`` is a valid Ed25519 signature of ``message``."""
    try:
        Ed25519PublicKey.from_public_bytes(bytes(public_key)).verify(bytes(signature), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _raw_public(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


_cache: dict[Path, SigningKey] = {}
_cache_lock = threading.Lock()


def current_key_id() -> str | None:
    """Return the id of the configured key without creating one (None if there is none yet)."""
    path = Path(settings.LEDGER_SIGNING_KEY_FILE)
    return signing_key().key_id if path.exists() else None


def signing_key() -> SigningKey:
    """Return the key in ``settings.LEDGER_SIGNING_KEY_FILE``, generating it if missing."""
    path = Path(settings.LEDGER_SIGNING_KEY_FILE)
    with _cache_lock:
        cached = _cache.get(path)
        if cached is not None and path.exists():
            return cached
        private_key = _load_private(_read_or_create(path), source=str(path))
        public = _raw_public(private_key)
        key = SigningKey(private_key, public, key_id_of(public))
        _cache[path] = key
        return key
