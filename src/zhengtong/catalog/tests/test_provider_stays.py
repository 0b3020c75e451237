"""An entry's provider is the entry's for good: an edit naming another department
is refused, on the draft API, the change API and the edit form alike."""

from dataclasses import replace
from typing import Any

import pytest

from zhengtong.catalog import actions
from zhengtong.catalog.actions import input_as_json
from zhengtong.catalog.models import Resource
from zhengtong.catalog.tests.cast import ENTERPRISE, CatalogCast, publish
from zhengtong.catalog.tests.test_editing import logged_in, posted_as_shown
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.identity.actions import do_assign_post


@pytest.fixture
def draft(cast: CatalogCast) -> Resource:
    return actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR)


def _payload(department: str, **changes: Any) -> dict[str, Any]:
    return {**input_as_json(replace(ENTERPRISE, **changes)), "department_code": department}


def test_the_api_refuses_to_move_a_draft_to_another_department(
    cast: CatalogCast, draft: Resource
) -> None:
    client = logged_in(cast.officer)
    refused = client.put(
        f"/api/catalog/resources/{draft.slug}",
        _payload(cast.county.code, name="企业登记信息（新）"),
        content_type="application/json",
    )
    assert refused.status_code == 400, refused.content
    assert refused.json()["code"] == "department_fixed"
    assert "department_code" in refused.json()["detail"]["fields"]
    draft.refresh_from_db()
    assert (draft.provider, draft.name) == (cast.market, ENTERPRISE.name)
    # Naming the entry's own provider saves as before.
    saved = client.put(
        f"/api/catalog/resources/{draft.slug}",
        _payload(cast.market.code, name="企业登记信息（新）"),
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.content


def test_the_api_refuses_a_change_naming_another_department(
    cast: CatalogCast, draft: Resource
) -> None:
    published = publish(draft)
    client = logged_in(cast.officer)
    url = f"/api/catalog/resources/{published.slug}/revision"
    assert client.post(url).status_code == 201
    refused = client.put(
        url, _payload(cast.county.code, update_cycle="daily"), content_type="application/json"
    )
    assert refused.status_code == 400, refused.content
    assert refused.json()["code"] == "department_fixed"
    assert client.get(url).json()["content"]["update_cycle"] == ENTERPRISE.update_cycle


def test_the_form_says_beside_the_department_that_it_cannot_change(
    cast: CatalogCast, draft: Resource
) -> None:
    # An officer of two departments is offered both on the form.
    do_assign_post(cast.officer, cast.county, "administrator", actor=TEST_ACTOR)
    client = logged_in(cast.officer)
    path = f"/catalog/resource/{draft.slug}/edit/"
    data = posted_as_shown(client, path)
    refused = client.post(path, {**data, "department": cast.county.code, "name": "改名"})
    assert refused.status_code == 200
    errors = refused.context["form"].errors
    assert "提供方部门不能修改" in " ".join(errors["department"])
    draft.refresh_from_db()
    assert (draft.provider, draft.name) == (cast.market, ENTERPRISE.name)
