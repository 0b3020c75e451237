"""The admin site refuses routing data the actions would refuse, beside the field."""

from __future__ import annotations

import pytest
from django.test import Client

from zhengtong.core.testing import make_department
from zhengtong.hotline.models import PlaceAlias, RoutingRule, TimeLimitRule
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast
from zhengtong.ledger.models import LedgerEntry


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def _admin(cast: HotlineCast) -> Client:
    http = Client(raise_request_exception=False)
    http.force_login(cast.admin)
    return http


def test_moving_a_district_rule_to_a_retired_department_keeps_the_rule(
    cast: HotlineCast,
) -> None:
    retired = make_department("长沙市环境保护局（已撤并）", code="old", region=cast.tree.city)
    retired.is_active = False
    retired.save()
    rule = RoutingRule.objects.get(region=cast.tree.furong, category="环境保护")
    refused = _admin(cast).post(
        f"/admin/hotline/routingrule/{rule.pk}/change/",
        {
            "region": cast.tree.tianxin.code,
            "category": "环境保护",
            "topic": "",
            "keywords": "",
            "department": retired.pk,
        },
    )
    assert refused.status_code == 200
    assert "该部门已停用" in refused.content.decode()
    rule.refresh_from_db()
    assert (rule.region, rule.department) == (cast.tree.furong, cast.furong_environment)
    assert not LedgerEntry.objects.filter(action="hotline.remove_routing_rule").exists()


def test_a_rule_set_on_a_street_is_refused_beside_the_form(cast: HotlineCast) -> None:
    refused = _admin(cast).post(
        "/admin/hotline/routingrule/add/",
        {
            "region": cast.tree.wenyilu.code,
            "category": "环境保护",
            "topic": "",
            "keywords": "",
            "department": cast.furong_environment.pk,
        },
    )
    assert refused.status_code == 200
    assert "分拨规则只能设在市或区县一级" in refused.content.decode()
    assert not RoutingRule.objects.filter(region=cast.tree.wenyilu).exists()


def test_moving_a_rule_to_another_district_replaces_it_with_two_ledger_entries(
    cast: HotlineCast,
) -> None:
    rule = RoutingRule.objects.get(region=cast.tree.furong, category="环境保护")
    moved = _admin(cast).post(
        f"/admin/hotline/routingrule/{rule.pk}/change/",
        {
            "region": cast.tree.tianxin.code,
            "category": "环境保护",
            "topic": "",
            "keywords": "",
            "department": cast.furong_environment.pk,
        },
    )
    assert moved.status_code == 302, moved.content.decode()[:500]
    assert list(
        RoutingRule.objects.filter(category="环境保护", region__level=3).values_list(
            "region_id", flat=True
        )
    ) == [cast.tree.tianxin.code]
    assert LedgerEntry.objects.filter(action="hotline.set_routing_rule").count() == 1
    assert LedgerEntry.objects.filter(
        action="hotline.remove_routing_rule", subject_id=str(rule.pk)
    ).exists()


def test_a_place_alias_pointing_at_the_province_is_refused_beside_the_form(
    cast: HotlineCast,
) -> None:
    refused = _admin(cast).post(
        "/admin/hotline/placealias/add/", {"name": "湖南某地", "region": cast.tree.province.code}
    )
    assert refused.status_code == 200
    assert "地名只能指向区县或街道乡镇" in refused.content.decode()
    assert not PlaceAlias.objects.exists()


def test_a_time_limit_out_of_range_is_refused_beside_the_form(cast: HotlineCast) -> None:
    refused = _admin(cast).post(
        "/admin/hotline/timelimitrule/add/",
        {
            "urgency": "normal",
            "category": "",
            "dispatch_hours": 999,
            "reply_amount": 3,
            "reply_unit": "hours",
        },
    )
    assert refused.status_code == 200
    assert "时限超出允许范围" in refused.content.decode()
    assert not TimeLimitRule.objects.exists()
