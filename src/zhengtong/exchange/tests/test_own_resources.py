"""A provider department's own systems read their own resources through the exchange.

The market bureau provides both resources of ``sharing``. Its own reading
system cannot apply for a grant on them (``own_resource``) and needs none: it
reads every item as held, personal items in clear, but not the negative list;
it states a purpose, is held to a rate, and each call is logged and shown in
我的数据使用记录 like any other read.
"""

from typing import Any

import pytest
from django.test import Client, override_settings

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.exchange.models import AccessLog, AccessSubject
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import (
    BASIS,
    ENTERPRISES,
    POPULATION,
    Sharing,
    logged_in,
    make_sharing,
)
from zhengtong.identity.actions import do_issue_client
from zhengtong.identity.models import SystemClient
from zhengtong.ledger.models import LedgerEntry

ENTERPRISE_SLUG = ENTERPRISES.replace("/", "-")
POPULATION_SLUG = POPULATION.replace("/", "-")
ADDRESS = "长沙市芙蓉区文艺路1号"


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    return make_sharing(cast)


@pytest.fixture
def own(sharing: Sharing) -> tuple[SystemClient, Client]:
    """The market bureau's own system that reads shared data."""
    client, secret = do_issue_client(
        sharing.cast.catalog.market,
        "市场监管综合业务系统",
        ["exchange.read_shared"],
        actor=TEST_ACTOR,
    )
    return client, Client(HTTP_AUTHORIZATION=f"Bearer {client.key_id}.{secret}")


def _post(http: Client, slug: str, path: str, body: dict[str, Any]) -> Any:
    return http.post(f"/api/exchange/shared/{slug}/{path}", body, "application/json")


def test_the_providers_own_system_reads_its_conditional_and_personal_items_in_clear(
    sharing: Sharing, own: tuple[SystemClient, Client]
) -> None:
    client, http = own
    key = sharing.person.id_number
    before = LedgerEntry.objects.count()
    named = _post(
        http,
        POPULATION_SLUG,
        "look-up",
        {"key": key, "purpose": "核对登记住址", "fields": ["address"]},
    )
    assert named.status_code == 200, named.json()
    assert named.json()["values"] == {"address": ADDRESS} and named.json()["masked"] == []
    every = _post(http, POPULATION_SLUG, "look-up", {"key": key, "purpose": "核对登记信息"})
    assert every.json()["values"] == {"id_number": key, "name": "张三", "address": ADDRESS}
    batch = _post(http, POPULATION_SLUG, "batch-look-up", {"keys": [key], "purpose": "批量核对"})
    assert batch.json()["records"][0]["values"]["address"] == ADDRESS
    verified = _post(
        http,
        POPULATION_SLUG,
        "verify",
        {"key": key, "purpose": "核验住址", "claims": {"address": ADDRESS}},
    )
    assert verified.json() == {"results": {"address": "match"}, "all_match": True}
    feed = http.get(f"/api/exchange/shared/{POPULATION_SLUG}/changes", {"purpose": "同步本局数据"})
    # The key is a 身份证号: another department's system would see it masked.
    assert [c["key"] for c in feed.json()["changes"]] == [key]
    assert feed.json()["changes"][0]["values"]["address"] == ADDRESS
    phone = _post(
        http,
        ENTERPRISE_SLUG,
        "look-up",
        {"key": sharing.uscc, "purpose": "联系企业", "fields": ["phone"]},
    )
    assert phone.json()["values"] == {"phone": "13812345678"}
    logs = list(AccessLog.objects.order_by("ledger_seq"))
    assert LedgerEntry.objects.count() == before + len(logs) == before + 6
    assert {(log.client_id, log.result, log.grant_id) for log in logs} == {(client.pk, "ok", None)}
    assert all(log.data["own_resource"] is True for log in logs)


def test_the_owner_is_refused_the_negative_list_as_every_system_is(
    sharing: Sharing, own: tuple[SystemClient, Client]
) -> None:
    _client, http = own
    body = {"key": sharing.uscc, "purpose": "核对法定代表人", "fields": ["legal_rep_id"]}
    refused = _post(http, ENTERPRISE_SLUG, "look-up", body)
    assert refused.status_code == 403 and refused.json()["code"] == "negative_list"
    every = _post(http, ENTERPRISE_SLUG, "look-up", {"key": sharing.uscc, "purpose": "核对"})
    assert every.status_code == 200 and "legal_rep_id" not in every.json()["values"]
    assert [log.result for log in AccessLog.objects.order_by("ledger_seq")] == [
        "negative_list",
        "ok",
    ]


def test_the_owner_states_a_purpose_and_an_application_stays_refused(
    sharing: Sharing, own: tuple[SystemClient, Client]
) -> None:
    client, http = own
    blank = _post(
        http, POPULATION_SLUG, "look-up", {"key": sharing.person.id_number, "purpose": " "}
    )
    assert blank.status_code == 400 and blank.json()["code"] == "purpose_required"
    assert AccessLog.objects.get().result == "purpose_required"
    # Its department's officer cannot apply for it: the data is the department's own.
    applied = logged_in(sharing.officer).post(
        "/api/exchange/applications",
        {
            "resource_code": POPULATION,
            "client_key_id": client.key_id,
            "purpose": "核对登记住址",
            "legal_basis": BASIS,
            "fields": ["address"],
            "clear_fields": [],
            "duration_days": 30,
            "expected_per_day": 10,
        },
        "application/json",
    )
    assert applied.status_code == 409 and applied.json()["code"] == "own_resource"


@pytest.mark.usefixtures("one_minute")
@pytest.mark.parametrize("group_commit", [True, False])
def test_the_owners_reads_are_held_to_a_rate_per_system_and_resource(
    sharing: Sharing, own: tuple[SystemClient, Client], group_commit: bool
) -> None:
    _client, http = own
    body = {"key": sharing.person.id_number, "purpose": "核对登记住址", "fields": ["address"]}
    with override_settings(EXCHANGE_OWN_RATE_PER_MINUTE=2, EXCHANGE_GROUP_COMMIT=group_commit):
        answers = [_post(http, POPULATION_SLUG, "look-up", body) for _ in range(3)]
        other = _post(http, ENTERPRISE_SLUG, "look-up", {"key": sharing.uscc, "purpose": "核对"})
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["code"] == "rate_limited"
    assert answers[2].json()["detail"]["rate_per_minute"] == 2
    # Another resource is counted apart.
    assert other.status_code == 200
    logs = AccessLog.objects.order_by("ledger_seq")
    assert [log.result for log in logs] == ["ok", "ok", "rate_limited", "ok"]


def test_the_owners_reads_show_in_my_data_uses(
    sharing: Sharing, own: tuple[SystemClient, Client]
) -> None:
    client, http = own
    _post(
        http,
        POPULATION_SLUG,
        "look-up",
        {
            "key": sharing.person.id_number,
            "purpose": "核对个体工商户经营者住址",
            "fields": ["address"],
        },
    )
    assert AccessSubject.objects.filter(log__client=client).count() == 1
    page = logged_in(sharing.citizen).get("/exchange/my-data/").content.decode()
    assert client.name in page and sharing.cast.catalog.market.name in page
    assert "核对个体工商户经营者住址" in page and "已读取" in page and "已拒绝" not in page
