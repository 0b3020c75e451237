"""Forms of the portal's pages: they parse and check input, actions do the rest."""

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.contrib.auth.password_validation import password_validators_help_texts
from django.utils.translation import gettext_lazy as _

from zhengtong.core.models import Department


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    password = forms.CharField(
        label=_("密码"),
        strip=False,
        max_length=512,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PasswordChangeForm(forms.Form):
    """The current password and the new one twice; the rules are the platform's validators."""

    current = forms.CharField(
        label=_("当前密码"),
        strip=False,
        max_length=512,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    password = forms.CharField(
        label=_("新密码"),
        strip=False,
        max_length=512,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    again = forms.CharField(
        label=_("再次输入新密码"),
        strip=False,
        max_length=512,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = " ".join(password_validators_help_texts())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password, again = cleaned.get("password"), cleaned.get("again")
        if password and again and password != again:
            self.add_error("again", _("两次输入的新密码不一致。"))
        return cleaned


class DepartmentChoiceField(forms.ModelChoiceField[Department]):
    def label_from_instance(self, obj: Department) -> str:
        return obj.name


class IssueClientForm(forms.Form):
    """What the staff member fills in to register a department system."""

    department = DepartmentChoiceField(
        label=_("所属部门"), queryset=Department.objects.none(), empty_label=None
    )
    name = forms.CharField(
        label=_("系统名称"),
        max_length=128,
        help_text=_("例如：市场监管局登记注册系统"),
    )
    scopes = forms.MultipleChoiceField(
        label=_("接口权限范围"),
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("只勾选该系统确实需要的接口。"),
    )

    def __init__(
        self,
        *args: Any,
        departments: Iterable[Department],
        scope_choices: Sequence[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        department_field = self.fields["department"]
        assert isinstance(department_field, DepartmentChoiceField)
        department_field.queryset = Department.objects.filter(
            pk__in=[department.pk for department in departments]
        ).order_by("name")
        scopes_field = self.fields["scopes"]
        assert isinstance(scopes_field, forms.MultipleChoiceField)
        scopes_field.choices = list(scope_choices)
