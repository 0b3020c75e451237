"""Service items (政务服务事项) with their guide (办事指南), materials and history."""

import datetime as dt
import re

from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengtong.core.i18n import shown_text
from zhengtong.core.models import Department
from zhengtong.eservices.application_states import (
    ApplicationState,
    WarningLevel,
    rating_tag_label,
    step_label,
)
from zhengtong.eservices.states import ItemState

# The basic code of an item, after GB/T 39554.1: item type (2 digits), main
# item (5), sub-item (3) and business case (2). The first two digits must be
# the code of the item's type (``TYPE_CODES``).
ITEM_CODE_RE = re.compile(r"^(\d{2})(\d{5})(\d{3})(\d{2})$")
# A process file name: eservices/processes/<process_id>.bpmn.
PROCESS_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# An e-licence type, such as "business_licence".
LICENCE_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# A catalog resource code: 9-digit classification / 6-digit sequence.
RESOURCE_CODE_RE = re.compile(r"^[1-3]\d{8}/\d{6}$")
EXCHANGE_ITEM_RE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


class ItemType(models.TextChoices):
    LICENSING = "licensing", _("行政许可")
    CONFIRMATION = "confirmation", _("行政确认")
    PAYMENT = "payment", _("行政给付")
    FILING = "filing", _("行政备案")
    LEVY = "levy", _("行政征收")
    ADJUDICATION = "adjudication", _("行政裁决")
    OTHER_POWER = "other_power", _("其他行政权力")
    PUBLIC_SERVICE = "public_service", _("公共服务")


# The two leading digits of an item code for each type.
TYPE_CODES: dict[str, str] = {
    ItemType.LICENSING: "01",
    ItemType.LEVY: "04",
    ItemType.PAYMENT: "05",
    ItemType.CONFIRMATION: "07",
    ItemType.ADJUDICATION: "09",
    ItemType.OTHER_POWER: "10",
    ItemType.FILING: "12",
    ItemType.PUBLIC_SERVICE: "20",
}


class Target(models.TextChoices):
    PERSON = "person", _("自然人")
    LEGAL = "legal", _("法人")
    BOTH = "both", _("自然人、法人")


class HandlingKind(models.TextChoices):
    IMMEDIATE = "immediate", _("即办件")
    PROMISED = "promised", _("承诺件")


class OnlineDepth(models.TextChoices):
    LEVEL1 = "level1", _("一级（办事指南公开）")
    LEVEL2 = "level2", _("二级（表格下载）")
    LEVEL3 = "level3", _("三级（在线预审）")
    LEVEL4 = "level4", _("四级（网上受理、办理）")
    FULL = "full", _("全程网办")


class ServiceItem(models.Model):
    """One service item and its guide. ``state`` points at the newest transition's target.

    Steps, fees and FAQs are short lists shown as they are, kept as JSON;
    materials and special procedures are rows, because applications refer to
    them.
    """

    code = models.CharField(_("事项编码"), max_length=12, unique=True)
    name = models.CharField(_("事项名称"), max_length=200)
    item_type = models.CharField(_("事项类型"), max_length=20, choices=ItemType.choices)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="service_items"
    )
    # Departments that approve in parallel (并联审批) besides the lead department.
    co_departments = models.ManyToManyField(Department, blank=True, related_name="co_service_items")
    summary = models.TextField(_("事项简介"), blank=True)
    setting_basis = models.TextField(_("设定依据"))
    implementing_basis = models.TextField(_("实施依据"))
    target = models.CharField(_("服务对象"), max_length=10, choices=Target.choices)
    handling_kind = models.CharField(_("办件类型"), max_length=10, choices=HandlingKind.choices)
    statutory_limit_days = models.PositiveIntegerField(_("法定办结时限（工作日）"))
    committed_limit_days = models.PositiveIntegerField(_("承诺办结时限（工作日）"))
    onsite_visits = models.PositiveSmallIntegerField(_("到办事现场次数"))
    online_depth = models.CharField(_("网办深度"), max_length=10, choices=OnlineDepth.choices)
    acceptance_conditions = models.TextField(_("受理条件"))
    # [{"name", "standard", "basis"}]; an empty list means 不收费.
    fees = models.JSONField(_("收费"), default=list, blank=True)
    # [{"name", "description", "days"}]
    steps = models.JSONField(_("办理流程"), default=list, blank=True)
    # [{"question", "answer"}]
    faqs = models.JSONField(_("常见问题"), default=list, blank=True)
    # How people ask for it (俗称), such as "开饭店".
    phrasings = models.JSONField(_("俗称"), default=list, blank=True)
    keywords = models.CharField(_("关键词"), max_length=300, blank=True)
    place = models.CharField(_("办理地点"), max_length=300)
    hours = models.CharField(_("办理时间"), max_length=200)
    enquiry_phone = models.CharField(_("咨询电话"), max_length=50)
    complaint_phone = models.CharField(_("监督投诉电话"), max_length=50)
    result_name = models.CharField(_("审批结果"), max_length=200, blank=True)
    # The BPMN file eservices/processes/<process_id>.bpmn and the application
    # form (JSON Schema with UI hints); both are used by the application flow.
    process_id = models.CharField(_("流程"), max_length=64, blank=True)
    form_schema = models.JSONField(_("申请表单"), default=dict, blank=True)
    # The e-licence type (licences app) that approval issues; empty: none.
    licence_type_code = models.CharField(_("证照类型"), max_length=64, blank=True)
    state = models.CharField(
        _("状态"), max_length=12, choices=ItemState.choices, default=ItemState.DRAFT
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["state", "department"])]
        verbose_name = _("政务服务事项")
        verbose_name_plural = _("政务服务事项")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_free(self) -> bool:
        return not self.fees

    @property
    def is_parallel(self) -> bool:
        return self.co_departments.exists()


class MaterialForm(models.TextChoices):
    ORIGINAL = "original", _("原件")
    COPY = "copy", _("复印件")
    ORIGINAL_AND_COPY = "both", _("原件和复印件")


class MaterialMedium(models.TextChoices):
    PAPER = "paper", _("纸质")
    ELECTRONIC = "electronic", _("电子")
    EITHER = "either", _("纸质或电子")


class MaterialRequirement(models.TextChoices):
    REQUIRED = "required", _("必要")
    DEFERRABLE = "deferrable", _("可容缺")
    OPTIONAL = "optional", _("非必要（视情形提交）")


class MaterialSource(models.TextChoices):
    UPLOAD = "upload", _("申请人提交")
    EXCHANGE = "exchange", _("免提交（共享获取）")
    LICENCE = "licence", _("电子证照")


class Material(models.Model):
    """A material the applicant provides, or that the platform fetches instead (免提交)."""

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="materials")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(_("材料名称"), max_length=200)
    form = models.CharField(_("材料形式"), max_length=10, choices=MaterialForm.choices)
    medium = models.CharField(_("材料载体"), max_length=12, choices=MaterialMedium.choices)
    copies = models.PositiveSmallIntegerField(_("份数"), default=1)
    requirement = models.CharField(_("必要性"), max_length=12, choices=MaterialRequirement.choices)
    source = models.CharField(_("来源"), max_length=10, choices=MaterialSource.choices)
    # For EXCHANGE: the catalog resource and its information items.
    resource_code = models.CharField(_("共享资源代码"), max_length=16, blank=True)
    item_codes = models.JSONField(_("信息项代码"), default=list, blank=True)
    # For LICENCE: the e-licence type that stands in for the material.
    licence_type = models.CharField(_("证照类型"), max_length=64, blank=True)
    notes = models.TextField(_("填报说明"), blank=True)

    class Meta:
        verbose_name = _("事项材料")
        verbose_name_plural = _("事项材料")
        ordering = ["item", "position"]

    def __str__(self) -> str:
        return self.name


class SpecialProcedure(models.Model):
    """特别程序: a step such as 听证 or 检测 that may stop the clock (行政许可法第四十五条)."""

    item = models.ForeignKey(
        ServiceItem, on_delete=models.CASCADE, related_name="special_procedures"
    )
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(_("特别程序名称"), max_length=100)
    counted_in_limit = models.BooleanField(_("计入办结时限"), default=False)
    max_days = models.PositiveIntegerField(_("时限（工作日）"))
    notes = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("特别程序")
        verbose_name_plural = _("特别程序")
        ordering = ["item", "position"]

    def __str__(self) -> str:
        return self.name


class ItemTransition(models.Model):
    """One change of state; rows are only ever added."""

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, choices=ItemState.choices)
    reason = models.CharField(max_length=500, blank=True)
    actor_ref = models.CharField(max_length=100)
    actor_label = models.CharField(max_length=100)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("事项状态变更")
        verbose_name_plural = _("事项状态变更")
        ordering = ["item", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_state or '-'} -> {self.to_state}"


# ---------------------------------------------------------------------------
# Online applications (办件)
# ---------------------------------------------------------------------------


class ApplicantKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ENTERPRISE = "enterprise", _("法人和其他组织")


class Application(models.Model):
    """One application for a service item; ``state`` is the current state (application_states).

    ``process_state`` is the process instance's serialized state; the open
    user tasks it holds are mirrored in ``WorkTask`` for the workbench.
    """

    number = models.CharField(_("申请编号"), max_length=20, unique=True)
    item = models.ForeignKey(
        ServiceItem, on_delete=models.PROTECT, related_name="applications", verbose_name=_("事项")
    )
    applicant = models.ForeignKey(
        "identity.User", on_delete=models.PROTECT, related_name="eservice_applications"
    )
    applicant_kind = models.CharField(_("申请人类别"), max_length=12, choices=ApplicantKind.choices)
    # 公民身份号码 of a person, 统一社会信用代码 of an enterprise.
    applicant_id_number = models.CharField(_("申请人证件号码"), max_length=18, db_index=True)
    applicant_name = models.CharField(_("申请人名称"), max_length=200)
    form_data = models.JSONField(_("申请表"), default=dict, blank=True)
    # {field: {"value", "source", "verified": true}} for what the exchange filled in.
    prefilled = models.JSONField(_("共享获取的信息"), default=dict, blank=True)
    state = models.CharField(
        _("状态"), max_length=12, choices=ApplicationState.choices, default=ApplicationState.DRAFT
    )
    process_state = models.JSONField(_("流程状态"), default=dict, blank=True)
    # {"flag": bool | None, "records": [...], "status": "clean|flagged|unavailable"}
    credit_check = models.JSONField(_("信用核查结果"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    deadline_at = models.DateTimeField(_("承诺办结时间"), null=True, blank=True)
    # The item's committed limit when the application was accepted: what the
    # applicant was promised. An item edited later binds new applications only.
    limit_days = models.PositiveIntegerField(_("受理时的承诺时限（工作日）"), null=True, blank=True)
    finished_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    warning_level = models.CharField(
        _("时限预警"), max_length=8, choices=WarningLevel.choices, default=WarningLevel.NORMAL
    )
    licence = models.ForeignKey(
        "licences.Licence",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("电子证照"),
    )
    rejection_reasons = models.TextField(_("不予理由"), blank=True)
    # What reasons the platform wrote were made from, to show them in the reader's language.
    rejection_reasons_message = models.JSONField(null=True, blank=True, editable=False)
    rejection_basis = models.TextField(_("法律依据"), blank=True)
    # An API client's Idempotency-Key, made one with the caller's account
    # (do_save_draft_once): its retry finds the application the first sending
    # started instead of starting another. Empty for applications started otherwise.
    request_key = models.CharField(max_length=32, blank=True, default="", editable=False)
    # What that first sending asked for: a retry under the key must ask for the same.
    request_digest = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["applicant", "state"], name="application_applicant_idx"),
            models.Index(fields=["state", "warning_level"], name="application_warning_idx"),
        ]
        constraints = [
            # Two sendings at once both find no application under the key: the
            # database lets one in, and the other answers with it.
            models.UniqueConstraint(
                fields=["request_key"],
                condition=~models.Q(request_key=""),
                name="application_request_key_unique",
            ),
        ]
        verbose_name = _("办件")
        verbose_name_plural = _("办件")

    def __str__(self) -> str:
        return self.number

    @property
    def shown_rejection_reasons(self) -> str:
        """The reasons in the reader's language (reasons staff or a process file wrote stay)."""
        return shown_text(self.rejection_reasons, self.rejection_reasons_message)


class ApplicationSequence(models.Model):
    """The last sequence number given to an application on a day (for application numbers)."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("申请编号序列")
        verbose_name_plural = _("申请编号序列")

    def __str__(self) -> str:
        return f"{self.day} {self.last}"


class ProvisionKind(models.TextChoices):
    UPLOAD = "upload", _("上传文件")
    LICENCE = "licence", _("电子证照")
    EXCHANGE = "exchange", _("共享获取")
    COMMITMENT = "commitment", _("容缺承诺")


class ProvidedMaterialBase(models.Model):
    """How one material was provided: the fields a current and a replaced version share."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("提供方式"), max_length=12, choices=ProvisionKind.choices)
    file = models.FileField(_("文件"), upload_to="eservices/materials/%Y/%m/", blank=True)
    file_name = models.CharField(_("文件名"), max_length=200, blank=True)
    content_type = models.CharField(max_length=40, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    # For COMMITMENT (容缺): the day the applicant promised to hand the material in.
    promised_on = models.DateField(_("承诺补交日期"), null=True, blank=True)

    class Meta:
        abstract = True


class ApplicationMaterial(ProvidedMaterialBase):
    """How the applicant provides one material: a file, an e-licence, shared data or a promise."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="provided_materials"
    )
    licence = models.ForeignKey(
        "licences.Licence", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # For EXCHANGE: the catalog resource the material is taken from.
    resource_code = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["application", "material__position", "pk"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.material_id} {self.kind}"


class SupersededMaterial(ProvidedMaterialBase):
    """An earlier version of a submitted material, replaced by the applicant (补正, 容缺).

    The current version is the ``ApplicationMaterial`` row; the ones it replaced
    are kept here, their files untouched, so that staff see what was handed in
    before and what changed.
    """

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="superseded_materials"
    )
    provided_at = models.DateTimeField()
    superseded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("被替换的申请材料")
        verbose_name_plural = _("被替换的申请材料")
        ordering = ["application", "material__position", "superseded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.material_id} {self.superseded_at:%Y-%m-%d}"


class SuspensionKind(models.TextChoices):
    CORRECTION = "correction", _("补正")
    SPECIAL = "special", _("特别程序")


class Suspension(models.Model):
    """A time the application waited: 补正, or a special procedure.

    ``stops_clock`` says whether the time is left out of the time limit: always
    for 补正, and for special procedures not counted in the limit.
    """

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="suspensions"
    )
    kind = models.CharField(_("类别"), max_length=12, choices=SuspensionKind.choices)
    special_procedure = models.ForeignKey(
        SpecialProcedure, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    stops_clock = models.BooleanField(_("暂停计时"), default=True)
    # The state to return to when the suspension ends (补正 only).
    resume_state = models.CharField(max_length=12, blank=True)
    started_at = models.DateTimeField(_("开始时间"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # A special procedure's end as planned when it started: the procedure's
    # maximum working days from its start. The clock stands still until then
    # at most; time the procedure runs beyond it counts against the limit.
    # None for 补正, which the applicant ends.
    planned_end_at = models.DateTimeField(_("计划结束时间"), null=True, blank=True)
    # The department whose member started a special procedure: in 并联审批 the
    # procedure is that department's, and only it ends it. None for 补正, and
    # for procedures started before this was recorded.
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("说明"), blank=True)
    # 补正 only: the item's materials the request names (补正材料清单), ids in the
    # item's order. Each request keeps its own list, so what was asked stays
    # readable after it is answered; the applicant must replace each of them.
    material_ids = models.JSONField(_("需补正的材料"), default=list, blank=True)
    response = models.TextField(_("补正说明"), blank=True)

    class Meta:
        verbose_name = _("计时暂停")
        verbose_name_plural = _("计时暂停")
        ordering = ["application", "started_at", "pk"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.kind}"

    def stopped_until(self, now: dt.datetime) -> dt.datetime:
        """Where the time this suspension leaves out of the limit ends, as seen at ``now``.

        A running suspension reaches ``now``; a special procedure never past its planned end.
        """
        end = self.ended_at or max(now, self.started_at)
        if self.planned_end_at is not None:
            end = min(end, self.planned_end_at)
        return max(end, self.started_at)

    def overran(self, now: dt.datetime) -> bool:
        """Whether the special procedure ran, or runs at ``now``, past its planned end."""
        if self.planned_end_at is None:
            return False
        return (self.ended_at or now) > self.planned_end_at


class StepKindChoices(models.TextChoices):
    ACCEPT = "accept", _("受理")
    REVIEW = "review", _("审查")
    DECIDE = "decide", _("决定")
    DELIVER = "deliver", _("送达")


class WorkTask(models.Model):
    """A user task of an application's process that waits (or waited) for staff."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="tasks")
    task_id = models.CharField(max_length=36)
    bpmn_id = models.CharField(max_length=64)
    name = models.CharField(_("环节"), max_length=100)
    step = models.CharField(_("环节类别"), max_length=8, choices=StepKindChoices.choices)
    role = models.CharField(_("角色"), max_length=64)
    # The role without its department prefix ("acceptor" for "fire.acceptor"):
    # the workbench queues select on it through an index.
    lane_role = models.CharField(max_length=32, blank=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    claimed_by = models.ForeignKey(
        "identity.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        "identity.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # What staff decided: {"passed", "opinion", "reasons", "legal_basis"}.
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("办理任务")
        verbose_name_plural = _("办理任务")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["department", "role", "completed_at"], name="worktask_queue_idx"),
            models.Index(fields=["claimed_by", "completed_at"], name="worktask_claimed_idx"),
            # The queues: open tasks are a few per cent of all tasks ever made.
            models.Index(
                fields=["department", "lane_role"],
                condition=models.Q(completed_at__isnull=True),
                name="worktask_open_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["application", "task_id"], name="unique_work_task")
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.name}"

    @property
    def label(self) -> str:
        """The step's name in the user's language."""
        return step_label(self.name)


class ApplicationEvent(models.Model):
    """One entry of an application's timeline; rows are only ever added."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, blank=True)
    actor_ref = models.CharField(max_length=100)
    actor_label = models.CharField(max_length=100)
    at = models.DateTimeField()
    note = models.TextField(blank=True)
    # What a note the platform wrote was made from, to show it in the reader's language.
    note_message = models.JSONField(null=True, blank=True, editable=False)
    # The task a 补正 was asked on: its role is the asker's, whoever holds the
    # task later (a colleague takes it over when the asker leaves the post).
    # None for the other rows, and for requests recorded before this was.
    task = models.ForeignKey(
        WorkTask, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("办件过程记录")
        verbose_name_plural = _("办件过程记录")
        ordering = ["application", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.kind}"

    @property
    def shown_note(self) -> str:
        """The note in the reader's language (a note staff wrote stays as written)."""
        return shown_text(self.note, self.note_message)


class RatingLevel(models.IntegerChoices):
    VERY_SATISFIED = 5, _("非常满意")
    SATISFIED = 4, _("满意")
    BASIC = 3, _("基本满意")
    DISSATISFIED = 2, _("不满意")
    VERY_DISSATISFIED = 1, _("非常不满意")


class Rating(models.Model):
    """好差评: one rating of a finished application; a newer one may follow a response."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="ratings")
    level = models.PositiveSmallIntegerField(_("评价等级"), choices=RatingLevel.choices)
    tags = models.JSONField(_("评价标签"), default=list, blank=True)
    comment = models.TextField(_("评价内容"), blank=True)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("好差评")
        verbose_name_plural = _("好差评")
        ordering = ["application", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.level}"

    @property
    def tag_labels(self) -> list[str]:
        """The tags in the user's language (codes, or Chinese tags stored before codes)."""
        return [rating_tag_label(str(tag)) for tag in self.tags]


class Rectification(models.Model):
    """The department's task to answer a 不满意/非常不满意 rating (差评整改)."""

    rating = models.OneToOneField(Rating, on_delete=models.CASCADE, related_name="rectification")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(_("整改期限"))
    response = models.TextField(_("整改情况"), blank=True)
    responded_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    responded_by = models.CharField(max_length=100, blank=True)
    # When the department was told the deadline passed unanswered: it is told once.
    overdue_notified_at = models.DateTimeField(_("逾期提醒时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("差评整改")
        verbose_name_plural = _("差评整改")
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["department", "responded_at"], name="rectification_idx")]

    def __str__(self) -> str:
        return f"{self.rating_id}"

    @property
    def answered_late(self) -> bool:
        """Whether the answer came after the deadline (an unanswered one is not late yet)."""
        return self.responded_at is not None and self.responded_at > self.due_at

    def overdue(self, now: dt.datetime) -> bool:
        """Whether it is still unanswered at or past its deadline."""
        return self.responded_at is None and self.due_at <= now


class Notification(models.Model):
    """An in-app message to a user (站内消息)."""

    user = models.ForeignKey(
        "identity.User", on_delete=models.CASCADE, related_name="eservice_notifications"
    )
    text = models.CharField(_("内容"), max_length=500)
    # What the text was made from, to show it in the reader's language.
    message = models.JSONField(null=True, blank=True, editable=False)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("办件通知")
        verbose_name_plural = _("办件通知")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.text

    @property
    def shown_text(self) -> str:
        """The message in the reader's language."""
        return shown_text(self.text, self.message)


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class OutgoingMessage(models.Model):
    """A message for a channel outside the platform (SMS, e-mail), kept until it is sent.

    Written in the action's transaction, so a message of an action that
    committed survives a gateway that is down and a worker that dies; a
    background task sends it, and tries again later when the gateway fails.
    """

    user = models.ForeignKey(
        "identity.User", on_delete=models.CASCADE, related_name="outgoing_messages"
    )
    channel = models.CharField(_("渠道"), max_length=200)
    text = models.CharField(_("内容"), max_length=500)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("生成时间"))
    state = models.CharField(
        _("状态"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    # When a pending message is next due; a sending one's worker renews nothing,
    # so heartbeat_at is when it was taken, and the lease runs from there.
    next_attempt_at = models.DateTimeField(_("下次发送时间"))
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    last_error = models.CharField(_("最近一次错误"), max_length=300, blank=True)

    class Meta:
        ordering = ["next_attempt_at", "pk"]
        verbose_name = _("待发消息")
        verbose_name_plural = _("待发消息")
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outgoing_message_due_idx")
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.user_id}"


class ProcessVersion(models.Model):
    """One deployed version of a process file with its decision tables, kept for good.

    An application's process state names the version it started on
    (``digest``); it is restored onto that version's files, not today's, so
    that an update to the files never changes the rules of an application in
    flight. A version is recorded the first time it is used, and never changed.
    """

    process_id = models.CharField(_("流程"), max_length=64)
    # The SHA-256 of the files (eservices.process.ProcessFiles.digest).
    digest = models.CharField(_("版本摘要"), max_length=64)
    bpmn = models.TextField(_("流程文件"))
    # The DMN tables by file name.
    dmn = models.JSONField(_("判定表文件"), default=dict)
    deployed_at = models.DateTimeField(_("启用时间"))

    class Meta:
        verbose_name = _("流程版本")
        verbose_name_plural = _("流程版本")
        ordering = ["process_id", "deployed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["process_id", "digest"], name="process_version_unique_digest"
            )
        ]

    def __str__(self) -> str:
        return f"{self.process_id}@{self.digest[:12]}"

    @property
    def short_digest(self) -> str:
        return self.digest[:12]
