"""Two creations of one code at once: the second is told the code is taken.

Each action checks the code before it inserts; a rival whose transaction had
not committed when the check looked is found by the database's unique index.
The check is made to miss the rival here, as it would in that moment.
"""

from typing import Any

import pytest
from django.test import Client

from zhengtong.catalog import actions
from zhengtong.catalog.models import Resource
from zhengtong.catalog.tests.cast import ENTERPRISE, CatalogCast, resource_input
from zhengtong.catalog.tests.test_untrusted_input import PAYLOAD
from zhengtong.catalog.tests.test_xlsx import GOOD, item_row, workbook
from zhengtong.core.testing import TEST_ACTOR


@pytest.fixture
def check_misses_the_rival(monkeypatch: pytest.MonkeyPatch) -> None:
    def looked_too_early(code: str, resource: Resource | None = None) -> None:
        return None

    monkeypatch.setattr(actions, "_refuse_taken_code", looked_too_early)


def _client(user: Any) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_the_api_answers_code_taken_when_a_rival_took_the_code_first(
    cast: CatalogCast, check_misses_the_rival: None
) -> None:
    actions.do_create_resource(cast.market, resource_input(PAYLOAD["code"]), actor=TEST_ACTOR)
    answer = _client(cast.officer).post("/api/catalog/resources", PAYLOAD, "application/json")
    assert answer.status_code == 409, answer.content
    assert answer.json()["code"] == "code_taken"
    assert Resource.objects.filter(code=PAYLOAD["code"]).count() == 1


def test_an_edit_taking_a_code_a_rival_took_first_answers_code_taken(
    cast: CatalogCast, check_misses_the_rival: None
) -> None:
    draft = actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR)
    actions.do_create_resource(cast.market, resource_input(PAYLOAD["code"]), actor=TEST_ACTOR)
    answer = _client(cast.officer).put(
        f"/api/catalog/resources/{draft.slug}", PAYLOAD, "application/json"
    )
    assert answer.status_code == 409, answer.content
    assert answer.json()["code"] == "code_taken"
    draft.refresh_from_db()
    assert draft.code == ENTERPRISE.code


def test_the_upload_reports_a_code_a_rival_took_first_and_imports_nothing(
    cast: CatalogCast, check_misses_the_rival: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The workbook was read, too, before the rival's row was there.
    monkeypatch.setattr("zhengtong.catalog.views.taken_codes", lambda codes: set())
    taken = str(GOOD[0])
    actions.do_create_resource(cast.market, resource_input(taken), actor=TEST_ACTOR)
    fresh = "304000000/000005"
    file = workbook(
        [[fresh, *GOOD[1:]], GOOD], [item_row(fresh, "a", "甲"), item_row(taken, "a", "甲")]
    )
    file.name = "catalog.xlsx"
    response = _client(cast.officer).post(
        "/catalog/upload/", {"department": "cs-market", "file": file}
    )
    assert response.status_code == 200
    [problem] = response.context["problems"]
    assert "该资源代码已被使用" in problem.reason
    assert response.context["created"] == []
    assert not Resource.objects.filter(code=fresh).exists()
