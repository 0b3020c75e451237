"""Bad input to the exchange's APIs answered alike: a change-feed window however it is wrong,
and made-up item names however many.

The market bureau hosts its enterprise registry; its data officer reads the
raw change feed, and the county bureau's approval system reads the governed
one and the GovStack profile.
"""

import json
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from zhengtong.exchange.models import AccessLog
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import (
    BASIS,
    ENTERPRISES,
    PURPOSE,
    Sharing,
    apply_for_phone,
    logged_in,
    make_sharing,
)
from zhengtong.ledger.models import LedgerEntry

SLUG = ENTERPRISES.replace("/", "-")
GOVSTACK_PURPOSE = {"Zhengtong-Purpose": quote("企业名录同步")}

# Every way a cursor or a limit can be wrong, and the one code each answers.
BAD_WINDOWS = [
    ("cursor", "abc", "invalid_cursor"),
    ("cursor", "1.5", "invalid_cursor"),
    ("cursor", "", "invalid_cursor"),
    ("cursor", "-1", "invalid_cursor"),
    ("cursor", "１", "invalid_cursor"),  # a full-width digit
    ("cursor", "9" * 40, "invalid_cursor"),
    ("cursor", str(2**63), "invalid_cursor"),
    ("limit", "abc", "invalid_limit"),
    ("limit", "", "invalid_limit"),
    ("limit", "0", "invalid_limit"),
    ("limit", "9" * 5000, "invalid_limit"),
]


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    return make_sharing(cast)


def _json(body: dict[str, Any]) -> str:
    # json.dumps escapes a lone surrogate ("\\ud800"), as a client's JSON writer does.
    return json.dumps(body)


def _last_result() -> str:
    log = AccessLog.objects.order_by("ledger_seq").last()
    assert log is not None
    return log.result


@pytest.mark.parametrize(("name", "value", "code"), BAD_WINDOWS)
def test_the_raw_feed_answers_any_bad_window_with_its_code(
    sharing: Sharing, name: str, value: str, code: str
) -> None:
    http = logged_in(sharing.officer)
    before = LedgerEntry.objects.count()
    answer = http.get(f"/api/exchange/datasets/{SLUG}/changes", {name: value})
    assert (answer.status_code, answer.json()["code"]) == (400, code), answer.json()
    assert answer.json()["detail"]["field"] == name
    assert LedgerEntry.objects.count() == before  # nothing was read
    fine = http.get(f"/api/exchange/datasets/{SLUG}/changes", {"cursor": "0", "limit": "1000"})
    assert fine.status_code == 200


@pytest.mark.parametrize(("name", "value", "code"), BAD_WINDOWS)
def test_the_shared_feed_answers_and_logs_any_bad_window_with_its_code(
    sharing: Sharing, name: str, value: str, code: str
) -> None:
    http = sharing.api(sharing.reader_token)
    before = LedgerEntry.objects.count()
    answer = http.get(
        f"/api/exchange/shared/{SLUG}/changes", {"purpose": "企业名录同步", name: value}
    )
    assert (answer.status_code, answer.json()["code"]) == (400, code), answer.json()
    assert answer.json()["detail"]["field"] == name
    assert LedgerEntry.objects.count() == before + 1
    assert _last_result() == code


@pytest.mark.parametrize(("name", "value", "code"), BAD_WINDOWS)
def test_the_govstack_list_answers_and_logs_any_bad_window_with_the_same_code(
    sharing: Sharing, name: str, value: str, code: str
) -> None:
    http = sharing.govstack(sharing.reader_token)
    parameter = {"cursor": "cursor", "limit": "pageSize"}[name]
    before = LedgerEntry.objects.count()
    answer = http.get(
        f"/api/govstack/data/{SLUG}/1.0", {parameter: value}, headers=GOVSTACK_PURPOSE
    )
    assert (answer.status_code, answer.json()["code"]) == (400, code), answer.json()
    assert answer.json()["detail"]["field"] == parameter
    assert LedgerEntry.objects.count() == before + 1
    assert _last_result() == code


def test_a_govstack_look_up_by_key_refuses_a_bad_window_too(sharing: Sharing) -> None:
    # The look-up pages through nothing, but a window refused on one list and
    # served on another would read as two meanings of the same parameter.
    http = sharing.govstack(sharing.reader_token)
    answer = http.get(
        f"/api/govstack/data/{SLUG}/1.0",
        {"query.uscc": sharing.uscc, "cursor": "abc"},
        headers=GOVSTACK_PURPOSE,
    )
    assert (answer.status_code, answer.json()["code"]) == (400, "invalid_cursor")


def test_the_feed_parameters_are_still_documented_as_bounded_integers() -> None:
    paths = Client().get("/api/openapi.json").json()["paths"]
    operations = [
        paths["/api/exchange/datasets/{slug}/changes"]["get"],
        paths["/api/exchange/shared/{slug}/changes"]["get"],
        paths["/api/govstack/data/{registry}/{version}"]["get"],
    ]
    for operation in operations:
        schemas = {p["name"]: p["schema"] for p in operation["parameters"]}
        cursor = schemas["cursor"]
        limit = schemas.get("limit") or schemas["pageSize"]
        assert (cursor["type"], cursor["minimum"]) == ("integer", 0)
        assert (limit["type"], limit["minimum"], limit["maximum"]) == ("integer", 1, 1000)


# --- Made-up item names -----------------------------------------------------------------------

JUNK = [f"made_up_item_{n:05d}_" + "x" * 80 for n in range(5000)]


def _assert_echoed_within_bounds(answer: Any) -> None:
    assert (answer.status_code, answer.json()["code"]) == (400, "unknown_item"), answer.json()
    detail = answer.json()["detail"]
    assert detail["items"] == [name[:40] for name in JUNK[:20]]
    assert detail["more"] == len(JUNK) - 20
    assert len(answer.content) < 10_000


def _nothing_kept() -> None:
    # The refusal is logged, but none of the made-up names with it.
    for log in AccessLog.objects.all():
        assert "made_up_item" not in json.dumps(log.data, ensure_ascii=False)


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("look-up", {"key": "K", "fields": JUNK}),
        ("batch-look-up", {"keys": ["K"], "fields": JUNK}),
        ("verify", {"key": "K", "claims": dict.fromkeys(JUNK, "1")}),
    ],
)
def test_a_governed_read_naming_thousands_of_made_up_items_echoes_a_few(
    sharing: Sharing, operation: str, body: dict[str, Any]
) -> None:
    http = sharing.api(sharing.reader_token)
    answer = http.post(
        f"/api/exchange/shared/{SLUG}/{operation}",
        {**body, "purpose": "企业名录同步"},
        "application/json",
    )
    _assert_echoed_within_bounds(answer)
    assert _last_result() == "unknown_item"
    _nothing_kept()


def test_a_few_made_up_items_are_named_back_whole(sharing: Sharing) -> None:
    # Within the bound, every unknown name is given back whole, and none more.
    http = sharing.api(sharing.reader_token)
    answer = http.post(
        f"/api/exchange/shared/{SLUG}/look-up",
        {"key": "K", "fields": ["name", "fax", "fax"], "purpose": "企业名录同步"},
        "application/json",
    )
    assert answer.json()["code"] == "unknown_item"
    assert answer.json()["detail"] == {"items": ["fax"]}


def test_a_govstack_read_naming_thousands_of_made_up_items_echoes_a_few(
    sharing: Sharing,
) -> None:
    http = sharing.govstack(sharing.reader_token)
    answer = http.post(
        f"/api/govstack/data/{SLUG}/1.0/read",
        {"query": {"content": dict.fromkeys(JUNK, "1")}},
        "application/json",
        headers=GOVSTACK_PURPOSE,
    )
    _assert_echoed_within_bounds(answer)
    assert _last_result() == "unknown_item"
    _nothing_kept()


def test_an_application_naming_thousands_of_made_up_items_echoes_a_few(sharing: Sharing) -> None:
    http = logged_in(sharing.county_officer)
    before = LedgerEntry.objects.count()
    answer = http.post(
        "/api/exchange/applications",
        {
            "resource_code": ENTERPRISES,
            "client_key_id": sharing.reader.key_id,
            "purpose": PURPOSE,
            "legal_basis": BASIS,
            "fields": JUNK,
            "duration_days": 30,
            "expected_per_day": 10,
        },
        "application/json",
    )
    _assert_echoed_within_bounds(answer)
    assert LedgerEntry.objects.count() == before  # refused, so nothing was filed


def test_a_made_up_item_that_is_no_valid_unicode_is_named_back_as_a_replacement(
    sharing: Sharing,
) -> None:
    # A lone surrogate escaped back would be a JSON string strict readers refuse.
    answer = sharing.api(sharing.reader_token).post(
        f"/api/exchange/shared/{SLUG}/look-up",
        '{"key": "K", "fields": ["fa\\ud800x"], "purpose": "企业名录同步"}',
        "application/json",
    )
    assert answer.json()["code"] == "unknown_item"
    assert answer.json()["detail"] == {"items": ["fa\ufffdx"]}
    assert b"\\ud800" not in answer.content


# --- GovStack writes ------------------------------------------------------------------------


def test_a_govstack_write_of_text_that_is_no_valid_unicode_is_refused_as_the_native_push(
    sharing: Sharing,
) -> None:
    content = {"uscc": sharing.uscc, "name": "\ud800"}
    native = sharing.api(sharing.pusher_token).post(
        f"/api/exchange/shared/{SLUG}/records", _json({"rows": [content]}), "application/json"
    )
    profile = sharing.govstack(sharing.pusher_token).post(
        f"/api/govstack/data/{SLUG}/1.0/updateOrCreate",
        _json({"query": {"content": {"uscc": sharing.uscc}}, "write": {"content": content}}),
        "application/json",
    )
    assert (native.status_code, native.json()["code"]) == (400, "invalid_input")
    assert (profile.status_code, profile.json()["code"]) == (400, "invalid_input")
    assert profile.json()["detail"] == {"field": "content", "item": "name"}


@pytest.mark.parametrize(
    ("body", "code"),
    [({"fields": JUNK}, "invalid_fields"), ({"clear_fields": JUNK}, "invalid_clear_fields")],
)
def test_a_grant_naming_thousands_of_items_not_applied_for_echoes_a_few(
    sharing: Sharing, body: dict[str, Any], code: str
) -> None:
    application = apply_for_phone(sharing)
    answer = logged_in(sharing.officer).post(
        f"/api/exchange/applications/{application.pk}/grant", body, "application/json"
    )
    assert (answer.status_code, answer.json()["code"]) == (400, code), answer.json()
    assert answer.json()["detail"] == {
        "items": [name[:40] for name in JUNK[:20]],
        "more": len(JUNK) - 20,
    }
