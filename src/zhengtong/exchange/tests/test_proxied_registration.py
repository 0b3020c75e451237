"""Registering a proxied dataset through the API: the provider's own officers point the
exchange at their department's system, and department systems then read through it."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from zhengtong.core.testing import TEST_ACTOR, make_credit_code
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.fake_upstream import (
    FakeUpstream,
    Received,
    Reply,
    running_fake_upstream,
)
from zhengtong.identity.actions import do_issue_client
from zhengtong.ledger.models import LedgerEntry

CODE = "102000000/000001"
SLUG = "102000000-000001"
USCC = make_credit_code(seq=11)
SECRET = "Bearer upstream-secret"


@pytest.fixture
def fake() -> Iterator[FakeUpstream]:
    with running_fake_upstream() as server:
        yield server


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _register(client: Client, base_url: str = "", **changes: Any) -> Any:
    payload = {
        "resource_code": CODE,
        "key_item_code": "uscc",
        "base_url": base_url,
        "path_template": "/enterprises/{key}",
        "auth_header": SECRET,
        **changes,
    }
    return client.post("/api/exchange/proxied-datasets", payload, "application/json")


def _read_through(cast: ExchangeCast) -> Any:
    """Look the enterprise up as the county's system does, through the exchange."""
    system, secret = do_issue_client(
        cast.catalog.county, "芙蓉区审批系统", ["exchange.read_shared"], actor=TEST_ACTOR
    )
    reader = Client(HTTP_AUTHORIZATION=f"Bearer {system.key_id}.{secret}")
    return reader.post(
        f"/api/exchange/shared/{SLUG}/look-up",
        {"key": USCC, "purpose": "核对企业"},
        "application/json",
    )


def test_the_providers_officer_registers_the_department_api_and_systems_read_through_it(
    cast: ExchangeCast, fake: FakeUpstream
) -> None:
    def respond(received: Received) -> Reply:
        return Reply(json_body={"uscc": USCC, "name": "某某有限公司"})

    fake.responder = respond
    officer = _client(cast.catalog.officer)
    made = _register(officer, fake.base_url, max_concurrency=2, batch_deadline=5)
    assert made.status_code == 201, made.json()
    answer = made.json()
    assert answer["resource_code"] == CODE and answer["key_item_code"] == "uscc"
    assert answer["base_url"] == fake.base_url and answer["auth_header_set"] is True
    assert answer["max_concurrency"] == 2 and answer["batch_deadline"] == 5.0
    assert SECRET not in made.content.decode()
    shown = officer.get(f"/api/exchange/proxied-datasets/{SLUG}")
    assert shown.status_code == 200 and shown.json() == answer
    assert LedgerEntry.objects.filter(action="exchange.register_proxied_dataset").count() == 1

    found = _read_through(cast)
    assert found.status_code == 200, found.json()
    assert found.json()["values"]["name"] == "某某有限公司"
    assert [r.path for r in fake.received] == [f"/enterprises/{USCC}"]
    assert fake.received[0].headers["Authorization"] == SECRET

    again = _register(officer, fake.base_url)
    assert again.status_code == 409 and again.json()["code"] == "already_proxied"
    hosted = officer.post(
        "/api/exchange/datasets",
        {"resource_code": CODE, "key_item_code": "uscc"},
        "application/json",
    )
    assert hosted.status_code == 409 and hosted.json()["code"] == "already_proxied"


def test_only_the_provider_departments_own_officers_register_it(
    cast: ExchangeCast, fake: FakeUpstream
) -> None:
    stranger = _register(_client(cast.catalog.county_officer), fake.base_url)
    assert stranger.status_code == 403
    # The data bureau oversees the catalog city-wide but does not hold the
    # department's system or its credential.
    bureau = _register(_client(cast.catalog.bureau), fake.base_url)
    assert bureau.status_code == 403 and bureau.json()["code"] == "permission_denied"
    assert not LedgerEntry.objects.filter(action="exchange.register_proxied_dataset").exists()
    assert (
        _client(cast.catalog.county_officer)
        .get(f"/api/exchange/proxied-datasets/{SLUG}")
        .status_code
        == 404
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"base_url": "ftp://api.example.gov.cn"}, None),
        ({"base_url": "http://api.example.gov.cn/" + "a" * 300}, "base_url"),
        ({"path_template": "/enterprises"}, None),
        ({"auth_header": "Bearer x\r\nX-Admin: 1"}, "auth_header"),
        ({"auth_header": "x" * 501}, "auth_header"),
        # Each of these was kept, and then every look-up failed: a server
        # error, or upstream_unavailable as if the department's system were down.
        ({"auth_header": "Bearer 部门密钥"}, "auth_header"),
        ({"auth_header": "Bearer upstream-secret "}, "auth_header"),
        ({"base_url": "http://127.0.0.1:port"}, "base_url"),
        ({"base_url": "http://127.0.0.1:99999"}, "base_url"),
        ({"base_url": "http://api.example .gov.cn"}, "base_url"),
        ({"base_url": "http://:8080"}, "base_url"),
        ({"path_template": "/enterprises/{key}\x7f"}, "path_template"),
        # Shown with the address and kept in the ledger for good.
        ({"base_url": "http://scjg:secret@api.example.gov.cn"}, "base_url"),
        ({"connect_timeout": 0}, None),
        ({"max_concurrency": 0}, None),
        ({"max_concurrency": 65}, None),
        ({"batch_deadline": -1}, None),
        # A look-up waiting hours holds a server worker all that time.
        ({"read_timeout": 86_400}, "read_timeout"),
        ({"total_timeout": 3_600}, "total_timeout"),
        ({"batch_deadline": 301}, "batch_deadline"),
    ],
)
def test_bad_settings_are_refused_with_the_reason(
    cast: ExchangeCast, changes: dict[str, Any], field: str | None
) -> None:
    answer = _register(
        _client(cast.catalog.officer), **{"base_url": "http://127.0.0.1:9", **changes}
    )
    assert answer.status_code == 400, answer.json()
    body = answer.json()
    assert body["code"] == "invalid_upstream" and body["detail"]["reason"]
    if field is not None:
        assert body["detail"]["field"] == field
    assert not LedgerEntry.objects.filter(action="exchange.register_proxied_dataset").exists()


def test_an_endless_timeout_is_refused(cast: ExchangeCast) -> None:
    officer = _client(cast.catalog.officer)
    payload = (
        f'{{"resource_code": "{CODE}", "key_item_code": "uscc", "base_url": "http://127.0.0.1:9",'
        ' "read_timeout": Infinity}'
    )
    answer = officer.post("/api/exchange/proxied-datasets", payload, "application/json")
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_upstream"
    assert answer.json()["detail"]["field"] == "read_timeout"


def test_an_unknown_key_item_is_refused(cast: ExchangeCast) -> None:
    answer = _register(_client(cast.catalog.officer), "http://127.0.0.1:9", key_item_code="nope")
    assert answer.status_code == 400 and answer.json()["code"] == "unknown_key_item"
    assert answer.json()["detail"] == {"key_item_code": "nope"}


def test_an_unknown_key_item_thousands_of_characters_long_is_named_back_cut(
    cast: ExchangeCast,
) -> None:
    long = "x" * 5000
    answer = _register(_client(cast.catalog.officer), "http://127.0.0.1:9", key_item_code=long)
    assert answer.status_code == 400 and answer.json()["code"] == "unknown_key_item"
    assert answer.json()["detail"] == {"key_item_code": "x" * 40}


def test_a_moved_api_and_a_new_credential_are_set_and_the_next_look_up_uses_them(
    cast: ExchangeCast, fake: FakeUpstream
) -> None:
    fake.responder = lambda received: Reply(json_body={"uscc": USCC, "name": "某某有限公司"})
    officer = _client(cast.catalog.officer)
    assert _register(officer, "http://127.0.0.1:9").status_code == 201
    changed = officer.patch(
        f"/api/exchange/proxied-datasets/{SLUG}",
        {"base_url": fake.base_url, "auth_header": "Bearer new-secret", "read_timeout": 3},
        "application/json",
    )
    assert changed.status_code == 200, changed.json()
    answer = changed.json()
    assert answer["base_url"] == fake.base_url and answer["read_timeout"] == 3.0
    assert answer["connect_timeout"] == 2.0 and answer["path_template"] == "/enterprises/{key}"
    assert "new-secret" not in changed.content.decode()
    assert LedgerEntry.objects.filter(action="exchange.change_proxied_dataset").count() == 1

    found = _read_through(cast)
    assert found.status_code == 200, found.json()
    assert fake.received[-1].headers["Authorization"] == "Bearer new-secret"

    # Left out, the credential stays; "" removes it; nothing changed writes nothing.
    kept = officer.patch(
        f"/api/exchange/proxied-datasets/{SLUG}", {"max_concurrency": 4}, "application/json"
    )
    assert kept.json()["auth_header_set"] is True and kept.json()["max_concurrency"] == 4
    removed = officer.patch(
        f"/api/exchange/proxied-datasets/{SLUG}", {"auth_header": ""}, "application/json"
    )
    assert removed.json()["auth_header_set"] is False
    same = officer.patch(
        f"/api/exchange/proxied-datasets/{SLUG}", {"max_concurrency": 4}, "application/json"
    )
    assert same.status_code == 200
    assert LedgerEntry.objects.filter(action="exchange.change_proxied_dataset").count() == 3


def test_a_change_is_checked_as_a_registration_is_and_only_by_the_provider(
    cast: ExchangeCast,
) -> None:
    officer = _client(cast.catalog.officer)
    assert _register(officer, "http://127.0.0.1:9").status_code == 201
    url = f"/api/exchange/proxied-datasets/{SLUG}"
    for bad in (
        {"path_template": "/enterprises"},
        {"auth_header": "Bearer 密钥"},
        {"total_timeout": 3600},
        {"base_url": None},
    ):
        refused = officer.patch(url, bad, "application/json")
        assert refused.status_code == 400, (bad, refused.json())
        assert refused.json()["code"] == "invalid_upstream"
    stranger = _client(cast.catalog.county_officer)
    assert stranger.patch(url, {"max_retries": 0}, "application/json").status_code == 404
    assert not LedgerEntry.objects.filter(action="exchange.change_proxied_dataset").exists()
    assert officer.get(url).json()["path_template"] == "/enterprises/{key}"
