"""A refused form names every problem of the sending at once, each beside its field.

The repair request, the credit record and the inspection announcement check
all their inputs before refusing: the page shows each problem beside its
field with what was typed, and the API answers them all (``invalid_input``,
``detail.fields`` naming every field, ``detail.problems`` each one's own code
and message). One problem alone is refused as before, with its own code.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.identity.actions import do_create_enterprise_user
from zhengtong.regulation.actions import do_check_offline_points
from zhengtong.regulation.models import (
    Alarm,
    AlarmKind,
    CreditRecord,
    CreditRepair,
    InspectionTask,
    MonitoringPoint,
)
from zhengtong.regulation.tests import test_credit_pages as credit
from zhengtong.regulation.tests import test_credit_repair as repair
from zhengtong.regulation.tests import test_inspection_tasks as inspection
from zhengtong.regulation.tests import test_pages as monitoring
from zhengtong.regulation.tests.bureau import PASSWORD, logged_in, text_of

TASKS = "/regulation/inspections/"


def _error_beside(page: str, list_id: str) -> str:
    """The error list of the given id, which the page shows beside its field."""
    found = re.search(rf'<ul class="errorlist" id="{list_id}"[^>]*>(.*?)</ul>', page, re.S)
    assert found is not None, list_id
    return found.group(1)


def _problems(body: dict[str, Any]) -> dict[str, str]:
    """Each problem's code, by the field it names."""
    return {
        field: problem["code"]
        for problem in body["detail"]["problems"]
        for field in problem["detail"]["fields"]
    }


# --- the credit repair request -------------------------------------------------------------------


@pytest.fixture
def repair_cast(db: None) -> repair.RepairCast:
    return repair.make_cast()


def _repairable(cast: repair.RepairCast) -> CreditRecord:
    return repair.record(cast.plant, "over_limit_alarm", repair.months_ago(4))


def test_the_repair_form_names_empty_texts_and_the_unchecked_confirmation_at_once(
    repair_cast: repair.RepairCast,
) -> None:
    target = _repairable(repair_cast)
    http = logged_in(repair_cast.owner)
    response = http.post(
        f"/regulation/my/repair/{target.pk}/",
        {"rectification": "  ", "commitment": "", "confirmed": ""},
    )
    assert response.status_code == 400
    page = text_of(response)
    assert "请填写整改情况。" in _error_beside(page, "rectification-error")
    assert "请填写信用承诺。" in _error_beside(page, "commitment-error")
    assert "请阅读并勾选确认信用承诺。" in _error_beside(page, "confirmed-error")
    # What was typed is kept: the confirmation alone missing keeps the texts.
    kept = text_of(
        http.post(
            f"/regulation/my/repair/{target.pk}/",
            {"rectification": "已更换脱硫设备", "commitment": "", "confirmed": "1"},
        )
    )
    assert "已更换脱硫设备</textarea>" in kept
    assert "请填写信用承诺。" in _error_beside(kept, "commitment-error")
    assert 'id="rectification-error"' not in kept and 'id="confirmed-error"' not in kept
    assert not CreditRepair.objects.exists()


def test_the_repair_api_answers_both_empty_texts_at_once(
    repair_cast: repair.RepairCast,
) -> None:
    target = _repairable(repair_cast)
    http = logged_in(repair_cast.owner)
    both = http.post(
        "/api/regulation/my/repairs",
        {"record_id": target.pk, "rectification": "", "commitment": " "},
        content_type="application/json",
    )
    assert both.status_code == 400
    body = both.json()
    assert body["code"] == "invalid_input"
    assert body["detail"]["fields"] == {"rectification": "required", "commitment": "required"}
    assert _problems(body) == {
        "rectification": "rectification_required",
        "commitment": "commitment_required",
    }
    # One problem alone keeps its own code, as before.
    one = http.post(
        "/api/regulation/my/repairs",
        {"record_id": target.pk, "rectification": "已整改", "commitment": ""},
        content_type="application/json",
    )
    assert one.status_code == 400 and one.json()["code"] == "commitment_required"
    assert not CreditRepair.objects.exists()


# --- the regulator's credit record ---------------------------------------------------------------


@pytest.fixture
def credit_cast(db: None) -> credit.CreditCast:
    return credit.make_cast()


def test_the_credit_record_form_names_an_empty_description_and_a_future_date_at_once(
    credit_cast: credit.CreditCast,
) -> None:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = logged_in(credit_cast.regulator).post(
        f"/regulation/credit/{credit_cast.materials.credit_code}/records/",
        {
            "kind": "commendation",
            "severity": "",
            "count": "1",
            "occurred_on": tomorrow.isoformat(),
            "description": "",
            "authority": "长沙市市场监督管理局",
        },
    )
    assert response.status_code == 400
    page = text_of(response)
    assert "请填写信用记录的内容。" in _error_beside(page, "record-description_error")
    assert "发生日期不能晚于今天。" in _error_beside(page, "record-occurred_on_error")
    assert "长沙市市场监督管理局" in page
    assert not CreditRecord.objects.filter(enterprise=credit_cast.materials).exists()


def test_the_credit_api_answers_an_empty_description_and_a_future_date_at_once(
    credit_cast: credit.CreditCast,
) -> None:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = logged_in(credit_cast.regulator).post(
        f"/api/regulation/credit/enterprises/{credit_cast.materials.credit_code}/records",
        {"kind": "commendation", "occurred_on": tomorrow.isoformat(), "description": ""},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_input"
    assert _problems(body) == {
        "description": "description_required",
        "occurred_on": "occurred_in_future",
    }


# --- the inspection announcement -----------------------------------------------------------------


@pytest.fixture
def inspection_cast(db: None) -> inspection.InspectionCast:
    return inspection.make_inspection_cast()


def test_the_announcement_form_names_a_bad_code_empty_title_and_bad_ratio_at_once(
    inspection_cast: inspection.InspectionCast,
) -> None:
    response = logged_in(inspection_cast.regulator).post(
        TASKS,
        {
            "code": "抽查 一批",
            "title": "",
            "department": "cs-environment",
            "region": "430100",
            "industry_code": "",
            "matters": inspection.MATTERS,
            "base_ratio": "1.5",
            "inspectors_per_target": "2",
            "required_qualification": "",
            "draw_after": "",
        },
    )
    assert response.status_code == 400
    page = text_of(response)
    code_error = _error_beside(page, "id_code_error")
    assert "任务编号应为 1 至 64 位字母、数字、连字符或下划线。" in code_error
    assert "请填写任务名称（不超过 200 个字）。" in _error_beside(page, "id_title_error")
    assert "抽查比例应大于 0 且不超过 1。" in _error_beside(page, "id_base_ratio_error")
    assert 'value="抽查 一批"' in page
    assert not InspectionTask.objects.exists()


def test_the_announcement_api_answers_a_bad_code_empty_title_and_bad_ratio_at_once(
    inspection_cast: inspection.InspectionCast,
) -> None:
    response = logged_in(inspection_cast.regulator).post(
        "/api/regulation/inspections/tasks",
        {
            "code": "抽查 一批",
            "title": "",
            "department_code": "cs-environment",
            "region_code": "430100",
            "matters": inspection.MATTERS,
            "base_ratio": "1.5",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_input"
    assert body["detail"]["fields"] == {
        "code": "invalid",
        "title": "invalid",
        "base_ratio": "invalid",
    }
    assert _problems(body) == {
        "code": "invalid_task_code",
        "title": "title_required",
        "base_ratio": "invalid_ratio",
    }
    assert not InspectionTask.objects.exists()


# --- the enterprise's own alarms -----------------------------------------------------------------


@pytest.fixture
def monitoring_cast(db: None) -> monitoring.RegulationCast:
    return monitoring.make_cast()


def test_the_enterprise_sees_how_long_its_point_has_been_silent(
    monitoring_cast: monitoring.RegulationCast,
) -> None:
    point = monitoring_cast.plant
    enterprise = point.enterprise
    assert enterprise.legal_representative is not None
    owner = do_create_enterprise_user(
        "plantowner",
        PASSWORD,
        enterprise.legal_representative,
        enterprise,
        "legal_representative",
        actor=TEST_ACTOR,
    )
    monitoring.store(point, monitoring.local_now(), {"a21026": 20.0})
    last_report = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=40)
    MonitoringPoint.objects.filter(pk=point.pk).update(last_seen_at=last_report)
    do_check_offline_points(actor=TEST_ACTOR, now=last_report + dt.timedelta(minutes=15))
    alarm = Alarm.objects.get(point=point, kind=AlarmKind.OFFLINE)
    page = text_of(logged_in(owner).get("/regulation/my/", {"uscc": enterprise.credit_code}))
    row = re.search(rf'<tr id="alarm-{alarm.pk}".*?</tr>', page, re.S)
    assert row is not None
    assert "已 40 分钟未上报数据" in row.group()
