"""A credit record and its retry, or a double click on its form, arriving at once are one record.

Both sendings find no record under the key and both make one; the
database's unique key lets one in, and the other answers with the record
the first made. SQLite serialises every write, so this runs on PostgreSQL only.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from zhengtong.core.tests.races import meet_before, require_postgresql, send_twice_at_once
from zhengtong.ledger.models import LedgerEntry
from zhengtong.regulation import credit_actions
from zhengtong.regulation.models import CreditRecord
from zhengtong.regulation.tests.bureau import logged_in
from zhengtong.regulation.tests.test_credit_pages import DETAIL, CreditCast, make_cast, today

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PENALTY = {
    "kind": "penalty",
    "severity": "major",
    "occurred_on": (today() - dt.timedelta(days=5)).isoformat(),
    "count": "1",
    "description": "超标排放大气污染物",
    "authority": "长沙市生态环境局",
}


@pytest.fixture
def cast() -> CreditCast:
    require_postgresql()
    return make_cast()


def _ledger_entries() -> int:
    return LedgerEntry.objects.filter(action="regulation.record_credit").count()


def test_a_request_and_its_retry_at_once_make_one_record(
    cast: CreditCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each has looked for a record under the key and found none.
    meet_before(monkeypatch, credit_actions, "_record_credit")
    answers: list[tuple[int, int]] = []
    url = f"/api/regulation/credit/enterprises/{cast.materials.credit_code}/records"

    def send() -> None:
        http = logged_in(cast.regulator)
        http.raise_request_exception = False
        response = http.post(
            url,
            {**PENALTY, "count": 1},
            content_type="application/json",
            headers={"Idempotency-Key": "credit-20261207-0001"},
        )
        answers.append((response.status_code, response.json().get("id", 0)))

    send_twice_at_once(send)

    record = CreditRecord.objects.get()
    assert sorted(answers) == [(200, record.pk), (201, record.pk)]
    assert _ledger_entries() == 1


def test_a_double_click_on_the_form_makes_one_record(
    cast: CreditCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = cast.materials.credit_code
    page = logged_in(cast.regulator).get(DETAIL.format(code)).content.decode()
    found = re.search(r'name="submission" value="([0-9a-f]{32})"', page)
    assert found is not None
    meet_before(monkeypatch, credit_actions, "_record_credit")
    answers: list[tuple[int, str]] = []

    def send() -> None:
        http = logged_in(cast.regulator)
        http.raise_request_exception = False
        response = http.post(
            f"/regulation/credit/{code}/records/", {**PENALTY, "submission": found.group(1)}
        )
        answers.append((response.status_code, response.get("Location", "")))

    send_twice_at_once(send)

    assert answers == [(302, DETAIL.format(code))] * 2
    assert CreditRecord.objects.count() == 1
    assert _ledger_entries() == 1
