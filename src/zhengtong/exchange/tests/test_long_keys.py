"""A key longer than any key is kept with is a bad key (``bad_key``, 主键过长), not malformed
input: in the native look-up, batch look-up and verification, and in the GovStack reads.

The registry's key item allows 300 characters, more than the 100 a key may hold."""

from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from zhengtong.catalog.actions import ItemInput
from zhengtong.catalog.tests.cast import resource_input
from zhengtong.exchange import actions
from zhengtong.exchange.models import AccessLog
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.fake_upstream import FakeUpstream, Reply, running_fake_upstream
from zhengtong.exchange.tests.sharing import Sharing, make_sharing, publish
from zhengtong.identity.actors import actor_of

CODES = "102000000-000008"
LONGEST = "K" * actions.KEY_MAX_LENGTH
TOO_LONG = "K" * (actions.KEY_MAX_LENGTH + 1)
TOO_LONG_DETAIL = {"item": "code", "max_length": actions.KEY_MAX_LENGTH}
PURPOSE = "企业名录核对"


def _publish_codes(sharing: Sharing) -> Any:
    return publish(
        sharing.cast,
        replace(
            resource_input(CODES.replace("-", "/")),
            items=[ItemInput("code", "编号", "C", 300), ItemInput("name", "名称", "C", 40)],
        ),
    )


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    sharing = make_sharing(cast)
    resource = _publish_codes(sharing)
    actions.do_register_hosted_dataset(resource, "code", actor=actor_of(cast.catalog.officer))
    kept = sharing.govstack(sharing.pusher_token).post(
        f"/api/govstack/data/{CODES}/1.0/create",
        {"write": {"content": {"code": LONGEST, "name": "甲"}}},
        "application/json",
    )
    assert kept.status_code == 200, kept.json()
    return sharing


def _shared(sharing: Sharing, operation: str, body: dict[str, Any]) -> Any:
    return sharing.api(sharing.reader_token).post(
        f"/api/exchange/shared/{CODES}/{operation}", body, "application/json"
    )


def _assert_too_long(answer: Any) -> None:
    assert answer.status_code == 400, answer.json()
    body = answer.json()
    assert body["code"] == "bad_key"
    assert body["message"] == "主键过长。"
    assert body["detail"] == TOO_LONG_DETAIL


def test_a_look_up_with_a_key_too_long_is_a_bad_key(sharing: Sharing) -> None:
    found = _shared(sharing, "look-up", {"key": LONGEST, "purpose": PURPOSE})
    assert found.status_code == 200 and found.json()["values"]["name"] == "甲"
    _assert_too_long(_shared(sharing, "look-up", {"key": TOO_LONG, "purpose": PURPOSE}))
    # Refused and in the ledger, as every bad key is.
    assert AccessLog.objects.order_by("-ledger_seq").first().result == "bad_key"  # type: ignore[union-attr]


def test_a_key_too_long_for_a_narrow_key_item_is_a_bad_key_too(sharing: Sharing) -> None:
    answer = sharing.api(sharing.reader_token).post(
        "/api/exchange/shared/102000000-000002/look-up",
        {"key": TOO_LONG, "purpose": PURPOSE},
        "application/json",
    )
    assert answer.status_code == 400 and answer.json()["code"] == "bad_key"


def test_a_batch_lists_a_key_too_long_among_the_bad_keys(sharing: Sharing) -> None:
    answer = _shared(sharing, "batch-look-up", {"keys": [LONGEST, TOO_LONG], "purpose": PURPOSE})
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert [r["key"] for r in body["records"]] == [LONGEST]
    assert body["not_found"] == [] and body["bad_keys"] == [TOO_LONG]


def test_a_verification_with_a_key_too_long_is_a_bad_key(sharing: Sharing) -> None:
    matched = _shared(
        sharing, "verify", {"key": LONGEST, "claims": {"name": "甲"}, "purpose": PURPOSE}
    )
    assert matched.status_code == 200 and matched.json()["all_match"] is True
    _assert_too_long(
        _shared(sharing, "verify", {"key": TOO_LONG, "claims": {"name": "甲"}, "purpose": PURPOSE})
    )


def test_the_documented_bound_of_a_key_is_the_one_refused(sharing: Sharing) -> None:
    schemas = Client().get("/api/openapi.json").json()["components"]["schemas"]
    for name in ("LookUpIn", "VerifyIn"):
        key = schemas[name]["properties"]["key"]
        assert key["maxLength"] == actions.KEY_MAX_LENGTH
        assert "bad_key" in key["description"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/read", {"query": {"content": {"code": TOO_LONG}}}),
        ("post", "/exists", {"query": {"content": {"code": TOO_LONG}}}),
        ("get", f"/{TOO_LONG}/readValue/name.json", None),
    ],
)
def test_a_govstack_read_with_a_key_too_long_is_a_bad_key(
    sharing: Sharing, method: str, path: str, body: dict[str, Any] | None
) -> None:
    reader = sharing.govstack(sharing.reader_token)
    url = f"/api/govstack/data/{CODES}/1.0{path}"
    headers = {"Zhengtong-Purpose": quote(PURPOSE)}
    if method == "post":
        answer = reader.post(url, body, "application/json", headers=headers)
    else:
        answer = reader.get(url, headers=headers)
    _assert_too_long(answer)


@pytest.fixture
def fake() -> Iterator[FakeUpstream]:
    with running_fake_upstream() as server:
        server.responder = lambda received: Reply(json_body={"code": LONGEST, "name": "乙"})
        yield server


def test_a_proxied_look_up_with_a_key_too_long_does_not_ask_the_department(
    cast: ExchangeCast, fake: FakeUpstream
) -> None:
    sharing = make_sharing(cast)
    resource = _publish_codes(sharing)
    actions.do_register_proxied_dataset(
        resource, "code", fake.base_url, actor=actor_of(cast.catalog.officer), max_retries=0
    )
    found = _shared(sharing, "look-up", {"key": LONGEST, "purpose": PURPOSE})
    assert found.status_code == 200, found.json()
    asked = len(fake.received)
    _assert_too_long(_shared(sharing, "look-up", {"key": TOO_LONG, "purpose": PURPOSE}))
    batch = _shared(sharing, "batch-look-up", {"keys": [TOO_LONG], "purpose": PURPOSE})
    assert batch.status_code == 200 and batch.json()["bad_keys"] == [TOO_LONG]
    assert len(fake.received) == asked
