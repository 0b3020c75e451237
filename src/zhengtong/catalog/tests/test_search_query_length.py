"""A query longer than the search takes is refused, not searched as if it were empty."""

from django.test import Client

from zhengtong.catalog import actions
from zhengtong.catalog.models import Resource
from zhengtong.catalog.tests.cast import ENTERPRISE, CatalogCast, publish
from zhengtong.core.testing import TEST_ACTOR

TOO_LONG = "营业执照" * 26  # 104 characters; the search takes 100


def _published(cast: CatalogCast) -> Resource:
    return publish(actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR))


def test_the_browse_page_says_a_query_is_too_long_instead_of_listing_everything(
    cast: CatalogCast,
) -> None:
    resource = _published(cast)
    client = Client()
    for headers in ({}, {"HX-Request": "true"}):
        page = client.get("/catalog/", {"q": TOO_LONG}, headers=headers)
        assert page.status_code == 200
        text = page.content.decode()
        assert "搜索内容最多100个字，请精简后再搜索。" in text
        assert resource.code not in text
    # A query of exactly the limit is searched.
    found = client.get("/catalog/", {"q": TOO_LONG[:100]}).content.decode()
    assert resource.code in found and "请精简" not in found


def test_the_api_refuses_a_query_that_is_too_long(cast: CatalogCast) -> None:
    _published(cast)
    client = Client()
    refused = client.get("/api/catalog/resources", {"q": TOO_LONG})
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid_input"
    assert "q" in str(refused.json()["detail"])
    assert client.get("/api/catalog/resources", {"q": TOO_LONG[:100]}).status_code == 200
