"""The ledger's API: tree heads, proofs and the public key (public); entry search (auditors)."""

from django.http import HttpRequest
from ninja import Query, Router

from zhengtong.core.schemas import ErrorOut
from zhengtong.identity.auth import session_auth
from zhengtong.ledger.access import access_entries_by_filters
from zhengtong.ledger.encoding import epoch_millis, sth_message
from zhengtong.ledger.models import LedgerEntry, SignedTreeHead
from zhengtong.ledger.schemas import (
    ConsistencyProofOut,
    EntryOut,
    EntryPageOut,
    EntrySearchIn,
    InclusionProofOut,
    PublicKeyOut,
    SignedTreeHeadOut,
)
from zhengtong.ledger.selectors import (
    EntryFilters,
    consistency_proof_for,
    inclusion_proof_for,
    require_latest_signed_tree_head,
)
from zhengtong.ledger.signing import SIGNATURE_ALGORITHM, public_key_pem, signing_key

router = Router(tags=["ledger"])


def sth_out(sth: SignedTreeHead) -> SignedTreeHeadOut:
    root = bytes(sth.root_hash)
    millis = epoch_millis(sth.timestamp)
    public_key = bytes(sth.public_key)
    return SignedTreeHeadOut(
        tree_size=sth.tree_size,
        root_hash=root.hex(),
        timestamp=sth.timestamp,
        timestamp_ms=millis,
        hash_algorithm=sth.hash_algorithm,
        key_id=sth.key_id,
        signature_algorithm=SIGNATURE_ALGORITHM,
        signature=bytes(sth.signature).hex(),
        signed_message=sth_message(sth.tree_size, root, sth.hash_algorithm, millis).decode(),
        public_key=public_key.hex(),
        public_key_pem=public_key_pem(public_key),
    )


def entry_out(entry: LedgerEntry) -> EntryOut:
    return EntryOut(
        seq=entry.seq,
        recorded_at=entry.recorded_at,
        actor_ref=entry.actor_ref,
        actor_label=entry.actor_label,
        action=entry.action,
        subject_type=entry.subject_type,
        subject_id=entry.subject_id,
        data_hash=bytes(entry.data_hash).hex(),
        leaf_hash=bytes(entry.leaf_hash).hex(),
    )


@router.get(
    "/sth",
    # 404 ``no_signed_tree_head`` until the first head is signed.
    response={200: SignedTreeHeadOut, 404: ErrorOut},
    url_name="ledger_latest_sth",
    summary="Latest signed tree head",
)
def latest_sth(request: HttpRequest) -> SignedTreeHeadOut:
    """Return the most recent signed tree head with the key that signed it."""
    return sth_out(require_latest_signed_tree_head())


@router.get(
    "/public-key", response=PublicKeyOut, url_name="ledger_public_key", summary="Signing key"
)
def public_key(request: HttpRequest) -> PublicKeyOut:
    """Return the Ed25519 public key that signs tree heads now."""
    key = signing_key()
    return PublicKeyOut(
        key_id=key.key_id,
        algorithm=SIGNATURE_ALGORITHM,
        public_key=key.public_key.hex(),
        public_key_pem=key.public_key_pem,
    )


@router.get(
    "/entries/{seq}/inclusion-proof",
    # 400 tree size out of range, 404 no such entry (or no signed head yet),
    # 409 the entry is not in a tree of that size.
    response={200: InclusionProofOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    url_name="ledger_inclusion_proof",
    summary="Inclusion proof for an entry",
)
def inclusion_proof(
    request: HttpRequest, seq: int, tree_size: int | None = None
) -> InclusionProofOut:
    """Return the proof that entry ``seq`` is in the tree of ``tree_size`` entries.

    Without ``tree_size`` the proof is against the latest signed tree head.
    """
    size = tree_size if tree_size is not None else require_latest_signed_tree_head().tree_size
    proof = inclusion_proof_for(seq, size)
    return InclusionProofOut(
        seq=proof.seq,
        tree_size=proof.tree_size,
        leaf_hash=proof.leaf_hash.hex(),
        root_hash=proof.root_hash.hex(),
        proof=[p.hex() for p in proof.proof],
        hash_algorithm=proof.hash_algorithm,
    )


@router.get(
    "/consistency-proof",
    response={200: ConsistencyProofOut, 400: ErrorOut, 404: ErrorOut},
    url_name="ledger_consistency_proof",
    summary="Consistency proof between two tree sizes",
)
def consistency_proof(
    request: HttpRequest, old_size: int, new_size: int | None = None
) -> ConsistencyProofOut:
    """Return the proof that the tree of ``old_size`` entries is a prefix of ``new_size``.

    Without ``new_size`` the proof is to the latest signed tree head.
    """
    size = new_size if new_size is not None else require_latest_signed_tree_head().tree_size
    proof = consistency_proof_for(old_size, size)
    return ConsistencyProofOut(
        old_size=proof.old_size,
        new_size=proof.new_size,
        old_root=proof.old_root.hex(),
        new_root=proof.new_root.hex(),
        proof=[p.hex() for p in proof.proof],
        hash_algorithm=proof.hash_algorithm,
    )


@router.get(
    "/entries",
    # 403 for a user without ``ledger.view_entries``.
    response={200: EntryPageOut, 403: ErrorOut},
    auth=session_auth,
    url_name="ledger_entries",
    summary="Search entries (auditors)",
)
def search(request: HttpRequest, filters: Query[EntrySearchIn]) -> EntryPageOut:
    """Return entries by actor, subject, action and time, newest first (ledger.view_entries)."""
    page = access_entries_by_filters(
        request.user,
        EntryFilters(
            actor=filters.actor.strip(),
            subject_type=filters.subject_type.strip(),
            subject_id=filters.subject_id.strip(),
            action=filters.action.strip(),
            since=filters.since,
            until=filters.until,
        ),
        before=filters.before,
        limit=filters.limit,
    )
    return EntryPageOut(
        entries=[entry_out(entry) for entry in page.entries], next_before=page.next_before
    )
