"""The GovStack Data API over a registry whose records stay in the provider's own
system (a proxied dataset): a read by key is answered through the proxy, as the
native look-up is; a list of all records, which the provider's API cannot give,
is refused as such, not as data that is not connected."""

import json
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from django.test import Client

from zhengtong.catalog.tests.cast import resource_input
from zhengtong.core.testing import TEST_ACTOR, make_credit_code
from zhengtong.exchange import actions
from zhengtong.exchange.models import AccessLog
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.fake_upstream import (
    FakeUpstream,
    Received,
    Reply,
    running_fake_upstream,
)
from zhengtong.exchange.tests.sharing import govstack_http
from zhengtong.exchange.tests.test_governed import publish
from zhengtong.identity.actions import do_issue_client
from zhengtong.identity.actors import actor_of

REGISTRY = "102000000-000003"
UNCONNECTED = "102000000-000005"
USCC = make_credit_code(seq=7)
PURPOSE = {"Zhengtong-Purpose": quote("食品经营许可审批核对")}


@pytest.fixture
def fake() -> Iterator[FakeUpstream]:
    with running_fake_upstream() as server:

        def respond(received: Received) -> Reply:
            if received.path == f"/enterprises/{USCC}":
                return Reply(json_body={"uscc": USCC, "name": "长沙某某公司"})
            return Reply(status=404, json_body={"error": "not found"})

        server.responder = respond
        yield server


@pytest.fixture
def http(cast: ExchangeCast, fake: FakeUpstream) -> Client:
    resource = publish(cast, resource_input(REGISTRY.replace("-", "/")))
    actions.do_register_proxied_dataset(
        resource,
        "uscc",
        fake.base_url,
        path_template="/enterprises/{key}",
        timeouts=(0.5, 0.5, 1.0),
        max_retries=0,
        actor=actor_of(cast.catalog.officer),
    )
    publish(cast, resource_input(UNCONNECTED.replace("-", "/")))
    client, secret = do_issue_client(
        cast.catalog.county, "芙蓉区审批系统", ["exchange.read_shared"], actor=TEST_ACTOR
    )
    return govstack_http(client, f"{client.key_id}.{secret}")


def _data(registry: str, path: str = "") -> str:
    return f"/api/govstack/data/{registry}/1.0{path}"


def test_a_read_by_key_is_answered_through_the_proxy(http: Client) -> None:
    found = http.post(
        _data(REGISTRY, "/read"),
        {"query": {"content": {"uscc": USCC}}},
        "application/json",
        headers=PURPOSE,
    )
    assert found.status_code == 200, found.content
    # The empty licence is left out: the Data API's record holds strings only.
    assert found.json()["content"] == {"uscc": USCC, "name": "长沙某某公司"}
    missing = http.post(
        _data(REGISTRY, "/read"),
        {"query": {"content": {"uscc": make_credit_code(seq=8)}}},
        "application/json",
        headers=PURPOSE,
    )
    assert missing.status_code == 404 and missing.json()["detail"] == "no record found"
    assert list(AccessLog.objects.order_by("ledger_seq").values_list("result", flat=True)) == [
        "ok",
        "unknown_key",
    ]


def test_exists_is_answered_through_the_proxy(http: Client) -> None:
    def exists(content: dict[str, str]) -> bool:
        answer = http.post(
            _data(REGISTRY, "/exists"),
            {"query": {"content": content}},
            "application/json",
            headers=PURPOSE,
        )
        assert answer.status_code == 200, answer.content
        return bool(answer.json()["answer"]["status"])

    assert exists({"uscc": USCC})
    assert exists({"uscc": USCC, "name": "长沙某某公司"})
    assert not exists({"uscc": USCC, "name": "别的公司"})
    assert not exists({"uscc": make_credit_code(seq=8)})


def test_a_list_by_key_is_a_look_up_through_the_proxy_and_a_full_list_is_refused_as_such(
    http: Client,
) -> None:
    by_key = http.get(_data(REGISTRY), {"query.uscc": USCC}, headers=PURPOSE)
    assert by_key.status_code == 200, by_key.content
    assert by_key.json()["results"] == [{"uscc": USCC, "name": "长沙某某公司"}]

    everything = http.get(_data(REGISTRY), headers=PURPOSE)
    assert everything.status_code == 409
    assert everything.json()["code"] == "not_supported_for_proxied"
    assert "尚未接入" not in everything.json()["message"]
    # Refused, and in the ledger as every refused read is.
    assert AccessLog.objects.order_by("-ledger_seq").first().result == (  # type: ignore[union-attr]
        "not_supported_for_proxied"
    )


def test_a_registry_with_no_data_connected_still_says_so(http: Client) -> None:
    answer = http.post(
        _data(UNCONNECTED, "/read"),
        {"query": {"content": {"uscc": USCC}}},
        "application/json",
        headers=PURPOSE,
    )
    assert answer.status_code == 409 and answer.json()["code"] == "not_hosted"


def test_the_directory_lists_a_proxied_registry_with_its_reads_only(http: Client) -> None:
    directory = "/api/govstack/im/r1/ZHENGTONG/GOV/cs-market/registries"
    listed = http.get(f"{directory}/listMethods")
    assert listed.status_code == 200, listed.content
    services = {s["serviceCode"]: s for s in listed.json()["member"]}
    # The registry with nothing connected is not one.
    assert set(services) == {REGISTRY}
    paths = [e["path"] for e in services[REGISTRY]["endpointList"]["member"]]
    assert paths and all(not p.endswith(("/create", "/update", "/delete")) for p in paths)
    assert any(p.endswith("/read") for p in paths)
    allowed = http.get(f"{directory}/allowedMethods?serviceId={REGISTRY}")
    assert allowed.status_code == 200, allowed.content
    [service] = allowed.json()["member"]
    assert [e["method"] for e in service["endpointList"]["member"]] == [
        "GET",
        "POST",
        "POST",
        "GET",
    ]
    document = http.get(f"{directory}/getOpenAPI?serviceCode={REGISTRY}")
    assert document.status_code == 200, document.content
    described = json.loads(document.json())["paths"]
    assert f"/api/govstack/data/{REGISTRY}/1.0/read" in described
    assert not any(path.endswith(("/create", "/updateOrCreate")) for path in described)
