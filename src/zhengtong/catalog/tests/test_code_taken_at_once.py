"""Two officers create an entry of one code at the same moment: one draft is made,
the other officer is told the code is taken.

The interleaving is forced: the first looks the code up, then waits until the
second has created its draft before it inserts its own. SQLite serialises
every write, so this runs on PostgreSQL only.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.test import Client

from zhengtong.catalog import actions
from zhengtong.catalog.models import Resource
from zhengtong.catalog.tests.cast import PASSWORD, CatalogCast, make_cast
from zhengtong.catalog.tests.test_untrusted_input import PAYLOAD
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.identity.actions import do_create_staff
from zhengtong.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WAIT_S = 20


@pytest.fixture
def cast() -> CatalogCast:
    if connection.vendor != "postgresql":
        pytest.skip("the race needs PostgreSQL's concurrent transactions")
    return make_cast()


def test_two_creations_of_one_code_at_once_make_one_draft_and_answer_code_taken(
    cast: CatalogCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    second_officer = do_create_staff(
        "zhengshi", PASSWORD, "郑十", cast.market, ["administrator"], actor=TEST_ACTOR
    )
    second_created = threading.Event()
    real_check = actions._refuse_taken_code

    def check_in_turn(code: str, resource: Resource | None = None) -> None:
        real_check(code, resource)
        if threading.current_thread().name == "first":
            # Looked before the second's draft existed; inserts after it is committed.
            second_created.wait(WAIT_S)

    monkeypatch.setattr(actions, "_refuse_taken_code", check_in_turn)
    answers: dict[str, tuple[int, str]] = {}

    def create(name: str) -> None:
        http = Client(raise_request_exception=False)
        http.force_login(cast.officer if name == "first" else second_officer)
        try:
            response = http.post("/api/catalog/resources", PAYLOAD, "application/json")
            answers[name] = (response.status_code, response.json().get("code", ""))
        finally:
            if name == "second":
                second_created.set()
            connections.close_all()

    first = threading.Thread(target=create, args=("first",), name="first")
    second = threading.Thread(target=create, args=("second",), name="second")
    first.start()
    second.start()
    for thread in (first, second):
        thread.join(WAIT_S * 2)

    assert answers["second"][0] == 201, answers
    assert answers["first"] == (409, "code_taken"), answers
    assert Resource.objects.filter(code=PAYLOAD["code"]).count() == 1
    assert LedgerEntry.objects.filter(action="catalog.create_resource").count() == 1
