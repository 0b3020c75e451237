"""Reading the ledger: tree heads, proofs from stored subtree hashes, and entry search.

A proof or a root for any tree size needs O(log n) stored subtree hashes,
fetched in one indexed query; no leaf is rehashed.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connections, router
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.core.errors import Conflict, InvalidInput, NotFound, ZhengtongError
from zhengtong.ledger import merkle
from zhengtong.ledger.encoding import node_id
from zhengtong.ledger.merkle import Hasher, get_hasher
from zhengtong.ledger.models import LedgerEntry, LedgerHead, LedgerNode, SignedTreeHead

MAX_PAGE = 200


class LedgerDamaged(ZhengtongError):
    """A stored subtree hash that a proof needs is missing: run ``ledger_verify``."""

    code = "ledger_damaged"
    status = 500
    default_message = _("审计日志的存储不完整，请运行完整性校验。")


@dataclass(frozen=True, slots=True)
class TreeState:
    size: int
    root_hash: bytes
    hasher: Hasher


@dataclass(frozen=True, slots=True)
class InclusionProof:
    seq: int
    tree_size: int
    leaf_hash: bytes
    root_hash: bytes
    proof: list[bytes]
    hash_algorithm: str


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    old_size: int
    new_size: int
    old_root: bytes
    new_root: bytes
    proof: list[bytes]
    hash_algorithm: str


# Proofs are the hot path of the public API. Their two reads are written in
# SQL: the ORM's query compilation alone took longer than the database.


def _table(model: type[Model]) -> str:
    return connections[router.db_for_read(model)].ops.quote_name(str(model._meta.db_table))


def tree_state() -> TreeState:
    """Return the current tree size and root (the empty tree before the first entry)."""
    with connections[router.db_for_read(LedgerHead)].cursor() as cursor:
        cursor.execute(
            f"SELECT tree_size, root_hash, hash_algorithm FROM {_table(LedgerHead)}"  # noqa: S608
            " WHERE id = %s",
            [LedgerHead.SINGLETON],
        )
        row = cursor.fetchone()
    if row is None:
        hasher = get_hasher(settings.LEDGER_HASH)
        return TreeState(0, hasher.empty_root(), hasher)
    size, root, algorithm = row
    return TreeState(int(size), bytes(root), get_hasher(str(algorithm)))


def latest_signed_tree_head() -> SignedTreeHead | None:
    """Return the most recent signed tree head, if the ledger has been sealed."""
    return SignedTreeHead.objects.order_by("-id").first()


def require_latest_signed_tree_head() -> SignedTreeHead:
    sth = latest_signed_tree_head()
    if sth is None:
        raise NotFound(_("审计日志尚未签名。"), code="no_signed_tree_head")
    return sth


def read_nodes(nodes: Iterable[tuple[int, int]]) -> merkle.NodeReader:
    """Fetch the given subtree hashes in one query and return a reader over them."""
    wanted = sorted({node_id(level, index) for level, index in nodes})
    connection = connections[router.db_for_read(LedgerNode)]
    found: dict[int, bytes] = {}
    if wanted:
        with connection.cursor() as cursor:
            params: list[Any]
            if connection.vendor == "postgresql":
                condition, params = "id = ANY(%s)", [wanted]
            else:
                condition, params = f"id IN ({', '.join(['%s'] * len(wanted))})", list(wanted)
            cursor.execute(
                f"SELECT id, hash FROM {_table(LedgerNode)} WHERE {condition}",  # noqa: S608
                params,
            )
            found = {int(key): bytes(value) for key, value in cursor.fetchall()}

    def read(level: int, index: int) -> bytes:
        try:
            return found[node_id(level, index)]
        except KeyError:
            raise LedgerDamaged(detail={"level": level, "index": index}) from None

    return read


def _check_size(tree_size: int, state: TreeState, *, field: str = "tree_size") -> None:
    # ``field`` names the parameter the caller sent, so that a client can tell
    # which of two sizes was out of range.
    if not 0 <= tree_size <= state.size:
        raise InvalidInput(
            _("树大小须在 0 到 %(size)s 之间。") % {"size": state.size},
            code="invalid_tree_size",
            detail={"field": field, "max": state.size},
        )


def root_at(tree_size: int) -> bytes:
    """Return the root of the tree made of the first ``tree_size`` entries."""
    state = tree_state()
    _check_size(tree_size, state)
    read = read_nodes(merkle.plan_root(tree_size))
    return merkle.root_from_nodes(tree_size, read, hasher=state.hasher)


def inclusion_proof_for(seq: int, tree_size: int) -> InclusionProof:
    """Return the proof that entry ``seq`` is in the tree of ``tree_size`` entries."""
    state = tree_state()
    _check_size(tree_size, state)
    if not 0 <= seq < state.size:
        raise NotFound(code="entry_not_found", detail={"seq": seq})
    if seq >= tree_size:
        raise Conflict(
            _("第 %(seq)s 条记录不在大小为 %(size)s 的树中。") % {"seq": seq, "size": tree_size},
            code="entry_not_in_tree",
            detail={"seq": seq, "tree_size": tree_size},
        )
    ranges = merkle.plan_inclusion_proof(seq, tree_size)
    read = read_nodes([(0, seq), *merkle.nodes_for_ranges(ranges), *merkle.plan_root(tree_size)])
    hasher = state.hasher
    return InclusionProof(
        seq=seq,
        tree_size=tree_size,
        leaf_hash=read(0, seq),
        root_hash=merkle.root_from_nodes(tree_size, read, hasher=hasher),
        proof=merkle.inclusion_proof_from_nodes(seq, tree_size, read, hasher=hasher),
        hash_algorithm=hasher.name,
    )


def consistency_proof_for(old_size: int, new_size: int) -> ConsistencyProof:
    """Return the proof that the tree of ``old_size`` entries is a prefix of ``new_size``."""
    state = tree_state()
    _check_size(new_size, state, field="new_size")
    if not 1 <= old_size <= new_size:
        raise InvalidInput(
            _("旧树大小须在 1 到新树大小之间。"),
            code="invalid_tree_size",
            detail={"field": "old_size", "max": new_size},
        )
    ranges = merkle.plan_consistency_proof(old_size, new_size)
    read = read_nodes(
        [
            *merkle.nodes_for_ranges(ranges),
            *merkle.plan_root(old_size),
            *merkle.plan_root(new_size),
        ]
    )
    hasher = state.hasher
    return ConsistencyProof(
        old_size=old_size,
        new_size=new_size,
        old_root=merkle.root_from_nodes(old_size, read, hasher=hasher),
        new_root=merkle.root_from_nodes(new_size, read, hasher=hasher),
        proof=merkle.consistency_proof_from_nodes(old_size, new_size, read, hasher=hasher),
        hash_algorithm=hasher.name,
    )


@dataclass(frozen=True, slots=True)
class EntryFilters:
    """What an auditor searches by; empty fields do not filter."""

    actor: str = ""
    subject_type: str = ""
    subject_id: str = ""
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None

    @property
    def is_empty(self) -> bool:
        return not (
            self.actor
            or self.subject_type
            or self.subject_id
            or self.action
            or self.since
            or self.until
        )


@dataclass(frozen=True, slots=True)
class EntryPage:
    entries: list[LedgerEntry]
    # Pass as ``before`` to get the next (older) page; None on the last page.
    next_before: int | None


def filter_entries(filters: EntryFilters) -> QuerySet[LedgerEntry]:
    """Return the entries matching ``filters``, newest first."""
    entries = LedgerEntry.objects.all()
    if filters.actor:
        # An auditor knows a name or a reference ("user:42"); both are exact
        # matches so that the search stays on an index.
        entries = entries.filter(Q(actor_ref=filters.actor) | Q(actor_label=filters.actor))
    if filters.subject_type:
        entries = entries.filter(subject_type=filters.subject_type)
    if filters.subject_id:
        entries = entries.filter(subject_id=filters.subject_id)
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.since is not None:
        entries = entries.filter(recorded_at__gte=_aware(filters.since))
    if filters.until is not None:
        entries = entries.filter(recorded_at__lt=_aware(filters.until))
    return entries.order_by("-seq")


def _aware(moment: datetime) -> datetime:
    # A time without a zone is the platform's local time (Asia/Shanghai).
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def search_entries(
    filters: EntryFilters, *, before: int | None = None, limit: int = 50, within: Q | None = None
) -> EntryPage:
    """Return one page of matching entries, newest first, older than ``before`` if given.

    ``within`` narrows the search to the entries a reader may see; None is all of them.
    """
    limit = max(1, min(limit, MAX_PAGE))
    entries = filter_entries(filters)
    if within is not None:
        entries = entries.filter(within)
    if before is not None:
        entries = entries.filter(seq__lt=before)
    page = list(entries[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return EntryPage(page, page[-1].seq if more and page else None)
