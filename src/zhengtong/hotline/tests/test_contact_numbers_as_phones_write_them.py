"""A contact number written the way phones and people write it is the number dialled.

A phone's contacts and autofill give a number with China's country code,
"+86 138 1234 5678"; call-centre systems pass a caller's line on as
"+8613900003333"; people bracket an area code, "(0731) 8888-1234". Each is
the number a callback dials within China, stored as its digits, so it is
neither refused nor taken for another caller. 张三's account keeps his number
with the country code: leaving the form's number empty uses it, instead of
refusing a field he never typed in.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from zhengtong.core.testing import TEST_ACTOR, make_person
from zhengtong.hotline.models import Case
from zhengtong.hotline.tests.api_calls import POLLUTION, as_user, ok, post
from zhengtong.hotline.tests.cast import PASSWORD, HotlineCast, make_hotline_cast
from zhengtong.identity.actions import do_create_citizen


@pytest.fixture
def cast(db: Any) -> HotlineCast:
    return make_hotline_cast()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+86 138 1234 5678", "13812345678"),
        ("0086-13812345678", "13812345678"),
        ("＋８６ １３８１２３４５６７８", "13812345678"),
        ("(0731) 8888-1234", "073188881234"),
        ("（0731）88881234", "073188881234"),
        ("+86 731 8888 1234", "073188881234"),
    ],
)
def test_a_number_as_phones_write_it_is_stored_as_the_digits_dialled(
    cast: HotlineCast, typed: str, stored: str
) -> None:
    response = Client().post("/hotline/new/", {"content": POLLUTION, "contact_phone": typed})
    assert response.status_code == 302, response.content.decode()
    assert Case.objects.get().contact_phone == stored


def test_an_account_number_kept_with_the_country_code_is_the_contact(cast: HotlineCast) -> None:
    citizen = do_create_citizen(
        "lisi", PASSWORD, make_person("李四", phone="+86 139 0000 1111"), actor=TEST_ACTOR
    )
    page = as_user(citizen).get("/hotline/new/").content.decode()
    assert "139****1111" in page
    response = as_user(citizen).post("/hotline/new/", {"content": POLLUTION})
    assert response.status_code == 302, response.content.decode()
    assert Case.objects.get().contact_phone == "13900001111"


def test_an_account_number_no_callback_can_dial_leaves_the_account_as_the_contact(
    cast: HotlineCast,
) -> None:
    citizen = do_create_citizen(
        "wangwu", PASSWORD, make_person("王五", phone="12345"), actor=TEST_ACTOR
    )
    response = as_user(citizen).post("/hotline/new/", {"content": POLLUTION})
    assert response.status_code == 302, response.content.decode()
    case = Case.objects.get()
    assert case.contact_phone == "" and case.citizen_id == citizen.pk


def test_a_caller_id_with_the_country_code_is_the_same_caller(cast: HotlineCast) -> None:
    system = Client(headers={"Authorization": f"Bearer {cast.call_centre_token}"})
    first = ok(post(system, "/cases", {"content": POLLUTION, "contact_phone": "13900003333"}), 201)
    again = ok(
        post(system, "/cases", {"content": POLLUTION, "contact_phone": "+8613900003333"}), 201
    )
    assert again["merged_into"] == first["number"]
