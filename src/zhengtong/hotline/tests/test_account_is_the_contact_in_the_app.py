"""A message sent through the API with an account gives the account's contact, as the page does.

张三 writes from the app, signed in, without typing his number again: the
我要反映 page would take the number and name of his account, and so must the
API the app calls, or the centre has nobody to call back (没有联系电话) for
the same message the page would have registered with his number.
"""

from __future__ import annotations

from typing import Any

import pytest

from zhengtong.core.testing import TEST_ACTOR, make_person
from zhengtong.hotline.tests.api_calls import as_user, ok, post, submit
from zhengtong.hotline.tests.cast import PASSWORD, HotlineCast, make_hotline_cast
from zhengtong.identity.actions import do_create_citizen


@pytest.fixture
def cast(db: Any) -> HotlineCast:
    return make_hotline_cast()


def test_the_callback_reaches_a_citizen_who_wrote_from_the_app(cast: HotlineCast) -> None:
    created = submit(as_user(cast.zhangsan), channel="app")

    mine = ok(as_user(cast.zhangsan).get(f"/api/hotline/cases/{created['number']}"))
    assert mine["contact_phone"] == "138****5678" and mine["contact_name"] == "张*"
    contact = ok(post(as_user(cast.dispatcher), f"/cases/{created['number']}/contact"))
    assert contact == {"name": "张三", "phone": "13812345678"}


def test_a_number_typed_in_the_app_is_the_contact(cast: HotlineCast) -> None:
    created = submit(as_user(cast.zhangsan), contact_phone="139 0000 2222")
    contact = ok(post(as_user(cast.dispatcher), f"/cases/{created['number']}/contact"))
    assert contact["phone"] == "13900002222"


def test_an_anonymous_message_from_the_app_gives_no_contact(cast: HotlineCast) -> None:
    created = submit(as_user(cast.zhangsan), anonymous=True)
    refused = post(as_user(cast.dispatcher), f"/cases/{created['number']}/contact")
    assert refused.status_code == 409 and refused.json()["code"] == "anonymous_case"


def test_an_account_number_no_callback_can_dial_is_left_out(cast: HotlineCast) -> None:
    citizen = do_create_citizen(
        "wangwu", PASSWORD, make_person("王五", phone="12345"), actor=TEST_ACTOR
    )
    created = submit(as_user(citizen))
    refused = post(as_user(cast.dispatcher), f"/cases/{created['number']}/contact")
    assert refused.status_code == 409 and refused.json()["code"] == "no_contact"
