"""Proxied datasets: governed look-ups answered by the provider's own API, failures logged."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from zhengtong.catalog.tests.cast import resource_input
from zhengtong.core.testing import TEST_ACTOR, documented_statuses, make_credit_code
from zhengtong.exchange import actions
from zhengtong.exchange.models import AccessLog
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


@pytest.fixture
def http(cast: ExchangeCast, fake: FakeUpstream) -> Client:
    resource = publish(cast, resource_input("102000000/000003"))
    actions.do_register_proxied_dataset(
        resource,
        "uscc",
        fake.base_url,
        path_template="/enterprises/{key}",
        auth_header="Bearer upstream-secret",
        timeouts=(0.5, 0.5, 1.0),
        max_retries=1,
        actor=actor_of(cast.catalog.officer),
    )
    client, secret = do_issue_client(
        cast.catalog.county, "芙蓉区审批系统", ["exchange.read_shared"], actor=TEST_ACTOR
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {client.key_id}.{secret}")


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
