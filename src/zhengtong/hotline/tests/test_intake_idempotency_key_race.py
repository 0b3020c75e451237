"""A call-centre system's request and its retry arriving at once are still one case.

Both find no case under the key and both register one; the database's
unique key lets one in, and the other answers 200 with the case the first
registered. SQLite serialises every write, so this runs on PostgreSQL only.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from zhengtong.hotline import actions
from zhengtong.hotline.models import Case
from zhengtong.hotline.tests.api_calls import POLLUTION, URL
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast
from zhengtong.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WAIT_S = 20


@pytest.fixture
def cast() -> HotlineCast:
    if connection.vendor != "postgresql":
        pytest.skip("the race needs PostgreSQL's concurrent transactions")
    return make_hotline_cast()


def test_a_request_and_its_retry_at_once_register_one_case(
    cast: HotlineCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    both_checked = threading.Barrier(2, timeout=WAIT_S)
    real_register = actions._register_case

    def register_together(data: actions.CaseInput, **kwargs: Any) -> Case:
        # Each has looked for a case under the key and found none.
        both_checked.wait()
        return real_register(data, **kwargs)

    monkeypatch.setattr(actions, "_register_case", register_together)
    answers: list[tuple[int, str]] = []

    def send() -> None:
        http = Client(HTTP_AUTHORIZATION=f"Bearer {cast.call_centre_token}")
        http.raise_request_exception = False
        try:
            response = http.post(
                f"{URL}/cases",
                {"content": POLLUTION, "contact_phone": "13900002222"},
                content_type="application/json",
                headers={"Idempotency-Key": "call-20261206-0001"},
            )
            answers.append((response.status_code, response.json().get("number", "")))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_S * 2)

    case = Case.objects.get()
    assert sorted(answers) == [(200, case.number), (201, case.number)]
    assert LedgerEntry.objects.filter(action="hotline.submit_case").count() == 1
