"""The data bureau oversees the data quality of its own region's departments.

孙八 reviews the catalog for the whole city; 郑十一 reviews it for 芙蓉区 only,
from the district's data bureau. The city market bureau hosts the enterprise
registry and 芙蓉区's market bureau hosts a registry of its own: 郑十一 oversees
the quality of the second only, 孙八 of both.
"""

from dataclasses import dataclass

import pytest
from django.test import Client

from zhengtong.catalog import actions as catalog
from zhengtong.catalog.models import Resource
from zhengtong.catalog.tests.cast import PASSWORD, resource_input
from zhengtong.core.testing import TEST_ACTOR, make_department, make_region_tree
from zhengtong.exchange.actions import do_register_hosted_dataset
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.identity.actions import do_create_staff
from zhengtong.identity.actors import actor_of
from zhengtong.identity.models import User

OVERVIEW_LINK = "数据质量总览"
DISTRICT_NAME = "芙蓉区个体工商户登记"


@dataclass(frozen=True)
class Regions:
    cast: ExchangeCast
    district_reviewer: User
    district_resource: Resource


@pytest.fixture
def regions(cast: ExchangeCast) -> Regions:
    tree = make_region_tree()
    district_bureau = make_department("芙蓉区数据资源管理局", code="fr-data", region=tree.furong)
    reviewer = do_create_staff(
        "zhengshiyi",
        PASSWORD,
        "郑十一",
        district_bureau,
        ["data_reviewer"],
        actor=TEST_ACTOR,
        scope="region",
    )
    officer = actor_of(cast.catalog.county_officer)
    resource = catalog.do_create_resource(
        cast.catalog.county,
        resource_input("102000000/000077", name=DISTRICT_NAME),
        actor=officer,
    )
    resource = catalog.do_submit_resource(resource, actor=officer)
    resource = catalog.do_review_resource(resource, actor=TEST_ACTOR)
    resource = catalog.do_publish_resource(resource, actor=TEST_ACTOR)
    do_register_hosted_dataset(resource, "uscc", actor=TEST_ACTOR)
    do_register_hosted_dataset(cast.resource, "uscc", actor=TEST_ACTOR)
    return Regions(cast, reviewer, resource)


def _as(user: User) -> Client:
    http = Client()
    http.force_login(user)
    return http


def _panel(http: Client, resource: Resource) -> str:
    return http.get(f"/exchange/quality/resource/{resource.slug}/").content.decode()


def test_a_district_reviewer_oversees_its_own_regions_quality_only(regions: Regions) -> None:
    district = _as(regions.district_reviewer)
    page = district.get("/exchange/quality/")
    assert page.status_code == 200
    text = page.content.decode()
    assert DISTRICT_NAME in text
    assert regions.cast.resource.name not in text
    # The overview is offered on the panels of the resources it lists, not on others.
    assert OVERVIEW_LINK in _panel(district, regions.district_resource)
    assert OVERVIEW_LINK not in _panel(district, regions.cast.resource)


def test_the_city_reviewer_oversees_every_departments_quality(regions: Regions) -> None:
    city = _as(regions.cast.catalog.bureau)
    text = city.get("/exchange/quality/").content.decode()
    assert DISTRICT_NAME in text and regions.cast.resource.name in text
    assert OVERVIEW_LINK in _panel(city, regions.district_resource)
    assert OVERVIEW_LINK in _panel(city, regions.cast.resource)


def test_no_one_else_is_offered_the_overview(regions: Regions) -> None:
    officer = _as(regions.cast.catalog.officer)
    assert officer.get("/exchange/quality/").status_code == 403
    assert OVERVIEW_LINK not in _panel(officer, regions.cast.resource)
    assert OVERVIEW_LINK not in _panel(Client(), regions.cast.resource)
