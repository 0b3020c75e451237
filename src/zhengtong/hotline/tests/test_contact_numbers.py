"""A contact number typed in full-width digits is the number a telephone dials.

A Chinese input method in full-width mode types １３８１２３４５６７８ and
０７３１－８８８８１２３４. The page takes them as the numbers they are and
stores ASCII digits, so that the callback can dial it and a second message
from the same line is known as the same caller's; digits of other scripts,
which no telephone dials, are refused.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.hotline.actions import CaseInput, do_submit_case
from zhengtong.hotline.models import Case
from zhengtong.hotline.states import CaseState, Channel
from zhengtong.hotline.tests.api_calls import POLLUTION
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast


@pytest.fixture
def cast(db: Any) -> HotlineCast:
    return make_hotline_cast()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("１３８１２３４５６７８", "13812345678"),
        ("13８12345678", "13812345678"),
        ("０７３１－８８８８１２３４", "073188881234"),
    ],
)
def test_a_full_width_number_is_stored_as_the_digits_a_telephone_dials(
    cast: HotlineCast, typed: str, stored: str
) -> None:
    response = Client().post("/hotline/new/", {"content": POLLUTION, "contact_phone": typed})
    assert response.status_code == 302
    assert Case.objects.get().contact_phone == stored


def test_digits_of_another_script_are_refused(cast: HotlineCast) -> None:
    response = Client().post(
        "/hotline/new/", {"content": POLLUTION, "contact_phone": "١٣٨١٢٣٤٥٦٧٨"}
    )
    assert response.status_code == 400
    assert "联系电话格式不正确" in response.content.decode()
    assert not Case.objects.exists()


def test_a_call_from_a_number_typed_full_width_joins_the_callers_open_case(
    cast: HotlineCast,
) -> None:
    first = do_submit_case(
        CaseInput(content=POLLUTION, channel=Channel.PHONE, contact_phone="0731-88881234"),
        actor=TEST_ACTOR,
        entered_by="agent",
    )
    full_width = "０７３１８８８８１２３４"
    again = do_submit_case(
        CaseInput(content=POLLUTION, channel=Channel.PHONE, contact_phone=full_width),
        actor=TEST_ACTOR,
        entered_by="agent",
    )
    assert again.state == CaseState.MERGED and again.merged_into == first
