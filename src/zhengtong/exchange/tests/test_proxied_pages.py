"""A resource served from the provider's own API, as its data officers see it on 数据托管."""

import pytest

from zhengtong.catalog.models import Resource
from zhengtong.catalog.tests.cast import resource_input
from zhengtong.exchange import actions
from zhengtong.exchange.models import HostedDataset
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import logged_in, publish
from zhengtong.identity.actors import actor_of
from zhengtong.ledger.models import LedgerEntry

CODE = "102000000/000003"
SLUG = CODE.replace("/", "-")


@pytest.fixture
def proxied(cast: ExchangeCast) -> Resource:
    resource = publish(cast, resource_input(CODE))
    actions.do_register_proxied_dataset(
        resource,
        "uscc",
        "http://127.0.0.1:9",
        path_template="/enterprises/{key}",
        auth_header="Bearer upstream-secret",
        timeouts=(0.5, 0.5, 1.0),
        max_retries=1,
        actor=actor_of(cast.catalog.officer),
    )
    return resource


def test_the_list_marks_a_proxied_resource_as_such_not_as_unhosted(
    cast: ExchangeCast, proxied: Resource
) -> None:
    page = logged_in(cast.catalog.officer).get("/exchange/datasets/").content.decode()
    row = page[page.index(CODE) :].split("</tr>")[0]
    assert "接口代理数据集" in row and "未托管" not in row


def test_the_page_of_a_proxied_resource_offers_no_hosting_and_says_why(
    cast: ExchangeCast, proxied: Resource
) -> None:
    officer = logged_in(cast.catalog.officer)
    page = officer.get(f"/exchange/datasets/{SLUG}/").content.decode()
    assert "接口代理数据集" in page and "无需上传" in page
    assert "uscc" in page
    assert 'name="key_item_code"' not in page and "托管该目录的数据" not in page
    # A registration posted all the same writes nothing and claims nothing.
    before = LedgerEntry.objects.count()
    again = officer.post(f"/exchange/datasets/{SLUG}/", {"key_item_code": "uscc"})
    assert again.status_code == 200
    assert "已经托管" not in again.content.decode()
    assert not HostedDataset.objects.exists() and LedgerEntry.objects.count() == before


def test_in_english_the_proxied_resource_is_named_as_such(
    cast: ExchangeCast, proxied: Resource
) -> None:
    officer = logged_in(cast.catalog.officer)
    page = officer.get("/exchange/datasets/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Proxied dataset" in page


def test_registering_a_proxied_resource_for_hosting_says_it_is_proxied(
    cast: ExchangeCast, proxied: Resource
) -> None:
    officer = logged_in(cast.catalog.officer)
    answer = officer.post(
        "/api/exchange/datasets",
        {"resource_code": CODE, "key_item_code": "uscc"},
        content_type="application/json",
    )
    assert answer.status_code == 409
    assert answer.json()["code"] == "already_proxied"
    assert "不在平台托管" in answer.json()["message"]
    assert not HostedDataset.objects.exists()
