"""The append-only audit log: entries, the stored Merkle tree, and signed tree heads.

Entries, tree nodes and signed tree heads are only ever inserted; database
triggers (migration 0003) refuse UPDATE and DELETE on their tables. The one
row that changes is ``LedgerHead``, the pointer to the current tree, which
is checked against everything else by ``ledger_verify``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# An entry's stored columns in the order the writer inserts them and the
# verifier reads them back.
ENTRY_COLUMNS = (
    "seq",
    "recorded_at",
    "actor_ref",
    "actor_label",
    "action",
    "subject_type",
    "subject_id",
    "data_hash",
    "leaf_hash",
)


class LedgerEntry(models.Model):
    # Leaf index in the Merkle tree: 0, 1, 2 ... with no gaps.
    seq = models.BigIntegerField(_("序号"), primary_key=True)
    recorded_at = models.DateTimeField(_("时间"), db_index=True)
    actor_ref = models.CharField(_("操作者"), max_length=80, db_index=True)
    actor_label = models.CharField(_("操作者名称"), max_length=128)
    action = models.CharField(pgettext_lazy("audit record", "操作"), max_length=80, db_index=True)
    subject_type = models.CharField(_("对象类型"), max_length=64)
    subject_id = models.CharField(_("对象编号"), max_length=128)
    # Hash of the canonical JSON of the action's data; the data itself stays in
    # the module that owns it, so that the log never holds personal data.
    data_hash = models.BinaryField(_("数据摘要"), max_length=64)
    # H(0x00 || leaf data), with the leaf data encoded as in encoding.py.
    leaf_hash = models.BinaryField(max_length=64)

    class Meta:
        ordering = ("seq",)
        indexes = (models.Index(fields=("subject_type", "subject_id"), name="ledger_subject_idx"),)
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"


class LedgerNode(models.Model):
    """The hash of one complete subtree: 2**level leaves starting at index * 2**level.

    Level 0 holds the leaf hashes again, so that a proof is one indexed read
    and a changed entry shows against a row it cannot share. The primary key
    (``tree.node_id``) orders nodes by the append that completed them, which
    lets the verifier stream them beside the entries.
    """

    id = models.BigIntegerField(primary_key=True)
    level = models.PositiveSmallIntegerField(_("层"))
    index = models.BigIntegerField(_("位置"))
    hash = models.BinaryField(_("摘要"), max_length=64)

    class Meta:
        ordering = ("id",)
        verbose_name = _("默克尔树节点")
        verbose_name_plural = _("默克尔树节点")

    def __str__(self) -> str:
        return f"({self.level}, {self.index})"


class LedgerHead(models.Model):
    """The current tree: its size, root and right edge. One row, locked by every append."""

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON)
    tree_size = models.BigIntegerField(_("树大小"), default=0)
    root_hash = models.BinaryField(_("根摘要"), max_length=64)
    # Chosen when the ledger starts and never changed: every hash in the
    # tree and every signed head uses it.
    hash_algorithm = models.CharField(_("摘要算法"), max_length=16)
    # The hashes of the complete subtrees on the right edge, largest first
    # (one per set bit of tree_size), so that appends never read old nodes.
    frontier = models.BinaryField(max_length=64 * 64)
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("审计日志当前状态")
        verbose_name_plural = _("审计日志当前状态")

    def __str__(self) -> str:
        return f"{self.tree_size} / {bytes(self.root_hash).hex()}"


class SignedTreeHead(models.Model):
    """A signed statement of the tree's size and root at a moment (the log's checkpoint)."""

    tree_size = models.BigIntegerField(_("树大小"), db_index=True)
    root_hash = models.BinaryField(_("根摘要"), max_length=64)
    # Milliseconds are the signed precision; the stored value is truncated to them.
    timestamp = models.DateTimeField(_("签名时间"))
    hash_algorithm = models.CharField(_("摘要算法"), max_length=16)
    key_id = models.CharField(_("密钥标识"), max_length=16)
    # The raw Ed25519 public key, so that old heads stay checkable after a key change.
    public_key = models.BinaryField(_("公钥"), max_length=64)
    signature = models.BinaryField(_("签名"), max_length=128)
    sealed_by = models.CharField(_("签署者"), max_length=80)

    class Meta:
        ordering = ("-tree_size", "-id")
        get_latest_by = "id"
        verbose_name = _("签名树头")
        verbose_name_plural = _("签名树头")

    def __str__(self) -> str:
        return f"{self.tree_size} @ {self.timestamp:%Y-%m-%d %H:%M:%S}"
