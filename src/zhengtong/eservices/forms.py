"""The guide pages' forms."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhengtong.eservices.models import ItemType, Target
from zhengtong.eservices.selectors import MAX_QUERY_LENGTH, guide_departments


class GuideSearchForm(forms.Form):
    q = forms.CharField(
        label=_("您想办什么事？"),
        required=False,
        max_length=MAX_QUERY_LENGTH,
        error_messages={
            "max_length": _("搜索内容最多%(limit_value)d个字，请精简后再搜索。"),
        },
        widget=forms.TextInput(attrs={"placeholder": _("如：开饭店、退休、开理发店")}),
    )
    target = forms.ChoiceField(
        label=_("服务对象"),
        required=False,
        choices=[("", _("全部")), (Target.PERSON, _("个人")), (Target.LEGAL, _("法人"))],
    )
    department = forms.ModelChoiceField(
        label=_("实施部门"),
        required=False,
        queryset=guide_departments(),
        to_field_name="code",
        empty_label=_("全部"),
    )
    item_type = forms.ChoiceField(
        label=_("事项类型"), required=False, choices=[("", _("全部")), *list(ItemType.choices)]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Departments gain and lose published items; ask again for every form.
        field = self.fields["department"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = guide_departments()
