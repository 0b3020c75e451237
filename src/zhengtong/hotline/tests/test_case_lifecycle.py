"""The rules of a case's life that span several steps: returns, extensions, reopening, 催办."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.hotline.actions import do_urge_overdue_cases
from zhengtong.hotline.imports import do_queue_import, run_import
from zhengtong.hotline.models import Case, CaseImport, ExtensionRequest, LabelledExample
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
from zhengtong.hotline.tests.test_time_limits_and_routing_data import monday_ten
from zhengtong.identity.actions import do_create_staff
from zhengtong.identity.models import Role

BUS = "公交线路公交车班次太少，司机拒载绕路，希望处理。"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def _returned_and_sent_to_housing(cast: HotlineCast, number: str) -> None:
    ok(post(as_user(cast.chenhuan), f"/cases/{number}/return", {"reason": "属于住建部门职责"}))
    ok(
        post(
            as_user(cast.dispatcher),
            f"/cases/{number}/dispatch",
            {"category": "城乡建设", "department_code": cast.city_housing.code},
        )
    )


def test_a_return_withdraws_the_departments_pending_extension(cast: HotlineCast) -> None:
    number = submit(as_user(cast.zhangsan))["number"]
    ok(
        post(
            as_user(cast.chenhuan), f"/cases/{number}/extensions", {"days": 5, "reason": "需要监测"}
        ),
        201,
    )
    _returned_and_sent_to_housing(cast, number)
    # The old department's request is no longer the centre's to decide ...
    assert ok(as_user(cast.dispatcher).get(f"{URL}/extensions")) == []
    assert ExtensionRequest.objects.get().state == "withdrawn"
    # ... and the new department may ask for time of its own.
    asked = post(
        as_user(cast.wangzhu), f"/cases/{number}/extensions", {"days": 3, "reason": "需要现场核实"}
    )
    assert asked.status_code == 201, asked.content.decode()


def test_a_withdrawn_extension_cannot_be_approved_afterwards(cast: HotlineCast) -> None:
    number = submit(as_user(cast.zhangsan))["number"]
    extension = ok(
        post(
            as_user(cast.chenhuan), f"/cases/{number}/extensions", {"days": 5, "reason": "需要监测"}
        ),
        201,
    )
    _returned_and_sent_to_housing(cast, number)
    due = Case.objects.get(number=number).reply_due
    late = post(
        as_user(cast.dispatcher), f"/extensions/{extension['id']}/decision", {"approve": True}
    )
    assert late.status_code == 409
    # Nobody decided it: the request went with the case, and the answer says so.
    assert late.json()["code"] == "extension_withdrawn"
    assert late.json()["message"] == "该延期申请已撤回，无需再审批。"
    assert Case.objects.get(number=number).reply_due == due


def test_a_reply_withdraws_a_pending_extension(cast: HotlineCast) -> None:
    number = submit(as_user(cast.zhangsan))["number"]
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{number}/sign"))
    ok(post(handler, f"/cases/{number}/extensions", {"days": 5, "reason": "需要监测"}), 201)
    ok(post(handler, f"/cases/{number}/reply", {"reply": "已责令该化工厂停产整改。"}))
    assert ok(as_user(cast.dispatcher).get(f"{URL}/extensions")) == []


def test_the_first_reply_is_kept_when_a_reopened_case_is_answered_again(
    cast: HotlineCast,
) -> None:
    citizen = as_user(cast.zhangsan)
    number = submit(citizen)["number"]
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{number}/sign"))
    ok(post(handler, f"/cases/{number}/reply", {"reply": "第一次答复：已责令停产整改。"}))
    ok(post(citizen, f"/cases/{number}/rating", {"rating": "unsatisfied"}))
    ok(post(handler, f"/cases/{number}/reply", {"reply": "第二次答复：已复查并关停。"}))
    case = ok(handler.get(f"{URL}/cases/{number}"))
    assert case["reply"] == "第二次答复：已复查并关停。"
    replies = [e["note"] for e in case["events"] if e["kind"] == "replied"]
    assert replies == ["第一次答复：已责令停产整改。", "第二次答复：已复查并关停。"]
    # The citizen, who read the first reply, still finds both on the track page.
    tracked = ok(Client().get(f"{URL}/track/{Case.objects.get(number=number).tracking_code}"))
    assert [e["note"] for e in tracked["events"] if e["kind"] == "replied"] == replies
    # On the page each reply is shown once: the current one in 答复, the first in the timeline.
    page = citizen.get(f"/hotline/mine/{number}/").content.decode()
    assert page.count(replies[0]) == 1 and page.count(replies[1]) == 1


def test_a_reopened_case_is_urged_again_when_its_new_deadline_passes(
    cast: HotlineCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [monday_ten()]
    monkeypatch.setattr(timezone, "now", lambda: clock[0])

    def urge_at(moment: dt.datetime) -> list[str]:
        clock[0] = moment
        return do_urge_overdue_cases(actor=TEST_ACTOR)

    number = submit(as_user(cast.zhangsan))["number"]
    case = Case.objects.get(number=number)
    assert case.reply_due is not None
    first_due = case.reply_due
    assert urge_at(first_due + dt.timedelta(hours=1)) == [number]
    assert urge_at(first_due + dt.timedelta(days=2)) == [number]  # 督办
    # Logged in now: a session opened before the clock moved has expired.
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{number}/sign"))
    ok(post(handler, f"/cases/{number}/reply", {"reply": "已责令该化工厂停产整改。"}))
    ok(post(as_user(cast.zhangsan), f"/cases/{number}/rating", {"rating": "unsatisfied"}))
    case.refresh_from_db()
    assert case.reply_due is not None
    new_due = case.reply_due
    assert urge_at(new_due - dt.timedelta(hours=1)) == []
    assert urge_at(new_due + dt.timedelta(hours=1)) == [number]
    assert urge_at(new_due + dt.timedelta(hours=2)) == []  # once per deadline
    assert urge_at(new_due + dt.timedelta(days=2)) == [number]
    assert urge_at(new_due + dt.timedelta(days=3)) == []
    case.refresh_from_db()
    assert case.urge_count == 2
    kinds = [e.kind for e in case.events.filter(kind__in=("urged", "supervised"))]
    assert kinds == ["urged", "supervised", "urged", "supervised"]


def test_a_call_time_without_an_offset_is_taken_as_beijing_time(cast: HotlineCast) -> None:
    day = timezone.localdate() - dt.timedelta(days=30)
    http = Client(HTTP_AUTHORIZATION=f"Bearer {cast.call_centre_token}")
    response = http.post(
        f"{URL}/cases",
        {
            "content": POLLUTION,
            "contact_phone": "13900002222",
            "received_at": f"{day:%Y-%m-%d}T09:30:00",
        },
        content_type="application/json",
    )
    created = ok(response, 201)
    case = Case.objects.get(number=created["number"])
    assert case.received_at == dt.datetime(day.year, day.month, day.day, 1, 30, tzinfo=dt.UTC)


def test_a_dispatcher_cannot_invent_a_category(cast: HotlineCast) -> None:
    number = submit(as_user(cast.zhangsan), content=BUS)["number"]
    refused = post(
        as_user(cast.dispatcher),
        f"/cases/{number}/dispatch",
        {"category": "公交", "department_code": cast.city_housing.code},
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "unknown_category"
    assert Case.objects.get(number=number).state == "dispatching"
    assert not LabelledExample.objects.filter(case__number=number).exists()


def test_a_resumed_import_reports_the_rows_registered_before_the_crash(cast: HotlineCast) -> None:
    data = workbook(
        ["内容", "联系电话"],
        [POLLUTION, "13900007001"],
        ["小区路灯损坏没人修，晚上出行很不方便。", "13900007002"],
        [POLLUTION + "到现在还没有人来处理！", "13900007001"],
    ).getvalue()
    case_import = do_queue_import(data, "calls.xlsx", actor=TEST_ACTOR, entered_by="liupai")
    first = run_import(case_import, actor=TEST_ACTOR)
    assert (len(first.created), len(first.merged)) == (2, 1)
    # A crash after the cases were written but before the progress was saved,
    # its lease long run out.
    CaseImport.objects.filter(pk=first.pk).update(
        state="running",
        created=[],
        merged=[],
        errors=[],
        processed_rows=0,
        heartbeat_at=timezone.now() - dt.timedelta(hours=1),
    )
    again = run_import(CaseImport.objects.get(pk=first.pk), actor=TEST_ACTOR)
    assert sorted(again.created) == sorted(first.created)
    assert again.merged == first.merged
    report: dict[str, Any] = ok(as_user(cast.dispatcher).get(f"{URL}/imports/{first.pk}"))
    assert len(report["created"]) == 2 and len(report["merged"]) == 1


def test_a_landline_written_with_or_without_its_hyphen_is_the_same_caller(
    cast: HotlineCast,
) -> None:
    agent = as_user(cast.dispatcher)
    first = submit(agent, contact_phone="0731-88881234")["number"]
    repeat = submit(
        agent, content=POLLUTION + "到现在还没有人来处理！", contact_phone="073188881234"
    )
    assert repeat["state"] == "merged"
    assert repeat["merged_into"] == first


def test_a_merged_repeat_does_not_lower_the_share_routed_automatically(
    cast: HotlineCast,
) -> None:
    citizen = as_user(cast.zhangsan)
    submit(citizen)
    assert submit(citizen, content=POLLUTION + "到现在还没有人来处理！")["state"] == "merged"
    # One message needed routing and the model routed it; the repeat needed none.
    overview = ok(as_user(cast.leader).get(f"{URL}/overview"))
    assert overview["routing_automatic_share"] == 1.0


def test_a_head_who_only_supervises_opens_the_departments_case_but_cannot_answer_it(
    cast: HotlineCast,
) -> None:
    # A city whose heads of department follow 督办 without the overview.
    heads = Role.objects.create(
        code="department_head",
        name="部门负责人",
        audience="staff",
        permissions=["hotline.supervise", "portal.use_workbench"],
    )
    head = do_create_staff(
        "liuzhang",
        "Zhengtong-hotline-2026",
        "刘长",
        cast.furong_environment,
        [heads.code],
        actor=TEST_ACTOR,
    )
    number = submit(as_user(cast.zhangsan))["number"]
    http = as_user(head)
    assert number in http.get("/hotline/department/").content.decode()
    page = http.get(f"/hotline/cases/{number}/")
    assert page.status_code == 200
    assert 'value="reply"' not in page.content.decode()
    refused = post(http, f"/cases/{number}/reply", {"reply": "已处理。"})
    assert refused.status_code == 403
    # Another department's case stays out of sight.
    other = submit(as_user(cast.zhangsan), content=BUS)["number"]
    assert Case.objects.get(number=other).department_id != cast.furong_environment.pk
    assert http.get(f"/hotline/cases/{other}/").status_code == 404
