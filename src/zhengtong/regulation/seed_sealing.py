"""Sealing the seed of an announced inspection draw until the draw reveals it.

The seed must stay secret from announcement to draw: whoever knows it can
compute from the published registers which enterprises will be inspected,
and warn them. It is kept in the database only sealed with AES-256-GCM under
a key held outside the database (``settings.INSPECTION_SEED_KEY_FILE``), and
bound to its task's code and commitment, so that a sealed seed copied onto
another task does not open. The draw and a cancellation open it and publish
it; the commitment, published at announcement, shows it was not changed.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from zhengtong.core.keyfiles import read_or_create_secret_key

# The format's version, the first part of every sealed seed.
SEALED_V1 = "aesgcm1"
_NONCE_BYTES = 12


class SeedUnsealable(Exception):
    """The sealed seed does not open: another key, another task, or a changed row."""


def _key() -> AESGCM:
    return AESGCM(read_or_create_secret_key(Path(settings.INSPECTION_SEED_KEY_FILE)))


def _bound_to(task_code: str, commitment: str) -> bytes:
    return f"zhengtong-draw-seed-v1\x00{task_code}\x00{commitment}".encode()


def seal_seed(seed: bytes, *, task_code: str, commitment: str) -> str:
    """Return the seed sealed for storage in its task's row."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _key().encrypt(nonce, seed, _bound_to(task_code, commitment))
    return f"{SEALED_V1}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def unseal_seed(sealed: str, *, task_code: str, commitment: str) -> bytes:
    """Return the seed sealed by ``seal_seed`` for this task; raise SeedUnsealable otherwise."""
    version, _colon, body = sealed.partition(":")
    if version != SEALED_V1:
        raise SeedUnsealable(f"unknown sealing {version!r}")
    try:
        raw = base64.b64decode(body, validate=True)
        return _key().decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _bound_to(task_code, commitment)
        )
    except (ValueError, InvalidTag) as error:
        raise SeedUnsealable("the sealed seed does not open for this task") from error
