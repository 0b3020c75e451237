"""The shared registers every module refers to: regions, departments, people, enterprises.

Also the holiday arrangements recorded from the State Council's notices, which
every working-day time limit counts by (``core/calendar.py``).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengtong.core.punctuation import with_note
from zhengtong.core.validators import credit_code_validator, id_number_validator


class RegionLevel(models.IntegerChoices):
    PROVINCE = 1, _("省级")
    CITY = 2, _("地级")
    COUNTY = 3, _("县级")
    TOWNSHIP = 4, _("乡级")


class Region(models.Model):
    """An administrative division with its GB/T 2260 code (9 digits for townships)."""

    code = models.CharField(_("区划代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.PositiveSmallIntegerField(_("级别"), choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    # Materialised path of codes from the province down ("430000/430100/430102"),
    # so that "everything inside the city" is one indexed prefix query.
    path = models.CharField(max_length=64, db_index=True)

    class Meta:
        ordering = ("code",)
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self) -> str:
        return with_note(self.name, self.code)


class DepartmentKind(models.TextChoices):
    PARTY = "party", _("党委部门")
    GOVERNMENT = "government", _("政府工作部门")
    DIRECT = "direct", _("直属机构")
    CENTRE = "centre", _("事业单位")
    OTHER = "other", _("其他")


class Department(models.Model):
    """A government department or public institution of a region."""

    code = models.SlugField(_("部门编码"), max_length=64, unique=True)
    name = models.CharField(_("部门名称"), max_length=128)
    short_name = models.CharField(_("简称"), max_length=32, blank=True)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[credit_code_validator]
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departments")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    kind = models.CharField(_("类别"), max_length=16, choices=DepartmentKind.choices)
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        ordering = ("region_id", "code")
        verbose_name = _("部门")
        verbose_name_plural = _("部门")

    def __str__(self) -> str:
        return self.name


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class Person(models.Model):
    """A natural person known to the government by 身份证号 (GB 11643)."""

    id_number = models.CharField(
        _("公民身份号码"), max_length=18, unique=True, validators=[id_number_validator]
    )
    name = models.CharField(_("姓名"), max_length=64)
    # Derived from the ID number by the action that creates the person.
    birth_date = models.DateField(_("出生日期"))
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    phone = models.CharField(_("手机号码"), max_length=20, blank=True)
    address = models.CharField(_("住址"), max_length=256, blank=True)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="people"
    )

    class Meta:
        ordering = ("id",)
        verbose_name = _("自然人")
        verbose_name_plural = _("自然人")

    def __str__(self) -> str:
        # Never the clear ID number: a Person may be printed into logs.
        from zhengtong.core.masking import mask_name

        return mask_name(self.name)


class Enterprise(models.Model):
    """A legal person known by 统一社会信用代码 (GB 32100)."""

    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[credit_code_validator]
    )
    name = models.CharField(_("名称"), max_length=128)
    legal_representative = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="represented_enterprises"
    )
    address = models.CharField(_("住所"), max_length=256)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="enterprises")
    industry_code = models.CharField(_("行业代码"), max_length=8, blank=True)
    industry = models.CharField(_("行业"), max_length=64, blank=True)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)

    class Meta:
        ordering = ("id",)
        verbose_name = _("企业")
        verbose_name_plural = _("企业")

    def __str__(self) -> str:
        return self.name


class HolidayArrangement(models.Model):
    """A year's holiday arrangement as the State Council's notice sets it.

    The notice (国务院办公厅关于××年部分节假日安排的通知) appears late in the
    year before; recording it here lets working days be counted right without
    waiting for a new release of the holiday package (``core/calendar.py``).
    """

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    notice = models.CharField(_("通知文号"), max_length=128)
    published_on = models.DateField(_("发布日期"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("录入时间"))

    class Meta:
        ordering = ("year",)
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")

    def __str__(self) -> str:
        return with_note(self.year, self.notice)


class HolidayArrangementDay(models.Model):
    """One day the notice changes: a public holiday, or a weekend day worked in lieu (调休上班)."""

    arrangement = models.ForeignKey(
        HolidayArrangement, on_delete=models.CASCADE, related_name="days"
    )
    day = models.DateField(_("日期"))
    is_working_day = models.BooleanField(_("调休上班"))
    name = models.CharField(_("节日"), max_length=32)

    class Meta:
        ordering = ("day",)
        verbose_name = _("节假日安排日期")
        verbose_name_plural = _("节假日安排日期")
        constraints = [
            models.UniqueConstraint(fields=["arrangement", "day"], name="core_holiday_day_once")
        ]

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.name}"
