"""Deadlines and their lights, automatic 催办/督办, and routing data as the admin edits it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.core.calendar import SHANGHAI, add_working_days
from zhengtong.core.errors import InvalidInput
from zhengtong.core.models import Region
from zhengtong.core.testing import TEST_ACTOR, make_department
from zhengtong.hotline import routing, selectors
from zhengtong.hotline.actions import (
    CaseInput,
    do_refresh_hot_issues,
    do_submit_case,
    do_urge_overdue_cases,
)
from zhengtong.hotline.models import Case, Notification, PlaceAlias, RoutingRule, TimeLimitRule
from zhengtong.hotline.routing_actions import (
    do_set_place_alias,
    do_set_routing_rule,
    do_set_time_limit,
)
from zhengtong.hotline.states import CaseState, LimitUnit, Urgency, WarningLevel
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model
from zhengtong.identity.actions import do_create_staff
from zhengtong.ledger.models import LedgerEntry

POLLUTION = "芙蓉区五一大道旁边的化工厂每天晚上排放刺鼻废气，附近居民都不敢开窗，希望尽快处理。"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def _submit(
    content: str = POLLUTION, *, phone: str = "13900007777", urgency: str = Urgency.NORMAL
) -> Case:
    return do_submit_case(
        CaseInput(content=content, channel="phone", contact_phone=phone, urgency=urgency),
        actor=TEST_ACTOR,
    )


def monday_ten() -> dt.datetime:
    today = timezone.localdate()
    monday = today + dt.timedelta(days=7 - today.weekday())
    return dt.datetime.combine(monday, dt.time(10), tzinfo=SHANGHAI)


def test_a_normal_case_has_fifteen_working_days_and_lights_up(
    cast: HotlineCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = monday_ten()
    monkeypatch.setattr(timezone, "now", lambda: start)
    case = _submit()
    assert case.state == CaseState.ASSIGNED
    assert case.reply_due == add_working_days(start, 15)
    assert selectors.clock(case, start + dt.timedelta(days=1)).level == WarningLevel.NONE
    assert case.reply_due is not None
    late = start + (case.reply_due - start) * 0.85
    assert selectors.clock(case, late).level == WarningLevel.YELLOW
    assert selectors.clock(case, case.reply_due + dt.timedelta(minutes=1)).level == WarningLevel.RED


def test_urgency_and_category_rules_are_data(
    cast: HotlineCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = monday_ten()
    monkeypatch.setattr(timezone, "now", lambda: start)
    do_set_time_limit(Urgency.URGENT, "", 2, 24, LimitUnit.HOURS, actor=TEST_ACTOR)
    do_set_time_limit(Urgency.URGENT, "环境保护", 1, 4, LimitUnit.HOURS, actor=TEST_ACTOR)
    case = _submit(urgency=Urgency.URGENT)
    assert case.reply_due == start + dt.timedelta(hours=4)
    assert case.dispatch_due == start + dt.timedelta(hours=1)
    with pytest.raises(InvalidInput) as refused:
        do_set_time_limit(Urgency.URGENT, "", 0, 24, LimitUnit.HOURS, actor=TEST_ACTOR)
    assert refused.value.code == "invalid_limit"


def test_overdue_cases_are_urged_once_then_supervised(cast: HotlineCast) -> None:
    case = _submit()
    assert case.reply_due is not None
    assert do_urge_overdue_cases(actor=TEST_ACTOR, now=case.reply_due - dt.timedelta(hours=1)) == []
    after = case.reply_due + dt.timedelta(hours=1)
    assert do_urge_overdue_cases(actor=TEST_ACTOR, now=after) == [case.number]
    assert do_urge_overdue_cases(actor=TEST_ACTOR, now=after) == []  # once only
    assert do_urge_overdue_cases(actor=TEST_ACTOR, now=after + dt.timedelta(days=1)) == [
        case.number
    ]
    case.refresh_from_db()
    assert (case.urge_count, case.supervised) == (1, True)
    kinds = set(
        Notification.objects.filter(department=cast.furong_environment).values_list(
            "kind", flat=True
        )
    )
    assert kinds == {"urged", "supervised"}
    assert LedgerEntry.objects.filter(action="hotline.urge_overdue_cases").count() == 2


def test_a_landmark_alias_routes_to_its_district(cast: HotlineCast) -> None:
    content = "魅力广场旁边的化工厂每天晚上排放刺鼻废气，附近居民都不敢开窗。"
    assert _submit(content=content).department == cast.city_environment
    do_set_place_alias("魅力广场", cast.tree.furong, actor=TEST_ACTOR)
    routed = _submit(content=content, phone="13900008888")
    assert routed.district == cast.tree.furong
    assert routed.department == cast.furong_environment


def test_routing_rules_refuse_streets_and_inactive_departments(cast: HotlineCast) -> None:
    with pytest.raises(InvalidInput) as refused:
        do_set_routing_rule(cast.tree.wenyilu, "环境保护", cast.city_environment, actor=TEST_ACTOR)
    assert refused.value.code == "invalid_rule_region"
    province = Region.objects.get(code="430000")
    with pytest.raises(InvalidInput):
        do_set_routing_rule(province, "环境保护", cast.city_environment, actor=TEST_ACTOR)
    rule = do_set_routing_rule(cast.tree.tianxin, "环境保护", cast.city_housing, actor=TEST_ACTOR)
    assert rule.department == cast.city_housing
    assert LedgerEntry.objects.filter(action="hotline.set_routing_rule").exists()


def test_the_admin_site_edits_rules_through_the_actions(cast: HotlineCast) -> None:
    http = Client()
    http.force_login(cast.admin)
    response = http.post(
        "/admin/hotline/routingrule/add/",
        {
            "region": cast.tree.tianxin.code,
            "category": "城乡建设",
            "department": cast.city_housing.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    rule = RoutingRule.objects.get(region=cast.tree.tianxin, category="城乡建设")
    entry = LedgerEntry.objects.filter(action="hotline.set_routing_rule").latest("pk")
    assert (entry.subject_id, entry.actor_label) == (str(rule.pk), cast.admin.display_name)
    dispatcher = Client()
    dispatcher.force_login(cast.dispatcher)
    assert dispatcher.get("/admin/hotline/routingrule/").status_code in (302, 403)


def test_a_jump_in_heat_is_alerted_once(cast: HotlineCast) -> None:
    for n in range(6):
        _submit(
            content=f"芙蓉区魅力之城小区楼下餐馆油烟噪音扰民，晚上吵得睡不着，第{n}次反映。",
            phone=f"1390000100{n}",
        )
    alerts = do_refresh_hot_issues(actor=TEST_ACTOR)
    assert len(alerts) == 1
    assert "魅力之城" in alerts[0].place
    assert len(alerts[0].case_numbers) == 6
    assert do_refresh_hot_issues(actor=TEST_ACTOR) == []
    assert selectors.hot_issue_alerts()[0].pk == alerts[0].pk


def test_a_busy_window_is_read_from_the_hourly_snapshot(
    cast: HotlineCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(4):
        _submit(
            content=f"天心区锦绣小区楼下烧烤店油烟扰民，晚上吵得睡不着，第{n}次反映。",
            phone=f"1390000200{n}",
        )
    monkeypatch.setattr(selectors, "LIVE_MINING_LIMIT", 2)
    assert selectors.hot_issues(days=30).pending is True
    do_refresh_hot_issues(actor=TEST_ACTOR)
    snapshot = selectors.hot_issues(days=30)
    assert snapshot.computed_at is not None
    assert "锦绣小区" in snapshot.issues[0].place
    assert len(snapshot.cases) == 4
    monkeypatch.setattr(selectors, "LIVE_MINING_LIMIT", 3000)
    live = selectors.hot_issues(days=30)
    assert live.computed_at is None
    assert [i.message_keys for i in live.issues] == [i.message_keys for i in snapshot.issues]


def test_a_topic_rule_carves_a_matter_out_of_its_category(cast: HotlineCast) -> None:
    transport = make_department("长沙市交通运输局", code="cs-transport", region=cast.tree.city)
    rule = do_set_routing_rule(
        cast.tree.city,
        "城乡建设",
        transport,
        actor=TEST_ACTOR,
        topic="公共交通",
        keywords="公交、地铁  公交",
    )
    assert (rule.topic, rule.keywords) == ("公共交通", "公交 地铁")
    entry = LedgerEntry.objects.filter(action="hotline.set_routing_rule").latest("pk")
    assert entry.subject_id == str(rule.pk)
    # The category's own rule stays beside it.
    assert RoutingRule.objects.filter(region=cast.tree.city, category="城乡建设").count() == 2
    bus = "小区门口的公交线路班次太少，早高峰等车要四十分钟，希望增加班次。"
    assert routing.department_for("城乡建设", None, text=bus) == transport
    assert routing.department_for("城乡建设", None, text="小区电梯坏了") == cast.city_housing
    # A district's rule for the category gives way to the city's topic rule.
    do_set_routing_rule(cast.tree.furong, "城乡建设", cast.city_housing, actor=TEST_ACTOR)
    assert routing.department_for("城乡建设", "430102", text=bus) == transport
    assert [r.topic for r in selectors.routing_rules() if r.region_id == "430100"] == [
        "",
        "公共交通",
        "",
    ]
    for topic, keywords, code in (
        ("公共交通", "", "topic_needs_keywords"),
        ("", "公交", "keywords_need_topic"),
        ("公共交通", "公", "invalid_keywords"),
    ):
        with pytest.raises(InvalidInput) as refused:
            do_set_routing_rule(
                cast.tree.city,
                "城乡建设",
                transport,
                actor=TEST_ACTOR,
                topic=topic,
                keywords=keywords,
            )
        assert refused.value.code == code


def test_the_admin_site_edits_topic_rules_and_shows_what_is_missing(cast: HotlineCast) -> None:
    transport = make_department("长沙市交通运输局", code="cs-transport", region=cast.tree.city)
    http = Client()
    http.force_login(cast.admin)
    form = {
        "region": cast.tree.city.code,
        "category": "城乡建设",
        "topic": "公共交通",
        "keywords": "",
        "department": transport.pk,
    }
    missing = http.post("/admin/hotline/routingrule/add/", form)
    assert missing.status_code == 200 and "请填写该事项的关键词" in missing.content.decode()
    saved = http.post("/admin/hotline/routingrule/add/", {**form, "keywords": "公交，地铁"})
    assert saved.status_code == 302, saved.content.decode()[:500]
    rule = RoutingRule.objects.get(category="城乡建设", topic="公共交通")
    assert (rule.department, rule.keywords) == (transport, "公交 地铁")


def test_a_departments_administrator_may_read_the_routing_data_but_not_change_it(
    cast: HotlineCast,
) -> None:
    bureau_admin = do_create_staff(
        "juguanli",
        "Zhengtong-hotline-2026",
        "局管理员",
        cast.city_housing,
        ["administrator"],
        actor=TEST_ACTOR,
    )
    http = Client()
    http.force_login(bureau_admin)
    listing = http.get("/admin/hotline/routingrule/")
    assert listing.status_code == 200
    assert "/admin/hotline/routingrule/add/" not in listing.content.decode()
    refused = http.post(
        "/admin/hotline/routingrule/add/",
        {
            "region": cast.tree.city.code,
            "category": "城乡建设",
            "department": cast.city_environment.pk,
        },
    )
    assert refused.status_code == 403
    assert RoutingRule.objects.get(region=cast.tree.city, category="城乡建设").department == (
        cast.city_housing
    )


def test_the_admin_site_moves_and_removes_time_limits_through_the_actions(
    cast: HotlineCast,
) -> None:
    http = Client()
    http.force_login(cast.admin)
    rule = do_set_time_limit(Urgency.URGENT, "", 4, 3, LimitUnit.WORKING_DAYS, actor=TEST_ACTOR)
    moved = http.post(
        f"/admin/hotline/timelimitrule/{rule.pk}/change/",
        {
            "urgency": Urgency.CRITICAL,
            "category": "",
            "dispatch_hours": 1,
            "reply_amount": 2,
            "reply_unit": LimitUnit.HOURS,
        },
    )
    assert moved.status_code == 302, moved.content.decode()[:500]
    # The limit now sets the critical deadlines only; the urgent one is gone.
    assert list(TimeLimitRule.objects.values_list("urgency", "reply_amount")) == [
        (Urgency.CRITICAL, 2)
    ]
    assert LedgerEntry.objects.filter(
        action="hotline.remove_time_limit", subject_id=str(rule.pk)
    ).exists()

    [left] = TimeLimitRule.objects.all()
    removed = http.post(f"/admin/hotline/timelimitrule/{left.pk}/delete/", {"post": "yes"})
    assert removed.status_code == 302, removed.content.decode()[:500]
    assert not TimeLimitRule.objects.exists()
    assert LedgerEntry.objects.filter(
        action="hotline.remove_time_limit", subject_id=str(left.pk)
    ).exists()


def test_the_admin_site_renames_a_place_alias_instead_of_adding_one(cast: HotlineCast) -> None:
    http = Client()
    http.force_login(cast.admin)
    alias = do_set_place_alias("魅力之城", cast.tree.furong, actor=TEST_ACTOR)
    renamed = http.post(
        f"/admin/hotline/placealias/{alias.pk}/change/",
        {"name": "魅力之城小区", "region": cast.tree.furong.code},
    )
    assert renamed.status_code == 302, renamed.content.decode()[:500]
    assert list(PlaceAlias.objects.values_list("name", flat=True)) == ["魅力之城小区"]
    assert LedgerEntry.objects.filter(action="hotline.remove_place_alias").exists()


def test_the_admin_site_deletes_a_routing_rule_and_a_place_alias_through_the_actions(
    cast: HotlineCast,
) -> None:
    http = Client()
    http.force_login(cast.admin)
    rule = do_set_routing_rule(cast.tree.tianxin, "城乡建设", cast.city_housing, actor=TEST_ACTOR)
    alias = do_set_place_alias("魅力之城", cast.tree.furong, actor=TEST_ACTOR)
    for path in (
        f"/admin/hotline/routingrule/{rule.pk}/delete/",
        f"/admin/hotline/placealias/{alias.pk}/delete/",
    ):
        response = http.post(path, {"post": "yes"})
        assert response.status_code == 302, response.content.decode()[:500]
    assert not RoutingRule.objects.filter(pk=rule.pk).exists()
    assert not PlaceAlias.objects.exists()
    assert LedgerEntry.objects.filter(action="hotline.remove_routing_rule").exists()
    assert LedgerEntry.objects.filter(action="hotline.remove_place_alias").exists()
