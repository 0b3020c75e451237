"""Byte encodings the ledger hashes and signs. Changing any of them breaks every proof.

Leaf data (version 1), the input of ``H(0x00 || leaf data)``::

    u8   version = 1
    u64  seq                      big-endian
    i64  recorded_at              microseconds since 1970-01-01T00:00:00Z, big-endian
    str  actor_ref                each str: u32 big-endian byte length, then UTF-8
    str  actor_label
    str  action
    str  subject_type
    str  subject_id
    str  data_hash                the raw digest bytes, length-prefixed like a str

Signed tree head (the Ed25519 signature input), UTF-8 text, every line ending
in a line feed::

    zhengtong-ledger/v1
    <tree size in decimal>
    <root hash in lower-case hex>
    <hash algorithm: sha256 or sm3>
    <timestamp: milliseconds since 1970-01-01T00:00:00Z in decimal>
"""

import json
import struct
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

LEAF_VERSION = 1
STH_ORIGIN = "zhengtong-ledger/v1"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HEAD = struct.Struct(">BQq")
_LENGTH = struct.Struct(">I")
_pack_head = _HEAD.pack
_pack_length = _LENGTH.pack


def canonical_json(data: Mapping[str, Any]) -> bytes:
    """Return the one JSON text of ``data`` that is hashed: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def epoch_micros(moment: datetime) -> int:
    """Return an aware datetime as whole microseconds since the Unix epoch."""
    # Integer arithmetic only: a float timestamp loses microseconds.
    return (moment - _EPOCH) // timedelta(microseconds=1)


def from_epoch_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def leaf_data(
    seq: int,
    recorded_at: datetime,
    actor_ref: str,
    actor_label: str,
    action: str,
    subject_type: str,
    subject_id: str,
    data_hash: bytes,
) -> bytes:
    """Return the canonical bytes of one entry (the format in this module's docstring)."""
    parts = [_pack_head(LEAF_VERSION, seq, epoch_micros(recorded_at))]
    for text in (actor_ref, actor_label, action, subject_type, subject_id):
        raw = text.encode()
        parts.append(_pack_length(len(raw)))
        parts.append(raw)
    parts.append(_pack_length(len(data_hash)))
    parts.append(bytes(data_hash))
    return b"".join(parts)


# --- storage layout of the tree ----------------------------------------------------------------

# Levels fit in six bits: a tree of 2**63 leaves has 64 levels.
_LEVEL_BITS = 6


def node_id(level: int, index: int) -> int:
    """Return the stored key of subtree (level, index): ordered by the leaf that completes it."""
    last_leaf = ((index + 1) << level) - 1
    return (last_leaf << _LEVEL_BITS) | level


def node_of(key: int) -> tuple[int, int]:
    """Return the (level, index) that ``node_id`` encoded."""
    level = key & ((1 << _LEVEL_BITS) - 1)
    last_leaf = key >> _LEVEL_BITS
    return level, ((last_leaf + 1) >> level) - 1


def first_node_id_after(leaf_count: int) -> int:
    """Return the smallest node key completed by leaf ``leaf_count`` or later."""
    return leaf_count << _LEVEL_BITS


def pack_hashes(hashes: Sequence[bytes]) -> bytes:
    return b"".join(hashes)


def unpack_hashes(blob: bytes, digest_size: int) -> list[bytes]:
    return [blob[i : i + digest_size] for i in range(0, len(blob), digest_size)]


# --- signed tree heads ------------------------------------------------------------------------


def sth_message(tree_size: int, root_hash: bytes, hash_algorithm: str, timestamp_ms: int) -> bytes:
    """Return the bytes an Ed25519 signature over a tree head covers."""
    return (
        f"{STH_ORIGIN}\n{tree_size}\n{bytes(root_hash).hex()}\n{hash_algorithm}\n{timestamp_ms}\n"
    ).encode()


def epoch_millis(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)
