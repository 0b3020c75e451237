"""The provider agrees to some personal items in clear and gives the others masked.

The county's system asks for 姓名 and 住址 of the population resource, both in
clear; the provider agrees to both items but to the name only in clear.
"""

import re
from typing import Any

import pytest
from django.test import Client

from zhengtong.exchange.models import AccessApplication, Grant
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import POPULATION, Sharing, logged_in, make_sharing

PURPOSE = "核对申请人身份信息"
BASIS = "《社会救助暂行办法》第十一条"


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    return make_sharing(cast)


def _apply(sharing: Sharing) -> AccessApplication:
    made = logged_in(sharing.county_officer).post(
        "/api/exchange/applications",
        {
            "resource_code": POPULATION,
            "client_key_id": sharing.reader.key_id,
            "purpose": PURPOSE,
            "legal_basis": BASIS,
            "fields": ["name", "address"],
            "clear_fields": ["name", "address"],
            "duration_days": 365,
            "expected_per_day": 100,
        },
        "application/json",
    )
    assert made.status_code == 201, made.json()
    return AccessApplication.objects.get(pk=made.json()["id"])


def _read(sharing: Sharing) -> dict[str, Any]:
    answer = sharing.api(sharing.reader_token).post(
        f"/api/exchange/shared/{POPULATION.replace('/', '-')}/look-up",
        {"key": sharing.person.id_number, "purpose": PURPOSE, "fields": ["name", "address"]},
        "application/json",
    )
    assert answer.status_code == 200, answer.json()
    values: dict[str, Any] = answer.json()["values"]
    return values


def test_through_the_api_the_provider_agrees_to_the_name_in_clear_only(sharing: Sharing) -> None:
    application = _apply(sharing)
    provider = logged_in(sharing.officer)
    url = f"/api/exchange/applications/{application.pk}/grant"
    # Only items asked for in clear can be agreed to in clear.
    refused = provider.post(url, {"clear_fields": ["sex"]}, "application/json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_clear_fields"
    assert refused.json()["detail"] == {"items": ["sex"]}
    assert not Grant.objects.exists()

    granted = provider.post(url, {"clear_fields": ["name"]}, "application/json")
    assert granted.status_code == 200, granted.json()
    assert granted.json()["fields"] == ["name", "address"]
    assert granted.json()["clear_fields"] == ["name"]
    values = _read(sharing)
    assert values["name"] == "张三"
    assert values["address"].endswith("***")


def test_on_the_page_an_unticked_item_is_given_masked(sharing: Sharing) -> None:
    application = _apply(sharing)
    provider: Client = logged_in(sharing.officer)
    page = provider.get(f"/exchange/applications/{application.pk}/").content.decode()
    assert "同意以明文提供的个人信息项" in page
    assert len(re.findall(r'name="clear_codes"[^>]*checked', page)) == 2
    answered = provider.post(
        f"/exchange/applications/{application.pk}/grant/",
        {
            "item_codes": ["name", "address"],
            "clear_codes": ["address"],
            "clear_offered": "True",
            "rate_per_minute": "60",
            "reason": "",
        },
    )
    assert answered.status_code == 302
    grant = Grant.objects.get()
    assert grant.clear_fields == ["address"]
    values = _read(sharing)
    assert values["address"] != "" and not values["address"].endswith("***")
    assert values["name"] != "张三"


def test_a_form_that_offered_no_choice_keeps_the_clear_items_asked_for(sharing: Sharing) -> None:
    application = _apply(sharing)
    answered = logged_in(sharing.officer).post(
        f"/exchange/applications/{application.pk}/grant/",
        {"item_codes": ["name", "address"], "rate_per_minute": "60", "reason": ""},
    )
    assert answered.status_code == 302
    assert sorted(Grant.objects.get().clear_fields) == ["address", "name"]
