"""The append-only audit log. Rows are only ever inserted."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LedgerEntry(models.Model):
    # Leaf index in the Merkle tree: 0, 1, 2 ... with no gaps.
    seq = models.BigIntegerField(_("序号"), primary_key=True)
    recorded_at = models.DateTimeField(_("时间"), db_index=True)
    actor_ref = models.CharField(_("操作者"), max_length=80, db_index=True)
    actor_label = models.CharField(_("操作者名称"), max_length=128)
    action = models.CharField(_("操作"), max_length=80, db_index=True)
    subject_type = models.CharField(_("对象类型"), max_length=64)
    subject_id = models.CharField(_("对象编号"), max_length=128)
    # Hash of the canonical JSON of the action's data; the data itself stays in
    # the module that owns it, so that the log never holds personal data.
    data_hash = models.BinaryField(_("数据摘要"), max_length=64)
    leaf_hash = models.BinaryField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="ledger_subject_idx")]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
