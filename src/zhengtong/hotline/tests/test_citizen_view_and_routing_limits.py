"""What citizens see of their cases, where messages may be routed by themselves, and the
limits and wording of the handling steps."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.core.actors import Actor
from zhengtong.core.models import Department, Region, RegionLevel
from zhengtong.core.testing import make_department
from zhengtong.hotline.classifier_actions import do_queue_training
from zhengtong.hotline.models import Case, CaseImport, RoutingRule
from zhengtong.hotline.tests.api_calls import (
    POLLUTION,
    URL,
    as_user,
    ok,
    post,
    submit,
    workbook,
)
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model

NEIGHBOUR = "芙蓉区五一大道那家化工厂晚上排放很刺鼻的废气，我们小区居民都受不了。"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


# --- what the citizen reads --------------------------------------------------------------


def test_a_citizen_reads_neither_staff_notes_nor_routing_nor_other_peoples_cases(
    cast: HotlineCast,
) -> None:
    citizen = as_user(cast.zhangsan)
    number = submit(citizen)["number"]
    neighbour = submit(as_user(cast.dispatcher), content=NEIGHBOUR, contact_phone="13900001111")
    dispatcher, handler = as_user(cast.dispatcher), as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{number}/return", {"reason": "该市民多次来电，注意态度"}))
    ok(
        post(
            dispatcher,
            f"/cases/{number}/dispatch",
            {
                "category": "环境保护",
                "department_code": cast.furong_environment.code,
                "note": "派单备注：此人爱投诉",
            },
        )
    )
    ok(post(dispatcher, f"/cases/{number}/urge", {"note": "内部提示：勿向市民透露"}))
    staff_view = ok(dispatcher.get(f"{URL}/cases/{number}"))
    assert neighbour["number"] in staff_view["linked"]

    seen = ok(citizen.get(f"{URL}/cases/{number}"))
    text = json.dumps(seen, ensure_ascii=False)
    for secret in ("注意态度", "此人爱投诉", "勿向市民透露", neighbour["number"]):
        assert secret not in text
    assert seen["linked"] == []
    assert seen["confidence"] is None
    assert seen["routed_by"] == ""
    assert seen["predicted_category"] == ""
    # Their list says no more than the case itself.
    (line,) = [c for c in ok(citizen.get(f"{URL}/mine")) if c["number"] == number]
    assert line["department_name"] == seen["department_name"]
    for hidden in ("predicted_category", "category", "warning"):
        assert line[hidden] == seen[hidden] == "", hidden
    assert line["confidence"] is None and line["district"] is None is seen["district"]
    assert staff_view["district"] is not None
    assert {e["kind"] for e in seen["events"]} <= {
        "received",
        "routed",
        "queued",
        "dispatched",
        "signed",
        "returned",
        "replied",
        "rated",
        "reopened",
        "repeated",
        "extension_decided",
    }
    tracked = ok(Client().get(f"{URL}/track/{_tracking_code(number)}"))
    assert [e["kind"] for e in tracked["events"]] == [e["kind"] for e in seen["events"]]
    assert "urged" not in [e["kind"] for e in tracked["events"]]


def _tracking_code(number: str) -> str:
    return Case.objects.get(number=number).tracking_code


# --- places outside the city -------------------------------------------------------------


def test_a_message_about_another_city_waits_for_a_dispatcher_with_the_reason(
    cast: HotlineCast,
) -> None:
    created = submit(
        as_user(cast.zhangsan),
        content="泰山路的化工厂每天晚上排放刺鼻废气，附近居民都不敢开窗，希望尽快处理。",
        location_text="株洲市天元区泰山路",
    )
    assert created["state"] == "dispatching"
    assert created["department_name"] is None
    queue = as_user(cast.dispatcher).get("/hotline/dispatch/").content.decode()
    assert "事发地点不在本市（株洲市天元区）" in queue


def test_the_suggestion_for_a_message_about_another_city_is_not_automatic(
    cast: HotlineCast,
) -> None:
    suggestion = ok(
        post(
            as_user(cast.dispatcher),
            "/classify",
            {"content": "我在湘潭市岳塘区，附近的化工厂每天晚上排放刺鼻废气，希望尽快处理。"},
        )
    )
    assert suggestion["category"] == "环境保护"
    assert suggestion["automatic"] is False
    assert suggestion["place"]["outside"] == ["湘潭市岳塘区"]


def test_a_message_naming_no_place_still_goes_to_the_city_bureau(cast: HotlineCast) -> None:
    created = submit(
        as_user(cast.zhangsan), content="我家附近的化工厂排放刺鼻废气，已经持续很长时间了。"
    )
    assert created["department_name"] == cast.city_environment.name


# --- topic keywords ----------------------------------------------------------------------


@pytest.fixture
def transport(cast: HotlineCast) -> Department:
    """The city's transport bureau answers for the buses and the metro of 城乡建设."""
    bureau = make_department("长沙市交通运输局", code="cs-transport", region=cast.tree.city)
    RoutingRule.objects.create(
        region=cast.tree.city,
        category="城乡建设",
        topic="公共交通",
        keywords="公交 地铁",
        department=bureau,
    )
    return bureau


def _suggested(cast: HotlineCast, content: str, title: str = "") -> Any:
    return ok(post(as_user(cast.dispatcher), "/classify", {"content": content, "title": title}))


def test_a_bus_stop_in_the_title_goes_to_the_topics_bureau(
    cast: HotlineCast, transport: Department
) -> None:
    suggestion = _suggested(
        cast, "公交站台的路灯损坏没人修，晚上等车很危险。", title="公交站台路灯损坏没人修"
    )
    assert suggestion["category"] == "城乡建设"
    assert suggestion["department_code"] == transport.code


@pytest.mark.parametrize(
    "content",
    [
        "岳麓区某小区，距公交站两百米，小区违章搭建占用公共通道，请住建部门处理。",
        "地铁站旁边的某小区，小区路灯损坏没人修，物业乱收费。",
        "我家附近的老旧小区违章搭建占用公共通道。公交车也经常堵在小区门口。",
    ],
)
def test_a_stop_named_as_a_landmark_or_later_on_leaves_the_matter_to_its_category(
    cast: HotlineCast, transport: Department, content: str
) -> None:
    suggestion = _suggested(cast, content)
    assert suggestion["category"] == "城乡建设"
    assert suggestion["department_code"] == cast.city_housing.code


# --- 并单 -----------------------------------------------------------------------------------


def test_similar_messages_about_places_in_two_districts_are_not_linked(
    cast: HotlineCast,
) -> None:
    first = submit(as_user(cast.zhangsan))["number"]
    elsewhere = submit(
        as_user(cast.dispatcher),
        content="岳麓区五一大道那家化工厂晚上排放很刺鼻的废气，我们小区居民都受不了。",
        contact_phone="13900001111",
    )
    same_place = submit(as_user(cast.dispatcher), content=NEIGHBOUR, contact_phone="13900002222")
    dispatcher = as_user(cast.dispatcher)
    assert ok(dispatcher.get(f"{URL}/cases/{elsewhere['number']}"))["linked"] == []
    assert first in ok(dispatcher.get(f"{URL}/cases/{same_place['number']}"))["linked"]


def test_similar_messages_about_two_streets_of_one_district_are_not_linked(
    cast: HotlineCast,
) -> None:
    furong = cast.tree.furong
    Region.objects.create(
        code="430102008",
        name="五里牌街道",
        level=RegionLevel.TOWNSHIP,
        parent=furong,
        path=f"{furong.path}/430102008",
    )
    first = submit(
        as_user(cast.zhangsan),
        content="芙蓉区五里牌街道的工地每天夜间噪音污染严重，附近居民无法休息。",
    )["number"]
    other = submit(
        as_user(cast.dispatcher),
        content="芙蓉区文艺路街道的工地每天夜间噪音污染严重，附近居民无法休息。",
        contact_phone="13900001111",
    )
    case = ok(as_user(cast.dispatcher).get(f"{URL}/cases/{other['number']}"))
    assert case["district"] == "芙蓉区" and case["street"] == "文艺路街道"
    assert first not in case["linked"]


# --- the leader's overview ---------------------------------------------------------------


def test_an_old_case_still_open_counts_as_open_and_overdue_in_a_short_window(
    cast: HotlineCast,
) -> None:
    long_ago = (timezone.now() - dt.timedelta(days=60)).isoformat()
    created = submit(
        as_user(cast.dispatcher),
        content="公交线路公交车班次太少，司机拒载绕路，希望处理。",
        contact_phone="13900001111",
        received_at=long_ago,
    )
    assert created["state"] == "dispatching"
    overview = ok(as_user(cast.leader).get(f"{URL}/overview?days=30"))
    assert overview["total"] == 0  # the volumes are the window's
    assert overview["open"] == 1
    assert overview["overdue"] == 1
    page = as_user(cast.leader).get("/hotline/overview/?days=30")
    assert page.status_code == 200


# --- names in histories ------------------------------------------------------------------


def _steps(page: str) -> dict[str, str]:
    return {
        label: who.strip()
        for label, who in re.findall(r"<strong>([^<]+)</strong> · ([^·<：]+)", page)
    }


def test_a_visitor_and_the_staff_are_named_in_the_history_not_by_login_or_code(
    cast: HotlineCast,
) -> None:
    visitor = Client()
    response = visitor.post(
        "/hotline/new/",
        {"content": POLLUTION, "contact_name": "李阿姨", "contact_phone": "13900001111"},
    )
    assert response.status_code == 302
    from_web = Case.objects.get(contact_phone="13900001111")
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{from_web.number}/sign"))
    ok(post(handler, f"/cases/{from_web.number}/reply", {"reply": "已责令化工厂停产整改。"}))
    ok(post(Client(), f"/track/{from_web.tracking_code}/rating", {"rating": "unsatisfied"}))
    page = as_user(cast.dispatcher).get(f"/hotline/cases/{from_web.number}/").content.decode()
    steps = _steps(page)
    assert steps["受理登记"] == "市民（网站）"
    assert steps["回访评价"] == "市民"
    assert "anonymous" not in page

    by_phone = submit(as_user(cast.dispatcher), content=NEIGHBOUR, contact_phone="13900002222")
    page = as_user(cast.dispatcher).get(f"/hotline/cases/{by_phone['number']}/").content.decode()
    assert "刘派 登记" in page
    assert "liupai" not in page


def test_a_version_trained_from_the_command_line_says_so(cast: HotlineCast) -> None:
    do_queue_training(actor=Actor.system("hotline_train"), data_path=None, include_corrections=True)
    page = as_user(cast.admin).get("/hotline/models/").content.decode()
    assert "命令行训练" in page
    assert "hotline_train" not in page


# --- imports -----------------------------------------------------------------------------


def _imported(cast: HotlineCast, capture: Any, *rows: list[str]) -> int:
    buffer = workbook(["内容", "联系电话", "紧急程度", "受理时间"], *rows)
    with capture(execute=True):
        queued = ok(as_user(cast.dispatcher).post(f"{URL}/imports", {"file": buffer}), 202)
    return int(queued["id"])


def test_an_import_report_reads_in_the_readers_language(
    cast: HotlineCast, django_capture_on_commit_callbacks: Any
) -> None:
    pk = _imported(
        cast,
        django_capture_on_commit_callbacks,
        ["太短", "13900005555", "一般", ""],
        ["小区路灯损坏没人修，晚上出行很不方便。", "13900006666", "很急", ""],
    )
    english = as_user(cast.dispatcher)
    english.cookies["django_language"] = "en"
    page = english.get(f"/hotline/imports/{pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Describe your request in more detail." in page
    assert "请把诉求写得具体一些" not in page
    chinese = as_user(cast.dispatcher).get(f"/hotline/imports/{pk}/").content.decode()
    assert "请把诉求写得具体一些。" in chinese
    assert "紧急程度“很急”无效" in chinese


def test_an_import_report_stored_as_text_stays_readable(cast: HotlineCast) -> None:
    report = CaseImport.objects.create(
        file_name="old.xlsx",
        entered_by=cast.dispatcher.username,
        state="done",
        created_at=timezone.now(),
        errors=[
            {
                "row": 2,
                "code": "invalid_urgency",
                "message": "紧急程度“很急”无效，应为一般、紧急或特急。",
            }
        ],
    )
    page = as_user(cast.dispatcher).get(f"/hotline/imports/{report.pk}/").content.decode()
    assert "紧急程度“很急”无效" in page


def test_a_time_of_receipt_long_past_is_refused_with_its_code(
    cast: HotlineCast, django_capture_on_commit_callbacks: Any
) -> None:
    pk = _imported(
        cast,
        django_capture_on_commit_callbacks,
        [POLLUTION, "13900005555", "一般", "1900-01-01 10:00"],
    )
    report = ok(as_user(cast.dispatcher).get(f"{URL}/imports/{pk}"))
    assert report["created"] == []
    assert [(e["row"], e["code"]) for e in report["errors"]] == [(2, "received_too_old")]
    refused = post(
        as_user(cast.dispatcher),
        "/cases",
        {"content": POLLUTION, "contact_phone": "13900006666", "received_at": "2001-05-01T10:00"},
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "received_too_old"
    assert not Case.objects.exists()


# --- callback ----------------------------------------------------------------------------


def test_rating_twice_or_a_closed_case_is_refused_with_the_true_reason(
    cast: HotlineCast,
) -> None:
    citizen, handler = as_user(cast.zhangsan), as_user(cast.chenhuan)
    number = submit(citizen)["number"]
    early = post(citizen, f"/cases/{number}/rating", {"rating": "satisfied"})
    assert (early.status_code, early.json()["code"]) == (409, "not_replied")
    ok(post(handler, f"/cases/{number}/sign"))
    ok(post(handler, f"/cases/{number}/reply", {"reply": "已责令化工厂停产整改。"}))
    ok(post(citizen, f"/cases/{number}/rating", {"rating": "satisfied"}))
    again = post(citizen, f"/cases/{number}/rating", {"rating": "unsatisfied"})
    assert (again.status_code, again.json()["code"]) == (409, "already_rated")
    assert again.json()["message"] == "该工单已评价，不能重复评价。"

    anonymous = submit(as_user(cast.dispatcher), content=NEIGHBOUR, anonymous=True)["number"]
    ok(post(handler, f"/cases/{anonymous}/sign"))
    ok(post(handler, f"/cases/{anonymous}/reply", {"reply": "已责令化工厂停产整改。"}))
    closed = post(as_user(cast.dispatcher), f"/cases/{anonymous}/rating", {"rating": "satisfied"})
    assert (closed.status_code, closed.json()["code"]) == (409, "case_closed")


# --- repeats -----------------------------------------------------------------------------


def test_the_original_case_says_the_new_message_was_merged_into_it(cast: HotlineCast) -> None:
    first = submit(as_user(cast.zhangsan))["number"]
    repeat = submit(as_user(cast.zhangsan), content=POLLUTION + "到现在还没有人来处理！")
    assert repeat["merged_into"] == first
    expected = f"重复件工单 {repeat['number']} 已合并到本工单办理"
    page = as_user(cast.dispatcher).get(f"/hotline/cases/{first}/").content.decode()
    assert expected in page
    assert "已合并为工单" not in page
    events = ok(as_user(cast.dispatcher).get(f"{URL}/cases/{first}"))["events"]
    assert any(expected in e["note"] for e in events if e["kind"] == "repeated")


# --- hot issues --------------------------------------------------------------------------

NOISE = "芙蓉区魅力之城小区楼下餐馆油烟噪音扰民，晚上吵得睡不着。"


def test_one_persons_message_and_its_merged_repeat_make_no_hot_issue(cast: HotlineCast) -> None:
    citizen = as_user(cast.zhangsan)
    first = submit(citizen, content=NOISE, title="魅力之城小区油烟噪音扰民")["number"]
    repeat = submit(citizen, content=NOISE + "到现在还没有人处理！", title="魅力之城油烟还是很大")
    assert repeat["merged_into"] == first
    leader = as_user(cast.leader)
    assert ok(leader.get(f"{URL}/hot-issues?days=7")) == []

    submit(
        as_user(cast.dispatcher),
        content=NOISE,
        title="魅力之城小区餐馆油烟噪音扰民",
        contact_phone="13900001111",
    )
    issues = ok(leader.get(f"{URL}/hot-issues?days=7"))
    assert len(issues) == 1
    assert first in issues[0]["cases"]


# --- dispatch ----------------------------------------------------------------------------


def test_dispatch_to_an_unknown_department_says_so(cast: HotlineCast) -> None:
    number = submit(
        as_user(cast.zhangsan), content="公交线路公交车班次太少，司机拒载绕路，希望处理。"
    )["number"]
    refused = post(
        as_user(cast.dispatcher),
        f"/cases/{number}/dispatch",
        {"category": "城乡建设", "department_code": "nope"},
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "unknown_department"
    assert "找不到" in refused.json()["message"]


def test_a_department_nobody_can_sign_for_is_neither_offered_nor_accepted(
    cast: HotlineCast,
) -> None:
    audit = make_department("长沙市审计局", code="cs-audit", region=cast.tree.city)
    number = submit(
        as_user(cast.zhangsan), content="公交线路公交车班次太少，司机拒载绕路，希望处理。"
    )["number"]
    dispatcher = as_user(cast.dispatcher)
    page = dispatcher.get("/hotline/dispatch/").content.decode()
    assert cast.city_housing.name in page
    assert audit.name not in page
    refused = post(
        dispatcher,
        f"/cases/{number}/dispatch",
        {"category": "城乡建设", "department_code": audit.code},
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "department_without_handler"
    assert ok(dispatcher.get(f"{URL}/cases/{number}"))["state"] == "dispatching"
