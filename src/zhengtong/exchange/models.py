"""Datasets the platform holds for a catalog resource, their versions and change feed."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhengtong.catalog.models import Resource
from zhengtong.core.i18n import shown_text
from zhengtong.identity.models import SystemClient


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
        verbose_name = _("托管数据集")
        verbose_name_plural = _("托管数据集")
        ordering = ["resource__code"]

    def __str__(self) -> str:
        return f"{self.resource.code} ({self.key_item_code})"


class ProxiedDatasetQuerySet(models.QuerySet["ProxiedDataset"]):
    def connected(self) -> "ProxiedDatasetQuerySet":
        """The department APIs still connected: a removed (断开) one serves nothing."""
        return self.filter(removed_at__isnull=True)


class ProxiedDataset(models.Model):
    """A published resource whose records stay in the provider's own system.

    Each governed look-up asks the upstream for one record by key
    (``base_url`` + ``path_template`` with ``{key}``); the answer is a JSON
    object of item code -> value. ``auth_header`` is the credential the
    upstream expects; it is never shown in pages or API answers.

    A removed (断开) dataset keeps its row with ``removed_at`` set, so that the
    ledger entries naming it still name a row; every look-up asks for
    ``ProxiedDataset.objects.connected()``, and at most one per resource is connected.
    """

    resource = models.ForeignKey(
        Resource, on_delete=models.PROTECT, related_name="proxied_datasets"
    )
    key_item_code = models.CharField(_("主键信息项"), max_length=40)
    base_url = models.URLField(_("上游接口地址"), max_length=300)
    path_template = models.CharField(_("路径模板"), max_length=200, default="/{key}")
    auth_header = models.CharField(max_length=500, blank=True)
    connect_timeout = models.FloatField(default=2.0)
    read_timeout = models.FloatField(default=5.0)
    total_timeout = models.FloatField(default=10.0)
    max_retries = models.PositiveSmallIntegerField(default=2)
    # How many keys of one batch are asked at once, and how long the whole
    # batch may take: a provider's system may bear fewer calls at once, or
    # answer more slowly, than the platform's defaults assume.
    max_concurrency = models.PositiveSmallIntegerField(default=8)
    batch_deadline = models.FloatField(default=20.0)
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = ProxiedDatasetQuerySet.as_manager()

    class Meta:
        verbose_name = _("接口代理数据集")
        verbose_name_plural = _("接口代理数据集")
        ordering = ["resource__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource"],
                condition=models.Q(removed_at__isnull=True),
                name="exchange_proxied_one_connected_per_resource",
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource.code} → {self.base_url}"


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
    # The rows an uploaded file's load left out (row, item, reason, code), the
    # first MAX_KEPT_PROBLEMS of them: shown once after the upload, the list
    # was gone as soon as the officer left the page, and the file had to be
    # loaded again, as one more version, to see which rows to correct.
    # Each reason is kept as a stored text (core.i18n) with what it was made
    # from under "message", so that it is read in the reader's language;
    # rows kept before that have the text alone, shown as it was written.
    problems = models.JSONField(_("退回的行"), default=list, blank=True)

    class Meta:
        verbose_name = _("数据集版本")
        verbose_name_plural = _("数据集版本")
        ordering = ["dataset", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "number"], name="exchange_version_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dataset_id} v{self.number}"

    def shown_problems(self) -> list["ShownProblem"]:
        """The kept rejected rows, each reason in the active language where it can be."""
        return [
            ShownProblem(
                row=int(kept.get("row", 0)),
                item=str(kept.get("item", "")),
                reason=shown_text(str(kept.get("reason", "")), _message(kept.get("message"))),
                code=str(kept.get("code", "")),
            )
            for kept in self.problems
            if isinstance(kept, dict)
        ]


@dataclass(frozen=True, slots=True)
class ShownProblem:
    """A row a load left out, as a version kept it, its reason in the reader's language."""

    row: int
    item: str
    reason: str
    code: str


def _message(record: object) -> Mapping[str, Any] | None:
    return record if isinstance(record, Mapping) else None


class Record(models.Model):
    """The current values of one key; deleted records stay, flagged, so the feed can say so."""

    dataset = models.ForeignKey(HostedDataset, on_delete=models.CASCADE, related_name="records")
    key = models.CharField(max_length=100)
    values = models.JSONField(default=dict)
    version = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="+")
    deleted = models.BooleanField(default=False)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("数据记录")
        verbose_name_plural = _("数据记录")
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
    DELETED = "deleted", pgettext_lazy("change feed", "删除")


class RecordChange(models.Model):
    """The append-only change feed; ``seq`` is the cursor subscribers keep."""

    seq = models.BigAutoField(primary_key=True)
    dataset = models.ForeignKey(HostedDataset, on_delete=models.CASCADE, related_name="changes")
    key = models.CharField(max_length=100)
    version = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=10, choices=ChangeKind.choices)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("数据变更")
        verbose_name_plural = _("数据变更")
        ordering = ["seq"]
        indexes = [models.Index(fields=["dataset", "seq"])]

    def __str__(self) -> str:
        return f"{self.seq} {self.kind} {self.key}"


class ApplicationState(models.TextChoices):
    PENDING = "pending", _("待答复")
    GRANTED = "granted", _("已同意")
    REFUSED = "refused", _("已拒绝")
    WITHDRAWN = "withdrawn", _("已撤回")


class AccessApplication(models.Model):
    """A department's request to use a resource (申请), answered by the provider.

    ``due_at`` is ``EXCHANGE_ANSWER_WORKING_DAYS`` working days after submission; a
    pending application past it is overdue and shows on the data bureau's overview.
    """

    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="applications")
    client = models.ForeignKey(
        SystemClient, on_delete=models.PROTECT, related_name="access_applications"
    )
    purpose = models.CharField(_("使用用途"), max_length=500)
    legal_basis = models.CharField(_("申请依据"), max_length=300)
    fields = models.JSONField(_("申请信息项"), default=list)
    clear_fields = models.JSONField(_("需明文的个人信息项"), default=list, blank=True)
    duration_days = models.PositiveIntegerField(_("使用期限（天）"))
    expected_per_day = models.PositiveIntegerField(_("预计日调用量"))
    state = models.CharField(
        _("状态"),
        max_length=12,
        choices=ApplicationState.choices,
        default=ApplicationState.PENDING,
    )
    applicant_ref = models.CharField(max_length=100)
    applicant_label = models.CharField(max_length=100)
    submitted_at = models.DateTimeField()
    due_at = models.DateTimeField(_("答复期限"))
    answered_at = models.DateTimeField(null=True, blank=True)
    answerer_ref = models.CharField(max_length=100, blank=True)
    answerer_label = models.CharField(max_length=100, blank=True)
    answer_reason = models.CharField(_("答复意见"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("共享申请")
        verbose_name_plural = _("共享申请")
        ordering = ["-submitted_at", "-pk"]
        indexes = [models.Index(fields=["state", "due_at"])]

    def __str__(self) -> str:
        return f"{self.resource.code} ← {self.client}"


class Grant(models.Model):
    """Permission for one department system to read named items of a resource.

    ``clear_fields`` are the personal items the system may see unmasked. The
    rate limit is a fixed one-minute window kept on the row itself, so that the
    check and the count are one conditional UPDATE.
    """

    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="grants")
    client = models.ForeignKey(SystemClient, on_delete=models.PROTECT, related_name="grants")
    application = models.OneToOneField(
        AccessApplication, on_delete=models.PROTECT, null=True, blank=True, related_name="grant"
    )
    fields = models.JSONField(_("授权信息项"), default=list)
    clear_fields = models.JSONField(_("明文信息项"), default=list, blank=True)
    purpose = models.CharField(_("授权用途"), max_length=500)
    starts_at = models.DateTimeField(_("生效时间"))
    expires_at = models.DateTimeField(_("到期时间"))
    # The expiry agreed in the answer, before any change of terms: whether the
    # answer was 部分同意 is judged on it, not on the terms as changed since.
    # Empty for grants made before terms could change: their expiry is it.
    agreed_expires_at = models.DateTimeField(_("答复同意的到期时间"), null=True, blank=True)
    rate_per_minute = models.PositiveIntegerField(_("每分钟调用上限"))
    revoked_at = models.DateTimeField(pgettext_lazy("grant", "撤销时间"), null=True, blank=True)
    revoke_reason = models.CharField(pgettext_lazy("grant", "撤销原因"), max_length=500, blank=True)
    window_start = models.BigIntegerField(default=0)
    window_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("共享授权")
        verbose_name_plural = _("共享授权")
        ordering = ["-starts_at", "-pk"]
        indexes = [models.Index(fields=["client", "resource"])]

    def __str__(self) -> str:
        return f"{self.resource.code} → {self.client}"


class GrantTermsChange(models.Model):
    """One change of a grant's terms by its provider: what was, what is, and why.

    The ledger entry (``exchange.change_grant_terms``) holds only the hash of
    this data; the holder department reads the change and its reason here.
    """

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="terms_changes")
    changed_at = models.DateTimeField(_("变更时间"))
    actor_label = models.CharField(_("变更人"), max_length=200)
    old_rate_per_minute = models.PositiveIntegerField(_("原每分钟调用上限"))
    rate_per_minute = models.PositiveIntegerField(_("每分钟调用上限"))
    old_expires_at = models.DateTimeField(_("原到期时间"))
    expires_at = models.DateTimeField(_("到期时间"))
    reason = models.CharField(_("变更理由"), max_length=500)
    ledger_seq = models.BigIntegerField(_("审计记录"))

    class Meta:
        verbose_name = _("授权条件变更")
        verbose_name_plural = _("授权条件变更")
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.grant_id} @ {self.changed_at:%Y-%m-%d %H:%M}"


class UngrantedReadWindow(models.Model):
    """The rate window of a system's reads of a resource that no grant counts.

    A provider system reads its own department's resources without a grant,
    and any system may read a resource's 无条件共享 items without one; there is
    no grant row to count such reads on. One row per system and resource keeps
    the same fixed one-minute window as a grant's, counted by one upsert in the
    transaction that writes the calls' ledger entries. A system is either the
    resource's provider or not, so one row per pair serves both kinds of read.
    """

    client = models.ForeignKey(SystemClient, on_delete=models.CASCADE, related_name="+")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="+")
    window_start = models.BigIntegerField(default=0)
    window_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("无授权调用计数窗口")
        verbose_name_plural = _("无授权调用计数窗口")
        constraints = [
            models.UniqueConstraint(
                fields=["client", "resource"], name="exchange_ungranted_read_window_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client_id} → {self.resource_id}"


class AccessLog(models.Model):
    """What one governed call asked and got: the data behind its ledger entry.

    The ledger keeps only the hash of this row's ``data``; anyone may recompute
    it. Keys are stored as keyed hashes (``subject_hashes``), never in clear.
    """

    ledger_seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    client = models.ForeignKey(SystemClient, on_delete=models.PROTECT, related_name="+")
    # Empty when the call named a resource that does not exist.
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, null=True, related_name="+")
    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, null=True, related_name="+")
    operation = models.CharField(max_length=20)
    result = models.CharField(max_length=40)
    data = models.JSONField()

    class Meta:
        verbose_name = _("共享调用记录")
        verbose_name_plural = _("共享调用记录")
        ordering = ["-ledger_seq"]

    def __str__(self) -> str:
        return f"#{self.ledger_seq} {self.operation} {self.result}"


class AccessSubject(models.Model):
    """One key a governed call touched, as a keyed hash: how a citizen finds uses of their data."""

    log = models.ForeignKey(AccessLog, on_delete=models.CASCADE, related_name="subjects")
    key_hash = models.CharField(max_length=64)
    # What the call returned about this key: found, not_found, match, no_match ...
    outcome = models.CharField(max_length=20)

    class Meta:
        verbose_name = _("调用涉及的主键")
        verbose_name_plural = _("调用涉及的主键")
        indexes = [models.Index(fields=["key_hash", "log"])]

    def __str__(self) -> str:
        return self.key_hash[:12]


class Timeliness(models.TextChoices):
    ON_TIME = "on_time", _("按时更新")
    DUE = "due", _("待更新")
    LATE = "late", _("更新逾期")


class QualityReport(models.Model):
    """One measurement of a hosted dataset's quality; kept, so the history shows the trend.

    ``figures`` holds the measured numbers (docs/exchange-quality.md); ``score``
    and ``timeliness`` are copied out of it so that lists can sort and filter.
    Figures never hold record values; example keys are shown only to the
    provider's officers and the data bureau.
    """

    dataset = models.ForeignKey(
        HostedDataset, on_delete=models.CASCADE, related_name="quality_reports"
    )
    measured_at = models.DateTimeField(_("评估时间"))
    score = models.PositiveSmallIntegerField(_("质量得分"))
    timeliness = models.CharField(_("及时性"), max_length=10, choices=Timeliness.choices)
    figures = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("数据质量报告")
        verbose_name_plural = _("数据质量报告")
        ordering = ["dataset", "-measured_at", "-pk"]
        indexes = [models.Index(fields=["dataset", "-measured_at"])]

    def __str__(self) -> str:
        return f"{self.dataset_id} {self.measured_at:%Y-%m-%d %H:%M} {self.score}"
