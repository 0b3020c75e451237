"""Verification depends only on what was signed.

The issuer's name and code, the licence type's name and the field labels are
signed as they were at issue: renaming the department or rewording the type
afterwards changes neither the verdict nor what the verification page shows.
Licences signed before the type's name and labels were signed (payload
version 1) keep verifying as they were signed, and say what their signature
does not cover.
"""

import importlib
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import reverse

from zhengtong.core.models import Department
from zhengtong.licences import signing
from zhengtong.licences.models import Licence, LicenceType
from zhengtong.licences.selectors import short_digest_of
from zhengtong.licences.tests.cast import LicenceCast, issue_food_licence

OLD_NAME = "长沙市芙蓉区市场监督管理局"
NEW_NAME = "长沙市芙蓉区市场监督管理和知识产权局"


def _text(response: HttpResponseBase) -> str:
    assert isinstance(response, HttpResponse)
    return response.content.decode()


def _page(licence: Licence) -> str:
    url = f"{reverse('licences:verify', args=[licence.number])}?s={short_digest_of(licence)}"
    response = Client().get(url)
    assert response.status_code == 200
    return _text(response)


def _api(licence: Licence) -> Any:
    response = Client().get(
        f"/api/licences/verify/{licence.number}", {"s": short_digest_of(licence)}
    )
    assert response.status_code == 200
    return response.json()


def _reword_food_type() -> None:
    """The type renamed and a label reworded after the licence was issued."""
    food = LicenceType.objects.get(code="food_business_licence")
    fields = [
        {**field, "label": "经营地址"} if field["code"] == "business_premises" else field
        for field in food.fields
    ]
    LicenceType.objects.filter(pk=food.pk).update(name="食品经营许可证（新版）", fields=fields)


@pytest.fixture
def version_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue as the platform did before the type's name and labels were signed."""
    monkeypatch.setattr(signing, "PAYLOAD_VERSION", 1)


def test_renaming_the_issuing_department_keeps_its_licences_verifying(
    cast: LicenceCast,
) -> None:
    licence = issue_food_licence(cast)
    Department.objects.filter(pk=cast.market.pk).update(name=NEW_NAME)
    body = _api(licence)
    assert (body["status"], body["signature_ok"]) == ("valid", True)
    assert body["issuer"] == OLD_NAME
    text = _page(licence)
    assert 'class="licence-status">有效<' in text
    assert OLD_NAME in text and NEW_NAME not in text


def test_the_type_name_and_field_labels_are_signed_and_shown_as_signed(
    cast: LicenceCast,
) -> None:
    licence = issue_food_licence(cast)
    _reword_food_type()
    body = _api(licence)
    assert (body["status"], body["type_name"], body["payload_version"]) == (
        "valid",
        "食品经营许可证",
        2,
    )
    text = _page(licence)
    assert 'class="licence-status">有效<' in text
    assert "食品经营许可证" in text and "食品经营许可证（新版）" not in text
    assert "经营场所" in text and "经营地址" not in text
    assert "证照名称、编号、持证主体、信息项名称及内容、发证机关和有效期" in text


@pytest.mark.parametrize(
    "change",
    [
        {"type_name": "食品经营许可证（新版）"},
        {"issuer_name": NEW_NAME},
        {
            "field_labels": [
                {"code": "business_premises", "label": "经营地址"},
            ]
        },
    ],
)
def test_the_signed_names_cannot_be_changed_in_the_store(
    cast: LicenceCast, change: dict[str, Any]
) -> None:
    licence = issue_food_licence(cast)
    Licence.objects.filter(pk=licence.pk).update(**change)
    assert _api(licence)["status"] == "forged"


def test_a_licence_signed_before_names_were_signed_verifies_as_it_was_signed(
    cast: LicenceCast, version_one: None
) -> None:
    licence = issue_food_licence(cast)
    assert licence.payload_version == 1
    Department.objects.filter(pk=cast.market.pk).update(name=NEW_NAME)
    _reword_food_type()
    body = _api(licence)
    assert (body["status"], body["payload_version"], body["issuer"]) == ("valid", 1, OLD_NAME)
    text = _page(licence)
    assert 'class="licence-status">有效<' in text
    # Said plainly: the names shown are the type's current ones, not signed.
    assert "证照名称和信息项名称未纳入签名" in text
    assert "经营地址" in text


def test_the_migration_records_the_issuer_of_licences_signed_before_it(
    cast: LicenceCast, version_one: None
) -> None:
    licence = issue_food_licence(cast)
    # As stored before the issuer was kept on the licence.
    Licence.objects.filter(pk=licence.pk).update(
        issuer_code="", issuer_name="", issuer_credit_code=""
    )
    assert _api(licence)["status"] == "forged"
    migration = importlib.import_module(
        "zhengtong.licences.migrations.0005_licence_signed_issuer_and_names"
    )
    migration.record_issuers_as_signed(apps, SimpleNamespace(connection=connection))
    stored = Licence.objects.get(pk=licence.pk)
    assert (stored.issuer_code, stored.issuer_name, stored.issuer_credit_code) == (
        cast.market.code,
        OLD_NAME,
        cast.market.credit_code,
    )
    assert _api(licence)["status"] == "valid"
