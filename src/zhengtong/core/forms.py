"""Form fields for 身份证号 and 统一社会信用代码, a form's one-time key, and refusals shown
on forms, for every app.

They normalise what people type (spaces, full-width digits, a lowercase x)
before checking, so that uniqueness checks see the stored form of the number,
and show the validators' messages (which position, which check digit).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhengtong.core.errors import InvalidInput, ZhengtongError
from zhengtong.core.models import Department, Enterprise, Person
from zhengtong.core.validators import (
    normalise,
    validate_credit_code,
    validate_id_number,
    validate_phone,
)

# What new_form_key makes; anything else posted as a form's key is no key at all.
FORM_KEY = re.compile(r"[0-9a-f]{32}")


def new_form_key() -> str:
    """A one-time key for a form the page shows, so that sending it twice does one thing."""
    return uuid.uuid4().hex


class OneTimeKeyField(forms.CharField):
    """A form's one-time key (``new_form_key``), hidden in the form as the page shows it.

    The same form sent twice (a double click, a resend after the network timed
    out) carries the same key, so the action it feeds does its work once. A
    value this field did not make cleans to "" (no key), never to a refusal.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.HiddenInput)
        kwargs.setdefault("initial", new_form_key)
        super().__init__(required=False, **kwargs)

    def clean(self, value: Any) -> str:
        key = str(super().clean(value) or "")
        return key if FORM_KEY.fullmatch(key) else ""


class _CheckedNumberField(forms.CharField):
    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        return normalise(text) if text else ""

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value:
            try:
                self.check(value)
            except InvalidInput as error:
                raise forms.ValidationError(str(error.message), code=error.code) from None

    def check(self, value: str) -> None:
        raise NotImplementedError


class IdNumberField(_CheckedNumberField):
    default_error_messages = {"required": _("请填写公民身份号码。")}  # noqa: RUF012

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 18)
        kwargs.setdefault("label", _("公民身份号码"))
        super().__init__(**kwargs)

    def check(self, value: str) -> None:
        validate_id_number(value)


class CreditCodeField(_CheckedNumberField):
    default_error_messages = {"required": _("请填写统一社会信用代码。")}  # noqa: RUF012

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 18)
        kwargs.setdefault("label", _("统一社会信用代码"))
        super().__init__(**kwargs)

    def check(self, value: str) -> None:
        validate_credit_code(value)


def _phone(value: str) -> str:
    try:
        return validate_phone(value)
    except InvalidInput as error:
        raise forms.ValidationError(str(error.message), code=error.code) from None


# The admin's forms for registering new rows; the admin then calls the actions.


class PersonRegistrationForm(forms.ModelForm[Person]):
    id_number = IdNumberField()

    class Meta:
        model = Person
        fields = ("id_number", "name", "phone", "address", "region")

    def clean_phone(self) -> str:
        return _phone(self.cleaned_data.get("phone", ""))


class DepartmentRegistrationForm(forms.ModelForm[Department]):
    credit_code = CreditCodeField()

    class Meta:
        model = Department
        fields = ("code", "name", "short_name", "credit_code", "region", "kind", "parent")


class EnterpriseRegistrationForm(forms.ModelForm[Enterprise]):
    credit_code = CreditCodeField()

    class Meta:
        model = Enterprise
        fields = (
            "credit_code",
            "name",
            "legal_representative",
            "address",
            "region",
            "industry_code",
            "industry",
            "established_on",
        )


def show_refusal(form: forms.Form, error: ZhengtongError) -> None:
    """Put an action's refusal beside the fields its detail names, or above the form."""
    fields = error.detail.get("fields")
    message = str(error.message)
    named = [name for name in fields if name in form.fields] if isinstance(fields, dict) else []
    if named:
        for name in named:
            form.add_error(name, message)
    else:
        form.add_error(None, message)
