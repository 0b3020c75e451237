"""The data bureau oversees the applications and grants of its own region.

孙八 reviews the catalog for the whole city; 郑十一 reviews it for 芙蓉区 only,
from the district's data bureau. The county (芙蓉区) bureau's system applies
for the city market bureau's data, and so does a system of 天心区's bureau:
郑十一 oversees the first and never sees the second, 孙八 sees both.
"""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from zhengtong.catalog.tests.cast import PASSWORD
from zhengtong.core.testing import TEST_ACTOR, make_department, make_region_tree
from zhengtong.exchange import actions
from zhengtong.exchange.models import AccessApplication, Grant
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import (
    BASIS,
    PURPOSE,
    Sharing,
    apply_for_phone,
    logged_in,
    make_sharing,
)
from zhengtong.identity.actions import do_create_staff, do_issue_client
from zhengtong.identity.actors import actor_of
from zhengtong.identity.models import User


@dataclass(frozen=True)
class Oversight:
    sharing: Sharing
    district_reviewer: User
    furong: AccessApplication
    tianxin: AccessApplication
    tianxin_grant: Grant
    tianxin_pending: AccessApplication


@pytest.fixture
def oversight(cast: ExchangeCast) -> Oversight:
    sharing = make_sharing(cast)
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
    tianxin = make_department("天心区市场监督管理局", code="tx-market", region=tree.tianxin)
    system, _secret = do_issue_client(
        tianxin, "天心区审批系统", ["exchange.read_shared"], actor=TEST_ACTOR
    )
    furong_application = apply_for_phone(sharing)
    tianxin_application = actions.do_apply_for_access(
        sharing.enterprises,
        system,
        actions.ApplicationInput(
            purpose=PURPOSE,
            legal_basis=BASIS,
            fields=["name", "phone"],
            duration_days=365,
            expected_per_day=100,
        ),
        actor=TEST_ACTOR,
    )
    grant = actions.do_grant_application(tianxin_application, actor=actor_of(sharing.officer))
    pending = actions.do_apply_for_access(
        sharing.population,
        system,
        actions.ApplicationInput(
            purpose=PURPOSE,
            legal_basis=BASIS,
            fields=["name"],
            duration_days=30,
            expected_per_day=10,
        ),
        actor=TEST_ACTOR,
    )
    # Both pending ones overdue, so both would be in the overdue list too.
    AccessApplication.objects.filter(pk__in=[furong_application.pk, pending.pk]).update(
        due_at=timezone.now() - dt.timedelta(hours=1)
    )
    return Oversight(sharing, reviewer, furong_application, tianxin_application, grant, pending)


def _section(html: str, name: str) -> str:
    return html.split(f'id="exchange-{name}"')[1].split("</section>")[0]


def _link(application: AccessApplication) -> str:
    return f"/exchange/applications/{application.pk}/"


def test_a_districts_reviewer_sees_only_its_districts_applications_on_the_page(
    oversight: Oversight,
) -> None:
    html = logged_in(oversight.district_reviewer).get("/exchange/requests/").content.decode()
    assert _link(oversight.furong) in _section(html, "all")
    assert _link(oversight.furong) in _section(html, "overdue")
    assert _link(oversight.tianxin) not in html
    assert _link(oversight.tianxin_pending) not in html


def test_the_citys_reviewer_sees_every_application_of_the_city(oversight: Oversight) -> None:
    html = logged_in(oversight.sharing.bureau).get("/exchange/requests/").content.decode()
    overview = _section(html, "all")
    assert _link(oversight.furong) in overview and _link(oversight.tianxin) in overview
    overdue = _section(html, "overdue")
    assert _link(oversight.furong) in overdue and _link(oversight.tianxin_pending) in overdue


def test_a_districts_reviewer_cannot_open_another_districts_application_or_grant(
    oversight: Oversight,
) -> None:
    http = logged_in(oversight.district_reviewer)
    assert http.get(_link(oversight.furong)).status_code == 200
    assert http.get(_link(oversight.tianxin)).status_code == 404
    assert http.get(f"/api/exchange/applications/{oversight.furong.pk}").status_code == 200
    refused = http.get(f"/api/exchange/applications/{oversight.tianxin.pk}")
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    grant = http.get(f"/api/exchange/grants/{oversight.tianxin_grant.pk}")
    assert grant.status_code == 404 and grant.json()["code"] == "not_found"
    city = logged_in(oversight.sharing.bureau)
    assert city.get(_link(oversight.tianxin)).status_code == 200
    assert city.get(f"/api/exchange/grants/{oversight.tianxin_grant.pk}").status_code == 200


@pytest.mark.parametrize("box", ["all", "overdue"])
def test_the_api_lists_a_reviewer_only_the_applications_of_its_reach(
    oversight: Oversight, box: str
) -> None:
    district = logged_in(oversight.district_reviewer).get(f"/api/exchange/applications?box={box}")
    assert district.status_code == 200, district.content
    assert [a["id"] for a in district.json()] == [oversight.furong.pk]
    city = logged_in(oversight.sharing.bureau).get(f"/api/exchange/applications?box={box}")
    overdue = {oversight.furong.pk, oversight.tianxin_pending.pk}
    expected = overdue if box == "overdue" else overdue | {oversight.tianxin.pk}
    assert {a["id"] for a in city.json()} == expected
