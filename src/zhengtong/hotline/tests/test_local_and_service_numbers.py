"""A caller's local landline without its area code, and a 400/800 number, are numbers.

A 12345 centre takes calls every day from the city's own landlines written as
dialled there (88881234) and from enterprises' service numbers (400-123-4567).
Whole calls were refused as ``invalid_phone``. A local number is stored with
the city's area code (``HOTLINE_AREA_CODE``), so the callback dials it and a
second call from it is the same caller's; a 400/800 number as its ten digits.
Both are masked like any other number, and garbage is still refused.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

from zhengtong.hotline.models import Case
from zhengtong.hotline.tests.api_calls import POLLUTION, URL, as_user, ok, post, workbook
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast


@pytest.fixture
def cast(db: Any) -> HotlineCast:
    return make_hotline_cast()


def _system(cast: HotlineCast) -> Client:
    return Client(headers={"Authorization": f"Bearer {cast.call_centre_token}"})


@pytest.mark.parametrize(
    ("typed", "stored", "masked"),
    [
        ("88881234", "073188881234", "073*****1234"),
        ("8888123", "07318888123", "073****8123"),
        ("8888-1234", "073188881234", "073*****1234"),
        ("400-123-4567", "4001234567", "******4567"),
        ("4001234567", "4001234567", "******4567"),
        ("800 8101234", "8008101234", "******1234"),
        ("+86 400 123 4567", "4001234567", "******4567"),
    ],
)
def test_a_call_from_a_local_or_service_number_is_taken_and_masked(
    cast: HotlineCast, typed: str, stored: str, masked: str
) -> None:
    created = ok(post(_system(cast), "/cases", {"content": POLLUTION, "contact_phone": typed}), 201)
    case = Case.objects.get(number=created["number"])
    assert case.contact_phone == stored
    seen = ok(as_user(cast.dispatcher).get(f"{URL}/cases/{created['number']}"))
    assert seen["contact_phone"] == masked


@override_settings(HOTLINE_AREA_CODE="010")
def test_a_local_number_takes_the_configured_area_code(cast: HotlineCast) -> None:
    created = ok(
        post(_system(cast), "/cases", {"content": POLLUTION, "contact_phone": "88881234"}), 201
    )
    assert Case.objects.get(number=created["number"]).contact_phone == "01088881234"


def test_a_local_number_is_the_same_caller_as_with_its_area_code(cast: HotlineCast) -> None:
    system = _system(cast)
    first = ok(
        post(system, "/cases", {"content": POLLUTION, "contact_phone": "0731-88881234"}), 201
    )
    again = ok(post(system, "/cases", {"content": POLLUTION, "contact_phone": "88881234"}), 201)
    assert again["merged_into"] == first["number"]


@pytest.mark.parametrize(
    "typed", ["1234567", "0888123", "888812", "400123456", "40012345678", "12345", "电话88881234"]
)
def test_numbers_no_telephone_dials_are_still_refused(cast: HotlineCast, typed: str) -> None:
    response = post(_system(cast), "/cases", {"content": POLLUTION, "contact_phone": typed})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_phone"
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("typed", "stored"), [("88881234", "073188881234"), ("400-123-4567", "4001234567")]
)
def test_the_citizen_page_takes_a_local_or_service_number(
    cast: HotlineCast, typed: str, stored: str
) -> None:
    response = Client().post("/hotline/new/", {"content": POLLUTION, "contact_phone": typed})
    assert response.status_code == 302, response.content.decode()
    case = Case.objects.get()
    assert case.contact_phone == stored
    page = Client().get(f"/hotline/track/{case.tracking_code}/").content.decode()
    assert stored not in page and stored[-4:] in page


def test_an_import_takes_local_and_service_numbers_as_text_or_number_cells(
    cast: HotlineCast, django_capture_on_commit_callbacks: Any
) -> None:
    buffer = workbook(
        ["内容", "联系电话"],
        ["小区门口的路灯坏了一个多月，晚上出行很不方便。", "88881234"],
        ["工地夜间施工噪音扰民，影响附近居民休息。", 88882345],
        ["菜市场门口占道经营，车辆无法通行。", "400-123-4567"],
        ["小区物业乱收停车费，业主多次反映无果。", 8008101234],
    )
    http = as_user(cast.dispatcher)
    with django_capture_on_commit_callbacks(execute=True):
        queued = ok(http.post(f"{URL}/imports", {"file": buffer}), 202)
    report = ok(http.get(f"{URL}/imports/{queued['id']}"))
    assert report["errors"] == []
    assert sorted(
        Case.objects.filter(number__in=report["created"]).values_list("contact_phone", flat=True)
    ) == ["073188881234", "073188882345", "4001234567", "8008101234"]
