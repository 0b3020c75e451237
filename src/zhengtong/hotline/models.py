"""12345 cases (工单), their history, routing data and classifier versions."""

import re
from collections.abc import Mapping
from typing import Any

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zhengtong.core.i18n import shown_text
from zhengtong.core.models import Department, Region
from zhengtong.core.punctuation import listed
from zhengtong.hotline.categories import category_name
from zhengtong.hotline.states import (
    CaseState,
    Channel,
    EventKind,
    ExtensionState,
    LimitUnit,
    Rating,
    RoutedBy,
    TrainingState,
    Urgency,
)

# A file path in a message (absolute, home- or dot-relative, or a Windows drive's).
_PATH = re.compile(
    r"(?<![\w/])(?:[A-Za-z]:[\\/]|\.{0,2}/|~/)"
    r"(?:[^\s'\"，。：:;；,()（）\\/]+[\\/])*([^\s'\"，。：:;；,()（）\\/]+)"
)


def without_paths(text: str) -> str:
    """Return ``text`` with every file path cut to its last part, the file's name.

    Where the server keeps its files is nobody's business on a page or in an
    API answer; the name is what tells the reader which file was meant.
    """
    return _PATH.sub(r"\1", text)


class ClassifierVersion(models.Model):
    """One trained routing model: its file, how it was made and how well it did."""

    number = models.PositiveIntegerField(_("版本号"), unique=True)
    state = models.CharField(
        _("状态"), max_length=16, choices=TrainingState.choices, default=TrainingState.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    stage = models.CharField(_("阶段"), max_length=64, blank=True)
    # Only one version routes messages; activating another moves the flag.
    is_active = models.BooleanField(_("在用"), default=False)
    source = models.CharField(_("训练数据"), max_length=300)
    # What the label was made from, to show it in the reader's language
    # (core.i18n): it is written in the language of whoever queued the training.
    source_message = models.JSONField(null=True, blank=True, editable=False)
    # The CSV file trained on (title, body, label), and whether the
    # dispatchers' decisions were added to it.
    data_path = models.CharField(max_length=500, blank=True)
    include_corrections = models.BooleanField(_("含人工派单样本"), default=True)
    file_name = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    labels = models.JSONField(_("类别"), default=list)
    examples = models.PositiveIntegerField(_("样本数"), default=0)
    # The cross-validated report (per-class precision, recall, F1, confusion).
    report = models.JSONField(_("评估报告"), default=dict, blank=True)
    train_seconds = models.FloatField(default=0)
    error = models.TextField(_("失败原因"), blank=True)
    # Why it failed, as a stable code and its values (``training_failure_text``):
    # the run fails in a worker, in no reader's language, and each reader is
    # told in theirs. Empty for versions failed before: ``error`` is shown.
    error_code = models.CharField(max_length=48, blank=True, default="", editable=False)
    error_params = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"))
    created_by = models.CharField(_("创建人"), max_length=64)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    activated_at = models.DateTimeField(_("启用时间"), null=True, blank=True)
    # Renewed by the worker training it (core.leases): a run whose worker died is run again.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("分拨模型版本")
        verbose_name_plural = _("分拨模型版本")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="one_active_classifier",
            )
        ]

    def __str__(self) -> str:
        return f"v{self.number}"

    @property
    def source_label(self) -> str:
        """What it was trained on, in the reader's language: file names, never server paths."""
        return without_paths(shown_text(self.source, self.source_message))

    @property
    def error_label(self) -> str:
        """Why training failed, in the reader's language, for pages and the API."""
        if self.error_code:
            text = training_failure_text(self.error_code, self.error_params)
            if text is not None:
                return text
        return without_paths(self.error)


def training_failure_text(code: str, params: Mapping[str, Any]) -> str | None:
    """Word a stored training failure in the active language (None: a code not known here)."""
    name = without_paths(str(params.get("name") or ""))
    try:
        if code == "empty_label":
            return gettext("训练数据第 %(row)d 条样本没有类别。") % {"row": params["row"]}
        if code == "empty_message":
            return gettext("训练数据第 %(row)d 条样本标题和内容都为空。") % {"row": params["row"]}
        if code == "too_few_labels":
            return gettext("训练数据至少要有两个类别。")
        if code == "too_few_examples":
            return gettext("每个类别至少需要 %(n)d 条样本，不足的类别：%(labels)s。") % {
                "n": params["n"],
                "labels": listed(category_name(str(label)) for label in params["labels"]),
            }
        if code == "csv_not_utf8":
            problem = gettext("CSV 文件须为 UTF-8 编码。")
        elif code == "csv_missing_columns":
            problem = gettext("CSV 文件须有 body 和 label 两列（title 列可选）。")
        elif code == "csv_unreadable":
            problem = gettext("第 %(line)d 行起无法读取：可能有未配对的引号，或某一栏过长。") % {
                "line": params["line"]
            }
        elif code == "training_data_missing":
            return gettext("找不到训练数据文件 %(name)s。") % {"name": name}
        elif code == "training_data_unreadable":
            return gettext("训练数据文件 %(name)s 无法读取。") % {"name": name}
        elif code == "training_failed":
            return gettext("训练时系统出错（详情已记入日志），请稍后重新训练或联系运维人员。")
        else:
            return None
    except (KeyError, TypeError, ValueError):
        # Values that no longer fit the wording: the stored text is shown.
        return None
    # The file's name first, as the command line reports a file it cannot read.
    return f"{name}: {problem}" if name else problem


class RoutingRule(models.Model):
    """Which department handles a category in a region (the city, or one district).

    A first-level category often spans several bureaus: in the common 12345
    taxonomy 城乡建设 holds housing and property management, but also the
    buses and the metro (城市建设和市政管理 › 公共汽车, 地铁城铁), which the
    transport bureau answers for. A rule with a ``topic`` carves such a matter
    out of its category: a message of the category that names one of its
    ``keywords`` goes to the topic's department; the rule without a topic takes
    the rest.
    """

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(_("类别"), max_length=32)
    # Empty: the whole category (except its topics that have rules of their own).
    topic = models.CharField(_("分拨事项"), max_length=32, blank=True)
    # The words that put a message of the category in the topic, space-separated.
    keywords = models.CharField(
        _("关键词"),
        max_length=300,
        blank=True,
        help_text=_("留言标题或内容含其中任一词即属此事项；用空格或顿号分隔。不设事项的规则不填。"),
    )
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["region_id", "category", "topic"]
        verbose_name = _("分拨规则")
        verbose_name_plural = _("分拨规则")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "category", "topic"], name="unique_routing_rule_topic"
            )
        ]

    def __str__(self) -> str:
        what = f"{self.category} › {self.topic}" if self.topic else self.category
        return f"{self.region.name} {what} → {self.department.name}"

    @property
    def keyword_list(self) -> list[str]:
        return self.keywords.split()


class PlaceAlias(models.Model):
    """A landmark, estate or road name that people use, and the district or street it is in."""

    name = models.CharField(_("地名"), max_length=64, unique=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["name"]
        verbose_name = _("地名别名")
        verbose_name_plural = _("地名别名")

    def __str__(self) -> str:
        return self.name


class TimeLimitRule(models.Model):
    """How long dispatch and reply may take, by urgency and (optionally) category."""

    urgency = models.CharField(_("紧急程度"), max_length=16, choices=Urgency.choices)
    # Empty: every category without a rule of its own.
    category = models.CharField(_("类别"), max_length=32, blank=True)
    dispatch_hours = models.PositiveIntegerField(_("派单时限（小时）"))
    reply_amount = models.PositiveIntegerField(_("答复时限"))
    reply_unit = models.CharField(_("单位"), max_length=16, choices=LimitUnit.choices)

    class Meta:
        ordering = ["urgency", "category"]
        verbose_name = _("办理时限")
        verbose_name_plural = _("办理时限")
        constraints = [
            models.UniqueConstraint(fields=["urgency", "category"], name="unique_time_limit_rule")
        ]

    def __str__(self) -> str:
        return f"{self.get_urgency_display()} {self.category or '*'}"


class Case(models.Model):
    """A citizen's message and its handling. ``state`` points at the newest event's target."""

    number = models.CharField(_("工单编号"), max_length=24, unique=True)
    # Lets an anonymous citizen follow the case without an account.
    tracking_code = models.CharField(max_length=32, unique=True)
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    urgency = models.CharField(
        _("紧急程度"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL
    )
    title = models.CharField(_("标题"), max_length=200, blank=True)
    content = models.TextField(_("内容"))
    location_text = models.CharField(_("事发地点"), max_length=200, blank=True)
    anonymous = models.BooleanField(_("匿名"), default=False)
    contact_name = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    citizen = models.ForeignKey(
        "identity.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Who entered it: the call-centre agent or the importing officer.
    entered_by = models.CharField(_("登记人"), max_length=64, blank=True)
    received_at = models.DateTimeField(_("受理时间"))

    district = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    street = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    place_evidence = models.JSONField(default=list, blank=True)

    predicted_category = models.CharField(_("模型建议类别"), max_length=32, blank=True)
    confidence = models.FloatField(_("置信度"), null=True, blank=True)
    classifier_version = models.PositiveIntegerField(null=True, blank=True)
    category = models.CharField(_("类别"), max_length=32, blank=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    routed_by = models.CharField(_("分拨方式"), max_length=16, choices=RoutedBy.choices, blank=True)

    state = models.CharField(
        _("状态"), max_length=16, choices=CaseState.choices, default=CaseState.DISPATCHING
    )
    dispatch_due = models.DateTimeField(_("派单期限"))
    # When a department returned the case or the centre recalled it, sending
    # it back to the dispatch queue: the dispatch clock of the next dispatch
    # runs from then (empty: from the case's receipt).
    requeued_at = models.DateTimeField(_("退回待派单时间"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    reply_due = models.DateTimeField(_("答复期限"), null=True, blank=True)
    # What the reply deadline is counted from, kept so that it can be counted
    # again when a holiday notice recorded later moves working days
    # (do_recount_reply_deadlines): the limit applied at dispatch (or at
    # reopening) and the working days approved extensions added since.
    reply_limit_amount = models.PositiveIntegerField(_("答复时限"), null=True, blank=True)
    reply_limit_unit = models.CharField(
        _("答复时限单位"), max_length=16, choices=LimitUnit.choices, blank=True
    )
    reply_extension_days = models.PositiveIntegerField(_("延期工作日数"), default=0)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    reply = models.TextField(_("答复内容"), blank=True)
    reply_score = models.JSONField(_("答复质量"), default=dict, blank=True)
    # The enterprise a complaint was found true against (查实), named by the
    # department with its reply; the finding goes on the enterprise's credit file.
    upheld_against = models.ForeignKey(
        "core.Enterprise",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("查实的被投诉企业"),
    )
    rating = models.CharField(_("评价"), max_length=16, choices=Rating.choices, blank=True)
    reopened = models.BooleanField(_("已重办"), default=False)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    urge_count = models.PositiveSmallIntegerField(_("催办次数"), default=0)
    supervised = models.BooleanField(_("已督办"), default=False)
    return_count = models.PositiveSmallIntegerField(_("退回次数"), default=0)

    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="repeats"
    )
    # Citizens who say "me too" (点赞/附议): part of an issue's heat.
    supporters = models.PositiveIntegerField(_("附议数"), default=0)
    # "<import id>:<row>" for a case from a bulk import, so that an import
    # resumed after a crash skips the rows it already registered.
    import_row = models.CharField(max_length=32, blank=True, db_index=True)
    # The one-time key of the page's form the message was sent with, so that
    # the same form sent twice (a double tap, a resend after a timeout) is
    # one case; empty for the other channels.
    submission_key = models.CharField(max_length=32, blank=True, default="")
    # Compact text fingerprint (similar_messages) for repeat and 并单 detection.
    fingerprint = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        indexes = [
            models.Index(fields=["state", "department"], name="hotline_case_queue_idx"),
            models.Index(fields=["received_at"], name="hotline_case_received_idx"),
            models.Index(fields=["citizen", "received_at"], name="hotline_case_citizen_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["submission_key"],
                condition=~models.Q(submission_key=""),
                name="hotline_case_submission_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class CaseEvent(models.Model):
    """One step in a case's history; never edited."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("环节"), max_length=24, choices=EventKind.choices)
    state_after = models.CharField(max_length=16, choices=CaseState.choices)
    actor = models.CharField(_("操作人"), max_length=64)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("工单记录")
        verbose_name_plural = _("工单记录")

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class CaseLink(models.Model):
    """Two cases about the same matter (并单); both stay open.

    Usually from different people; a person's more urgent message about a
    case already answered is also linked to it, as a case of its own.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links")
    related = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    similarity = models.FloatField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("工单关联")
        verbose_name_plural = _("工单关联")
        constraints = [models.UniqueConstraint(fields=["case", "related"], name="unique_case_link")]

    def __str__(self) -> str:
        return f"{self.case_id} ~ {self.related_id}"


class CaseAttachment(models.Model):
    """A photo or document the citizen sent with the message."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="hotline/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("工单附件")
        verbose_name_plural = _("工单附件")

    def __str__(self) -> str:
        return self.name


class ExtensionRequest(models.Model):
    """A department asking for more time to reply, decided by the 12345 centre."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extensions")
    requested_by = models.CharField(_("申请人"), max_length=64)
    days = models.PositiveSmallIntegerField(_("延期工作日"))
    reason = models.TextField(_("理由"))
    state = models.CharField(
        _("状态"), max_length=16, choices=ExtensionState.choices, default=ExtensionState.PENDING
    )
    decided_by = models.CharField(_("审批人"), max_length=64, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    requested_at = models.DateTimeField()

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["requested_at"]

    def __str__(self) -> str:
        return f"{self.case_id} +{self.days}"


class LabelledExample(models.Model):
    """A message whose category a person decided: training data for the next model."""

    case = models.OneToOneField(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    label = models.CharField(max_length=32)
    # What the model had said, so the corrections can be studied.
    predicted = models.CharField(max_length=32, blank=True)
    labelled_by = models.CharField(max_length=64)
    labelled_at = models.DateTimeField()

    class Meta:
        verbose_name = _("分拨标注样本")
        verbose_name_plural = _("分拨标注样本")
        ordering = ["labelled_at"]

    def __str__(self) -> str:
        return self.label


class Notification(models.Model):
    """A message to a department's staff (a reopened case for its supervisor, an urge)."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    text = models.CharField(max_length=300)
    # What the text was made from, to show it in the reader's language.
    message = models.JSONField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("工单通知")
        verbose_name_plural = _("工单通知")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.text

    @property
    def shown_text(self) -> str:
        """The message in the reader's language."""
        return shown_text(self.text, self.message)


class HotIssueAlert(models.Model):
    """An issue whose heat jumped against the window before: leaders are alerted once."""

    # The place and what, so the same issue is not alerted again while it stays hot.
    key = models.CharField(max_length=200)
    label = models.CharField(_("热点问题"), max_length=200)
    place = models.CharField(_("地点"), max_length=100)
    heat = models.FloatField(_("热度"))
    ratio = models.FloatField(_("热度增幅"))
    message_count = models.PositiveIntegerField(_("诉求数"))
    case_numbers = models.JSONField(default=list)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()
    created_at = models.DateTimeField(_("预警时间"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("热点预警")
        verbose_name_plural = _("热点预警")

    def __str__(self) -> str:
        return self.label


class HotIssueAlertNotice(models.Model):
    """A heat-jump alert as one leader was told of it, and whether they acknowledged it.

    Written for every leader whose overview covers the alert's messages when
    the alert is raised; a leader whose post came later gets theirs when they
    acknowledge the alert. The alert itself is the city's; what each leader
    has seen is theirs.
    """

    alert = models.ForeignKey(HotIssueAlert, on_delete=models.CASCADE, related_name="notices")
    user = models.ForeignKey(
        "identity.User", on_delete=models.CASCADE, related_name="hot_issue_alert_notices"
    )
    created_at = models.DateTimeField(_("通知时间"))
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("热点预警通知")
        verbose_name_plural = _("热点预警通知")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "user"], name="one_alert_notice_per_user")
        ]
        indexes = [models.Index(fields=["user", "acknowledged_at"], name="alert_notice_unread_idx")]

    def __str__(self) -> str:
        return f"{self.alert_id} · {self.user_id}"


class HotIssueSnapshot(models.Model):
    """The hot issues of the last ``days`` days as last mined (hourly, in the background).

    Mining tens of thousands of messages takes seconds, so the leader view
    reads this instead of mining on every request. It is derived data, kept
    as the latest result per window length, not a record anyone acts on.
    """

    days = models.PositiveSmallIntegerField(unique=True)
    computed_at = models.DateTimeField()
    issues = models.JSONField(default=list)
    # [position in ``issues``, heat factor] for the issues whose heat jumped.
    jumps = models.JSONField(default=list)

    class Meta:
        verbose_name = _("热点问题快照")
        verbose_name_plural = _("热点问题快照")

    def __str__(self) -> str:
        return f"{self.days} days at {self.computed_at:%Y-%m-%d %H:%M}"


class ImportState(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class CaseImport(models.Model):
    """A bulk XLSX import, run in the background; its report lists every bad row."""

    file = models.FileField(upload_to="hotline-imports/%Y/%m/")
    file_name = models.CharField(_("文件名"), max_length=200)
    # The SHA-256 of the workbook's bytes: the same file uploaded again is
    # found (and imported again only when its uploader confirms it). Empty
    # for imports made before it was kept.
    sha256 = models.CharField(
        _("文件 SHA-256"), max_length=64, blank=True, default="", db_index=True
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=ImportState.choices, default=ImportState.QUEUED
    )
    total_rows = models.PositiveIntegerField(_("行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    created = models.JSONField(default=list)
    merged = models.JSONField(default=list)
    errors = models.JSONField(default=list)
    error = models.TextField(blank=True)
    # Why the whole file failed, as a stable code and its values
    # (``import_failure_text``): the import fails in a worker, in no reader's
    # language, and each reader is told in theirs. Empty for imports failed
    # before: ``error`` is shown.
    error_code = models.CharField(max_length=48, blank=True, default="", editable=False)
    error_params = models.JSONField(default=dict, blank=True, editable=False)
    entered_by = models.CharField(_("导入人"), max_length=64)
    created_at = models.DateTimeField(_("提交时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # Renewed by the worker importing it (core.leases): an import whose worker died is resumed.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("批量导入")
        verbose_name_plural = _("批量导入")

    def __str__(self) -> str:
        return self.file_name

    @property
    def error_label(self) -> str:
        """Why the whole file failed, in the reader's language, for the page and the API."""
        if self.error_code:
            text = import_failure_text(self.error_code, self.error_params)
            if text is not None:
                return text
        return without_paths(self.error)


def import_failure_text(code: str, params: Mapping[str, Any]) -> str | None:
    """Word why a workbook was refused whole, in the active language (None: a code not known here).

    The same words refuse a workbook at upload and fail a queued import
    whose file no longer passes when it is run.
    """
    try:
        if code == "file_too_large":
            return gettext("文件超过 20 MB。")
        if code == "not_xlsx":
            return gettext("文件不是有效的 XLSX 工作簿。")
        if code == "empty_workbook":
            if params.get("header_only"):
                return gettext("工作簿里没有诉求。")
            return gettext("工作簿是空的。")
        if code == "missing_content_column":
            return gettext("缺少“内容”列（也可写作 content 或 留言详情）。")
        if code == "too_many_rows":
            return gettext("一个文件最多 %(n)d 行诉求，请拆分后导入。") % {"n": params["n"]}
        if code == "messages_in_other_sheets":
            return gettext(
                "只导入第一个工作表，但工作表“%(sheets)s”也有诉求。"
                "请把诉求放在同一个工作表，或分成多个文件导入。"
            ) % {"sheets": "”“".join(str(sheet) for sheet in params["sheets"])}
        if code == "import_file_unreadable":
            return gettext("导入文件 %(name)s 无法读取（详情已记入日志），请重新上传。") % {
                "name": without_paths(str(params["name"]))
            }
    except (KeyError, TypeError, ValueError):
        # Values that no longer fit the wording: the stored text is shown.
        return None
    return None
