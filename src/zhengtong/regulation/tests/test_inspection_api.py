"""Random inspections through the API: public reads, the regulator's writes, stable error codes.

The cast is the actions' (test_inspection_tasks.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.core.calendar import SHANGHAI
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.regulation import inspection_draw as draw
from zhengtong.regulation.inspection_actions import do_draw_inspection_task
from zhengtong.regulation.models import CreditRecord, DrawState, InspectionTask, Inspector
from zhengtong.regulation.tests.bureau import logged_in
from zhengtong.regulation.tests.test_inspection_tasks import (
    MATTERS,
    InspectionCast,
    announce,
    hidden_seed,
    make_inspection_cast,
)

URL = "/api/regulation/inspections"


@pytest.fixture
def cast(db: None) -> InspectionCast:
    return make_inspection_cast()


def answer_of(response: Any, status: int = 200) -> Any:
    """The JSON answer, once the status is the one expected."""
    assert response.status_code == status, response.content.decode()
    return response.json()


def refusal_of(response: Any, status: int, code: str) -> Any:
    """The JSON error, once its status and stable code are the ones expected."""
    assert response.status_code == status, response.content.decode()
    assert response.json()["code"] == code
    return response.json()


def post_json(http: Client, path: str, data: dict[str, Any] | None = None) -> Any:
    return http.post(f"{URL}{path}", data or {}, content_type="application/json")


def _task_in(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "CSHB-API-01",
        "title": "2026年排污单位双随机抽查",
        "department_code": "cs-environment",
        "region_code": "430100",
        "matters": MATTERS,
        "base_ratio": "1/10",
    }
    data.update(changes)
    return data


# --- public reads ------------------------------------------------------------------------------


def test_anyone_reads_an_announced_task_without_its_seed(cast: InspectionCast) -> None:
    task = announce(cast, draw_after=timezone.now() + dt.timedelta(hours=2))
    anyone = Client()
    listed = anyone.get(f"{URL}/tasks")
    (summary,) = answer_of(listed)
    assert (summary["code"], summary["state"], summary["drawn"]) == (task.code, "announced", 0)
    assert summary["commitment"] == task.commitment
    detail_response = anyone.get(f"{URL}/tasks/{task.code}")
    detail = answer_of(detail_response)
    assert detail["seed"] is None and detail["transcript"] is None and detail["verified"] is None
    assert detail["announcement"] == task.announcement
    classes = {c["credit_class"]: c for c in detail["classes"]}
    assert classes["D"]["ratio"] == "2/5" and classes["A"]["ratio"] == "1/20"
    assert classes["D"]["targets"] == 1
    announcement = anyone.get(f"{URL}/tasks/{task.code}/announcement")
    seed = hidden_seed(task)
    for response in (listed, detail_response, announcement):
        assert seed not in response.content.decode()
    refusal_of(anyone.get(f"{URL}/tasks/{task.code}/transcript"), 404, "not_drawn")
    refusal_of(anyone.get(f"{URL}/tasks/NOPE"), 404, "task_not_found")
    assert answer_of(anyone.get(f"{URL}/tasks?state=drawn")) == []


def test_anyone_downloads_a_drawn_task_s_transcript_and_it_verifies(cast: InspectionCast) -> None:
    task = do_draw_inspection_task(announce(cast, base_ratio="1"), actor=TEST_ACTOR)
    anyone = Client()
    detail = answer_of(anyone.get(f"{URL}/tasks/{task.code}"))
    assert detail["seed"] == task.seed_hex and detail["verified"] is True
    transcript = answer_of(anyone.get(f"{URL}/tasks/{task.code}/transcript"))
    assert draw.verify_transcript(transcript, detail["announcement"])
    assert {i["enterprise_credit_code"] for i in detail["inspections"]} == {
        entry["target"] for entry in transcript["result"]["inspections"]
    }
    for inspection in detail["inspections"]:
        (entry,) = [
            e
            for e in transcript["result"]["inspections"]
            if e["target"] == inspection["enterprise_credit_code"]
        ]
        # Inspectors come in the order they were drawn.
        assert [i["code"] for i in inspection["inspectors"]] == entry["inspectors"]
        assert inspection["outcome"] is None


# --- the regulator's writes --------------------------------------------------------------------


def test_only_regulators_write(cast: InspectionCast) -> None:
    refusal_of(post_json(Client(), "/tasks", _task_in()), 401, "not_authenticated")
    for user in (cast.reviewer, cast.citizen):
        refusal_of(post_json(logged_in(user), "/tasks", _task_in()), 403, "permission_denied")
        refusal_of(logged_in(user).get(f"{URL}/inspectors"), 403, "permission_denied")
    # 陈芙's post covers the 芙蓉区 branch, not the city bureau.
    refusal_of(
        post_json(logged_in(cast.district_regulator), "/tasks", _task_in()),
        400,
        "unknown_department",
    )
    task = announce(cast)
    refusal_of(
        post_json(logged_in(cast.district_regulator), f"/tasks/{task.code}/draw", {}),
        404,
        "task_not_found",
    )
    assert not InspectionTask.objects.exclude(pk=task.pk).exists()


def test_the_regulator_announces_draws_and_records_a_result(cast: InspectionCast) -> None:
    http = logged_in(cast.regulator)
    created = answer_of(
        post_json(http, "/tasks", _task_in(region_code="430102", industry_code="C2614")), 201
    )
    assert created["state"] == "announced" and created["seed"] is None
    assert created["base_ratio"] == "1/10"
    code = created["code"]
    drawn = answer_of(post_json(http, f"/tasks/{code}/draw", {}))
    assert drawn["state"] == "drawn" and drawn["verified"] is True
    (inspection,) = drawn["inspections"]
    assert inspection["enterprise_credit_code"] == cast.clean.credit_code
    refusal_of(post_json(http, f"/tasks/{code}/draw", {}), 409, "not_announced")

    today = timezone.localdate().isoformat()
    path = f"/inspections/{inspection['id']}/result"
    refusal_of(
        post_json(http, path, {"outcome": "fail", "inspected_on": today}), 400, "findings_required"
    )
    refusal_of(
        post_json(http, path, {"outcome": "excellent", "inspected_on": today}), 422, "invalid_input"
    )
    result = answer_of(
        post_json(http, path, {"outcome": "pass", "inspected_on": today, "findings": "运行正常"})
    )
    assert (result["outcome"], result["inspected_on"]) == ("pass", today)
    assert CreditRecord.objects.get(enterprise=cast.clean).severity == "pass"
    again = {"outcome": "fail", "inspected_on": today, "findings": "复查不合格"}
    refusal_of(post_json(http, path, again), 409, "result_recorded")
    published = answer_of(Client().get(f"{URL}/tasks/{code}"))
    assert published["inspections"][0]["findings"] == "运行正常"
    assert published["results"] == 1


def test_bad_tasks_get_stable_codes(cast: InspectionCast) -> None:
    http = logged_in(cast.regulator)
    answer_of(post_json(http, "/tasks", _task_in()), 201)
    refusal_of(post_json(http, "/tasks", _task_in()), 409, "task_code_taken")
    cases = [
        (_task_in(code="X1", base_ratio="0"), 400, "invalid_ratio"),
        (_task_in(code="X2", base_ratio="1/10 of them"), 400, "invalid_ratio"),
        (_task_in(code="X3", region_code="990000"), 400, "unknown_region"),
        (_task_in(code="X4", industry_code="Z"), 400, "no_targets"),
        (_task_in(code="X5", department_code="cs-market"), 400, "not_enough_inspectors"),
        (_task_in(code="X6", inspectors_per_target=1), 422, "invalid_input"),
        (_task_in(code="X 7"), 400, "invalid_task_code"),
    ]
    for payload, status, code in cases:
        refusal_of(post_json(http, "/tasks", payload), status, code)
    later = answer_of(
        post_json(
            http,
            "/tasks",
            _task_in(code="LATER", draw_after=(timezone.now() + dt.timedelta(days=1)).isoformat()),
        ),
        201,
    )
    refusal_of(post_json(http, f"/tasks/{later['code']}/draw", {}), 409, "too_early")
    cancelled = answer_of(post_json(http, "/tasks/LATER/cancel", {"reason": "与专项检查重复"}))
    assert cancelled["state"] == "cancelled"
    assert cancelled["cancel_reason"] == "与专项检查重复" and cancelled["cancelled_at"]
    # A cancelled task reveals its seed: what it would have drawn can be computed.
    assert cancelled["seed"] == InspectionTask.objects.get(code="LATER").seed_hex
    assert InspectionTask.objects.get(code="LATER").state == DrawState.CANCELLED


def test_a_draw_time_without_an_offset_is_taken_as_beijing_time(cast: InspectionCast) -> None:
    http = logged_in(cast.regulator)
    tomorrow = timezone.localtime(timezone.now(), SHANGHAI).date() + dt.timedelta(days=1)
    task = answer_of(post_json(http, "/tasks", _task_in(draw_after=f"{tomorrow}T09:30:00")), 201)
    expected = dt.datetime.combine(tomorrow, dt.time(9, 30), tzinfo=SHANGHAI)
    assert dt.datetime.fromisoformat(task["draw_after"]) == expected
    assert InspectionTask.objects.get(code=task["code"]).draw_after == expected
    refusal_of(post_json(http, f"/tasks/{task['code']}/draw", {}), 409, "too_early")


# --- the inspector register --------------------------------------------------------------------


def test_the_register_through_the_api(cast: InspectionCast) -> None:
    http = logged_in(cast.regulator)
    listed = {i["code"]: i for i in answer_of(http.get(f"{URL}/inspectors"))}
    assert set(listed) == {"HB001", "HB002", "HB003", "HB004", "HB005", "SJ001"}
    assert listed["HB001"]["recusals"][0]["enterprise_credit_code"] == cast.worst.credit_code
    branch = {
        i["code"] for i in answer_of(logged_in(cast.district_regulator).get(f"{URL}/inspectors"))
    }
    assert branch == {"HB004", "HB005"}

    added = answer_of(
        post_json(
            http,
            "/inspectors",
            {
                "code": "HB020",
                "name": "刘九",
                "department_code": "fr-environment",
                "qualifications": ["生态环境执法"],
            },
        ),
        201,
    )
    assert added["department_name"] == "长沙市生态环境局芙蓉分局" and added["is_active"]
    refusal_of(
        post_json(
            http,
            "/inspectors",
            {"code": "HB020", "name": "刘十", "department_code": "cs-environment"},
        ),
        409,
        "inspector_code_taken",
    )
    # Pasted from a spreadsheet: lower case, a line break after it; still the code.
    pasted = cast.severe.credit_code.lower() + "\n"
    recusal = {"enterprise_credit_code": pasted, "relation": "其兄为该企业股东"}
    with_recusal = answer_of(post_json(http, "/inspectors/HB020/recusals", recusal), 201)
    assert with_recusal["recusals"][0]["enterprise_credit_code"] == cast.severe.credit_code
    assert with_recusal["recusals"][0]["relation"] == "其兄为该企业股东"
    refusal_of(post_json(http, "/inspectors/HB020/recusals", recusal), 409, "recusal_exists")
    refusal_of(
        post_json(
            http,
            "/inspectors/HB020/recusals",
            {"enterprise_credit_code": "91430102MA4L000000", "relation": "亲属"},
        ),
        400,
        "unknown_enterprise",
    )
    removed = answer_of(http.delete(f"{URL}/inspectors/HB020/recusals/{cast.severe.credit_code}"))
    assert removed["recusals"] == []
    off = answer_of(post_json(http, "/inspectors/HB020/active", {"is_active": False}))
    assert off["is_active"] is False and not Inspector.objects.get(code="HB020").is_active
    refusal_of(
        post_json(
            logged_in(cast.district_regulator), "/inspectors/HB001/active", {"is_active": False}
        ),
        404,
        "inspector_not_found",
    )
