"""A search of nothing but punctuation or symbols finds nothing, not the whole catalog."""

import re

import pytest
from django.test import Client

from zhengtong.catalog import actions
from zhengtong.catalog.models import Resource
from zhengtong.catalog.tests.cast import CatalogCast, publish, resource_input
from zhengtong.core.testing import TEST_ACTOR


@pytest.fixture
def entry(cast: CatalogCast) -> Resource:
    return publish(
        actions.do_create_resource(
            cast.market, resource_input("102000000/000007", name="企业年报信息"), actor=TEST_ACTOR
        )
    )


@pytest.mark.parametrize("query", ["？", "%", "😀", "、"])
def test_a_query_with_no_word_in_it_finds_nothing(entry: Resource, query: str) -> None:
    assert Client().get("/api/catalog/resources", {"q": query}).json() == []
    # As two of the same find nothing too.
    assert Client().get("/api/catalog/resources", {"q": query * 2}).json() == []
    page = Client().get("/catalog/", {"q": query}).content.decode()
    assert not re.search(r"/catalog/resource/[0-9-]+/", page)


@pytest.mark.parametrize("query", ["", "   ", "\u3000"])
def test_an_empty_query_lists_the_catalog(entry: Resource, query: str) -> None:
    hits = Client().get("/api/catalog/resources", {"q": query}).json()
    assert [h["code"] for h in hits] == [entry.code]
