"""The catalog pages' forms."""

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhengtong.catalog.access import Principal, may_see
from zhengtong.catalog.actions import ItemInput, ResourceInput
from zhengtong.catalog.models import (
    RESOURCE_CODE_RE,
    Category,
    DataType,
    OpenAttribute,
    Resource,
    ResourceFormat,
    Sensitivity,
    ShareAttribute,
    ShareMethod,
    UpdateCycle,
)
from zhengtong.core.models import Department


class SearchForm(forms.Form):
    q = forms.CharField(label=_("关键词"), required=False, max_length=100)
    category = forms.ChoiceField(
        label=_("分类"), required=False, choices=[("", _("全部")), *list(Category.choices)]
    )
    provider = forms.ModelChoiceField(
        label=_("提供方"),
        required=False,
        queryset=Department.objects.filter(catalog_resources__state="published")
        .distinct()
        .order_by("code"),
        to_field_name="code",
        empty_label=_("全部"),
    )
    share_attribute = forms.ChoiceField(
        label=_("共享属性"),
        required=False,
        choices=[("", _("全部")), *list(ShareAttribute.choices)],
    )


class UploadForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("提供方部门"), queryset=Department.objects.none(), to_field_name="code"
    )
    file = forms.FileField(label=_("XLSX 文件"))

    def __init__(self, *args: Any, departments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["department"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = departments
        if departments.count() == 1:
            field.initial = departments.first()


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), required=False, max_length=500)


ITEM_HELP = _(
    "每行一个信息项：代码|名称|数据类型|长度|个人信息(是/否)|敏感级别|共享属性|法律法规依据。"
    "数据类型为 C、N、D、T、B、BY；后几列可省略。"
)


class ResourceForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("提供方部门"), queryset=Department.objects.none(), to_field_name="code"
    )
    code = forms.CharField(label=_("资源代码"), max_length=16, help_text=_("如 102000000/000001"))
    name = forms.CharField(label=_("资源名称"), max_length=200)
    abstract = forms.CharField(label=_("摘要"), widget=forms.Textarea(attrs={"rows": 3}))
    keywords = forms.CharField(label=_("关键字"), required=False, max_length=300)
    format = forms.ChoiceField(label=_("资源格式"), choices=ResourceFormat.choices)
    share_attribute = forms.ChoiceField(label=_("共享属性"), choices=ShareAttribute.choices)
    share_conditions = forms.CharField(label=_("共享条件"), required=False)
    share_method = forms.ChoiceField(
        label=_("共享方式"), required=False, choices=[("", "—"), *list(ShareMethod.choices)]
    )
    open_attribute = forms.ChoiceField(label=_("开放属性"), choices=OpenAttribute.choices)
    update_cycle = forms.ChoiceField(label=_("更新周期"), choices=UpdateCycle.choices)
    legal_basis = forms.CharField(label=_("法律法规依据"), required=False, max_length=300)
    negative_scope = forms.CharField(label=_("不予共享范围"), required=False, max_length=300)
    related = forms.CharField(
        label=_("关联资源"),
        required=False,
        max_length=1000,
        help_text=_("已编入目录的资源代码，多个用逗号、空格或换行分隔。"),
    )
    items = forms.CharField(
        label=_("信息项"), widget=forms.Textarea(attrs={"rows": 8}), help_text=ITEM_HELP
    )

    def __init__(self, *args: Any, departments: Any, principal: Principal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["department"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = departments
        self.principal = principal

    @staticmethod
    def initial_from(resource: Resource) -> dict[str, Any]:
        lines = [
            "|".join(
                [
                    i.code,
                    i.name,
                    i.data_type,
                    str(i.length or ""),
                    "是" if i.is_personal else "否",
                    i.sensitivity,
                    i.share_attribute,
                    i.legal_basis,
                ]
            )
            for i in resource.items.order_by("position")
        ]
        return {
            "department": resource.provider.code,
            "code": resource.code,
            "name": resource.name,
            "abstract": resource.abstract,
            "keywords": resource.keywords,
            "format": resource.format,
            "share_attribute": resource.share_attribute,
            "share_conditions": resource.share_conditions,
            "share_method": resource.share_method,
            "open_attribute": resource.open_attribute,
            "update_cycle": resource.update_cycle,
            "legal_basis": resource.legal_basis,
            "negative_scope": resource.negative_scope,
            "related": " ".join(resource.related.order_by("code").values_list("code", flat=True)),
            "items": "\n".join(lines),
        }

    def clean_related(self) -> list[str]:
        codes = list(dict.fromkeys(re.split(r"[\s,，、;；]+", str(self.cleaned_data["related"]))))
        codes = [code for code in codes if code]
        malformed = [code for code in codes if not RESOURCE_CODE_RE.match(code)]
        if malformed:
            raise forms.ValidationError(
                _("资源代码格式有误：%(codes)s。") % {"codes": "、".join(malformed)}
            )
        # Another department's draft answers as a code not in the catalog, so the
        # form tells no one which drafts exist.
        known = {
            r.code for r in Resource.objects.filter(code__in=codes) if may_see(self.principal, r)
        }
        unknown = [code for code in codes if code not in known]
        if unknown:
            raise forms.ValidationError(
                _("目录中没有这些资源：%(codes)s。") % {"codes": "、".join(unknown)}
            )
        return codes

    def clean_items(self) -> list[ItemInput]:
        items: list[ItemInput] = []
        for number, line in enumerate(str(self.cleaned_data["items"]).splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")] + [""] * 8
            if parts[2] not in DataType.values:
                raise forms.ValidationError(
                    _("第%(n)d行：数据类型应为 C、N、D、T、B 或 BY。") % {"n": number}
                )
            items.append(
                ItemInput(
                    code=parts[0],
                    name=parts[1],
                    data_type=parts[2],
                    length=int(parts[3]) if parts[3].isdigit() else None,
                    is_personal=parts[4] == "是",
                    sensitivity=parts[5] or Sensitivity.INTERNAL,
                    share_attribute=parts[6],
                    legal_basis=parts[7],
                )
            )
        return items

    def to_input(self) -> ResourceInput:
        d = self.cleaned_data
        return ResourceInput(
            code=d["code"].strip(),
            name=d["name"],
            abstract=d["abstract"],
            keywords=d["keywords"],
            format=d["format"],
            share_attribute=d["share_attribute"],
            share_conditions=d["share_conditions"],
            share_method=d["share_method"],
            open_attribute=d["open_attribute"],
            update_cycle=d["update_cycle"],
            legal_basis=d["legal_basis"],
            negative_scope=d["negative_scope"],
            items=d["items"],
            related=d["related"],
        )
