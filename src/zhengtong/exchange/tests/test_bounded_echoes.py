"""Refusals name back what the caller sent within bounds, and a bad GovStack ``page`` is
refused as its neighbours are.

The market bureau hosts its enterprise registry and withdraws records through
its pushing system; its data officer lists applications and grants; the
county bureau's approval system reads through the GovStack profile.
"""

from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from zhengtong.exchange.models import AccessLog
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import (
    ENTERPRISES,
    Sharing,
    apply_for_phone,
    logged_in,
    make_sharing,
)
from zhengtong.ledger.models import LedgerEntry

SLUG = ENTERPRISES.replace("/", "-")
GOVSTACK_PURPOSE = {"Zhengtong-Purpose": quote("企业名录同步")}
# A query value far longer than any box or state there is.
LONG_WORD = "incoming" + "x" * 5000
STATES = ["pending", "granted", "refused", "withdrawn"]


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    return make_sharing(cast)


# --- Boxes and states -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "accepted"),
    [
        ("/api/exchange/applications", ["incoming", "outgoing", "overdue", "all"]),
        ("/api/exchange/grants", ["given", "held"]),
    ],
)
def test_a_box_thousands_of_characters_long_is_named_back_cut(
    sharing: Sharing, path: str, accepted: list[str]
) -> None:
    answer = logged_in(sharing.officer).get(path, {"box": LONG_WORD})
    assert (answer.status_code, answer.json()["code"]) == (400, "invalid_box"), answer.content
    assert answer.json()["detail"] == {"box": LONG_WORD[:40], "accepted": accepted}
    assert len(answer.content) < 1000


def test_a_short_unknown_box_is_still_named_back_whole(sharing: Sharing) -> None:
    answer = logged_in(sharing.officer).get("/api/exchange/grants", {"box": "everything"})
    assert answer.json()["detail"] == {"box": "everything", "accepted": ["given", "held"]}


def test_a_state_thousands_of_characters_long_is_named_back_cut(sharing: Sharing) -> None:
    apply_for_phone(sharing)
    answer = logged_in(sharing.officer).get(
        "/api/exchange/applications", {"box": "incoming", "state": "pending" + "x" * 5000}
    )
    assert (answer.status_code, answer.json()["code"]) == (400, "invalid_state"), answer.content
    assert answer.json()["detail"] == {"state": "pending" + "x" * 33, "accepted": STATES}
    assert len(answer.content) < 1000


# --- Keys with nothing to delete --------------------------------------------------------------


def _delete(sharing: Sharing, keys: list[str]) -> Any:
    return sharing.api(sharing.pusher_token).post(
        f"/api/exchange/shared/{SLUG}/records:delete", {"keys": keys}, "application/json"
    )


def test_a_withdrawal_of_ten_thousand_unknown_keys_names_a_few(sharing: Sharing) -> None:
    keys = [f"unknown_key_{n:05d}_" + "k" * 150 for n in range(10_000)]
    answer = _delete(sharing, keys)
    assert (answer.status_code, answer.json()["code"]) == (400, "nothing_to_delete")
    detail = answer.json()["detail"]
    assert [(p["key"], p["code"]) for p in detail["problems"]] == [
        (key[:100], "unknown_key") for key in keys[:20]
    ]
    assert detail["more"] == len(keys) - 20
    assert len(answer.content) < 10_000


def test_a_withdrawal_of_a_few_unknown_or_deleted_keys_still_names_each(
    sharing: Sharing,
) -> None:
    assert _delete(sharing, [sharing.uscc]).status_code == 200
    # A key given twice is named once, as before; no count of more is added.
    answer = _delete(sharing, [sharing.uscc, "不是代码", sharing.uscc])
    assert answer.json()["code"] == "nothing_to_delete"
    assert answer.json()["detail"] == {
        "problems": [
            {"key": sharing.uscc, "reason": "该主键的记录已经删除。", "code": "already_deleted"},
            {"key": "不是代码", "reason": "没有与该主键对应的记录。", "code": "unknown_key"},
        ]
    }


# --- GovStack list: page ----------------------------------------------------------------------


@pytest.mark.parametrize("page", ["abc", "0", "-1", "", "1.5", "１"])
def test_a_govstack_list_answers_and_logs_a_bad_page_with_its_code(
    sharing: Sharing, page: str
) -> None:
    http = sharing.govstack(sharing.reader_token)
    before = LedgerEntry.objects.count()
    answer = http.get(f"/api/govstack/data/{SLUG}/1.0", {"page": page}, headers=GOVSTACK_PURPOSE)
    assert (answer.status_code, answer.json()["code"]) == (400, "invalid_page"), answer.json()
    assert answer.json()["detail"] == {"field": "page", "min": 1}
    assert LedgerEntry.objects.count() == before + 1
    log = AccessLog.objects.order_by("ledger_seq").last()
    assert log is not None and log.result == "invalid_page"


@pytest.mark.parametrize("page", ["1", "2", "9" * 40])
def test_a_govstack_list_still_serves_a_page_of_one_or_more(sharing: Sharing, page: str) -> None:
    # Only the first page is served (next carries the cursor), as before.
    http = sharing.govstack(sharing.reader_token)
    answer = http.get(f"/api/govstack/data/{SLUG}/1.0", {"page": page}, headers=GOVSTACK_PURPOSE)
    assert answer.status_code == 200, answer.json()


def test_page_is_still_documented_as_an_integer_from_one() -> None:
    operation = (
        Client()
        .get("/api/openapi.json")
        .json()["paths"]["/api/govstack/data/{registry}/{version}"]["get"]
    )
    page = {p["name"]: p["schema"] for p in operation["parameters"]}["page"]
    assert (page["type"], page["minimum"]) == ("integer", 1)
