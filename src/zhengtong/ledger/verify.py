"""Checking the whole ledger against itself: entries, stored tree, head and signed heads.

The check streams the entries in sequence order, recomputes each leaf hash
from the entry's fields, rebuilds the tree, and compares every step with what
is stored: the entry's own leaf hash, the stored subtree hashes, the head row
and the root of every signed tree head (whose signatures are checked first).

At the first entry that does not fit, it works out what was done to the log
and names that entry:

* **edited**: the entry's fields (or its stored hash) no longer give the leaf
  hash the tree holds at its position;
* **deleted**: the position is empty, or the entries after it were renumbered
  to close the gap;
* **inserted**: the row is unknown to the tree and the entries after it were
  moved up by one, or it lies beyond the tree;
* **reordered**: the row's content belongs at another position of the tree
  and the content of its own position is elsewhere in the log.

Leaf hashes are kept twice (in the entry and as a level-0 tree node), so an
entry edited together with its stored hash still shows against the tree. An
attacker who rewrites entries and the whole tree consistently is caught by
the signed tree heads, which nobody without the signing key can redo.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connections, router
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zhengtong.ledger.encoding import (
    epoch_millis,
    first_node_id_after,
    leaf_data,
    node_id,
    pack_hashes,
    sth_message,
)
from zhengtong.ledger.merkle import Hasher, MerkleFrontier, get_hasher
from zhengtong.ledger.models import (
    ENTRY_COLUMNS,
    LedgerEntry,
    LedgerHead,
    LedgerNode,
    SignedTreeHead,
)
from zhengtong.ledger.signing import current_key_id, key_id_of, verify_signature
from zhengtong.ledger.triggers import expected_triggers, installed_triggers

# The four ways an entry can have been tampered with, and the other findings.
EDITED = "edited"
DELETED = "deleted"
INSERTED = "inserted"
REORDERED = "reordered"
NODE = "node"
HEAD = "head"
SIGNED_TREE_HEAD = "signed_tree_head"
TRIGGERS = "triggers"

EntryRow = tuple[int, datetime, str, str, str, str, str, bytes, bytes]


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    message: str | Promise
    seq: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Report:
    hash_algorithm: str
    tree_size: int = 0
    entries_checked: int = 0
    nodes_checked: int = 0
    signed_tree_heads_checked: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first_entry_finding(self) -> Finding | None:
        kinds = {EDITED, DELETED, INSERTED, REORDERED}
        return next((f for f in self.findings if f.kind in kinds), None)


def _leaf(hasher: Hasher, seq: int, row: EntryRow) -> bytes:
    _seq, at, actor_ref, actor_label, action, subject_type, subject_id, data_hash, _leaf_hash = row
    return hasher.leaf(
        leaf_data(seq, at, actor_ref, actor_label, action, subject_type, subject_id, data_hash)
    )


def _rows(lo: int, hi: int) -> list[EntryRow]:
    rows = LedgerEntry.objects.filter(seq__gte=lo, seq__lt=hi).order_by("seq")
    return [
        (seq, at, a_ref, a_label, action, s_type, s_id, bytes(d_hash), bytes(l_hash))
        for seq, at, a_ref, a_label, action, s_type, s_id, d_hash, l_hash in rows.values_list(
            *ENTRY_COLUMNS
        )
    ]


def _nodes(lo: int, hi: int) -> dict[int, bytes]:
    stored = LedgerNode.objects.filter(
        id__gte=first_node_id_after(lo), id__lt=first_node_id_after(hi)
    ).values_list("id", "hash")
    return {key: bytes(value) for key, value in stored}


def _stored_node(level: int, index: int) -> bytes | None:
    value = (
        LedgerNode.objects.filter(id=node_id(level, index)).values_list("hash", flat=True).first()
    )
    return None if value is None else bytes(value)


def _leaf_node(seq: int) -> bytes | None:
    return _stored_node(0, seq)


def _position_of_leaf(leaf: bytes) -> int | None:
    # A full scan, made at most a few times and only once the log is known
    # to be damaged.
    return LedgerNode.objects.filter(level=0, hash=leaf).values_list("index", flat=True).first()


def _entry_holding(leaf: bytes, *, other_than: int) -> int | None:
    return (
        LedgerEntry.objects.filter(leaf_hash=leaf)
        .exclude(seq=other_than)
        .values_list("seq", flat=True)
        .first()
    )


def _row_at(seq: int) -> EntryRow | None:
    rows = _rows(seq, seq + 1)
    return rows[0] if rows else None


def _next_row(seq: int) -> EntryRow | None:
    following = LedgerEntry.objects.filter(seq__gte=seq).order_by("seq").values_list("seq").first()
    return None if following is None else _row_at(following[0])


class _Classifier:
    """Works out what happened at the first position where the log does not fit its tree."""

    def __init__(self, hasher: Hasher, tree_size: int) -> None:
        self.hasher = hasher
        self.tree_size = tree_size

    def _parent_holds(self, position: int, leaf: bytes) -> bool:
        """Return whether the stored level-1 node is made from ``leaf`` at ``position``."""
        parent = _stored_node(1, position >> 1)
        sibling = _leaf_node(position ^ 1)
        if parent is None or sibling is None:
            return False
        pair = (leaf, sibling) if position % 2 == 0 else (sibling, leaf)
        return self.hasher.node(*pair) == parent

    def _belongs_at(self, row: EntryRow, position: int) -> bool:
        """Return whether ``row``'s content is the entry the tree holds at ``position``."""
        leaf = _leaf_node(position)
        if leaf is None:
            return False
        return row[8] == leaf or _leaf(self.hasher, position, row) == leaf

    def _home_of(self, row: EntryRow, here: int) -> int | None:
        """Return the position in the tree that ``row``'s content belongs to, if any."""
        for candidate in (here + 1, here - 1):
            if candidate >= 0 and self._belongs_at(row, candidate):
                return candidate
        position = _position_of_leaf(row[8])
        if position is not None and self._belongs_at(row, position):
            return position
        return None

    def classify(self, position: int, row: EntryRow | None) -> Finding:
        expected_leaf = _leaf_node(position)
        if row is None or row[0] != position:
            if expected_leaf is not None or position < self.tree_size:
                return _entry(DELETED, position)
            # Past the end of the tree: whatever row comes next was added
            # outside the ledger.
            following = row or _next_row(position)
            if following is not None:
                return _entry(INSERTED, following[0])
            return Finding(HEAD, _("审计日志当前状态与记录不符。"), position)
        if expected_leaf is None:
            if position >= self.tree_size:
                return _entry(INSERTED, position)
            return Finding(
                NODE,
                _("第 %(seq)s 条记录的树节点缺失。") % {"seq": position},
                position,
                {"level": 0, "index": position},
            )
        recomputed = _leaf(self.hasher, position, row)
        if row[8] == recomputed and self._parent_holds(position, recomputed):
            # The entry agrees with itself and with the level above: it is
            # the stored leaf node that was changed, not the entry.
            return Finding(
                NODE,
                _("树节点（层 %(level)s，位置 %(index)s）与记录不符。")
                % {"level": 0, "index": position},
                position,
                {"level": 0, "index": position},
            )
        if row[8] == expected_leaf or recomputed == expected_leaf:
            return _entry(EDITED, position)
        home = self._home_of(row, position)
        if home is not None and home != position:
            if home < position:
                return _entry(REORDERED, position, other=home)
            # Later content sits here: either the entry that belongs here was
            # moved elsewhere (reordered), or it is gone and the rest moved down.
            holder = _entry_holding(expected_leaf, other_than=position)
            if holder is None:
                following = _row_at(position + 1)
                if following is not None and self._belongs_at(following, position):
                    holder = position + 1
            if holder is not None:
                return _entry(REORDERED, position, other=home)
            return _entry(DELETED, position)
        following = _row_at(position + 1)
        if following is not None and self._belongs_at(following, position):
            return _entry(INSERTED, position)
        return _entry(EDITED, position)


def _entry(kind: str, seq: int, *, other: int | None = None) -> Finding:
    messages = {
        EDITED: _("第 %(seq)s 条记录被修改。"),
        DELETED: _("第 %(seq)s 条记录被删除。"),
        INSERTED: _("第 %(seq)s 条记录是被插入的。"),
        REORDERED: _("第 %(seq)s 条记录的顺序被调换（其内容属于第 %(other)s 条）。"),
    }
    detail: dict[str, Any] = {} if other is None else {"belongs_at": other}
    return Finding(kind, messages[kind] % {"seq": seq, "other": other}, seq, detail)


def _check_signed_tree_heads(
    report: Report, sths: Sequence[SignedTreeHead], hasher: Hasher, trusted: set[str]
) -> None:
    for sth in sths:
        public_key = bytes(sth.public_key)
        message = sth_message(
            sth.tree_size, bytes(sth.root_hash), sth.hash_algorithm, epoch_millis(sth.timestamp)
        )
        problem: str | Promise | None = None
        if sth.key_id != key_id_of(public_key):
            problem = _("密钥标识与公钥不符")
        elif sth.key_id not in trusted:
            problem = _("签名密钥不受信任")
        elif not verify_signature(public_key, bytes(sth.signature), message):
            problem = _("签名无效")
        elif sth.hash_algorithm != hasher.name:
            problem = _("摘要算法与审计日志不符")
        if problem is not None:
            report.findings.append(
                Finding(
                    SIGNED_TREE_HEAD,
                    _("树大小为 %(size)s 的签名树头：%(problem)s。")
                    % {"size": sth.tree_size, "problem": problem},
                    detail={"id": sth.pk, "tree_size": sth.tree_size},
                )
            )
    report.signed_tree_heads_checked = len(sths)


def _check_triggers(report: Report) -> None:
    connection = connections[router.db_for_write(LedgerEntry)]
    missing = expected_triggers(connection.vendor) - installed_triggers(connection)
    if missing:
        names = ", ".join(sorted(name for _table, name in missing))
        report.findings.append(
            Finding(
                TRIGGERS,
                _("拒绝修改和删除的数据库触发器缺失或被停用：%(names)s。") % {"names": names},
                detail={"missing": sorted(name for _table, name in missing)},
            )
        )


def verify_ledger(
    *,
    trusted_key_ids: Iterable[str] = (),
    chunk_size: int = 50_000,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Check every entry, stored subtree, the head and every signed tree head."""
    if chunk_size < 1:
        # A chunk of no entries would never move the check forward.
        raise ValueError("chunk_size must be at least 1")
    head = LedgerHead.objects.filter(pk=LedgerHead.SINGLETON).first()
    hasher = get_hasher(head.hash_algorithm if head is not None else settings.LEDGER_HASH)
    tree_size = head.tree_size if head is not None else 0
    report = Report(hash_algorithm=hasher.name, tree_size=tree_size)
    _check_triggers(report)

    sths = list(SignedTreeHead.objects.order_by("tree_size", "id"))
    # Verifying must not create a key: on a machine without one, only the
    # keys given explicitly are trusted.
    current = current_key_id()
    trusted = {*trusted_key_ids, *([current] if current else [])}
    _check_signed_tree_heads(report, sths, hasher, trusted)
    sth_roots: dict[int, list[SignedTreeHead]] = {}
    for sth in sths:
        sth_roots.setdefault(sth.tree_size, []).append(sth)

    frontier = MerkleFrontier(hasher=hasher)
    classifier = _Classifier(hasher, tree_size)
    end = _end_of_log(tree_size)

    def check_roots(size: int) -> None:
        for sth in sth_roots.get(size, ()):
            if bytes(sth.root_hash) != frontier.root():
                report.findings.append(
                    Finding(
                        SIGNED_TREE_HEAD,
                        _(
                            "重算的树根与树大小为 %(size)s 的签名树头不符："
                            "此前的记录和树节点被一并改写。"
                        )
                        % {"size": size},
                        detail={"id": sth.pk, "tree_size": size},
                    )
                )

    check_roots(0)
    position = 0
    damaged = False
    node = hasher.node
    leaf_of = hasher.leaf
    while True:
        if position >= end:
            # The platform keeps appending while the check runs. What was
            # committed meanwhile is checked too, and the end of the log (the
            # head, nodes and signed heads beyond it) is judged only once the
            # head has stopped moving past the check; otherwise every check of
            # a working log would report its growth as tampering.
            head = LedgerHead.objects.filter(pk=LedgerHead.SINGLETON).first()
            size = head.tree_size if head is not None else 0
            end = _end_of_log(size)
            if end <= position:
                findings = _end_findings(head, frontier, position, hasher)
                size = _head_size()
                if not findings or size <= position:
                    report.findings.extend(findings)
                    break
                end = _end_of_log(size)
            classifier.tree_size = report.tree_size = size
            continue
        hi = min(position + chunk_size, end)
        rows = _rows(position, hi)
        stored = _nodes(position, hi)
        report.nodes_checked += len(stored)
        for row in rows:
            seq, at, actor_ref, actor_label, action, subject_type, subject_id, data_hash, leaf = row
            recomputed = leaf_of(
                leaf_data(
                    position,
                    at,
                    actor_ref,
                    actor_label,
                    action,
                    subject_type,
                    subject_id,
                    data_hash,
                )
            )
            if (
                seq != position
                or recomputed != leaf
                or stored.get(node_id(0, position)) != recomputed
            ):
                report.findings.insert(0, classifier.classify(position, row))
                damaged = True
                break
            h = recomputed
            level = 0
            index = position
            # The same walk as MerkleFrontier.append, unrolled: this loop runs
            # once per entry of the whole log.
            while index & 1:
                h = node(frontier.hashes.pop(), h)
                level += 1
                index >>= 1
                if stored.get(node_id(level, index)) != h:
                    report.findings.append(
                        Finding(
                            NODE,
                            _("树节点（层 %(level)s，位置 %(index)s）与记录不符。")
                            % {"level": level, "index": index},
                            position,
                            {"level": level, "index": index},
                        )
                    )
                    damaged = True
            frontier.hashes.append(h)
            frontier.size += 1
            position += 1
            report.entries_checked += 1
            if position in sth_roots:
                check_roots(position)
            if damaged:
                break
        else:
            if position < hi:
                # The chunk ran out before its end: the next entries are gone.
                report.findings.insert(0, classifier.classify(position, _row_at(position)))
                damaged = True
        if progress is not None:
            progress(position)
        if damaged:
            break
    return report


def _end_of_log(tree_size: int) -> int:
    """Return where the stream of entries ends: the tree's size, or past the last row."""
    last_seq = LedgerEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    return max(tree_size, -1 if last_seq is None else last_seq + 1)


def _head_size() -> int:
    size = (
        LedgerHead.objects.filter(pk=LedgerHead.SINGLETON)
        .values_list("tree_size", flat=True)
        .first()
    )
    return size or 0


def _end_findings(
    head: LedgerHead | None, frontier: MerkleFrontier, size: int, hasher: Hasher
) -> list[Finding]:
    findings: list[Finding] = []
    extra_nodes = LedgerNode.objects.filter(id__gte=first_node_id_after(size)).count()
    if extra_nodes:
        findings.append(
            Finding(
                NODE,
                _("有 %(count)s 个树节点不属于任何记录。") % {"count": extra_nodes},
                detail={"count": extra_nodes},
            )
        )
    head_size = head.tree_size if head is not None else 0
    head_root = bytes(head.root_hash) if head is not None else hasher.empty_root()
    head_frontier = bytes(head.frontier) if head is not None else b""
    if (
        head_size != size
        or head_root != frontier.root()
        or head_frontier != pack_hashes(frontier.hashes)
    ):
        findings.append(
            Finding(
                HEAD,
                _("审计日志当前状态（树大小 %(head)s）与重算结果（树大小 %(size)s）不符。")
                % {"head": head_size, "size": size},
                detail={"head_tree_size": head_size, "tree_size": size},
            )
        )
    for sth in SignedTreeHead.objects.filter(tree_size__gt=size):
        findings.append(
            Finding(
                SIGNED_TREE_HEAD,
                _("签名树头覆盖 %(size)s 条记录，但日志只有 %(count)s 条。")
                % {"size": sth.tree_size, "count": size},
                detail={"id": sth.pk, "tree_size": sth.tree_size},
            )
        )
    return findings
