"""Input and output shapes of the ledger API. Every hash and signature is lower-case hex."""

from datetime import datetime

from ninja import Field, Schema


class SignedTreeHeadOut(Schema):
    tree_size: int
    root_hash: str = Field(description="Root of the first tree_size entries, hex.")
    timestamp: datetime
    timestamp_ms: int = Field(description="The signed timestamp: milliseconds since the epoch.")
    hash_algorithm: str = Field(description='"sha256" or "sm3".')
    key_id: str = Field(description="First 16 hex digits of SHA-256 over the raw public key.")
    signature_algorithm: str
    signature: str = Field(description="Ed25519 signature over signed_message, hex.")
    signed_message: str = Field(description="The exact UTF-8 text that was signed.")
    public_key: str = Field(description="Raw 32-byte Ed25519 public key, hex.")
    public_key_pem: str


class PublicKeyOut(Schema):
    key_id: str
    algorithm: str
    public_key: str = Field(description="Raw 32-byte Ed25519 public key, hex.")
    public_key_pem: str


class InclusionProofOut(Schema):
    seq: int = Field(description="The entry's sequence number, which is its leaf index.")
    tree_size: int
    leaf_hash: str
    root_hash: str
    proof: list[str] = Field(description="RFC 9162 audit path, from the leaf towards the root.")
    hash_algorithm: str


class ConsistencyProofOut(Schema):
    old_size: int
    new_size: int
    old_root: str
    new_root: str
    proof: list[str] = Field(description="RFC 9162 consistency proof.")
    hash_algorithm: str


class EntrySearchIn(Schema):
    actor: str = Field("", description='Actor reference ("user:42") or label, exact.')
    subject_type: str = ""
    subject_id: str = ""
    action: str = Field("", description='Action name, exact ("core.register_person").')
    since: datetime | None = Field(None, description="Recorded at or after.")
    until: datetime | None = Field(None, description="Recorded before.")
    before: int | None = Field(None, ge=0, description="Only entries with a smaller seq (paging).")
    limit: int = Field(50, ge=1, le=200)


class EntryOut(Schema):
    seq: int
    recorded_at: datetime
    actor_ref: str
    actor_label: str
    action: str
    subject_type: str
    subject_id: str
    data_hash: str
    leaf_hash: str


class EntryPageOut(Schema):
    entries: list[EntryOut]
    next_before: int | None = Field(description="Pass as `before` for the next, older page.")
