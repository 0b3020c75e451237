"""A call-centre system's request and its retry arriving at once are still one case.

Both find no case under the key and both register one; the database's
unique key lets one in, and the other answers 200 with the case the first
registered. SQLite serialises every write, so this runs on PostgreSQL only.
"""

from __future__ import annotations

import pytest
from django.test import Client

from zhengtong.core.tests.races import meet_before, send_twice_at_once
from zhengtong.hotline import actions
from zhengtong.hotline.models import Case
from zhengtong.hotline.tests.api_calls import POLLUTION, URL
from zhengtong.hotline.tests.cast import HotlineCast, make_race_cast
from zhengtong.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def cast() -> HotlineCast:
    return make_race_cast(trained=False)


def test_a_request_and_its_retry_at_once_register_one_case(
    cast: HotlineCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each has looked for a case under the key and found none.
    meet_before(monkeypatch, actions, "_register_case")
    answers: list[tuple[int, str]] = []

    def send() -> None:
        http = Client(HTTP_AUTHORIZATION=f"Bearer {cast.call_centre_token}")
        http.raise_request_exception = False
        response = http.post(
            f"{URL}/cases",
            {"content": POLLUTION, "contact_phone": "13900002222"},
            content_type="application/json",
            headers={"Idempotency-Key": "call-20261206-0001"},
        )
        answers.append((response.status_code, response.json().get("number", "")))

    send_twice_at_once(send)

    case = Case.objects.get()
    assert sorted(answers) == [(200, case.number), (201, case.number)]
    assert LedgerEntry.objects.filter(action="hotline.submit_case").count() == 1
