"""Proxied datasets: governed look-ups answered by the provider's own API, failures logged."""

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from zhengtong.catalog.actions import ItemInput
from zhengtong.catalog.tests.cast import resource_input
from zhengtong.core.testing import TEST_ACTOR, documented_statuses, make_credit_code
from zhengtong.exchange import actions
from zhengtong.exchange.governed import key_hash
from zhengtong.exchange.models import AccessLog
from zhengtong.exchange.selectors import REFUSAL_REASONS, data_uses
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.fake_upstream import (
    FakeUpstream,
    Received,
    Reply,
    running_fake_upstream,
)
from zhengtong.exchange.tests.test_governed import publish
from zhengtong.identity.actions import do_issue_client
from zhengtong.identity.actors import actor_of

SLUG = "102000000-000003"
USCC = make_credit_code(seq=7)


@pytest.fixture
def fake() -> Iterator[FakeUpstream]:
    with running_fake_upstream() as server:
        yield server


def served_by(cast: ExchangeCast, base_url: str, code: str, **upstream: Any) -> Client:
    """Publish the enterprise resource ``code``, serve it from the upstream at
    ``base_url`` (``upstream``: the registration's timeouts, retries ...), and
    return the API client of the county's system that reads it."""
    resource = publish(cast, resource_input(code))
    actions.do_register_proxied_dataset(
        resource,
        "uscc",
        base_url,
        path_template="/enterprises/{key}",
        actor=actor_of(cast.catalog.officer),
        **upstream,
    )
    client, secret = do_issue_client(
        cast.catalog.county, "芙蓉区审批系统", ["exchange.read_shared"], actor=TEST_ACTOR
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {client.key_id}.{secret}")


@pytest.fixture
def http(cast: ExchangeCast, fake: FakeUpstream) -> Client:
    return served_by(
        cast,
        fake.base_url,
        "102000000/000003",
        auth_header="Bearer upstream-secret",
        timeouts=(0.5, 0.5, 1.0),
        max_retries=1,
    )


def _look_up(http: Client, key: str) -> Any:
    return http.post(
        f"/api/exchange/shared/{SLUG}/look-up",
        {"key": key, "purpose": "核对企业"},
        "application/json",
    )


def test_a_proxied_look_up_asks_the_upstream_and_governs_the_answer(
    http: Client, fake: FakeUpstream
) -> None:
    def respond(received: Received) -> Reply:
        if received.path == f"/enterprises/{USCC}":
            return Reply(json_body={"uscc": USCC, "name": "长沙某某公司", "phone": "13800001111"})
        return Reply(status=404, json_body={"error": "not found"})

    fake.responder = respond
    answer = _look_up(http, USCC)
    assert answer.status_code == 200, answer.json()
    # The conditional phone number stays behind without a grant.
    assert answer.json()["values"] == {"uscc": USCC, "name": "长沙某某公司", "licence": None}
    assert fake.received[-1].headers["Authorization"] == "Bearer upstream-secret"
    missing = _look_up(http, make_credit_code(seq=8))
    assert missing.status_code == 404 and missing.json()["code"] == "unknown_key"
    assert list(AccessLog.objects.order_by("ledger_seq").values_list("result", flat=True)) == [
        "ok",
        "unknown_key",
    ]


def test_an_unavailable_upstream_is_a_logged_refusal(http: Client, fake: FakeUpstream) -> None:
    fake.default = Reply(status=503, json_body={"error": "down"})
    answer = _look_up(http, USCC)
    assert answer.status_code == 503
    assert answer.json()["code"] == "upstream_unavailable"
    assert 503 in documented_statuses("POST", "/api/exchange/shared/{slug}/look-up")
    assert AccessLog.objects.get().result == "upstream_unavailable"
    feed = http.get(f"/api/exchange/shared/{SLUG}/changes", {"purpose": "同步数据"})
    assert feed.status_code == 409 and feed.json()["code"] == "no_change_feed"


def test_upstream_values_are_served_and_verified_as_hosted_values_are(
    cast: ExchangeCast, fake: FakeUpstream
) -> None:
    resource = publish(
        cast,
        resource_input(
            "102000000/000004",
            items=[
                ItemInput("uscc", "统一社会信用代码", "C", 18),
                ItemInput("active", "是否存续", "B"),
                ItemInput("capital", "注册资本", "N"),
                ItemInput("founded", "成立日期", "D"),
            ],
        ),
    )
    actions.do_register_proxied_dataset(
        resource,
        "uscc",
        fake.base_url,
        path_template="/enterprises/{key}",
        timeouts=(0.5, 0.5, 1.0),
        max_retries=0,
        actor=actor_of(cast.catalog.officer),
    )
    client, secret = do_issue_client(
        cast.catalog.county, "芙蓉区审批系统", ["exchange.read_shared"], actor=TEST_ACTOR
    )
    http = Client(HTTP_AUTHORIZATION=f"Bearer {client.key_id}.{secret}")
    base = "/api/exchange/shared/102000000-000004"
    # JSON's true and 1000.0, and a date with a space: a load would store "true",
    # "1000" and "2024-05-01".
    fake.default = Reply(
        json_body={"uscc": USCC, "active": True, "capital": 1000.0, "founded": " 2024-05-01"}
    )
    asked = {"key": USCC, "purpose": "核对企业"}
    looked_up = http.post(f"{base}/look-up", asked, "application/json")
    assert looked_up.status_code == 200, looked_up.json()
    assert looked_up.json()["values"] == {
        "uscc": USCC,
        "active": "true",
        "capital": "1000",
        "founded": "2024-05-01",
    }
    claims = {"active": "是", "capital": "1e3", "founded": "2024-05-01"}
    verified = http.post(
        f"{base}/verify", {"key": USCC, "claims": claims, "purpose": "核对企业"}, "application/json"
    )
    assert verified.json() == {
        "results": {"active": "match", "capital": "match", "founded": "match"},
        "all_match": True,
    }
    # A value its item cannot hold is the upstream's fault, not a value to pass on.
    fake.default = Reply(json_body={"uscc": USCC, "active": True, "capital": {"amount": 1}})
    bad = http.post(f"{base}/look-up", asked, "application/json")
    assert bad.status_code == 502, bad.json()
    assert bad.json()["code"] == "upstream_bad_response"
    assert bad.json()["detail"]["item"] == "capital"
    assert AccessLog.objects.order_by("ledger_seq").last().result == "upstream_bad_response"  # type: ignore[union-attr]


def test_an_upstream_record_of_another_key_is_refused_not_served(
    http: Client, fake: FakeUpstream
) -> None:
    # The department's API answers with another enterprise's record: served
    # under the key asked for, that enterprise's data would leave as this one's.
    other = make_credit_code(seq=9)
    fake.default = Reply(json_body={"uscc": other, "name": "别家公司"})
    answer = _look_up(http, USCC)
    assert answer.status_code == 502, answer.json()
    assert answer.json()["code"] == "upstream_bad_response"
    assert answer.json()["detail"]["reason"] == "key_mismatch"
    assert "别家公司" not in answer.content.decode() and other not in answer.content.decode()
    batch = http.post(
        f"/api/exchange/shared/{SLUG}/batch-look-up",
        {"keys": [USCC], "purpose": "核对企业"},
        "application/json",
    )
    assert batch.status_code == 502 and batch.json()["detail"]["reason"] == "key_mismatch"
    assert list(AccessLog.objects.order_by("ledger_seq").values_list("result", flat=True)) == [
        "upstream_bad_response",
        "upstream_bad_response",
    ]
    # The same record under the key written otherwise (lower case) is this one's.
    fake.default = Reply(json_body={"uscc": USCC.lower(), "name": "长沙某某公司"})
    assert _look_up(http, USCC).status_code == 200


def test_a_purpose_with_white_space_around_it_reaches_the_upstream_as_logged(
    http: Client, fake: FakeUpstream
) -> None:
    # httpx refuses to send a header value with white space at either end; the
    # call failed as if the upstream were down, and five such calls opened the
    # breaker for every caller of the upstream.
    fake.default = Reply(json_body={"uscc": USCC, "name": "长沙某某公司"})
    for _ in range(6):
        answer = http.post(
            f"/api/exchange/shared/{SLUG}/look-up",
            {"key": USCC, "purpose": "  核对企业 \n"},
            "application/json",
        )
        assert answer.status_code == 200, answer.json()
    assert fake.received[-1].headers["X-Zhengtong-Purpose"] == quote("核对企业")
    assert AccessLog.objects.first().data["purpose"] == "核对企业"  # type: ignore[union-attr]


def test_a_call_the_upstream_failed_is_in_the_data_uses_of_the_key_it_asked_about(
    http: Client, fake: FakeUpstream
) -> None:
    # The key went to the provider's system under the caller's purpose; the
    # citizen's or enterprise's record of uses shows the call, refused.
    fake.default = Reply(status=503, json_body={"error": "down"})
    other = make_credit_code(seq=8)
    assert _look_up(http, USCC).status_code == 503
    batch = http.post(
        f"/api/exchange/shared/{SLUG}/batch-look-up",
        {"keys": [USCC, other], "purpose": "核对企业"},
        "application/json",
    )
    assert batch.status_code == 503
    verified = http.post(
        f"/api/exchange/shared/{SLUG}/verify",
        {"key": USCC, "claims": {"name": "长沙某某公司"}, "purpose": "核对企业"},
        "application/json",
    )
    assert verified.status_code == 503
    uses = data_uses(key_hash(USCC))
    assert [(u.operation, u.outcome, u.shown_as) for u in uses] == [
        ("verify", "unanswered", "refused"),
        ("batch_look_up", "unanswered", "refused"),
        ("look_up", "unanswered", "refused"),
    ]
    assert uses[0].refusal_reason == REFUSAL_REASONS["upstream"]
    assert [u.operation for u in data_uses(key_hash(other))] == ["batch_look_up"]
    # Answered, the outcome is what the upstream said.
    fake.default = Reply(json_body={"uscc": USCC, "name": "长沙某某公司"})
    assert _look_up(http, USCC).status_code == 200
    assert data_uses(key_hash(USCC))[0].outcome == "found"
