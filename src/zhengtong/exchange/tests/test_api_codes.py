"""Refusals of the exchange API that name what is wrong with a stable code."""

import pytest

from zhengtong.exchange.models import AccessLog
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import (
    ENTERPRISES,
    Sharing,
    apply_for_phone,
    logged_in,
    make_sharing,
)

SLUG = ENTERPRISES.replace("/", "-")


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    return make_sharing(cast)


def test_it_refuses_an_application_state_there_is_not(sharing: Sharing) -> None:
    apply_for_phone(sharing)
    provider = logged_in(sharing.officer)
    listed = provider.get("/api/exchange/applications?box=incoming&state=pending")
    assert [a["state"] for a in listed.json()] == ["pending"]
    for state in ("Pending", "approved", "待答复"):
        refused = provider.get("/api/exchange/applications", {"box": "incoming", "state": state})
        assert refused.status_code == 400, refused.content
        body = refused.json()
        assert body["code"] == "invalid_state"
        assert body["detail"] == {
            "state": state,
            "accepted": ["pending", "granted", "refused", "withdrawn"],
        }


def test_a_verification_claiming_nothing_is_no_fields_not_an_unknown_item(
    sharing: Sharing,
) -> None:
    answer = sharing.api(sharing.reader_token).post(
        f"/api/exchange/shared/{SLUG}/verify",
        {"key": sharing.uscc, "claims": {}, "purpose": "核对企业名称"},
        "application/json",
    )
    assert answer.status_code == 400
    body = answer.json()
    # The same code as a look-up naming no items: nothing named is unknown.
    assert body["code"] == "no_fields"
    assert "items" not in body["detail"]
    assert list(AccessLog.objects.values_list("result", flat=True)) == ["no_fields"]
