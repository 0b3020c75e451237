"""Searching with the full-width letters and digits a Chinese input method types."""

import pytest
from django.test import Client

from zhengtong.catalog import actions
from zhengtong.catalog.models import Resource
from zhengtong.catalog.tests.cast import CatalogCast, publish, resource_input
from zhengtong.core.testing import TEST_ACTOR


@pytest.fixture
def gdp(cast: CatalogCast) -> Resource:
    return publish(
        actions.do_create_resource(
            cast.market,
            resource_input(
                "305000000/000002",
                name="GDP季度核算数据",
                abstract="全市2024年各季度的地区生产总值。",
                keywords="GDP,统计",
            ),
            actor=TEST_ACTOR,
        )
    )


def test_a_query_typed_in_full_width_finds_the_entry_written_in_half_width(
    gdp: Resource,
) -> None:
    hits = Client().get("/api/catalog/resources", {"q": "ＧＤＰ"}).json()
    assert [h["code"] for h in hits] == [gdp.code]


def test_an_entry_written_in_full_width_is_found_by_a_half_width_query(
    cast: CatalogCast,
) -> None:
    written = publish(
        actions.do_create_resource(
            cast.market,
            resource_input("305000000/000003", name="ＣＰＩ月度数据", keywords="物价"),
            actor=TEST_ACTOR,
        )
    )
    hits = Client().get("/api/catalog/resources", {"q": "cpi"}).json()
    assert [h["code"] for h in hits] == [written.code]


def test_the_browse_page_finds_a_full_width_query(gdp: Resource) -> None:
    response = Client().get("/catalog/", {"q": "ＧＤＰ"})
    assert response.status_code == 200
    assert gdp.name in response.content.decode()
