"""The exchange pages' forms."""

from collections.abc import Callable, Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhengtong.catalog.actions import control_character
from zhengtong.catalog.models import InformationItem
from zhengtong.core.punctuation import with_note
from zhengtong.exchange.actions import (
    DEFAULT_RATE_PER_MINUTE,
    MAX_DURATION_DAYS,
    MAX_EXPECTED_PER_DAY,
    MAX_RATE_PER_MINUTE,
    MAX_UPSTREAM_SECONDS,
    ApplicationInput,
)
from zhengtong.exchange.rows import read_csv, read_xlsx
from zhengtong.identity.models import SystemClient

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def _visible(*, multiline: bool) -> Callable[[str], None]:
    """A validator refusing control characters, which would be stored and shown invisibly.

    The actions keep what they are given (cut to the column's length), so the
    pages check the text here and say what is wrong, as the catalog does; a
    multi-line text keeps its line breaks and tabs.
    """

    def validate(value: str) -> None:
        char = control_character(value, multiline=multiline)
        if char is not None:
            raise forms.ValidationError(
                _("不能含有控制字符等不可见字符（%(char)s）。"),
                code="control_character",
                params={"char": char},
            )

    return validate


class ApplyForm(forms.Form):
    """An application for some items of a resource; never-shared items are not choices."""

    client = forms.ChoiceField(label=_("使用系统"))
    item_codes = forms.MultipleChoiceField(label=_("申请信息项"))
    clear_codes = forms.MultipleChoiceField(label=_("需明文的个人信息项"), required=False)
    purpose = forms.CharField(
        label=_("使用用途"),
        max_length=500,
        validators=[_visible(multiline=True)],
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("写明用于哪个事项、哪个环节，如“食品经营许可审批中核对申请企业的登记信息”。"),
    )
    legal_basis = forms.CharField(
        label=_("申请依据"),
        max_length=300,
        validators=[_visible(multiline=False)],
        help_text=_("法律、法规或规章的名称和条款。"),
    )
    duration_days = forms.IntegerField(
        label=_("使用期限（天）"), min_value=1, max_value=MAX_DURATION_DAYS, initial=365
    )
    expected_per_day = forms.IntegerField(
        label=_("预计日调用量"), min_value=1, max_value=MAX_EXPECTED_PER_DAY, initial=100
    )

    def __init__(
        self,
        *args: Any,
        clients: Sequence[SystemClient],
        items: Sequence[InformationItem],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._choice("client").choices = [
            (c.key_id, f"{c.department.name} · {c.name}") for c in clients
        ]
        self._choice("item_codes").choices = [(i.code, i.name) for i in items]
        self._choice("clear_codes").choices = [(i.code, i.name) for i in items if i.is_personal]

    def _choice(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field

    def to_input(self) -> ApplicationInput:
        d = self.cleaned_data
        return ApplicationInput(
            purpose=d["purpose"],
            legal_basis=d["legal_basis"],
            fields=d["item_codes"],
            clear_fields=d["clear_codes"],
            duration_days=d["duration_days"],
            expected_per_day=d["expected_per_day"],
        )


class GrantForm(forms.Form):
    item_codes = forms.MultipleChoiceField(
        label=_("同意的信息项"), widget=forms.CheckboxSelectMultiple
    )
    rate_per_minute = forms.IntegerField(
        label=_("每分钟调用上限"),
        min_value=1,
        max_value=MAX_RATE_PER_MINUTE,
        initial=DEFAULT_RATE_PER_MINUTE,
    )
    reason = forms.CharField(
        label=_("答复意见"),
        max_length=500,
        required=False,
        validators=[_visible(multiline=True)],
    )
    # The personal items asked for in clear; the provider may agree to some
    # in clear and give the others masked. Unticked boxes post nothing, so the
    # form says it offered them (clear_offered) for "none ticked" to count.
    clear_codes = forms.MultipleChoiceField(
        label=_("同意以明文提供的个人信息项"),
        help_text=_("未勾选的个人信息项以脱敏方式提供。"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    clear_offered = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # The action holds the upper bound, the period applied for, and says it
    # in its refusal (invalid_duration).
    days = forms.IntegerField(
        label=_("同意的使用期限（天）"),
        help_text=_("可短于所申请的期限；留空即同意所申请的期限。"),
        min_value=1,
        max_value=MAX_DURATION_DAYS,
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        items: Sequence[tuple[str, str]],
        clear_items: Sequence[tuple[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["item_codes"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = list(items)
        field.initial = [code for code, _name in items]
        clear = self.fields["clear_codes"]
        assert isinstance(clear, forms.MultipleChoiceField)
        clear.choices = list(clear_items)
        clear.initial = [code for code, _name in clear_items]
        self.fields["clear_offered"].initial = bool(clear_items)

    def agreed_clear_fields(self) -> list[str] | None:
        """The items agreed to in clear, or None when the form offered no choice."""
        if not self.cleaned_data.get("clear_offered"):
            return None
        return list(self.cleaned_data.get("clear_codes") or [])


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), max_length=500, validators=[_visible(multiline=True)])


class GrantTermsForm(forms.Form):
    """A grant's rate limit and expiry date as the provider changes them, with the reason."""

    rate_per_minute = forms.IntegerField(
        label=_("每分钟调用上限"), min_value=1, max_value=MAX_RATE_PER_MINUTE
    )
    expires_on = forms.DateField(
        label=_("到期日期"),
        help_text=_("授权在该日与生效时间相同的时刻到期，最晚至所申请使用期限的最后一天。"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reason = forms.CharField(
        label=_("变更理由"), max_length=500, validators=[_visible(multiline=True)]
    )


class RegisterDatasetForm(forms.Form):
    key_item_code = forms.ChoiceField(
        label=_("主键信息项"), help_text=_("唯一标识一条记录的信息项，如统一社会信用代码。")
    )

    def __init__(self, *args: Any, items: Sequence[InformationItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["key_item_code"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(i.code, with_note(i.name, i.code)) for i in items if i.data_type != "BY"]


class ProxiedSettingsForm(forms.Form):
    """How the exchange calls the department's API (the action checks every setting)."""

    base_url = forms.CharField(
        label=_("接口地址"),
        max_length=300,
        help_text=_("部门系统的接口根地址，http 或 https，如 https://api.scjg.example.gov.cn/v1。"),
    )
    path_template = forms.CharField(
        label=_("路径模板"),
        max_length=200,
        initial="/{key}",
        help_text=_("一条记录的路径，含且只含一个 {key}，如 /enterprises/{key}。"),
    )
    auth_header = forms.CharField(
        label=_("接口凭据"),
        max_length=500,
        required=False,
        strip=False,
        # Never sent back to the browser, not even after a refused form.
        widget=forms.PasswordInput(render_value=False),
        help_text=_("部门接口要求的 Authorization 请求头的值；保存后不再显示。"),
    )
    max_concurrency = forms.IntegerField(
        label=_("批量查询并发数"),
        initial=8,
        min_value=1,
        max_value=64,
        help_text=_("批量查询时同时向部门接口查询的主键数，1 至 64。"),
    )
    batch_deadline = forms.FloatField(
        label=_("批量查询时限（秒）"),
        initial=20.0,
        min_value=1.0,
        max_value=MAX_UPSTREAM_SECONDS,
        help_text=_("一次批量查询最长可用的时间。"),
    )


class RegisterProxiedForm(RegisterDatasetForm, ProxiedSettingsForm):
    """Serve the resource from the department's own API, found by a key item."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The key item first, as on the hosting form, then how to call the API.
        self.order_fields(["key_item_code"])


class ChangeProxiedForm(ProxiedSettingsForm):
    """Change the settings of a connected API; a blank credential keeps the saved one."""

    clear_auth = forms.BooleanField(label=_("删除已保存的接口凭据"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["auth_header"].help_text = _("留空则保留已保存的凭据；填写则替换它。")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("clear_auth") and cleaned.get("auth_header"):
            self.add_error("auth_header", _("删除凭据时不能同时填写新凭据。"))
        return cleaned

    def changes(self) -> dict[str, Any]:
        """The settings as the action takes them (the credential only when replaced or removed)."""
        data = self.cleaned_data
        changes: dict[str, Any] = {
            "base_url": data["base_url"].strip(),
            "path_template": data["path_template"].strip(),
            "max_concurrency": data["max_concurrency"],
            "batch_deadline": data["batch_deadline"],
        }
        if data["clear_auth"]:
            changes["auth_header"] = ""
        elif data["auth_header"]:
            changes["auth_header"] = data["auth_header"]
        return changes


class DatasetUploadForm(forms.Form):
    file = forms.FileField(
        label=_("数据文件"),
        help_text=_("CSV 或 XLSX，首行为信息项代码或名称，每行一条记录，至多 50 MB。"),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = str(upload.name or "").lower()
        if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("文件过大。"), code="file_too_large")
        if not name.endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("只接受CSV或XLSX文件。"), code="unsupported_file")
        return upload

    def rows(self, data: bytes) -> list[dict[str, str]]:
        """The file's records as item → value mappings; raises InvalidInput if unreadable."""
        name = str(self.cleaned_data["file"].name or "").lower()
        return read_csv(data) if name.endswith(".csv") else read_xlsx(data)
