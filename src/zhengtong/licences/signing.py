"""Signing electronic licences, and the registry of signature algorithms.

A licence records the name of the algorithm that signed it and the id of the
key; verification looks the algorithm up in ``ALGORITHMS`` by that name, so
that SM2 (GB/T 32918) can be added beside Ed25519 without touching licences
already issued. The signed message is the canonical JSON of the payload
(``payload_of``), encoded as the ledger encodes its data.
"""

import hashlib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from zhengtong.core.keyfiles import load_ed25519_private_key, read_or_create_ed25519_pem
from zhengtong.ledger.encoding import canonical_json
from zhengtong.ledger.signing import key_id_of, public_key_pem, verify_signature

# The version of the payload layout new licences are signed with; part of
# what is signed, and recorded on the licence, so that each licence is checked
# against the layout it was signed in. 1: the type by code only; 2: also the
# type's name and the labels of the fields carried.
PAYLOAD_VERSION = 2
PAYLOAD_VERSIONS = (1, 2)
# Hex digits of SHA-256 over the signature carried in the QR code's URL.
SHORT_DIGEST_LENGTH = 12


class SignatureAlgorithm(Protocol):
    """What verification needs of an algorithm: check a signature, show a key."""

    name: str

    def verify(self, public_key: bytes, signature: bytes, message: bytes) -> bool: ...

    def public_key_pem(self, public_key: bytes) -> str: ...


class Ed25519:
    name = "Ed25519"

    def verify(self, public_key: bytes, signature: bytes, message: bytes) -> bool:
        return verify_signature(public_key, signature, message)

    def public_key_pem(self, public_key: bytes) -> str:
        return public_key_pem(public_key)


ALGORITHMS: dict[str, SignatureAlgorithm] = {"Ed25519": Ed25519()}


@dataclass(frozen=True, slots=True)
class LicenceSigner:
    """The configured private key, with the public facts recorded on every licence."""

    algorithm: str
    key_id: str
    public_key: bytes
    private_key: Ed25519PrivateKey

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


_cache: dict[Path, LicenceSigner] = {}
_cache_lock = threading.Lock()


def licence_signer() -> LicenceSigner:
    """Return the key in ``settings.LICENCE_SIGNING_KEY_FILE``, generating it if missing."""
    path = Path(settings.LICENCE_SIGNING_KEY_FILE)
    with _cache_lock:
        cached = _cache.get(path)
        if cached is not None and path.exists():
            return cached
        private_key = load_ed25519_private_key(read_or_create_ed25519_pem(path), source=str(path))
        public = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        signer = LicenceSigner("Ed25519", key_id_of(public), public, private_key)
        _cache[path] = signer
        return signer


class UnknownPayloadVersion(ValueError):
    """A licence names a payload layout this platform does not know."""


def payload_of(
    *,
    version: int,
    type_code: str,
    type_name: str,
    field_labels: Sequence[Mapping[str, str]],
    number: str,
    holder_kind: str,
    holder_id: str,
    holder_name: str,
    data: Mapping[str, Any],
    issuer_code: str,
    issuer_name: str,
    issuer_credit_code: str,
    valid_from: date,
    valid_until: date | None,
) -> dict[str, Any]:
    """Return the payload a licence's signature covers, in the layout of ``version``.

    Version 1 leaves out ``type_name`` and ``field_labels``.
    """
    if version not in PAYLOAD_VERSIONS:
        raise UnknownPayloadVersion(version)
    payload: dict[str, Any] = {
        "v": version,
        "type": type_code,
        "number": number,
        "holder": {"kind": holder_kind, "id": holder_id, "name": holder_name},
        "data": dict(data),
        "issuer": {"code": issuer_code, "name": issuer_name, "credit_code": issuer_credit_code},
        "validity": {
            "from": valid_from.isoformat(),
            "until": valid_until.isoformat() if valid_until else None,
        },
    }
    if version >= 2:
        payload["type"] = {"code": type_code, "name": type_name}
        payload["fields"] = [
            {"code": str(entry["code"]), "label": str(entry["label"])} for entry in field_labels
        ]
    return payload


def field_labels_of(
    fields: Sequence[Mapping[str, Any]], data: Mapping[str, Any]
) -> list[dict[str, str]]:
    """Return the labels of the fields the data carries, in the type's order."""
    return [
        {"code": str(field["code"]), "label": str(field["label"])}
        for field in fields
        if field["code"] in data
    ]


def message_of(payload: Mapping[str, Any]) -> bytes:
    """Return the bytes that are signed: the payload's canonical JSON."""
    return canonical_json(payload)


def payload_hash(message: bytes) -> str:
    return hashlib.sha256(message).hexdigest()


def short_digest(signature: bytes) -> str:
    """Return the short digest of a signature that the QR code's URL carries."""
    return hashlib.sha256(bytes(signature)).hexdigest()[:SHORT_DIGEST_LENGTH]


def verify(algorithm: str, public_key: bytes, signature: bytes, message: bytes) -> bool:
    """Return whether the signature is good under the named algorithm (unknown ones fail)."""
    known = ALGORITHMS.get(algorithm)
    return known is not None and known.verify(bytes(public_key), bytes(signature), message)
