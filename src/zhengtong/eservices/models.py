"""Service items (政务服务事项) with their guide (办事指南), materials and history."""

import re

from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengtong.core.models import Department
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
        ordering = ["item", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_state or '-'} -> {self.to_state}"
