"""Searching for an entry by its resource code or its classification code."""

import pytest
from django.test import Client

from zhengtong.catalog import actions
from zhengtong.catalog.tests.cast import ENTERPRISE, CatalogCast, publish, resource_input
from zhengtong.core.testing import TEST_ACTOR


@pytest.fixture
def entries(cast: CatalogCast) -> None:
    publish(actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR))
    for code in ("102000000/000002", "304000000/000001"):
        publish(
            actions.do_create_resource(
                cast.market, resource_input(code, name="企业年报信息"), actor=TEST_ACTOR
            )
        )


@pytest.mark.parametrize(
    "query", ["102000000/000001", "102000000-000001", " １０２００００００／０００００１ "]
)
def test_a_resource_code_finds_its_entry_alone(entries: None, query: str) -> None:
    found = Client().get("/api/catalog/resources", {"q": query}).json()
    assert [hit["code"] for hit in found] == ["102000000/000001"]
    page = Client().get("/catalog/", {"q": query})
    assert [hit.resource.code for hit in page.context["hits"]] == ["102000000/000001"]


def test_a_classification_code_finds_the_entries_classified_there(entries: None) -> None:
    found = Client().get("/api/catalog/resources", {"q": "102000000"}).json()
    assert [hit["code"] for hit in found] == ["102000000/000001", "102000000/000002"]
    # A part of a code is no code: the sequence 000001 begins every class.
    assert Client().get("/api/catalog/resources", {"q": "000001"}).json() == []
