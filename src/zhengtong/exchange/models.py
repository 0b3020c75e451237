"""Datasets the platform holds for a catalog resource, their versions and change feed."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengtong.catalog.models import Resource


class HostedDataset(models.Model):
    """The data of one published catalog resource, held by the platform.

    ``key_item_code`` names the information item that identifies a record
    (a 统一社会信用代码, a 身份证号 ...); every load upserts by it.
    """

    resource = models.OneToOneField(
        Resource, on_delete=models.PROTECT, related_name="hosted_dataset"
    )
    key_item_code = models.CharField(_("主键信息项"), max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["resource__code"]

    def __str__(self) -> str:
        return f"{self.resource.code} ({self.key_item_code})"


class DatasetVersion(models.Model):
    """One upload or push: who loaded what, when, and how much of it was kept."""

    dataset = models.ForeignKey(HostedDataset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    actor_ref = models.CharField(max_length=100)
    actor_label = models.CharField(max_length=100)
    at = models.DateTimeField()
    source_name = models.CharField(_("来源文件"), max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    accepted = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["dataset", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "number"], name="exchange_version_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dataset_id} v{self.number}"


class Record(models.Model):
    """The current values of one key; deleted records stay, flagged, so the feed can say so."""

    dataset = models.ForeignKey(HostedDataset, on_delete=models.CASCADE, related_name="records")
    key = models.CharField(max_length=100)
    values = models.JSONField(default=dict)
    version = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="+")
    deleted = models.BooleanField(default=False)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["dataset", "key"]
        # The unique constraint's index also serves look-ups by key.
        constraints = [
            models.UniqueConstraint(fields=["dataset", "key"], name="exchange_record_key_unique")
        ]

    def __str__(self) -> str:
        return self.key


class ChangeKind(models.TextChoices):
    CREATED = "created", _("新增")
    UPDATED = "updated", _("更新")
    DELETED = "deleted", _("删除")


class RecordChange(models.Model):
    """The append-only change feed; ``seq`` is the cursor subscribers keep."""

    seq = models.BigAutoField(primary_key=True)
    dataset = models.ForeignKey(HostedDataset, on_delete=models.CASCADE, related_name="changes")
    key = models.CharField(max_length=100)
    version = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=10, choices=ChangeKind.choices)
    at = models.DateTimeField()

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["dataset", "seq"])]

    def __str__(self) -> str:
        return f"{self.seq} {self.kind} {self.key}"
