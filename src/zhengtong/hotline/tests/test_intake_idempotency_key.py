"""A call-centre system that retries a call after a timeout registers one case.

The request carries an ``Idempotency-Key`` header: sent again with the same
key and body it is answered 200 with the case the first sending registered;
the same key with another body is refused, and another caller's same key is
another message.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.hotline.models import Case
from zhengtong.hotline.tests.api_calls import POLLUTION, URL, as_user, ok
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast
from zhengtong.identity.actions import do_issue_client
from zhengtong.ledger.models import LedgerEntry

CALL = {"content": POLLUTION, "urgency": "urgent", "contact_phone": "13900002222"}
KEY = "5f1c0a9e-2b7d-4c1e-9a43-7d2f6b1e8c30"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def _system(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _call(http: Client, body: dict[str, Any], key: str | None = KEY) -> Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return http.post(f"{URL}/cases", body, content_type="application/json", headers=headers)


def test_a_call_sent_again_after_a_timeout_is_the_first_case(cast: HotlineCast) -> None:
    http = _system(cast.call_centre_token)
    first = ok(_call(http, CALL), 201)
    again = ok(_call(http, CALL), 200)
    assert again == first
    assert Case.objects.count() == 1
    assert LedgerEntry.objects.filter(action="hotline.submit_case").count() == 1


def test_the_same_key_with_another_message_is_refused(cast: HotlineCast) -> None:
    http = _system(cast.call_centre_token)
    first = ok(_call(http, CALL), 201)
    for changed in (
        {**CALL, "content": "芙蓉区五一大道的工地晚上十二点还在施工，噪音太大了，希望尽快处理。"},
        {**CALL, "urgency": "critical"},
        {**CALL, "received_at": "2026-12-01T09:30:00"},
    ):
        refused = ok(_call(http, changed), 409)
        assert refused["code"] == "idempotency_key_reused"
        assert refused["detail"]["case"] == first["number"]
    assert Case.objects.count() == 1


def test_another_callers_same_key_is_another_message(cast: HotlineCast) -> None:
    other, secret = do_issue_client(
        cast.centre, "区级话务系统", ["hotline.intake"], actor=TEST_ACTOR
    )
    first = ok(_call(_system(cast.call_centre_token), CALL), 201)
    second = ok(_call(_system(f"{other.key_id}.{secret}"), CALL), 201)
    assert second["number"] != first["number"]
    assert second["tracking_code"] != first["tracking_code"]


def test_an_agent_retries_too_and_a_call_without_a_key_is_taken_as_before(
    cast: HotlineCast,
) -> None:
    agent = as_user(cast.dispatcher)
    first = ok(_call(agent, CALL), 201)
    assert ok(_call(agent, CALL), 200)["number"] == first["number"]
    # Without a key every sending is a message: the caller's repeat, merged.
    repeat = ok(_call(agent, CALL, key=None), 201)
    assert repeat["merged_into"] == first["number"]


def test_a_key_that_is_no_key_is_refused(cast: HotlineCast) -> None:
    http = _system(cast.call_centre_token)
    for bad in ("", "x" * 256, "键", "key\n"):
        refused = http.post(
            f"{URL}/cases",
            CALL,
            content_type="application/json",
            headers={"Idempotency-Key": bad},
        )
        assert refused.status_code == 400, bad
        assert refused.json()["code"] == "invalid_idempotency_key"
    assert not Case.objects.exists()
