"""Catalog entries (政务信息资源) with their information items and their history."""

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhengtong.catalog.states import ResourceState, RevisionState
from zhengtong.core.models import Department

# 类 (1 digit) 项 (2) 目 (3) 细目 (3), then "/" and a 6-digit sequence within the class.
# Use them with fullmatch: "$" also matches before a final newline, so that
# "102000000/000001\n" would pass for a second, different code. The \Z ends
# guard whoever uses match() all the same; [0-9] because \d takes any script's digits.
CLASSIFICATION_RE = re.compile(r"[1-3][0-9]{8}\Z")
RESOURCE_CODE_RE = re.compile(r"([1-3][0-9]{8})/([0-9]{6})\Z")
ITEM_CODE_RE = re.compile(r"[A-Za-z0-9_.-]{1,40}\Z")


class Category(models.TextChoices):
    BASIC = "1", _("基础信息资源")
    THEMATIC = "2", _("主题信息资源")
    DEPARTMENTAL = "3", _("部门信息资源")


# The 项 of the basic class (类 1), as the national guide lists them.
BASIC_SUBJECTS: dict[str, Any] = {
    "01": _("人口"),
    "02": _("法人"),
    "03": _("自然资源和空间地理"),
    "04": _("社会信用"),
    "05": _("电子证照"),
}


class ResourceFormat(models.TextChoices):
    DATABASE = "database", _("数据库")
    DOCUMENT = "document", _("电子文件")
    SPREADSHEET = "spreadsheet", _("电子表格")
    IMAGE = "image", _("图形图像")
    STREAM = "stream", _("流媒体")
    SELF_DESCRIBING = "self_describing", _("自描述格式")


class ShareAttribute(models.TextChoices):
    UNCONDITIONAL = "unconditional", _("无条件共享")
    CONDITIONAL = "conditional", _("有条件共享")
    NONE = "none", _("不予共享")


class ShareMethod(models.TextChoices):
    API = "api", _("接口")
    TABLE = "table", _("库表")
    FILE = "file", _("文件")


class OpenAttribute(models.TextChoices):
    UNCONDITIONAL = "unconditional", _("无条件开放")
    CONDITIONAL = "conditional", _("有条件开放")
    NONE = "none", _("不予开放")


class UpdateCycle(models.TextChoices):
    REALTIME = "realtime", _("实时")
    DAILY = "daily", _("每日")
    WEEKLY = "weekly", _("每周")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    HALF_YEARLY = "half_yearly", _("每半年")
    YEARLY = "yearly", _("每年")
    IRREGULAR = "irregular", _("不定期")


class DataType(models.TextChoices):
    CHAR = "C", _("字符型C")
    NUMBER = "N", _("数值型N")
    DATE = "D", _("日期型D")
    DATETIME = "T", _("日期时间型T")
    BOOLEAN = "B", _("布尔型B")
    BINARY = "BY", _("二进制型BY")


class Sensitivity(models.TextChoices):
    PUBLIC = "public", _("公开")
    INTERNAL = "internal", _("内部")
    SENSITIVE = "sensitive", _("敏感")
    CORE = "core", _("核心")


def is_classification(value: str) -> bool:
    """Whether a 9-digit classification code names a place in the catalog's tree.

    The levels used come first and the unused ones are zeros, so a 细目 needs
    its 目 and a 目 its 项; a basic resource (类 1) is one of the guide's five 项.
    """
    if not CLASSIFICATION_RE.fullmatch(value):
        return False
    subject, heading, detail = value[1:3], value[3:6], value[6:9]
    if value[0] == Category.BASIC and subject not in BASIC_SUBJECTS:
        return False
    if subject == "00" and heading != "000":
        return False
    return not (heading == "000" and detail != "000")


def is_resource_code(value: str) -> bool:
    """Whether a resource code is a valid classification code and a sequence from 000001."""
    match = RESOURCE_CODE_RE.fullmatch(value)
    return match is not None and is_classification(match[1]) and match[2] != "000000"


def validate_classification(value: str) -> None:
    if not is_classification(value):
        raise ValidationError(_("分类代码应为9位数字，首位为1、2或3。"), code="invalid")


def validate_resource_code(value: str) -> None:
    if not is_resource_code(value):
        raise ValidationError(_("资源代码应为“9位分类代码/6位顺序码”。"), code="invalid")


class Resource(models.Model):
    """One entry of the catalog. ``state`` points at the newest transition's target."""

    code = models.CharField(_("资源代码"), max_length=16, unique=True)
    classification = models.CharField(_("分类代码"), max_length=9)
    name = models.CharField(_("资源名称"), max_length=200)
    provider = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="catalog_resources"
    )
    provider_code = models.CharField(_("提供方代码"), max_length=18)
    abstract = models.TextField(_("摘要"))
    keywords = models.CharField(_("关键字"), max_length=300, blank=True)
    format = models.CharField(_("资源格式"), max_length=20, choices=ResourceFormat.choices)
    share_attribute = models.CharField(_("共享属性"), max_length=20, choices=ShareAttribute.choices)
    share_conditions = models.TextField(_("共享条件"), blank=True)
    share_method = models.CharField(
        _("共享方式"), max_length=10, choices=ShareMethod.choices, blank=True
    )
    open_attribute = models.CharField(_("开放属性"), max_length=20, choices=OpenAttribute.choices)
    open_conditions = models.TextField(_("开放条件"), blank=True)
    update_cycle = models.CharField(_("更新周期"), max_length=20, choices=UpdateCycle.choices)
    legal_basis = models.CharField(_("法律法规依据"), max_length=300, blank=True)
    negative_scope = models.CharField(_("不予共享范围"), max_length=300, blank=True)
    review_date = models.DateField(_("复核日期"), null=True, blank=True)
    # The entries this one names as related. A link belongs to the entry that
    # names it and changes with that entry's drafts: naming another
    # department's published entry must not change it outside its lifecycle.
    # The other side shows the link as ``referenced_by``.
    related = models.ManyToManyField(
        "self", blank=True, symmetrical=False, related_name="referenced_by"
    )
    extension = models.JSONField(_("扩展字段"), default=dict, blank=True)
    state = models.CharField(
        _("状态"), max_length=12, choices=ResourceState.choices, default=ResourceState.DRAFT
    )
    publish_date = models.DateField(_("发布日期"), null=True, blank=True)
    # Counts the saves of a draft's content, as ``ResourceRevision.version``
    # does for a change: of two officers editing one draft, the later save
    # does not write over the earlier unseen (``actions.do_update_resource``).
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("目录资源")
        verbose_name_plural = _("目录资源")
        ordering = ["code"]
        indexes = [models.Index(fields=["state", "provider"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def slug(self) -> str:
        """The code as it appears in addresses, where "/" would split the path."""
        return self.code.replace("/", "-")

    @property
    def category(self) -> str:
        return self.classification[:1]

    def get_category_display(self) -> str:
        return str(Category(self.category).label) if self.category in Category.values else ""


class InformationItem(models.Model):
    """A field of a resource (信息项). A blank share attribute follows the resource's."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(default=0)
    code = models.CharField(pgettext_lazy("information item", "信息项代码"), max_length=40)
    name = models.CharField(_("信息项名称"), max_length=100)
    data_type = models.CharField(_("数据类型"), max_length=2, choices=DataType.choices)
    length = models.PositiveIntegerField(_("数据长度"), null=True, blank=True)
    is_personal = models.BooleanField(_("个人信息"), default=False)
    sensitivity = models.CharField(
        _("敏感级别"), max_length=12, choices=Sensitivity.choices, default=Sensitivity.INTERNAL
    )
    share_attribute = models.CharField(
        _("共享属性"), max_length=20, choices=ShareAttribute.choices, blank=True
    )
    legal_basis = models.CharField(_("法律法规依据"), max_length=300, blank=True)
    negative_scope = models.CharField(_("不予共享范围"), max_length=300, blank=True)
    review_date = models.DateField(_("复核日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("信息项")
        verbose_name_plural = _("信息项")
        ordering = ["resource", "position"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "code"], name="catalog_item_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def effective_share(self) -> str:
        """The share attribute the exchange applies (``share_decision``) and the API shows.

        The item's own attribute wins over the resource's when it is stricter
        or looser, but nothing of a 不予共享 resource is shared.
        """
        if self.resource.share_attribute == ShareAttribute.NONE:
            return ShareAttribute.NONE
        return self.share_attribute or self.resource.share_attribute


class ResourceTransition(models.Model):
    """One change of state; rows are only ever added."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, choices=ResourceState.choices)
    reason = models.CharField(max_length=500, blank=True)
    actor_ref = models.CharField(max_length=100)
    actor_label = models.CharField(max_length=100)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("目录状态变更")
        verbose_name_plural = _("目录状态变更")
        ordering = ["resource", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_state or '-'} -> {self.to_state}"


class NegativeListReview(models.Model):
    """One periodic review (定期复核) of a line of the negative list; rows are only
    ever added.

    A published entry is otherwise changed only through a change
    (``ResourceRevision``) its officers draft and the data bureau applies, but
    a refusal's legal basis, scope and next review date are confirmed or
    completed by the data bureau as they fall due; the share attribute itself
    does not change here.
    """

    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, related_name="negative_reviews"
    )
    # Empty when the line is the whole resource.
    item_code = models.CharField(max_length=40, blank=True)
    legal_basis = models.CharField(_("法律法规依据"), max_length=300)
    negative_scope = models.CharField(_("不予共享范围"), max_length=300)
    review_date = models.DateField(_("下次复核日期"))
    previous_review_date = models.DateField(null=True, blank=True)
    note = models.CharField(_("复核意见"), max_length=500, blank=True)
    actor_ref = models.CharField(max_length=100)
    actor_label = models.CharField(max_length=100)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("负面清单复核")
        verbose_name_plural = _("负面清单复核")
        ordering = ["resource", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.item_code or '-'} -> {self.review_date}"


class ResourceRevision(models.Model):
    """A change (变更) of a published entry, kept apart until the data bureau applies it.

    The entry stays published and served by the exchange while its change is
    drafted and reviewed; ``content`` is the whole entry as changed (the
    fields of ``actions.ResourceInput``). A resource has at most one open
    revision.
    """

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="revisions")
    state = models.CharField(
        _("状态"), max_length=12, choices=RevisionState.choices, default=RevisionState.DRAFT
    )
    content = models.JSONField(default=dict)
    # Counts the saves of ``content``: an editor saves on the version it was
    # shown, so that of two editors the later does not write over the earlier
    # unseen (``actions.do_update_revision``, ``stale_revision``).
    version = models.PositiveIntegerField(default=1)
    # The last return's reason, shown to the officers until they submit again.
    returned_reason = models.CharField(max_length=500, blank=True)
    opened_by_ref = models.CharField(max_length=100)
    submitted_by_ref = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("目录变更")
        verbose_name_plural = _("目录变更")
        ordering = ["resource", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource"],
                condition=models.Q(state__in=["draft", "submitted"]),
                name="catalog_one_open_revision",
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.state}"
