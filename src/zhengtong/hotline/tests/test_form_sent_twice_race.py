"""The same form sent twice at once is still one case.

Both sendings find no case of their form yet and both register one; the
database's unique key on the form's one-time key lets one in, and the other
answers with the case the first registered. SQLite serialises every write,
so this runs on PostgreSQL only.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from zhengtong.core.tests.races import meet_before, send_twice_at_once
from zhengtong.hotline import actions
from zhengtong.hotline.models import Case
from zhengtong.hotline.tests.api_calls import POLLUTION
from zhengtong.hotline.tests.cast import HotlineCast, make_race_cast
from zhengtong.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def cast() -> HotlineCast:
    return make_race_cast()


def test_a_form_sent_twice_at_once_registers_one_case(
    cast: HotlineCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    visitor = Client()
    page = visitor.get("/hotline/new/").content.decode()
    found = re.search(r'name="submission" value="([0-9a-f]{32})"', page)
    assert found is not None
    form = {"content": POLLUTION, "contact_phone": "13900001111", "submission": found.group(1)}
    # Each has looked for a case of its form and found none.
    meet_before(monkeypatch, actions, "_register_case")
    locations: list[str] = []

    def send() -> None:
        http = Client()
        http.raise_request_exception = False
        response = http.post("/hotline/new/", form)
        locations.append(f"{response.status_code} {response.get('Location', '')}")

    send_twice_at_once(send)

    case = Case.objects.get()
    track = f"302 /hotline/track/{case.tracking_code}/?submitted=1"
    assert locations == [track, track]
    assert LedgerEntry.objects.filter(action="hotline.submit_case").count() == 1
