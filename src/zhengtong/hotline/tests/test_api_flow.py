"""The hotline through its API: intake, routing, handling, rating, models and figures."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.core.testing import make_credit_code, make_enterprise, make_person
from zhengtong.hotline import imports
from zhengtong.hotline.actions import CaseInput, do_submit_case
from zhengtong.hotline.models import Case, LabelledExample
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
from zhengtong.ledger.models import LedgerEntry
from zhengtong.regulation.credit_scorecard import DEFAULT_CONFIG
from zhengtong.regulation.credit_selectors import standing_of
from zhengtong.regulation.models import CreditRecord


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def test_a_citizens_message_is_routed_to_the_district_department(cast: HotlineCast) -> None:
    created = submit(as_user(cast.zhangsan), title="化工厂排放刺鼻废气")
    assert created["state"] == "assigned"
    assert created["department_name"] == cast.furong_environment.name
    case = ok(as_user(cast.chenhuan).get(f"{URL}/cases/{created['number']}"))
    assert case["district"] == "芙蓉区"
    assert case["predicted_category"] == "环境保护"
    assert case["routed_by"] == "model"
    assert case["confidence"] >= 0.8
    assert [e["kind"] for e in case["events"]] == ["received", "routed"]
    entry = LedgerEntry.objects.filter(action="hotline.submit_case").latest("pk")
    assert entry.subject_id == created["number"]


def test_without_a_district_the_city_department_handles_it(cast: HotlineCast) -> None:
    created = submit(
        as_user(cast.zhangsan), content="我家附近的化工厂排放刺鼻废气，已经持续很长时间了。"
    )
    assert created["department_name"] == cast.city_environment.name


def test_an_unsure_or_unmapped_message_waits_for_a_dispatcher(cast: HotlineCast) -> None:
    # 交通运输 has no routing rule in this city, so nobody could receive it.
    created = submit(
        as_user(cast.zhangsan), content="公交线路公交车班次太少，司机拒载绕路，希望处理。"
    )
    assert created["state"] == "dispatching"
    queue = ok(as_user(cast.dispatcher).get(f"{URL}/queue"))
    assert [c["number"] for c in queue] == [created["number"]]
    assert queue[0]["predicted_category"] == "交通运输"


def test_the_dispatchers_decision_routes_and_becomes_a_training_example(
    cast: HotlineCast,
) -> None:
    created = submit(
        as_user(cast.zhangsan), content="公交线路公交车班次太少，司机拒载绕路，希望处理。"
    )
    dispatched = ok(
        post(
            as_user(cast.dispatcher),
            f"/cases/{created['number']}/dispatch",
            {"category": "城乡建设", "department_code": cast.city_housing.code},
        )
    )
    assert dispatched["state"] == "assigned"
    assert dispatched["routed_by"] == "dispatcher"
    example = LabelledExample.objects.get(case__number=created["number"])
    assert (example.label, example.predicted) == ("城乡建设", "交通运输")


def test_only_dispatchers_dispatch(cast: HotlineCast) -> None:
    created = submit(
        as_user(cast.zhangsan), content="公交线路公交车班次太少，司机拒载绕路，希望处理。"
    )
    response = post(
        as_user(cast.chenhuan),
        f"/cases/{created['number']}/dispatch",
        {"category": "环境保护", "department_code": cast.furong_environment.code},
    )
    assert response.status_code == 403


def test_the_department_signs_replies_and_a_bad_rating_reopens_once(cast: HotlineCast) -> None:
    citizen = as_user(cast.zhangsan)
    number = submit(citizen)["number"]
    handler = as_user(cast.chenhuan)
    assert ok(post(handler, f"/cases/{number}/sign"))["state"] == "handling"
    draft = (
        "您好，经现场调查，该化工厂废气处理设施故障，我局已责令其停产整改，"
        "并将于本月底前复查。联系电话 0731-12345678。"
    )
    score = ok(post(handler, f"/cases/{number}/reply-score", {"reply": draft}))
    generic = ok(
        post(handler, f"/cases/{number}/reply-score", {"reply": "已收悉，将转交相关部门。"})
    )
    assert score["total"] > generic["total"]
    replied = ok(post(handler, f"/cases/{number}/reply", {"reply": draft}))
    assert replied["state"] == "replied"
    assert replied["reply_score"]["total"] == score["total"]

    reopened = ok(post(citizen, f"/cases/{number}/rating", {"rating": "unsatisfied"}))
    assert reopened["state"] == "handling"
    assert reopened["reopened"] is True
    assert "reopened" in [e["kind"] for e in reopened["events"]]

    ok(post(handler, f"/cases/{number}/reply", {"reply": draft + "已于今日复查合格。"}))
    closed = ok(post(citizen, f"/cases/{number}/rating", {"rating": "unsatisfied"}))
    # Reopened once only: the second bad rating closes the case with the rating.
    assert closed["state"] == "closed"
    assert closed["rating"] == "unsatisfied"


def test_a_complaint_found_true_goes_on_the_enterprises_credit_file_once(
    cast: HotlineCast,
) -> None:
    plant = make_enterprise("长沙市某化工有限公司", legal_representative=make_person("钱老板"))
    citizen = as_user(cast.zhangsan)
    number = submit(citizen)["number"]
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{number}/sign"))
    reply = (
        "经现场核查，该厂夜间超标排放属实，我局已立案查处，责令立即整改。联系电话 0731-12345678。"
    )
    nobody = make_credit_code("430199", 1)
    unknown = post(handler, f"/cases/{number}/reply", {"reply": reply, "upheld_against": nobody})
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_enterprise"
    assert Case.objects.get(number=number).state == "handling"

    replied = ok(
        post(
            handler, f"/cases/{number}/reply", {"reply": reply, "upheld_against": plant.credit_code}
        )
    )
    assert replied["upheld_against"] == plant.credit_code
    record = CreditRecord.objects.get(enterprise=plant)
    assert (record.kind, record.source_ref) == ("complaint_upheld", f"hotline:{number}")
    assert number in record.description and record.authority == cast.furong_environment.name
    standing = standing_of(plant)
    deduction = DEFAULT_CONFIG["kinds"]["complaint_upheld"]["points"]
    assert standing is not None and standing.score == DEFAULT_CONFIG["base_score"] + deduction

    # A reopened case replied again is still one finding on the credit file.
    ok(post(citizen, f"/cases/{number}/rating", {"rating": "unsatisfied"}))
    ok(
        post(
            handler, f"/cases/{number}/reply", {"reply": reply, "upheld_against": plant.credit_code}
        )
    )
    assert CreditRecord.objects.filter(enterprise=plant).count() == 1


def test_another_department_cannot_see_or_answer_the_case(cast: HotlineCast) -> None:
    number = submit(as_user(cast.zhangsan))["number"]
    other = as_user(cast.wangzhu)
    assert other.get(f"{URL}/cases/{number}").status_code == 404
    assert post(other, f"/cases/{number}/sign").status_code == 404


def test_a_misrouted_case_goes_back_with_a_reason_and_counts_as_a_misroute(
    cast: HotlineCast,
) -> None:
    number = submit(as_user(cast.zhangsan))["number"]
    handler = as_user(cast.chenhuan)
    refused = post(handler, f"/cases/{number}/return", {"reason": ""})
    assert refused.status_code == 400
    assert refused.json()["code"] == "reason_required"
    back = ok(post(handler, f"/cases/{number}/return", {"reason": "属于城管职责"}))
    assert back["state"] == "dispatching"
    overview = ok(as_user(cast.leader).get(f"{URL}/overview"))
    assert overview["returns_after_model"] == 1


def test_an_extension_moves_the_reply_deadline_when_approved(cast: HotlineCast) -> None:
    number = submit(as_user(cast.zhangsan))["number"]
    handler = as_user(cast.chenhuan)
    before = ok(handler.get(f"{URL}/cases/{number}"))["reply_due"]
    extension = ok(
        post(handler, f"/cases/{number}/extensions", {"days": 5, "reason": "需要环境监测报告"}),
        201,
    )
    again = post(handler, f"/cases/{number}/extensions", {"days": 5, "reason": "再延"})
    assert again.json()["code"] == "extension_pending"
    decided = ok(
        post(as_user(cast.dispatcher), f"/extensions/{extension['id']}/decision", {"approve": True})
    )
    assert decided["reply_due"] > before


def test_a_repeat_from_the_same_person_is_merged_and_others_are_linked(
    cast: HotlineCast,
) -> None:
    first = submit(as_user(cast.zhangsan))["number"]
    repeat = submit(as_user(cast.zhangsan), content=POLLUTION + "到现在还没有人来处理！")
    assert repeat["state"] == "merged"
    assert repeat["merged_into"] == first
    neighbour = submit(
        as_user(cast.dispatcher),
        content="芙蓉区五一大道那家化工厂晚上排放很刺鼻的废气，我们小区居民都受不了。",
        contact_phone="13900001111",
    )
    case = ok(as_user(cast.dispatcher).get(f"{URL}/cases/{neighbour['number']}"))
    assert first in case["linked"]
    assert Case.objects.count() == 3  # nothing lost


def test_the_call_centre_system_enters_calls_with_its_scope(cast: HotlineCast) -> None:
    http = Client(HTTP_AUTHORIZATION=f"Bearer {cast.call_centre_token}")
    created = ok(
        http.post(
            f"{URL}/cases",
            {"content": POLLUTION, "urgency": "urgent", "contact_phone": "13900002222"},
            content_type="application/json",
        ),
        201,
    )
    case = Case.objects.get(number=created["number"])
    assert (case.channel, case.urgency, case.entered_by) == ("phone", "urgent", "12345话务系统")


def test_bad_input_gets_stable_codes(cast: HotlineCast) -> None:
    http = as_user(cast.zhangsan)
    assert post(http, "/cases", {"content": ""}).json()["code"] == "content_required"
    anonymous_online = Client()
    assert anonymous_online.post(
        f"{URL}/cases", {"content": POLLUTION}, content_type="application/json"
    ).status_code in (401, 403)
    bad_phone = post(
        as_user(cast.dispatcher), "/cases", {"content": POLLUTION, "contact_phone": "12"}
    )
    assert bad_phone.json()["code"] == "invalid_phone"
    bad_rating = post(http, f"/cases/{submit(http)['number']}/rating", {"rating": "great"})
    assert bad_rating.json()["code"] == "invalid_rating"


def test_an_anonymous_case_is_tracked_by_its_code_and_closes_on_reply(cast: HotlineCast) -> None:
    created = submit(as_user(cast.dispatcher), anonymous=True, contact_phone="13900003333")
    tracked = ok(Client().get(f"{URL}/track/{created['tracking_code']}"))
    assert tracked["state"] == "assigned"
    case = Case.objects.get(number=created["number"])
    assert (case.contact_phone, case.anonymous) == ("", True)
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{created['number']}/sign"))
    ok(post(handler, f"/cases/{created['number']}/reply", {"reply": "已查处该化工厂。"}))
    assert ok(Client().get(f"{URL}/track/{created['tracking_code']}"))["state"] == "closed"
    assert Client().get(f"{URL}/track/not-a-code").status_code == 404


def test_an_xlsx_import_keeps_good_rows_and_reports_bad_ones(
    cast: HotlineCast, django_capture_on_commit_callbacks: Any
) -> None:
    buffer = workbook(
        ["标题", "内容", "联系电话", "紧急程度", "附议数"],
        ["化工厂排放废气", POLLUTION, "13900004444", "一般", 3],
        ["", "", "13900005555", "一般", 0],
        ["路灯", "小区路灯损坏没人修，晚上出行很不方便。", "13900006666", "很急", 0],
        # More than any column holds: refused, and the rows after it still go in.
        ["噪音", "工地夜间施工噪音扰民，影响休息。", "13900007777", "一般", 10**30],
        ["积水", "小区门口下雨积水严重，出行困难。", "13900008888", "一般", 12],
    )
    http = as_user(cast.dispatcher)
    with django_capture_on_commit_callbacks(execute=True):
        queued = ok(http.post(f"{URL}/imports", {"file": buffer}), 202)
    assert queued["total_rows"] == 5
    report = ok(http.get(f"{URL}/imports/{queued['id']}"))
    assert report["state"] == "done"
    assert len(report["created"]) == 2
    assert [(e["row"], e["code"]) for e in report["errors"]] == [
        (3, "content_required"),
        (4, "invalid_urgency"),
        (5, "too_many_supporters"),
    ]
    assert as_user(cast.chenhuan).get(f"{URL}/imports/{queued['id']}").status_code == 404


def test_a_row_the_platform_fails_on_is_reported_and_the_rest_imported(
    cast: HotlineCast,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def failing_on_row_3(data: CaseInput, **kwargs: Any) -> Case:
        if data.import_row.endswith(":3"):
            raise ValueError("a fault of the platform's")
        return do_submit_case(data, **kwargs)

    monkeypatch.setattr(imports, "do_submit_case", failing_on_row_3)
    buffer = workbook(
        ["内容", "联系电话"],
        [POLLUTION, "13900004444"],
        ["小区路灯损坏没人修，晚上出行很不方便。", "13900006666"],
        ["工地夜间施工噪音扰民，影响休息。", "13900007777"],
    )
    http = as_user(cast.dispatcher)
    with django_capture_on_commit_callbacks(execute=True):
        queued = ok(http.post(f"{URL}/imports", {"file": buffer}), 202)
    report = ok(http.get(f"{URL}/imports/{queued['id']}"))
    assert report["state"] == "done" and len(report["created"]) == 2
    assert [(e["row"], e["code"]) for e in report["errors"]] == [(3, "row_failed")]
    assert "row 3 could not be registered" in caplog.text


def test_a_workbook_of_the_wrong_layout_is_refused_at_upload(cast: HotlineCast) -> None:
    http = as_user(cast.dispatcher)
    wrong = workbook(["标题", "电话"], ["路灯坏了", "13900000000"])
    assert http.post(f"{URL}/imports", {"file": wrong}).json()["code"] == "missing_content_column"
    not_xlsx = io.BytesIO(b"title,content\n")
    not_xlsx.name = "calls.csv"
    assert http.post(f"{URL}/imports", {"file": not_xlsx}).json()["code"] == "not_xlsx"


def test_an_interrupted_import_resumes_without_registering_a_row_twice(
    cast: HotlineCast,
) -> None:
    from zhengtong.core.testing import TEST_ACTOR
    from zhengtong.hotline.imports import do_queue_import, run_import
    from zhengtong.hotline.models import CaseImport

    data = workbook(
        ["内容", "联系电话"],
        [POLLUTION, "13900007001"],
        ["小区路灯损坏没人修，晚上出行很不方便。", "13900007002"],
    ).getvalue()
    case_import = do_queue_import(data, "calls.xlsx", actor=TEST_ACTOR, entered_by="liupai")
    first = run_import(case_import, actor=TEST_ACTOR)
    assert Case.objects.filter(import_row__startswith=f"{first.pk}:").count() == 2
    # A crash after the cases were written but before the report, its lease
    # long run out: run it again.
    CaseImport.objects.filter(pk=first.pk).update(
        state="running", created=[], errors=[], heartbeat_at=timezone.now() - dt.timedelta(hours=1)
    )
    again = run_import(CaseImport.objects.get(pk=first.pk), actor=TEST_ACTOR)
    assert again.state == "done"
    assert Case.objects.filter(import_row__startswith=f"{first.pk}:").count() == 2


def test_the_leader_sees_volumes_and_hot_issues(cast: HotlineCast) -> None:
    for phone in ("13900000001", "13900000002", "13900000003"):
        submit(
            as_user(cast.dispatcher),
            content="芙蓉区魅力之城小区楼下餐馆油烟噪音扰民，晚上吵得睡不着。",
            title="魅力之城小区油烟噪音扰民",
            contact_phone=phone,
        )
    overview = ok(as_user(cast.leader).get(f"{URL}/overview?days=7"))
    assert overview["total"] == 3
    assert {"name": "芙蓉区", "count": 3} in overview["by_district"]
    issues = ok(as_user(cast.leader).get(f"{URL}/hot-issues?days=7"))
    assert issues and "魅力之城" in issues[0]["place"]
    assert len(issues[0]["cases"]) == 3
    assert as_user(cast.zhangsan).get(f"{URL}/overview").status_code == 403


def test_models_are_listed_and_a_rollback_activates_an_older_version(cast: HotlineCast) -> None:
    admin = as_user(cast.admin)
    first = ok(admin.get(f"{URL}/models"))[0]
    assert first["is_active"] is True
    second = train_active_model()
    versions = {v["number"]: v for v in ok(admin.get(f"{URL}/models"))}
    assert versions[second.number]["is_active"] is True
    # The invented messages hold categories the cast has no rules for.
    activate = f"/models/{first['number']}/activate?confirm_unmapped=true"
    rolled_back = ok(post(admin, activate))
    assert rolled_back["is_active"] is True
    assert post(admin, activate).json()["code"] == "already_active"
    assert as_user(cast.dispatcher).get(f"{URL}/models").status_code == 403


def test_training_from_absent_shared_data_names_what_to_set(
    cast: HotlineCast, settings: Any, tmp_path: Path
) -> None:
    settings.SHARED_DATA_DIR = tmp_path / "absent"
    response = post(as_user(cast.admin), "/models", {"use_shared_data": True})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "shared_data_missing"
    assert body["detail"]["environment"] == "ZHENGTONG_SHARED_DATA"
    assert body["detail"]["path"] == "hotline/messages_labelled.csv"
