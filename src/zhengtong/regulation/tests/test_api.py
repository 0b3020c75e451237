"""Online monitoring through its API: points, readings, alarms, registration and limits.

The cast is the pages' (test_pages.py): 周检 watches the whole city, 陈芙 only
芙蓉区, 王五 has no monitoring work, 管理员 registers points and sets limits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.core.testing import TEST_ACTOR, make_enterprise, make_person
from zhengtong.ledger.models import LedgerEntry
from zhengtong.regulation.actions import do_check_offline_points
from zhengtong.regulation.models import Alarm, CreditRecord, EmissionLimit, MonitoringPoint
from zhengtong.regulation.tests.bureau import logged_in
from zhengtong.regulation.tests.test_pages import (
    DINER_MN,
    PLANT_MN,
    RegulationCast,
    local_now,
    make_cast,
    over_limit_alarm,
    store,
)

URL = "/api/regulation"


@pytest.fixture
def cast(db: None) -> RegulationCast:
    return make_cast()


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content.decode()
    return response.json()


def _refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.content.decode()
    assert response.json()["code"] == code


def _post(http: Client, path: str, data: dict[str, Any]) -> Any:
    return http.post(f"{URL}{path}", data, content_type="application/json")


def _put(http: Client, path: str, data: dict[str, Any]) -> Any:
    return http.put(f"{URL}{path}", data, content_type="application/json")


# --- points ----------------------------------------------------------------------------------


def test_the_points_carry_their_state_alarms_and_today_s_excess(cast: RegulationCast) -> None:
    over_limit_alarm(cast)
    points = {p["mn"]: p for p in _ok(logged_in(cast.regulator).get(f"{URL}/points"))}
    assert set(points) == {PLANT_MN, DINER_MN}
    plant, diner = points[PLANT_MN], points[DINER_MN]
    assert (plant["state"], plant["open_alarms"], plant["acknowledged_alarms"]) == ("online", 1, 0)
    assert plant["enterprise_name"] == "长沙市某化工有限公司" and plant["region_code"] == "430102"
    assert plant["last_seen_at"] is not None
    assert (diner["state"], diner["last_seen_at"], diner["open_alarms"]) == ("never", None, 0)


def test_a_point_silent_past_its_allowance_is_offline(cast: RegulationCast) -> None:
    store(cast.plant, local_now(), {"a21026": 20.0})
    regulator = logged_in(cast.regulator)
    # At 30-second intervals a point may be silent five minutes (three intervals, at
    # least five minutes) before it counts as offline.
    for minutes, state in ((4, "online"), (6, "offline")):
        MonitoringPoint.objects.filter(pk=cast.plant.pk).update(
            last_seen_at=timezone.now() - dt.timedelta(minutes=minutes)
        )
        assert _ok(regulator.get(f"{URL}/points/{PLANT_MN}"))["state"] == state


def test_a_district_regulator_gets_the_district_s_points_only(cast: RegulationCast) -> None:
    district = logged_in(cast.district_regulator)
    assert [p["mn"] for p in _ok(district.get(f"{URL}/points"))] == [PLANT_MN]
    detail = _ok(district.get(f"{URL}/points/{PLANT_MN}"))
    assert {(x["pollutant"], x["upper"], x["unit"]) for x in detail["limits"]} == {
        ("a21026", 35.0, "mg/m3"),
        ("a34013", 10.0, "mg/m3"),
    }
    # Another district's point and a point that does not exist look the same.
    _refused(district.get(f"{URL}/points/{DINER_MN}"), 404, "point_not_found")
    _refused(district.get(f"{URL}/points/NO-SUCH-POINT"), 404, "point_not_found")
    _refused(district.get(f"{URL}/points/{DINER_MN}/readings"), 404, "point_not_found")


def test_the_points_are_refused_to_all_but_regulators(cast: RegulationCast) -> None:
    _refused(Client().get(f"{URL}/points"), 401, "not_authenticated")
    for user in (cast.reviewer, cast.admin, cast.citizen):
        http = logged_in(user)
        _refused(http.get(f"{URL}/points"), 403, "permission_denied")
        _refused(http.get(f"{URL}/points/{PLANT_MN}"), 403, "permission_denied")
        _refused(http.get(f"{URL}/points/{PLANT_MN}/readings"), 403, "permission_denied")
        _refused(http.get(f"{URL}/alarms"), 403, "permission_denied")


# --- readings --------------------------------------------------------------------------------


def test_readings_cover_the_last_24_hours_unless_asked_for_more(cast: RegulationCast) -> None:
    now = local_now()
    store(cast.plant, now - dt.timedelta(hours=30), {"a21026": 18.0})
    store(cast.plant, now - dt.timedelta(hours=1), {"a21026": 21.0, "a34013": 4.5})
    regulator = logged_in(cast.regulator)
    day = _ok(regulator.get(f"{URL}/points/{PLANT_MN}/readings"))
    assert sorted((r["pollutant"], r["rtd"]) for r in day["readings"]) == [
        ("a21026", 21.0),
        ("a34013", 4.5),
    ]
    assert day["truncated"] is False
    since = dt.datetime.fromisoformat(day["since"])
    until = dt.datetime.fromisoformat(day["until"])
    assert until - since == dt.timedelta(hours=24)
    two_days = _ok(
        regulator.get(f"{URL}/points/{PLANT_MN}/readings", {"hours": "48", "pollutant": "a21026"})
    )
    assert [r["rtd"] for r in two_days["readings"]] == [18.0, 21.0]
    assert {r["command"] for r in two_days["readings"]} == {"2011"}


def test_readings_are_limited_to_a_week(cast: RegulationCast) -> None:
    regulator = logged_in(cast.regulator)
    _ok(regulator.get(f"{URL}/points/{PLANT_MN}/readings", {"hours": 168}))
    _refused(
        regulator.get(f"{URL}/points/{PLANT_MN}/readings", {"hours": 169}), 422, "invalid_input"
    )
    _refused(regulator.get(f"{URL}/points/{PLANT_MN}/readings", {"hours": 0}), 422, "invalid_input")


def test_readings_filter_by_each_stored_kind_of_data(cast: RegulationCast) -> None:
    now = local_now()
    store(cast.plant, now - dt.timedelta(hours=2), {"a21026": 20.0})
    store(cast.plant, now - dt.timedelta(hours=1), {"a21026": 19.0}, command="2061")
    regulator = logged_in(cast.regulator)
    hourly = _ok(regulator.get(f"{URL}/points/{PLANT_MN}/readings", {"command": "2061"}))
    assert [(r["command"], r["avg"]) for r in hourly["readings"]] == [("2061", 19.0)]
    # A kind the receiver stores but the point did not send is an empty answer, not a refusal.
    daily = _ok(regulator.get(f"{URL}/points/{PLANT_MN}/readings", {"command": "2031"}))
    assert daily["readings"] == []


@pytest.mark.parametrize("command", ["2012", "9014", "hourly", "2011 ", "9" * 300])
def test_readings_refuse_a_kind_of_data_the_receiver_does_not_store(
    cast: RegulationCast, command: str
) -> None:
    store(cast.plant, local_now() - dt.timedelta(hours=1), {"a21026": 20.0})
    response = logged_in(cast.regulator).get(
        f"{URL}/points/{PLANT_MN}/readings", {"command": command}
    )
    _refused(response, 400, "unknown_command")
    detail = response.json()["detail"]
    assert detail["fields"] == {"command": "invalid"}
    assert detail["allowed"] == ["2011", "2031", "2051", "2061"]
    # The value is echoed, but never more of it than a command could be.
    assert detail["command"] == command[:16]


def test_readings_of_a_pollutant_the_platform_has_no_name_for_are_found(
    cast: RegulationCast,
) -> None:
    # Devices send codes outside the platform's named ones (here the 2005
    # edition's SO2), and the receiver stores them as sent.
    store(cast.plant, local_now() - dt.timedelta(hours=1), {"02": 21.5, "a21026": 20.0})
    found = _ok(
        logged_in(cast.regulator).get(f"{URL}/points/{PLANT_MN}/readings", {"pollutant": "02"})
    )
    assert [(r["pollutant"], r["rtd"]) for r in found["readings"]] == [("02", 21.5)]


# --- alarms ----------------------------------------------------------------------------------


def test_an_alarm_is_acknowledged_then_closed_with_a_note(cast: RegulationCast) -> None:
    alarm = over_limit_alarm(cast)
    regulator = logged_in(cast.regulator)
    (listed,) = _ok(regulator.get(f"{URL}/alarms"))
    assert (listed["id"], listed["kind"], listed["state"]) == (alarm.pk, "over_limit", "open")
    assert (listed["value"], listed["limit"], listed["count"]) == (61.0, 35.0, 2)
    assert listed["pollutant_name"] == "二氧化硫" and listed["mn"] == PLANT_MN

    acknowledged = _ok(
        _post(regulator, f"/alarms/{alarm.pk}/acknowledge", {"note": "已电话通知企业"})
    )
    assert acknowledged["state"] == "acknowledged" and acknowledged["acknowledged_by"] == "周检"
    assert acknowledged["note"] == "已电话通知企业"
    _refused(_post(regulator, f"/alarms/{alarm.pk}/acknowledge", {}), 409, "alarm_not_open")
    assert _ok(regulator.get(f"{URL}/alarms", {"state": "open"})) == []
    assert [a["id"] for a in _ok(regulator.get(f"{URL}/alarms"))] == [alarm.pk]

    _refused(_post(regulator, f"/alarms/{alarm.pk}/close", {"note": " "}), 400, "note_required")
    closed = _ok(_post(regulator, f"/alarms/{alarm.pk}/close", {"note": "脱硫塔故障已修复"}))
    assert (closed["state"], closed["closed_by"], closed["note"]) == (
        "closed",
        "周检",
        "脱硫塔故障已修复",
    )
    _refused(
        _post(regulator, f"/alarms/{alarm.pk}/close", {"note": "再关一次"}), 409, "alarm_closed"
    )
    assert _ok(regulator.get(f"{URL}/alarms")) == []
    assert [a["id"] for a in _ok(regulator.get(f"{URL}/alarms", {"state": "closed"}))] == [alarm.pk]
    for action in ("regulation.acknowledge_alarm", "regulation.close_alarm"):
        entry = LedgerEntry.objects.get(action=action)
        assert entry.subject_id == str(alarm.pk) and entry.actor_label == "周检"


def test_an_alarm_dated_ahead_by_the_device_s_clock_is_closed_onto_today_s_file(
    cast: RegulationCast,
) -> None:
    # The device's clock runs a day ahead: its values, and the alarm, are dated tomorrow.
    store(cast.plant, local_now() + dt.timedelta(days=1), {"a21026": 52.5})
    alarm = Alarm.objects.get(point=cast.plant, kind="over_limit")
    closed = _ok(
        _post(logged_in(cast.regulator), f"/alarms/{alarm.pk}/close", {"note": "超标属实，已立案"})
    )
    assert closed["state"] == "closed"
    record = CreditRecord.objects.get(source_ref=f"alarm:{alarm.pk}")
    assert record.occurred_on == timezone.localdate()


def test_an_unknown_alarm_state_is_refused(cast: RegulationCast) -> None:
    response = logged_in(cast.regulator).get(f"{URL}/alarms", {"state": "pending"})
    _refused(response, 422, "invalid_input")


def test_alarms_are_handled_only_by_the_point_s_regulators(cast: RegulationCast) -> None:
    store(cast.diner, local_now(), {"a34013": 25.0})
    alarm = Alarm.objects.get(point=cast.diner)
    district = logged_in(cast.district_regulator)
    assert _ok(district.get(f"{URL}/alarms")) == []
    _refused(_post(district, f"/alarms/{alarm.pk}/acknowledge", {}), 404, "alarm_not_found")
    _refused(_post(district, f"/alarms/{alarm.pk}/close", {"note": "越权"}), 404, "alarm_not_found")
    _refused(_post(district, "/alarms/99999/acknowledge", {}), 404, "alarm_not_found")
    for user in (cast.reviewer, cast.admin, cast.citizen):
        http = logged_in(user)
        _refused(_post(http, f"/alarms/{alarm.pk}/acknowledge", {}), 403, "permission_denied")
        _refused(
            _post(http, f"/alarms/{alarm.pk}/close", {"note": "无权"}), 403, "permission_denied"
        )
    _refused(_post(Client(), f"/alarms/{alarm.pk}/acknowledge", {}), 401, "not_authenticated")
    alarm.refresh_from_db()
    assert alarm.state == "open"
    assert not LedgerEntry.objects.filter(action__endswith="_alarm").exists()


# --- registering points and setting limits ---------------------------------------------------


def test_the_administrator_registers_a_point_and_sets_its_limits(cast: RegulationCast) -> None:
    firm = make_enterprise("长沙市某印染有限公司", legal_representative=make_person("李老板"))
    admin = logged_in(cast.admin)
    created = _ok(
        _post(
            admin,
            "/points",
            {
                "enterprise_credit_code": firm.credit_code,
                "mn": "43010200000000000000W003",
                "name": "废水总排口",
                "password": "654321",
                "system_code": "32",
                "interval_s": 60,
            },
        ),
        201,
    )
    assert (created["state"], created["system_code"], created["interval_s"]) == ("never", "32", 60)
    assert created["region_code"] == firm.region.code and created["limits"] == []
    limit = _ok(
        _put(admin, "/points/43010200000000000000W003/limits/w01018", {"upper": 50, "unit": "mg/L"})
    )
    assert limit == {
        "pollutant": "w01018",
        "pollutant_name": "化学需氧量",
        "upper": 50.0,
        "unit": "mg/L",
    }
    # Setting it again changes it.
    _ok(
        _put(admin, "/points/43010200000000000000W003/limits/w01018", {"upper": 40, "unit": "mg/L"})
    )
    assert EmissionLimit.objects.get(point__mn="43010200000000000000W003").upper == 40.0
    assert LedgerEntry.objects.filter(action="regulation.register_point").count() == 3
    assert (
        LedgerEntry.objects.filter(
            action="regulation.set_emission_limit", subject_id="43010200000000000000W003"
        ).count()
        == 2
    )
    # The city's regulator now sees the new point.
    mns = {p["mn"] for p in _ok(logged_in(cast.regulator).get(f"{URL}/points"))}
    assert "43010200000000000000W003" in mns


def test_registration_refuses_what_is_wrong(cast: RegulationCast) -> None:
    admin = logged_in(cast.admin)
    good = {
        "enterprise_credit_code": cast.plant.enterprise.credit_code,
        "mn": "43010200000000000000A009",
        "name": "2号废气排放口",
        "password": "123456",
    }
    _refused(
        _post(admin, "/points", {**good, "enterprise_credit_code": "91430102MA4L000000"}),
        400,
        "unknown_enterprise",
    )
    _refused(_post(admin, "/points", {**good, "mn": PLANT_MN}), 409, "mn_taken")
    _refused(_post(admin, "/points", {**good, "mn": "MN WITH SPACES"}), 400, "invalid_mn")
    _refused(_post(admin, "/points", {**good, "password": "a;b"}), 400, "invalid_pw")
    unknown_region = _post(admin, "/points", {**good, "region_code": "999999"})
    _refused(unknown_region, 400, "unknown_region")
    assert unknown_region.json()["detail"]["fields"] == {"region_code": "invalid"}
    _refused(_put(admin, f"/points/{PLANT_MN}/limits/a21026", {"upper": 0}), 400, "invalid_limit")
    _refused(
        _put(admin, "/points/NO-SUCH-POINT/limits/a21026", {"upper": 35}), 404, "point_not_found"
    )
    assert not MonitoringPoint.objects.filter(mn="43010200000000000000A009").exists()
    assert EmissionLimit.objects.get(point=cast.plant, pollutant="a21026").upper == 35.0


def test_registration_takes_a_pasted_credit_code_and_a_full_width_mn(cast: RegulationCast) -> None:
    firm = make_enterprise("长沙市某印染有限公司", legal_representative=make_person("李老板"))
    created = _ok(
        _post(
            logged_in(cast.admin),
            "/points",
            {
                # As pasted from a spreadsheet, and as typed in full-width mode.
                "enterprise_credit_code": f"{firm.credit_code.lower()}\n",
                "mn": "４３０１０２００００００００００００００Ｗ００４ ",
                "name": "废水总排口",
                "password": "654321",
            },
        ),
        201,
    )
    assert created["enterprise_credit_code"] == firm.credit_code
    assert created["mn"] == "43010200000000000000W004"
    assert MonitoringPoint.objects.get(mn="43010200000000000000W004").enterprise == firm


def test_a_limit_too_large_to_be_one_is_refused_and_the_point_page_still_shows(
    cast: RegulationCast,
) -> None:
    admin = logged_in(cast.admin)
    path = f"{URL}/points/{PLANT_MN}/limits/a21026"
    # JSON's own largest numbers, and the infinity a lax client sends as text:
    # a limit nothing can exceed, which the API could not even write back as JSON.
    for upper in ("1e308", '"Infinity"', "1e13"):
        _refused(
            admin.put(path, f'{{"upper": {upper}}}', content_type="application/json"),
            400,
            "invalid_limit",
        )
    assert EmissionLimit.objects.get(point=cast.plant, pollutant="a21026").upper == 35.0
    assert logged_in(cast.regulator).get(f"/regulation/points/{PLANT_MN}/").status_code == 200
    # A large real limit (a flow in m³/h) is still taken.
    assert _ok(_put(admin, f"/points/{PLANT_MN}/limits/a00000", {"upper": 5e6}))["upper"] == 5e6


def test_regulators_and_others_may_not_register_points_or_set_limits(
    cast: RegulationCast,
) -> None:
    body = {
        "enterprise_credit_code": cast.plant.enterprise.credit_code,
        "mn": "43010200000000000000A010",
        "name": "3号废气排放口",
        "password": "123456",
    }
    for user in (cast.regulator, cast.reviewer, cast.citizen):
        http = logged_in(user)
        _refused(_post(http, "/points", body), 403, "permission_denied")
        _refused(
            _put(http, f"/points/{PLANT_MN}/limits/a21026", {"upper": 100}),
            403,
            "permission_denied",
        )
    _refused(_post(Client(), "/points", body), 401, "not_authenticated")
    assert not MonitoringPoint.objects.filter(mn="43010200000000000000A010").exists()
    assert EmissionLimit.objects.get(point=cast.plant, pollutant="a21026").upper == 35.0


def test_an_alarms_detail_reads_in_the_readers_language(cast: RegulationCast) -> None:
    store(cast.plant, local_now(), {"a21026": 20.0})
    MonitoringPoint.objects.filter(pk=cast.plant.pk).update(
        last_seen_at=timezone.now() - dt.timedelta(minutes=30)
    )
    do_check_offline_points(actor=TEST_ACTOR)
    alarm = Alarm.objects.get(point=cast.plant, kind="offline")
    # Stored: when the silence began, which stays true while it lasts.
    assert alarm.detail.endswith("起未上报数据")
    regulator = logged_in(cast.regulator)
    # Shown: how long it has lasted, in the page's language.
    assert "已 30 分钟未上报数据" in regulator.get("/regulation/monitoring/").content.decode()
    alarms = _ok(regulator.get(f"{URL}/alarms"))
    assert [a["detail"] for a in alarms if a["id"] == alarm.pk] == [alarm.detail]
    regulator.cookies["django_language"] = "en"
    page = regulator.get("/regulation/monitoring/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No data reported for 30 minutes" in page and "分钟未上报数据" not in page


def test_a_credit_record_the_platform_wrote_reads_in_the_readers_language(
    cast: RegulationCast,
) -> None:
    alarm = over_limit_alarm(cast)
    regulator = logged_in(cast.regulator)
    _ok(_post(regulator, f"/alarms/{alarm.pk}/close", {"note": "超标属实，已责令整改"}))
    code = cast.plant.enterprise.credit_code
    record = CreditRecord.objects.get(enterprise=cast.plant.enterprise)
    assert "超标排放" in record.description  # stored in the platform's language
    (chinese,) = _ok(regulator.get(f"{URL}/credit/enterprises/{code}"))["records"]
    assert chinese["description"] == record.description
    regulator.cookies["django_language"] = "en"
    english = _ok(regulator.get(f"{URL}/credit/enterprises/{code}", HTTP_ACCEPT_LANGUAGE="en"))
    (shown,) = english["records"]
    assert "emissions over the limit" in shown["description"]
    assert "超标排放" not in shown["description"]
    page = regulator.get(f"/regulation/credit/{code}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "emissions over the limit" in page.content.decode()
    assert record.description not in page.content.decode()
