"""Writing to the ledger. Every other app's actions call ``record_entry``.

An append locks the one ``LedgerHead`` row (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite's IMMEDIATE transactions already serialise writers), takes
the next sequence numbers from it, inserts the entries and every subtree they
complete, and moves the head. All of it happens in the caller's transaction,
so a rolled-back action leaves no entry and no gap.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import Model
from django.utils import timezone

from zhengtong.core.actors import Actor
from zhengtong.core.sql import (
    driver_cursor,
    driver_sql,
    insert_rows,
    insert_sql,
    quoted_table,
    rows_statement,
)
from zhengtong.ledger.encoding import (
    canonical_json,
    epoch_millis,
    leaf_data,
    node_id,
    pack_hashes,
    sth_message,
    unpack_hashes,
)
from zhengtong.ledger.merkle import MerkleFrontier, get_hasher
from zhengtong.ledger.models import (
    ENTRY_COLUMNS,
    LedgerEntry,
    LedgerHead,
    LedgerNode,
    SignedTreeHead,
)
from zhengtong.ledger.signing import signing_key

# Re-exported: other modules hash their data exactly as the ledger does.
__all__ = [
    "Appended",
    "PendingEntry",
    "append_entries",
    "canonical_json",
    "do_seal_ledger",
    "record_entries",
    "record_entry",
]

_NODE_COLUMNS = ("id", "level", "index", "hash")
# Below this many rows a plain INSERT beats setting up a COPY.
_COPY_FROM = 32


@dataclass(frozen=True, slots=True)
class PendingEntry:
    """One entry to append with ``record_entries``."""

    actor: Actor
    action: str
    subject_type: str
    subject_id: str | int
    data: Mapping[str, Any] = field(default_factory=dict)


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("the ledger is written only inside the action's transaction")


@dataclass(frozen=True, slots=True)
class _Head:
    tree_size: int
    root_hash: bytes
    hash_algorithm: str
    frontier: bytes


def _table(using: str, model: type[Model]) -> str:
    return connections[using].ops.quote_name(str(model._meta.db_table))


@dataclass(frozen=True, slots=True)
class _Statements:
    """The append's statements for one database, written once and run on the driver's cursor."""

    lock_head: str
    move_head: str
    insert_entries: str
    insert_nodes: str
    copy_entries: str
    copy_nodes: str


_STATEMENTS: dict[str, _Statements] = {}


def _insert_sql(using: str, model: type[Model], fields: Sequence[str]) -> tuple[str, str]:
    """The INSERT (and PostgreSQL COPY) of ``fields`` of ``model``, quoted for ``using``."""
    table, columns = quoted_table(using, model)
    names = ", ".join(columns[name] for name in fields)
    return insert_sql(using, model, fields), f"COPY {table} ({names}) FROM STDIN"


def _statements(using: str) -> _Statements:
    statements = _STATEMENTS.get(using)
    if statements is None:
        connection = connections[using]
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        head = _table(using, LedgerHead)
        insert_entries, copy_entries = _insert_sql(using, LedgerEntry, ENTRY_COLUMNS)
        insert_nodes, copy_nodes = _insert_sql(using, LedgerNode, _NODE_COLUMNS)
        statements = _STATEMENTS[using] = _Statements(
            lock_head=driver_sql(
                using,
                f"SELECT tree_size, root_hash, hash_algorithm, frontier FROM {head}"  # noqa: S608
                f" WHERE id = %s{lock}",
            ),
            move_head=driver_sql(
                using,
                f"UPDATE {head} SET tree_size = %s, root_hash = %s,"  # noqa: S608
                " frontier = %s, updated_at = %s WHERE id = %s",
            ),
            insert_entries=driver_sql(using, insert_entries),
            insert_nodes=driver_sql(using, insert_nodes),
            copy_entries=copy_entries,
            copy_nodes=copy_nodes,
        )
    return statements


def _lock_head(using: str, cursor: Any = None) -> _Head:
    """Return the head row locked for this transaction, creating it for an empty ledger.

    In SQL on the driver's cursor rather than through the ORM: every action
    takes this lock, and the ORM's query compilation cost more than the query.
    """
    sql = _statements(using).lock_head
    if cursor is None:
        cursor = driver_cursor(using)
    cursor.execute(sql, [LedgerHead.SINGLETON])
    row = cursor.fetchone()
    if row is None:
        hasher = get_hasher(settings.LEDGER_HASH)
        # Two first writers may race here on PostgreSQL: ignore_conflicts
        # lets the loser fall through to lock the winner's row.
        LedgerHead.objects.using(using).bulk_create(
            [
                LedgerHead(
                    pk=LedgerHead.SINGLETON,
                    tree_size=0,
                    root_hash=hasher.empty_root(),
                    hash_algorithm=hasher.name,
                    frontier=b"",
                    updated_at=timezone.now(),
                )
            ],
            ignore_conflicts=True,
        )
        cursor.execute(sql, [LedgerHead.SINGLETON])
        row = cursor.fetchone()
    size, root, algorithm, frontier = row
    return _Head(int(size), bytes(root), str(algorithm), bytes(frontier))


@dataclass(frozen=True, slots=True)
class Appended:
    """Where ``append_entries`` put its entries: ``first_seq`` onwards, all at ``recorded_at``."""

    first_seq: int
    recorded_at: datetime
    # One row per entry, in the order of ``ENTRY_COLUMNS``.
    rows: list[tuple[Any, ...]]


def append_entries(entries: Sequence[PendingEntry]) -> Appended:
    """Append entries in one go without making model instances of them.

    What ``record_entries`` does, for a caller that only needs the sequence
    numbers; call inside the transaction that made the changes, with at least
    one entry.
    """
    _require_transaction()
    if not entries:
        raise ValueError("nothing to append")
    using = router.db_for_write(LedgerEntry)
    connection = connections[using]
    statements = _statements(using)
    cursor = driver_cursor(using)
    head = _lock_head(using, cursor)
    hasher = get_hasher(head.hash_algorithm)
    digest = hasher.digest
    leaf_of = hasher.leaf
    frontier = MerkleFrontier(
        head.tree_size, unpack_hashes(head.frontier, hasher.digest_size), hasher=hasher
    )
    recorded_at = timezone.now()
    db_recorded_at = connection.ops.adapt_datetimefield_value(recorded_at)
    first_seq = frontier.size
    rows: list[tuple[Any, ...]] = []
    entry_params: list[tuple[Any, ...]] = []
    node_params: list[tuple[int, int, int, bytes]] = []
    for pending in entries:
        seq = frontier.size
        actor = pending.actor
        subject_id = str(pending.subject_id)
        data_hash = digest(canonical_json(pending.data))
        leaf = leaf_of(
            leaf_data(
                seq,
                recorded_at,
                actor.ref,
                actor.label,
                pending.action,
                pending.subject_type,
                subject_id,
                data_hash,
            )
        )
        rows.append(
            (
                seq,
                recorded_at,
                actor.ref,
                actor.label,
                pending.action,
                pending.subject_type,
                subject_id,
                data_hash,
                leaf,
            )
        )
        entry_params.append(
            (
                seq,
                db_recorded_at,
                actor.ref,
                actor.label,
                pending.action,
                pending.subject_type,
                subject_id,
                data_hash,
                leaf,
            )
        )
        for level, index, h in frontier.append(leaf):
            node_params.append((node_id(level, index), level, index, h))
    head_params = [
        frontier.size,
        frontier.root(),
        pack_hashes(frontier.hashes),
        db_recorded_at,
        LedgerHead.SINGLETON,
    ]
    if connection.vendor == "postgresql" and len(entry_params) + len(node_params) < _COPY_FROM:
        # One round trip instead of three while the head row is locked: every
        # other action waits for this transaction's commit.
        cursor.execute(
            _append_in_one(using, len(entry_params), len(node_params)),
            [
                *(value for row in entry_params for value in row),
                *(value for row in node_params for value in row),
                *head_params,
            ],
        )
        return Appended(first_seq, recorded_at, rows)
    _insert_rows(
        cursor, connection.vendor, statements.insert_entries, statements.copy_entries, entry_params
    )
    _insert_rows(
        cursor, connection.vendor, statements.insert_nodes, statements.copy_nodes, node_params
    )
    cursor.execute(statements.move_head, head_params)
    return Appended(first_seq, recorded_at, rows)


_APPEND_IN_ONE: dict[tuple[str, int, int], str] = {}


def _append_in_one(using: str, entries: int, nodes: int) -> str:
    """PostgreSQL: insert the entries and the nodes and move the head, in one statement.

    Each data-modifying part of a WITH runs exactly once, to completion.
    """
    key = (using, entries, nodes)
    sql = _APPEND_IN_ONE.get(key)
    if sql is None:
        statements = _statements(using)

        parts = []
        if entries:
            parts.append(f"e AS ({rows_statement(statements.insert_entries, entries)})")
        if nodes:
            parts.append(f"n AS ({rows_statement(statements.insert_nodes, nodes)})")
        sql = statements.move_head
        if parts:
            sql = "WITH " + ", ".join(parts) + " " + sql
        _APPEND_IN_ONE[key] = sql
    return sql


def record_entries(entries: Sequence[PendingEntry]) -> list[LedgerEntry]:
    """Append entries in one go; call inside the transaction that made the changes."""
    _require_transaction()
    if not entries:
        return []
    using = router.db_for_write(LedgerEntry)
    made: list[LedgerEntry] = []
    for row in append_entries(entries).rows:
        entry = LedgerEntry(**dict(zip(ENTRY_COLUMNS, row, strict=True)))
        entry._state.adding = False
        entry._state.db = using
        made.append(entry)
    return made


def _insert_rows(
    cursor: Any, vendor: str, insert: str, copy: str, rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert rows on the driver's cursor: bulk_create compiles for longer than it writes."""
    if not rows:
        return
    if vendor == "postgresql" and len(rows) >= _COPY_FROM:
        # COPY is PostgreSQL's bulk path: one statement for the whole batch.
        with cursor.copy(copy) as stream:
            for row in rows:
                stream.write_row(row)
    else:
        insert_rows(cursor, insert, rows)


def record_entry(
    *,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: str | int,
    data: Mapping[str, Any],
) -> LedgerEntry:
    """Append one entry for a state change; call inside the action's transaction."""
    return record_entries([PendingEntry(actor, action, subject_type, subject_id, data)])[0]


def do_seal_ledger(*, actor: Actor) -> SignedTreeHead:
    """Sign the current tree head; return the latest head unchanged if the tree has not grown.

    Sealing writes no ledger entry of its own: a signed tree head is the
    log's statement about itself, kept in its own append-only table, and an
    entry per seal would make the tree grow on every seal so that no seal
    could ever be skipped.
    """
    with transaction.atomic(durable=True):
        head = _lock_head(router.db_for_write(SignedTreeHead))
        key = signing_key()
        latest = SignedTreeHead.objects.order_by("-id").first()
        if (
            latest is not None
            and latest.tree_size == head.tree_size
            and bytes(latest.root_hash) == head.root_hash
            and latest.hash_algorithm == head.hash_algorithm
            and latest.key_id == key.key_id
        ):
            return latest
        # Truncated to the signed precision so the stored value re-encodes exactly.
        now = timezone.now()
        timestamp = now.replace(microsecond=now.microsecond // 1000 * 1000)
        root = head.root_hash
        message = sth_message(head.tree_size, root, head.hash_algorithm, epoch_millis(timestamp))
        return SignedTreeHead.objects.create(
            tree_size=head.tree_size,
            root_hash=root,
            timestamp=timestamp,
            hash_algorithm=head.hash_algorithm,
            key_id=key.key_id,
            public_key=key.public_key,
            signature=key.sign(message),
            sealed_by=actor.ref,
        )
