"""A credit record sent twice, by a client's retry or a double click, is one record.

A doubled penalty lowers the enterprise's grade twice and so raises how
often it is inspected. Through the API a request with an ``Idempotency-Key``
header sent again is answered 200 with the record the first sending made;
the same key with another request is refused. On the page the record form
carries a one-time key: the same form sent twice makes one record and both
sendings are answered as a success. The cast is the credit pages'
(test_credit_pages.py).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client

from zhengtong.ledger.models import LedgerEntry
from zhengtong.regulation.credit_selectors import standing_of
from zhengtong.regulation.models import CreditRecord
from zhengtong.regulation.tests.bureau import logged_in, text_of
from zhengtong.regulation.tests.test_credit_pages import (
    BASE,
    DETAIL,
    KINDS,
    CreditCast,
    make_cast,
    today,
)

URL = "/api/regulation/credit"
KEY = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
PENALTY = {
    "kind": "penalty",
    "severity": "major",
    "occurred_on": (today() - dt.timedelta(days=5)).isoformat(),
    "description": "超标排放大气污染物",
    "authority": "长沙市生态环境局",
}


@pytest.fixture
def cast(db: None) -> CreditCast:
    return make_cast()


def _records_url(credit_code: str) -> str:
    return f"{URL}/enterprises/{credit_code}/records"


def _send(http: Client, credit_code: str, body: dict[str, Any], key: str | None = KEY) -> Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return http.post(
        _records_url(credit_code), body, content_type="application/json", headers=headers
    )


def _ok(response: Any, status: int) -> Any:
    assert response.status_code == status, response.content.decode()
    return response.json()


def _ledger_entries() -> int:
    return LedgerEntry.objects.filter(action="regulation.record_credit").count()


def _score(cast: CreditCast) -> int:
    standing = standing_of(cast.materials)
    assert standing is not None
    return standing.score


# --- the API ---------------------------------------------------------------------------


def test_a_record_sent_again_with_its_key_is_the_first_record(cast: CreditCast) -> None:
    http = logged_in(cast.regulator)
    code = cast.materials.credit_code
    first = _ok(_send(http, code, PENALTY), 201)
    again = _ok(_send(http, code, PENALTY), 200)
    assert again == first
    assert CreditRecord.objects.count() == 1
    assert _ledger_entries() == 1
    # Graded for one penalty, not two.
    assert _score(cast) == BASE + KINDS["penalty"]["points"]["major"]


def test_a_retry_of_a_record_with_a_source_is_answered_not_refused(cast: CreditCast) -> None:
    http = logged_in(cast.regulator)
    code = cast.materials.credit_code
    body = {**PENALTY, "source_ref": "长环罚〔2026〕12号"}
    first = _ok(_send(http, code, body), 201)
    # The severity as the form names it is the same request.
    assert _ok(_send(http, code, {**body, "severity": "较重"}), 200) == first
    assert CreditRecord.objects.count() == 1
    # Without the key the same source is still refused, as before.
    refused = _ok(_send(http, code, body, key=None), 409)
    assert refused["code"] == "credit_record_exists"


def test_the_same_key_with_another_record_is_refused(cast: CreditCast) -> None:
    http = logged_in(cast.regulator)
    first = _ok(_send(http, cast.materials.credit_code, PENALTY), 201)
    for credit_code, changed in (
        (cast.materials.credit_code, {**PENALTY, "description": "未批先建"}),
        (cast.materials.credit_code, {**PENALTY, "severity": "severe"}),
        (cast.materials.credit_code, {**PENALTY, "count": 2}),
        (cast.media.credit_code, PENALTY),
    ):
        refused = _ok(_send(http, credit_code, changed), 409)
        assert refused["code"] == "idempotency_key_reused"
        assert refused["detail"]["record"] == first["id"]
    assert CreditRecord.objects.count() == 1
    assert _ledger_entries() == 1


def test_another_accounts_same_key_is_another_record(cast: CreditCast) -> None:
    code = cast.materials.credit_code
    first = _ok(_send(logged_in(cast.regulator), code, PENALTY), 201)
    second = _ok(_send(logged_in(cast.district_regulator), code, PENALTY), 201)
    assert second["id"] != first["id"]
    assert CreditRecord.objects.count() == 2


@pytest.mark.parametrize("key", ["", "带中文的键", "a b", "k" * 256])
def test_a_key_that_is_not_visible_ascii_is_refused(cast: CreditCast, key: str) -> None:
    refused = _ok(_send(logged_in(cast.regulator), cast.materials.credit_code, PENALTY, key), 400)
    assert refused["code"] == "invalid_idempotency_key"
    assert not CreditRecord.objects.exists()


def test_a_bad_record_with_a_key_is_refused_for_what_is_wrong(cast: CreditCast) -> None:
    http = logged_in(cast.regulator)
    refused = _ok(_send(http, cast.materials.credit_code, {**PENALTY, "severity": "huge"}), 400)
    assert refused["code"] == "invalid_credit_record"
    # The key made nothing: the corrected request is the first sending.
    _ok(_send(http, cast.materials.credit_code, PENALTY), 201)


# --- the page --------------------------------------------------------------------------


FORM = {
    "kind": "penalty",
    "severity": "severe",
    "occurred_on": (today() - dt.timedelta(days=3)).isoformat(),
    "count": "1",
    "description": "未批先建",
    "authority": "长沙市生态环境局",
}


def _form_key(http: Client, credit_code: str) -> str:
    page = http.get(DETAIL.format(credit_code)).content.decode()
    found = re.search(r'<input type="hidden" name="submission" value="([0-9a-f]{32})"', page)
    assert found is not None, "the record form carries no one-time key"
    return found.group(1)


def _post_form(http: Client, credit_code: str, form: dict[str, str]) -> Any:
    return http.post(f"/regulation/credit/{credit_code}/records/", form)


def test_the_same_form_sent_twice_makes_one_record(cast: CreditCast) -> None:
    http = logged_in(cast.regulator)
    code = cast.materials.credit_code
    form = {**FORM, "submission": _form_key(http, code)}
    for _sending in range(2):
        response = _post_form(http, code, form)
        assert response.status_code == 302
        assert response["Location"] == DETAIL.format(code)
        # Each sending is answered as a success, the second with the first's record.
        assert "信用记录已登记" in text_of(http.get(response["Location"]))
    assert CreditRecord.objects.count() == 1
    assert _ledger_entries() == 1
    assert _score(cast) == BASE + KINDS["penalty"]["points"]["severe"]


def test_the_same_form_with_a_source_sent_twice_is_not_refused(cast: CreditCast) -> None:
    http = logged_in(cast.regulator)
    code = cast.materials.credit_code
    form = {**FORM, "source_ref": "长环罚〔2026〕9号", "submission": _form_key(http, code)}
    assert _post_form(http, code, form).status_code == 302
    again = _post_form(http, code, form)
    assert again.status_code == 302
    assert "该来源的信用记录已经登记" not in text_of(http.get(again["Location"]))
    assert CreditRecord.objects.count() == 1


def test_the_form_changed_and_sent_again_is_a_record_of_its_own(cast: CreditCast) -> None:
    http = logged_in(cast.regulator)
    code = cast.materials.credit_code
    key = _form_key(http, code)
    assert _post_form(http, code, {**FORM, "submission": key}).status_code == 302
    # Back in the browser, another fact typed into the same form.
    changed = {**FORM, "kind": "commendation", "severity": "", "description": "环保诚信企业"}
    for _sending in range(2):
        assert _post_form(http, code, {**changed, "submission": key}).status_code == 302
    assert sorted(CreditRecord.objects.values_list("kind", flat=True)) == [
        "commendation",
        "penalty",
    ]
    assert _ledger_entries() == 2


def test_each_showing_of_the_form_has_its_own_key(cast: CreditCast) -> None:
    http = logged_in(cast.regulator)
    code = cast.materials.credit_code
    assert _form_key(http, code) != _form_key(http, code)
