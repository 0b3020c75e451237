"""Removing a proxied dataset (断开部门接口): the provider's officers disconnect their
department's API; the resource is then served as one with no data, what was recorded
stays, and the department may host the data or connect an API again."""

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from zhengtong.core.errors import NotFound
from zhengtong.core.testing import TEST_ACTOR, make_credit_code
from zhengtong.exchange import actions
from zhengtong.exchange.models import AccessLog, HostedDataset, ProxiedDataset
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.fake_upstream import FakeUpstream, Reply, running_fake_upstream
from zhengtong.exchange.tests.sharing import govstack_http, logged_in
from zhengtong.identity.actions import do_issue_client
from zhengtong.identity.actors import actor_of
from zhengtong.ledger.models import LedgerEntry

CODE = "102000000/000001"
SLUG = "102000000-000001"
URL = f"/api/exchange/proxied-datasets/{SLUG}"
PAGE = f"/exchange/datasets/{SLUG}/"
USCC = make_credit_code(seq=21)
REMOVED = "exchange.remove_proxied_dataset"


@pytest.fixture
def fake() -> Iterator[FakeUpstream]:
    with running_fake_upstream() as server:
        server.responder = lambda received: Reply(json_body={"uscc": USCC, "name": "某某有限公司"})
        yield server


def _register(client: Client, base_url: str, key_item_code: str = "uscc") -> Any:
    payload = {
        "resource_code": CODE,
        "key_item_code": key_item_code,
        "base_url": base_url,
        "path_template": "/enterprises/{key}",
        "auth_header": "Bearer upstream-secret",
    }
    return client.post("/api/exchange/proxied-datasets", payload, "application/json")


def _reader(cast: ExchangeCast) -> Client:
    system, secret = do_issue_client(
        cast.catalog.county, "芙蓉区审批系统", ["exchange.read_shared"], actor=TEST_ACTOR
    )
    return govstack_http(system, f"{system.key_id}.{secret}")


def _look_up(reader: Client, key: str = USCC) -> Any:
    return reader.post(
        f"/api/exchange/shared/{SLUG}/look-up",
        {"key": key, "purpose": "核对企业"},
        "application/json",
    )


def test_the_provider_removes_the_api_and_look_ups_answer_as_for_no_data(
    cast: ExchangeCast, fake: FakeUpstream
) -> None:
    officer = logged_in(cast.catalog.officer)
    assert _register(officer, fake.base_url).status_code == 201
    reader = _reader(cast)
    assert _look_up(reader).status_code == 200
    logged = AccessLog.objects.count()
    asked = len(fake.received)

    removed = officer.delete(URL)
    assert removed.status_code == 204, removed.content
    [entry] = LedgerEntry.objects.filter(action=REMOVED)
    assert entry.subject_type == "exchange.ProxiedDataset"
    assert entry.subject_id == str(ProxiedDataset.objects.get().pk)

    refused = _look_up(reader)
    assert refused.status_code == 409 and refused.json()["code"] == "not_hosted"
    # The department's system is not asked once the API is disconnected.
    assert len(fake.received) == asked
    # What was recorded stays: the earlier call's log and the dataset's row.
    assert AccessLog.objects.count() == logged + 1
    assert ProxiedDataset.objects.get().removed_at is not None

    assert officer.get(URL).status_code == 404
    assert officer.patch(URL, {"max_retries": 0}, "application/json").status_code == 404
    again = officer.delete(URL)
    assert again.status_code == 404 and again.json()["code"] == "not_found"
    assert LedgerEntry.objects.filter(action=REMOVED).count() == 1


def test_after_removal_the_api_is_connected_again_with_another_key_item(
    cast: ExchangeCast, fake: FakeUpstream
) -> None:
    officer = logged_in(cast.catalog.officer)
    assert _register(officer, "http://127.0.0.1:9").status_code == 201
    assert officer.delete(URL).status_code == 204
    connected = _register(officer, fake.base_url, key_item_code="name")
    assert connected.status_code == 201, connected.json()
    shown = officer.get(URL)
    assert shown.status_code == 200 and shown.json()["key_item_code"] == "name"
    assert shown.json()["base_url"] == fake.base_url
    found = _look_up(_reader(cast), "某某有限公司")
    assert found.status_code == 200, found.json()
    assert fake.received[-1].path == f"/enterprises/{quote('某某有限公司')}"
    # Both rows stay; only the new one serves.
    assert ProxiedDataset.objects.count() == 2
    # Removed again and connected a third time: a removed row never blocks one.
    assert officer.delete(URL).status_code == 204
    assert _register(officer, fake.base_url).status_code == 201


def test_after_removal_the_provider_may_host_the_data_instead(cast: ExchangeCast) -> None:
    officer = logged_in(cast.catalog.officer)
    assert _register(officer, "http://127.0.0.1:9").status_code == 201
    assert officer.delete(URL).status_code == 204
    hosted = officer.post(
        "/api/exchange/datasets",
        {"resource_code": CODE, "key_item_code": "name"},
        "application/json",
    )
    assert hosted.status_code == 201, hosted.json()
    assert HostedDataset.objects.get().key_item_code == "name"


def test_only_the_providers_officers_remove_it(cast: ExchangeCast) -> None:
    officer = logged_in(cast.catalog.officer)
    assert _register(officer, "http://127.0.0.1:9").status_code == 201
    for outsider in (cast.catalog.county_officer, cast.catalog.bureau):
        refused = logged_in(outsider).delete(URL)
        assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    assert Client().delete(URL).status_code == 401
    assert ProxiedDataset.objects.get().removed_at is None
    assert not LedgerEntry.objects.filter(action=REMOVED).exists()
    assert officer.get(URL).status_code == 200


def test_a_change_that_arrives_after_the_removal_changes_nothing(cast: ExchangeCast) -> None:
    officer = logged_in(cast.catalog.officer)
    assert _register(officer, "http://127.0.0.1:9").status_code == 201
    # The change was read before the removal and acts after it.
    stale = ProxiedDataset.objects.get()
    actions.do_remove_proxied_dataset(stale, actor=actor_of(cast.catalog.officer))
    with pytest.raises(NotFound):
        actions.do_change_proxied_dataset(
            stale, {"max_retries": 0}, actor=actor_of(cast.catalog.officer)
        )
    with pytest.raises(NotFound):
        actions.do_remove_proxied_dataset(stale, actor=actor_of(cast.catalog.officer))
    assert ProxiedDataset.objects.get().max_retries == 2
    assert not LedgerEntry.objects.filter(action="exchange.change_proxied_dataset").exists()
    assert LedgerEntry.objects.filter(action=REMOVED).count() == 1


def test_a_removed_registry_leaves_the_govstack_directory_and_reads_say_not_hosted(
    cast: ExchangeCast, fake: FakeUpstream
) -> None:
    officer = logged_in(cast.catalog.officer)
    assert _register(officer, fake.base_url).status_code == 201
    reader = _reader(cast)
    directory = "/api/govstack/im/r1/ZHENGTONG/GOV/cs-market/registries/listMethods"
    first = reader.get(directory)
    assert first.status_code == 200, first.content
    listed = {s["serviceCode"] for s in first.json()["member"]}
    assert SLUG in listed
    assert officer.delete(URL).status_code == 204
    # The market bureau's only registry was this one: it provides none now.
    after = reader.get(directory)
    assert after.status_code == 404 and after.json()["code"] == "unknown_provider"
    read = reader.post(
        f"/api/govstack/data/{SLUG}/1.0/read",
        {"query": {"content": {"uscc": USCC}}},
        "application/json",
        headers={"Zhengtong-Purpose": quote("核对企业")},
    )
    assert read.status_code == 409 and read.json()["code"] == "not_hosted"


def test_the_officer_removes_the_api_on_the_page_after_confirming(cast: ExchangeCast) -> None:
    officer = logged_in(cast.catalog.officer)
    assert _register(officer, "http://127.0.0.1:9").status_code == 201
    page = officer.get(PAGE).content.decode()
    assert "断开部门接口" in page and 'value="remove_proxied"' in page

    # The first press only asks.
    asked = officer.post(PAGE, {"serve": "remove_proxied"})
    assert asked.status_code == 200
    assert "确定断开部门接口吗？" in asked.content.decode()
    assert ProxiedDataset.objects.get().removed_at is None
    assert not LedgerEntry.objects.filter(action=REMOVED).exists()

    done = officer.post(PAGE, {"serve": "remove_proxied", "confirm": "1"}, follow=True)
    assert done.status_code == 200
    shown = done.content.decode()
    assert "已断开部门接口" in shown
    # Unserved again: both ways of serving the resource are offered.
    assert "托管该目录的数据" in shown and "或接入部门接口" in shown
    assert "修改接口设置" not in shown
    assert ProxiedDataset.objects.get().removed_at is not None
    listed = officer.get("/exchange/datasets/").content.decode()
    row = listed[listed.index(CODE) :].split("</tr>")[0]
    assert "未托管" in row and "接口代理数据集" not in row

    # Sent again (another tab, a resent form): said so, nothing done twice.
    twice = officer.post(PAGE, {"serve": "remove_proxied", "confirm": "1"}, follow=True)
    assert "该目录没有接入部门接口。" in twice.content.decode()
    assert LedgerEntry.objects.filter(action=REMOVED).count() == 1
    assert not HostedDataset.objects.exists()


def test_only_the_providers_officers_may_remove_it_on_the_page(cast: ExchangeCast) -> None:
    assert _register(logged_in(cast.catalog.officer), "http://127.0.0.1:9").status_code == 201
    for outsider in (cast.catalog.county_officer, cast.catalog.bureau):
        posted = logged_in(outsider).post(PAGE, {"serve": "remove_proxied", "confirm": "1"})
        assert posted.status_code == 404
    assert ProxiedDataset.objects.get().removed_at is None
    assert not LedgerEntry.objects.filter(action=REMOVED).exists()
