"""The auditor page's search form."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhengtong.ledger.selectors import EntryFilters


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class EntrySearchForm(forms.Form):
    actor = forms.CharField(
        label=_("操作者"),
        required=False,
        max_length=128,
        help_text=_("操作者名称或编号（如 user:42），完全匹配。"),
    )
    subject_type = forms.CharField(
        label=_("对象类型"), required=False, max_length=64, help_text=_("如 core.Person")
    )
    subject_id = forms.CharField(label=_("对象编号"), required=False, max_length=128)
    action = forms.CharField(
        label=pgettext_lazy("audit record", "操作"),
        required=False,
        max_length=80,
        help_text=_("如 core.register_person，完全匹配。"),
    )
    since = forms.DateTimeField(
        label=_("起始时间"),
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    until = forms.DateTimeField(
        label=_("截止时间"),
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    before = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since is not None and until is not None and until <= since:
            self.add_error("until", _("截止时间须晚于起始时间。"))
        return data

    def filters(self) -> EntryFilters:
        data = self.cleaned_data
        return EntryFilters(
            actor=(data.get("actor") or "").strip(),
            subject_type=(data.get("subject_type") or "").strip(),
            subject_id=(data.get("subject_id") or "").strip(),
            action=(data.get("action") or "").strip(),
            since=data.get("since"),
            until=data.get("until"),
        )
