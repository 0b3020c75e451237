"""Writing to the ledger. Every other app's actions call ``record_entry``."""

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from zhengtong.core.actors import Actor
from zhengtong.ledger.models import LedgerEntry


def canonical_json(data: Mapping[str, Any]) -> bytes:
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def record_entry(
    *,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: str | int,
    data: Mapping[str, Any],
) -> LedgerEntry:
    """Append one entry for a state change; call inside the action's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_entry must run inside the action's transaction")
    last = LedgerEntry.objects.aggregate(m=Max("seq"))["m"]
    seq = 0 if last is None else last + 1
    data_hash = hashlib.sha256(canonical_json(data)).digest()
    recorded_at = timezone.now()
    body = canonical_json(
        {
            "seq": seq,
            "at": recorded_at.isoformat(),
            "actor": actor.ref,
            "action": action,
            "subject": f"{subject_type}:{subject_id}",
            "data": data_hash.hex(),
        }
    )
    return LedgerEntry.objects.create(
        seq=seq,
        recorded_at=recorded_at,
        actor_ref=actor.ref,
        actor_label=actor.label,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        data_hash=data_hash,
        leaf_hash=hashlib.sha256(b"\x00" + body).digest(),
    )
