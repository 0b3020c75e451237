"""A resource served from the provider's own API, as its data officers see it on 数据托管."""

from typing import Any

import pytest

from zhengtong.catalog.models import Resource
from zhengtong.catalog.tests.cast import resource_input
from zhengtong.exchange import actions
from zhengtong.exchange.models import HostedDataset, ProxiedDataset
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


def test_the_page_shows_the_settings_of_a_proxied_resource_but_never_its_credential(
    cast: ExchangeCast, proxied: Resource
) -> None:
    page = logged_in(cast.catalog.officer).get(f"/exchange/datasets/{SLUG}/").content.decode()
    assert "http://127.0.0.1:9/enterprises/{key}" in page
    assert "已设置（不显示）" in page and "upstream-secret" not in page
    assert "同时查询 8 个主键，整批最长 20.0 秒" in page


def _connect(officer: Any, **changes: str) -> Any:
    form = {
        "serve": "proxied",
        "proxied-key_item_code": "uscc",
        "proxied-base_url": "http://127.0.0.1:9",
        "proxied-path_template": "/enterprises/{key}",
        "proxied-auth_header": "Bearer upstream-secret",
        "proxied-max_concurrency": "4",
        "proxied-batch_deadline": "15",
        **changes,
    }
    return officer.post(f"/exchange/datasets/{SLUG}/", form)


def test_the_providers_officer_connects_the_department_api_from_the_page(
    cast: ExchangeCast,
) -> None:
    publish(cast, resource_input(CODE))
    officer = logged_in(cast.catalog.officer)
    page = officer.get(f"/exchange/datasets/{SLUG}/").content.decode()
    assert "或接入部门接口" in page and 'name="proxied-base_url"' in page
    answer = _connect(officer)
    assert answer.status_code == 302
    proxied = ProxiedDataset.objects.get(resource__code=CODE)
    assert proxied.base_url == "http://127.0.0.1:9"
    assert proxied.auth_header == "Bearer upstream-secret"
    assert (proxied.max_concurrency, proxied.batch_deadline) == (4, 15.0)
    assert not HostedDataset.objects.exists()
    shown = officer.get(f"/exchange/datasets/{SLUG}/").content.decode()
    assert "接口代理数据集" in shown and "upstream-secret" not in shown


def test_a_refused_api_setting_is_explained_and_the_credential_not_sent_back(
    cast: ExchangeCast,
) -> None:
    publish(cast, resource_input(CODE))
    officer = logged_in(cast.catalog.officer)
    answer = _connect(officer, **{"proxied-path_template": "/enterprises"})
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "路径模板须以 / 开头，并含且只含一个 {key}。" in page
    assert "upstream-secret" not in page
    assert 'value="/enterprises"' in page
    assert not ProxiedDataset.objects.exists()


def test_a_refused_api_setting_is_explained_in_the_officers_language(
    cast: ExchangeCast,
) -> None:
    publish(cast, resource_input(CODE))
    officer = logged_in(cast.catalog.officer)
    # The Chinese page first: the explanations were translated once, in the
    # language of whichever request came first, and kept for everyone.
    chinese = _connect(officer, **{"proxied-path_template": "/enterprises"}).content.decode()
    assert "路径模板须以 / 开头，并含且只含一个 {key}。" in chinese
    form = {
        "serve": "proxied",
        "proxied-key_item_code": "uscc",
        "proxied-base_url": "http://127.0.0.1:9",
        "proxied-path_template": "/enterprises",
        "proxied-max_concurrency": "4",
        "proxied-batch_deadline": "15",
    }
    english = officer.post(
        f"/exchange/datasets/{SLUG}/", form, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "The path template must start with / and hold {key} exactly once." in english
    assert "路径模板须以" not in english


def test_a_credential_no_request_can_carry_is_refused_with_the_reason(
    cast: ExchangeCast,
) -> None:
    publish(cast, resource_input(CODE))
    officer = logged_in(cast.catalog.officer)
    for credential in ("Bearer 部门密钥", "Bearer upstream-secret "):
        answer = _connect(officer, **{"proxied-auth_header": credential})
        assert answer.status_code == 200
        page = answer.content.decode()
        assert "接口凭据只能含英文字母、数字、空格和英文符号，首尾不能有空格" in page
        assert credential not in page
    assert not ProxiedDataset.objects.exists()


def test_an_address_no_request_can_reach_is_refused_with_the_reason(
    cast: ExchangeCast,
) -> None:
    publish(cast, resource_input(CODE))
    officer = logged_in(cast.catalog.officer)
    for address in ("http://127.0.0.1:port", "http://scjg:secret@127.0.0.1:9"):
        answer = _connect(officer, **{"proxied-base_url": address})
        assert answer.status_code == 200
        assert "不含空格、用户名和密码、查询参数" in answer.content.decode()
    assert not ProxiedDataset.objects.exists()
    assert not LedgerEntry.objects.filter(action="exchange.register_proxied_dataset").exists()


def test_the_data_bureau_sees_no_api_form_and_cannot_post_one(cast: ExchangeCast) -> None:
    publish(cast, resource_input(CODE))
    bureau = logged_in(cast.catalog.bureau)
    page = bureau.get(f"/exchange/datasets/{SLUG}/")
    assert page.status_code == 404 or "或接入部门接口" not in page.content.decode()
    assert _connect(bureau).status_code == 404
    assert not ProxiedDataset.objects.exists()


def test_the_providers_officer_changes_the_api_settings_on_the_page(
    cast: ExchangeCast, proxied: Resource
) -> None:
    officer = logged_in(cast.catalog.officer)
    page = officer.get(f"/exchange/datasets/{SLUG}/").content.decode()
    assert "修改接口设置" in page and 'name="change-base_url"' in page
    assert "upstream-secret" not in page
    form = {
        "serve": "change_proxied",
        "change-base_url": "http://127.0.0.1:10",
        "change-path_template": "/enterprises/{key}",
        "change-auth_header": "",
        "change-max_concurrency": "2",
        "change-batch_deadline": "30",
    }
    assert officer.post(f"/exchange/datasets/{SLUG}/", form).status_code == 302
    changed = ProxiedDataset.objects.get(resource__code=CODE)
    assert (changed.base_url, changed.max_concurrency, changed.batch_deadline) == (
        "http://127.0.0.1:10",
        2,
        30.0,
    )
    # A blank credential keeps the saved one.
    assert changed.auth_header == "Bearer upstream-secret"
    both = officer.post(
        f"/exchange/datasets/{SLUG}/",
        {**form, "change-auth_header": "Bearer other", "change-clear_auth": "on"},
    )
    assert both.status_code == 200
    assert "删除凭据时不能同时填写新凭据。" in both.content.decode()
    cleared = officer.post(f"/exchange/datasets/{SLUG}/", {**form, "change-clear_auth": "on"})
    assert cleared.status_code == 302
    assert ProxiedDataset.objects.get(resource__code=CODE).auth_header == ""
