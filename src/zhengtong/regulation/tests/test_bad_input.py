"""Bad input across the regulation APIs and pages: refused with a stable code, nothing stored.

A required text of nothing but invisible characters (zero-width spaces,
byte-order marks) is missing; a text holding a control character (a bell, a
terminal's escape) is refused as ``control_characters``. The casts are those
of the modules each part borrows from.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client
from django.utils import timezone

from zhengtong.ledger.models import LedgerEntry
from zhengtong.regulation.models import (
    Alarm,
    AlarmState,
    CreditRecord,
    CreditRepair,
    DishonestyListing,
    InspectionTask,
    Inspector,
    MonitoringPoint,
    SupplementaryDraw,
)
from zhengtong.regulation.tests.bureau import logged_in, text_of
from zhengtong.regulation.tests.test_credit_api import _listing
from zhengtong.regulation.tests.test_credit_pages import make_cast as make_credit_cast
from zhengtong.regulation.tests.test_credit_repair import (
    COMMITMENT,
    RECTIFICATION,
    months_ago,
    record,
)
from zhengtong.regulation.tests.test_credit_repair import make_cast as make_repair_cast
from zhengtong.regulation.tests.test_inspection_api import _task_in
from zhengtong.regulation.tests.test_inspection_supplementary import short_task
from zhengtong.regulation.tests.test_inspection_tasks import LAW, make_inspection_cast
from zhengtong.regulation.tests.test_pages import HX, make_cast, over_limit_alarm

URL = "/api/regulation"
# Nothing a reader would see: a zero-width space, a byte-order mark, a space.
INVISIBLE = "\u200b\ufeff "


def _post(http: Client, path: str, data: dict[str, Any]) -> Any:
    return http.post(f"{URL}{path}", data, content_type="application/json")


def _refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content.decode()
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def _entries() -> int:
    return LedgerEntry.objects.count()


# --- monitoring ------------------------------------------------------------------------------


def test_a_point_s_name_and_system_code_must_be_ones_a_device_and_a_reader_can_use(
    db: None,
) -> None:
    cast = make_cast()
    admin = logged_in(cast.admin)
    point = {
        "enterprise_credit_code": cast.plant.enterprise.credit_code,
        "mn": "43010200000000000000F009",
        "name": "2号废气排放口",
        "password": "123456",
    }
    before = _entries()
    _refused(_post(admin, "/points", {**point, "name": INVISIBLE}), 400, "name_required")
    refused = _refused(
        _post(admin, "/points", {**point, "name": "2号\x1b[31m排放口"}), 400, "control_characters"
    )
    assert refused["detail"]["fields"] == {"name": "invalid"}
    # Every packet of the point carries its ST; the parser takes two digits or capitals only.
    for system_code in ("", "3", "3;", "废水"):
        refused = _refused(
            _post(admin, "/points", {**point, "system_code": system_code}),
            400,
            "invalid_system_code",
        )
        assert refused["detail"]["fields"] == {"system_code": "invalid"}
    assert not MonitoringPoint.objects.filter(mn=point["mn"]).exists()
    assert _entries() == before
    # Typed in full width, the code is the ASCII one.
    registered = _post(admin, "/points", {**point, "system_code": "３２"})
    assert registered.status_code == 201, registered.content.decode()
    assert registered.json()["system_code"] == "32"


def test_a_blank_region_code_is_the_enterprise_s_region(db: None) -> None:
    cast = make_cast()
    created = _post(
        logged_in(cast.admin),
        "/points",
        {
            "enterprise_credit_code": cast.plant.enterprise.credit_code,
            "mn": "43010200000000000000F010",
            "name": "3号废气排放口",
            "password": "123456",
            "region_code": "  ",
        },
    )
    assert created.status_code == 201, created.content.decode()
    assert created.json()["region_code"] == cast.plant.enterprise.region.code


def test_an_alarm_note_of_nothing_visible_or_with_control_characters_is_refused(
    db: None,
) -> None:
    cast = make_cast()
    alarm = over_limit_alarm(cast)
    regulator = logged_in(cast.regulator)
    before = _entries()
    _refused(
        _post(regulator, f"/alarms/{alarm.pk}/close", {"note": INVISIBLE}), 400, "note_required"
    )
    refused = _refused(
        _post(regulator, f"/alarms/{alarm.pk}/close", {"note": "已现场核查\x07"}),
        400,
        "control_characters",
    )
    assert refused["detail"] == {"fields": {"note": "invalid"}, "character": "U+0007"}
    _refused(
        _post(regulator, f"/alarms/{alarm.pk}/acknowledge", {"note": "\x1b[2J"}),
        400,
        "control_characters",
    )
    assert Alarm.objects.get(pk=alarm.pk).state == AlarmState.OPEN
    assert not CreditRecord.objects.exists()
    assert _entries() == before
    # Line breaks and tabs are text.
    closed = _post(regulator, f"/alarms/{alarm.pk}/close", {"note": "已现场核查\n\t设备故障"})
    assert closed.status_code == 200, closed.content.decode()
    assert closed.json()["note"] == "已现场核查\n\t设备故障"


def test_a_refused_acknowledgement_keeps_the_note_typed_in_the_row(db: None) -> None:
    cast = make_cast()
    alarm = over_limit_alarm(cast)
    row = text_of(
        logged_in(cast.regulator).post(
            f"/regulation/alarms/{alarm.pk}/acknowledge/",
            {"note": "正在联系企业\x07"},
            headers=HX,
        )
    )
    assert "内容含有不可见的控制字符（U+0007）" in row
    assert 'value="正在联系企业\x07"' in row or 'value="正在联系企业&#x07;"' in row
    assert f'aria-describedby="ack-error-{alarm.pk}"' in row
    assert Alarm.objects.get(pk=alarm.pk).state == AlarmState.OPEN


def test_a_refused_acknowledgement_is_said_in_english_on_the_english_page(db: None) -> None:
    cast = make_cast()
    alarm = over_limit_alarm(cast)
    http = logged_in(cast.regulator)
    http.cookies["django_language"] = "en"
    row = text_of(
        http.post(f"/regulation/alarms/{alarm.pk}/acknowledge/", {"note": "seen\x07"}, headers=HX)
    )
    assert "control character" in row.lower() and "U+0007" in row


# --- credit ----------------------------------------------------------------------------------


def test_credit_texts_of_nothing_visible_or_with_control_characters_are_refused(
    db: None,
) -> None:
    cast = make_credit_cast()
    http = logged_in(cast.regulator)
    path = f"/credit/enterprises/{cast.materials.credit_code}/records"
    today = timezone.localdate().isoformat()
    before = _entries()
    for description, code in (
        (INVISIBLE, "description_required"),
        ("罚款\x1b", "control_characters"),
    ):
        _refused(
            _post(
                http,
                path,
                {"kind": "commendation", "occurred_on": today, "description": description},
            ),
            400,
            code,
        )
    for change, code in (
        ({"reason": INVISIBLE}, "reason_required"),
        ({"legal_basis": "\u200b"}, "legal_basis_required"),
        ({"authority": "人社局\x08"}, "control_characters"),
    ):
        _refused(
            _post(http, "/credit/dishonesty-list", _listing(cast.media.credit_code, **change)),
            400,
            code,
        )
    admin = logged_in(cast.admin)
    scorecard = admin.get(f"{URL}/credit/scorecard").json()["config"]
    _refused(
        _post(admin, "/credit/scorecard", {"config": scorecard, "note": INVISIBLE}),
        400,
        "note_required",
    )
    assert not CreditRecord.objects.exists() and not DishonestyListing.objects.exists()
    assert _entries() == before


def test_repair_texts_of_nothing_visible_or_with_control_characters_are_refused(
    db: None,
) -> None:
    cast = make_repair_cast()
    target = record(cast.plant, "offline_alarm", months_ago(4))
    owner = logged_in(cast.owner)
    before = _entries()
    for rectification, commitment, code in (
        (INVISIBLE, COMMITMENT, "rectification_required"),
        (RECTIFICATION, "\u200b", "commitment_required"),
        (RECTIFICATION, "承诺\x1b", "control_characters"),
    ):
        _refused(
            _post(
                owner,
                "/my/repairs",
                {"record_id": target.pk, "rectification": rectification, "commitment": commitment},
            ),
            400,
            code,
        )
    assert not CreditRepair.objects.exists()
    assert _entries() == before


# --- random inspections ----------------------------------------------------------------------


def test_a_task_s_texts_and_ratio_are_checked_before_anything_is_announced(db: None) -> None:
    cast = make_inspection_cast()
    http = logged_in(cast.regulator)
    before = _entries()
    for change, code in (
        ({"title": INVISIBLE}, "title_required"),
        ({"matters": "\u200b"}, "matters_required"),
        ({"title": "抽查\x1b"}, "control_characters"),
        # Fraction reads an exponent by raising ten to it: "1e-999999999" would
        # keep the process busy for hours. No share is written so.
        ({"base_ratio": "1e-1"}, "invalid_ratio"),
        ({"base_ratio": "1e-999999999"}, "invalid_ratio"),
        ({"base_ratio": "5E-2%"}, "invalid_ratio"),
    ):
        _refused(_post(http, "/inspections/tasks", _task_in(**change)), 400, code)
    assert not InspectionTask.objects.exists()
    assert _entries() == before


def test_the_inspector_register_refuses_invisible_names_and_control_characters(
    db: None,
) -> None:
    cast = make_inspection_cast()
    http = logged_in(cast.regulator)
    inspector = {"code": "HB-NEW-1", "name": "李四", "department_code": "cs-environment"}
    before = _entries()
    _refused(
        _post(http, "/inspections/inspectors", {**inspector, "name": INVISIBLE}),
        400,
        "name_required",
    )
    _refused(
        _post(http, "/inspections/inspectors", {**inspector, "qualifications": ["执法\x1b"]}),
        400,
        "control_characters",
    )
    assert not Inspector.objects.filter(code="HB-NEW-1").exists()
    code = next(iter(cast.inspectors.values())).code
    _refused(
        _post(
            http,
            f"/inspections/inspectors/{code}/recusals",
            {"enterprise_credit_code": cast.clean.credit_code, "relation": INVISIBLE},
        ),
        400,
        "relation_required",
    )
    assert _entries() == before


def test_taking_an_inspector_off_the_register_twice_is_one_change_in_the_ledger(
    db: None,
) -> None:
    cast = make_inspection_cast()
    http = logged_in(cast.regulator)
    code = next(iter(cast.inspectors.values())).code
    for _click in range(2):
        answer = _post(http, f"/inspections/inspectors/{code}/active", {"is_active": False})
        assert answer.status_code == 200, answer.content.decode()
        assert answer.json()["is_active"] is False
    changes = LedgerEntry.objects.filter(action="regulation.set_inspector_active")
    assert changes.count() == 1
    answer = _post(http, f"/inspections/inspectors/{code}/active", {"is_active": True})
    assert answer.json()["is_active"] is True
    assert changes.count() == 2
    assert Inspector.objects.get(code=code).is_active


def test_a_draw_time_years_ahead_is_refused_on_the_api_and_the_page(db: None) -> None:
    cast = make_inspection_cast()
    http = logged_in(cast.regulator)
    before = _entries()
    # The year 9999 in UTC is the year 10000 in Beijing time: no page could show it.
    for when in ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59-14:00", "2099-01-01T09:00:00+08:00"):
        refused = _refused(
            _post(http, "/inspections/tasks", _task_in(draw_after=when)),
            400,
            "draw_after_too_late",
        )
        assert refused["detail"] == {"fields": {"draw_after": "invalid"}}
    page = text_of(
        http.post(
            "/regulation/inspections/",
            {
                "code": "CSHB-PAGE-09",
                "title": "2026年排污单位双随机抽查",
                "department": "cs-environment",
                "region": "430100",
                "matters": "排污许可执行情况",
                "base_ratio": "1/10",
                "inspectors_per_target": "2",
                "draw_after": "9999-12-31T23:59",
            },
        )
    )
    assert "抽取时间不能晚于公告后一年" in page
    assert 'value="9999-12-31T23:59"' in page and 'value="CSHB-PAGE-09"' in page
    assert not InspectionTask.objects.exists()
    assert _entries() == before
    # Within the year is a time like any other.
    within = (timezone.now() + dt.timedelta(days=300)).isoformat()
    announced = _post(http, "/inspections/tasks", _task_in(draw_after=within))
    assert announced.status_code == 201, announced.content.decode()


def test_a_supplementary_draw_years_ahead_is_refused(db: None) -> None:
    cast = make_inspection_cast()
    task = short_task(cast)
    http = logged_in(cast.regulator)
    _post(
        http,
        "/inspections/inspectors",
        {
            "code": "HB031",
            "name": "赵六",
            "department_code": "cs-environment",
            "qualifications": [LAW],
        },
    )
    before = _entries()
    _refused(
        _post(
            http,
            f"/inspections/tasks/{task.code}/supplementary-draws",
            {"draw_after": "9999-12-31T23:59:59Z"},
        ),
        400,
        "draw_after_too_late",
    )
    assert not SupplementaryDraw.objects.exists()
    assert _entries() == before
