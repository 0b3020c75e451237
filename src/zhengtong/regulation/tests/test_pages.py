"""The regulator's monitoring pages through the test client: every view, change and refusal.

The cast: 周检 is a regulator of the city's environment bureau whose post
covers the whole city; 陈芙 regulates for the 芙蓉区 branch (a department
post: 芙蓉区's points only); 王五 reviews applications at the city bureau and
has no monitoring work; 管理员 registers points. A chemical plant in 芙蓉区
and a restaurant in 天心区 each have a monitoring point. 张三 is a citizen.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.core.calendar import SHANGHAI
from zhengtong.core.models import Department
from zhengtong.core.testing import (
    TEST_ACTOR,
    RegionTree,
    make_credit_code,
    make_department,
    make_enterprise,
    make_person,
    make_region_tree,
)
from zhengtong.demo import city
from zhengtong.identity.models import User
from zhengtong.ledger.models import LedgerEntry
from zhengtong.regulation.actions import do_register_point, do_set_emission_limit
from zhengtong.regulation.demo import EPISODE_POLLUTANT, POINTS, load_demo_regulation
from zhengtong.regulation.hj212 import HJ212Error, frame, parse_packet, segment_of
from zhengtong.regulation.ingest import Accepted, Refused, SentCommand, store_batch
from zhengtong.regulation.models import Alarm, AlarmKind, CreditRecord, MonitoringPoint, Reading
from zhengtong.regulation.tests.bureau import logged_in, make_bureau, text_of

PLANT_MN = "43010200000000000000F001"
DINER_MN = "43010300000000000000F002"
PW = "123456"


@dataclass(frozen=True)
class RegulationCast:
    regions: RegionTree
    city_environment: Department
    furong_environment: Department
    plant: MonitoringPoint
    diner: MonitoringPoint
    regulator: User
    district_regulator: User
    reviewer: User
    admin: User
    citizen: User


def make_cast() -> RegulationCast:
    bureau = make_bureau()
    regions = bureau.regions

    plant_firm = make_enterprise("长沙市某化工有限公司", legal_representative=make_person("钱老板"))
    diner_firm = make_enterprise(
        "长沙市天心区某餐馆", region=regions.tianxin, legal_representative=make_person("孙老板")
    )
    plant = do_register_point(plant_firm, PLANT_MN, "1号废气排放口", PW, actor=TEST_ACTOR)
    for code, upper in (("a21026", 35.0), ("a34013", 10.0)):
        do_set_emission_limit(plant, code, upper, actor=TEST_ACTOR, unit="mg/m3")
    diner = do_register_point(diner_firm, DINER_MN, "油烟排放口", PW, actor=TEST_ACTOR)
    do_set_emission_limit(diner, "a34013", 10.0, actor=TEST_ACTOR, unit="mg/m3")
    return RegulationCast(
        regions=regions,
        city_environment=bureau.city_environment,
        furong_environment=bureau.furong_environment,
        plant=plant,
        diner=diner,
        regulator=bureau.regulator,
        district_regulator=bureau.district_regulator,
        reviewer=bureau.reviewer,
        admin=bureau.admin,
        citizen=bureau.citizen,
    )


@pytest.fixture
def cast(db: None) -> RegulationCast:
    return make_cast()


def local_now() -> dt.datetime:
    return timezone.localtime(timezone.now(), SHANGHAI).replace(tzinfo=None, microsecond=0)


def upload(
    point: MonitoringPoint,
    when: dt.datetime,
    values: dict[str, float],
    *,
    flag: str = "N",
    command: str = "2011",
) -> Accepted:
    """Return an upload of ``point`` taken at local time ``when``, accepted by the receiver."""
    kind = "Rtd" if command == "2011" else "Avg"
    cp = ";".join(
        [f"DataTime={when:%Y%m%d%H%M%S}"]
        + [f"{code}-{kind}={value},{code}-Flag={flag}" for code, value in values.items()]
    )
    raw = frame(
        segment_of(
            qn=f"{when:%Y%m%d%H%M%S}000", st="31", cn=command, pw=PW, mn=point.mn, flag=5, cp=cp
        )
    )
    return Accepted(point.pk, parse_packet(raw), raw, timezone.now())


def store(
    point: MonitoringPoint,
    when: dt.datetime,
    values: dict[str, float],
    *,
    flag: str = "N",
    command: str = "2011",
) -> None:
    """Store one upload, committed as the receiver commits a batch."""
    store_batch([upload(point, when, values, flag=flag, command=command)], [], actor=TEST_ACTOR)


def refuse(point: MonitoringPoint, count: int) -> None:
    """Store ``count`` packets of the point refused for a wrong CRC."""
    raw = frame(segment_of(qn="20260301080000000", st="31", cn="2011", pw=PW, mn=point.mn, cp=""))
    broken = raw[:-6] + b"0000" + raw[-2:]
    with pytest.raises(HJ212Error) as refused:
        parse_packet(broken)
    store_batch(
        [],
        [
            Refused(point.pk, point.mn, refused.value, "10.0.0.9:4000", broken, timezone.now())
            for _ in range(count)
        ],
        actor=TEST_ACTOR,
    )


def over_limit_alarm(cast: RegulationCast) -> Alarm:
    """The plant's SO2 goes over 35 mg/m3 twice in the last hour."""
    now = local_now()
    store(cast.plant, now - dt.timedelta(minutes=30), {"a21026": 20.0})
    store(cast.plant, now - dt.timedelta(minutes=20), {"a21026": 52.5})
    store(cast.plant, now - dt.timedelta(minutes=10), {"a21026": 61.0})
    return Alarm.objects.get(point=cast.plant, kind=AlarmKind.OVER_LIMIT)


HX = {"HX-Request": "true"}


# --- the 24-hour view -----------------------------------------------------------------------


def test_the_city_regulator_sees_every_point_with_its_state_alarms_and_refusals(
    cast: RegulationCast,
) -> None:
    alarm = over_limit_alarm(cast)
    refuse(cast.plant, 3)
    page = text_of(logged_in(cast.regulator).get("/regulation/monitoring/"))
    plant_row = re.search(rf'<tr id="point-{PLANT_MN}">.*?</tr>', page, re.S)
    diner_row = re.search(rf'<tr id="point-{DINER_MN}">.*?</tr>', page, re.S)
    assert plant_row and diner_row
    assert "在线" in plant_row.group() and "长沙市某化工有限公司" in plant_row.group()
    assert "1 项未处理报警" in plant_row.group()
    assert "从未上报" in diner_row.group() and "长沙市天心区某餐馆" in diner_row.group()
    row = re.search(rf'<tr id="alarm-{alarm.pk}".*?</tr>', page, re.S)
    assert row is not None
    assert "超标" in row.group() and "二氧化硫" in row.group() and "61" in row.group()
    # 61 is 74 % over 35.
    assert "超出限值 74%" in row.group()
    assert "共 2 次" in row.group()
    assert 'name="note"' in row.group() and "确认" in row.group() and "关闭" in row.group()
    refused = re.search(rf'<tr id="refused-{PLANT_MN}">.*?</tr>', page, re.S)
    assert refused is not None and "CRC 校验不符" in refused.group()
    assert re.search(r">\s*3\s*<", refused.group())


def test_a_district_regulator_sees_only_the_district_s_points(cast: RegulationCast) -> None:
    store(cast.diner, local_now(), {"a34013": 25.0})
    page = text_of(logged_in(cast.district_regulator).get("/regulation/monitoring/"))
    assert PLANT_MN in page
    assert DINER_MN not in page and "长沙市天心区某餐馆" not in page
    assert "没有待处理的报警" in page


def test_a_point_silent_past_its_allowance_is_shown_offline(cast: RegulationCast) -> None:
    store(cast.plant, local_now(), {"a21026": 20.0})
    # Fixture: the plant last reported 10 minutes ago; at 30-second intervals the
    # allowance is five minutes (three intervals, but at least five minutes).
    MonitoringPoint.objects.filter(pk=cast.plant.pk).update(
        last_seen_at=timezone.now() - dt.timedelta(minutes=10)
    )
    page = text_of(logged_in(cast.regulator).get("/regulation/monitoring/"))
    row = re.search(rf'<tr id="point-{PLANT_MN}">.*?</tr>', page, re.S)
    assert row is not None and "light-offline" in row.group()
    assert re.search(r'id="figure-offline">1<', page)


def test_today_s_over_limit_count_leaves_out_flagged_values(cast: RegulationCast) -> None:
    midnight = local_now().replace(hour=0, minute=0, second=0)
    store(cast.plant, midnight + dt.timedelta(seconds=1), {"a21026": 40.0, "a34013": 12.0})
    store(cast.plant, midnight + dt.timedelta(seconds=2), {"a21026": 30.0})
    # Measured during calibration: not an emission to judge.
    store(cast.plant, midnight + dt.timedelta(seconds=3), {"a21026": 90.0}, flag="C")
    # Yesterday's values do not count today.
    store(cast.plant, midnight - dt.timedelta(seconds=1), {"a21026": 80.0})
    page = text_of(logged_in(cast.regulator).get("/regulation/monitoring/"))
    row = re.search(rf'<tr id="point-{PLANT_MN}">.*?</tr>', page, re.S)
    assert row is not None
    assert '<span class="count over">2</span>' in row.group()


def test_the_points_refresh_as_a_partial(cast: RegulationCast) -> None:
    response = logged_in(cast.regulator).get("/regulation/monitoring/", headers=HX)
    part = text_of(response)
    assert "<html" not in part and f'id="point-{PLANT_MN}"' in part
    assert "待处理报警" not in part


# --- acknowledging and closing --------------------------------------------------------------


def test_a_regulator_acknowledges_with_htmx_and_the_row_is_swapped(cast: RegulationCast) -> None:
    alarm = over_limit_alarm(cast)
    response = logged_in(cast.regulator).post(
        f"/regulation/alarms/{alarm.pk}/acknowledge/", {"note": "已电话通知企业"}, headers=HX
    )
    assert response.status_code == 200
    row = text_of(response)
    assert "<html" not in row and row.strip().startswith(f'<tr id="alarm-{alarm.pk}"')
    assert "已确认" in row and "周检 于" in row and "已电话通知企业" in row
    assert f"/regulation/alarms/{alarm.pk}/acknowledge/" not in row
    assert f"/regulation/alarms/{alarm.pk}/close/" in row
    alarm.refresh_from_db()
    assert alarm.state == "acknowledged" and alarm.acknowledged_by == "周检"
    assert LedgerEntry.objects.filter(action="regulation.acknowledge_alarm").count() == 1


def test_closing_needs_a_note_shown_in_the_row(cast: RegulationCast) -> None:
    alarm = over_limit_alarm(cast)
    regulator = logged_in(cast.regulator)
    response = regulator.post(f"/regulation/alarms/{alarm.pk}/close/", {"note": "  "}, headers=HX)
    # htmx swaps only successful responses, so the row with its error is one.
    assert response.status_code == 200
    row = text_of(response)
    assert 'class="errorlist"' in row and "请填写处理说明" in row
    alarm.refresh_from_db()
    assert alarm.state == "open"
    response = regulator.post(
        f"/regulation/alarms/{alarm.pk}/close/",
        {"note": "脱硫设施故障，已修复并复测达标"},
        headers=HX,
    )
    row = text_of(response)
    assert "已关闭" in row and "脱硫设施故障，已修复并复测达标" in row and "<form" not in row
    alarm.refresh_from_db()
    assert (alarm.state, alarm.closed_by) == ("closed", "周检")
    assert LedgerEntry.objects.filter(action="regulation.close_alarm").count() == 1
    # A closed alarm leaves the list to handle.
    page = text_of(regulator.get("/regulation/monitoring/"))
    assert f'id="alarm-{alarm.pk}"' not in page
    # Confirmed (the form's default): the alarm is now on the enterprise's credit file.
    assert CreditRecord.objects.filter(source_ref=f"alarm:{alarm.pk}").count() == 1


def test_the_regulator_can_keep_an_alarm_off_the_credit_file(cast: RegulationCast) -> None:
    alarm = over_limit_alarm(cast)
    regulator = logged_in(cast.regulator)
    page = text_of(regulator.get("/regulation/monitoring/"))
    assert 'name="credit"' in page and "计入企业信用记录" in page
    regulator.post(
        f"/regulation/alarms/{alarm.pk}/close/",
        {"note": "在线监测仪故障，企业已按时报告", "credit": "0"},
        headers=HX,
    )
    alarm.refresh_from_db()
    assert alarm.state == "closed"
    assert not CreditRecord.objects.filter(source_ref=f"alarm:{alarm.pk}").exists()


def test_without_htmx_the_forms_return_to_the_page_with_a_message(cast: RegulationCast) -> None:
    alarm = over_limit_alarm(cast)
    regulator = logged_in(cast.regulator)
    back = f"/regulation/points/{PLANT_MN}/"
    response = regulator.post(f"/regulation/alarms/{alarm.pk}/acknowledge/", {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert "报警已确认" in text_of(regulator.get(back))
    # Another site is no place to return to.
    response = regulator.post(
        f"/regulation/alarms/{alarm.pk}/close/", {"note": "已整改", "next": "https://example.com/"}
    )
    assert response["Location"] == "/regulation/monitoring/"
    page = text_of(regulator.get("/regulation/monitoring/"))
    assert "报警已关闭" in page


def test_a_return_address_that_is_not_a_page_of_ours_returns_to_the_monitoring_page(
    cast: RegulationCast,
) -> None:
    alarm = over_limit_alarm(cast)
    regulator = logged_in(cast.regulator)
    # A word is not a view's name to look up, another site is no place to go,
    # and a line break would split the header. Done or refused, the form returns.
    for back in ("monitoring", "//example.com/", "/\\example.com/", "/regulation/\r\nX-A: 1"):
        for step, data in (("acknowledge", {}), ("close", {"note": "已整改"})):
            response = regulator.post(
                f"/regulation/alarms/{alarm.pk}/{step}/", {**data, "next": back}
            )
            assert response.status_code == 302, (step, back)
            assert response["Location"] == "/regulation/monitoring/", (step, back)
    alarm.refresh_from_db()
    assert alarm.state == "closed"


def test_acknowledging_twice_is_refused_in_the_row(cast: RegulationCast) -> None:
    alarm = over_limit_alarm(cast)
    regulator = logged_in(cast.regulator)
    regulator.post(f"/regulation/alarms/{alarm.pk}/acknowledge/", {}, headers=HX)
    # A second tab still shows the button.
    row = text_of(regulator.post(f"/regulation/alarms/{alarm.pk}/acknowledge/", {}, headers=HX))
    assert "只有未处理的报警可以确认" in row
    assert LedgerEntry.objects.filter(action="regulation.acknowledge_alarm").count() == 1


def test_the_pages_and_forms_are_refused_to_all_but_the_point_s_regulators(
    cast: RegulationCast,
) -> None:
    store(cast.diner, local_now(), {"a34013": 25.0})
    alarm = Alarm.objects.get(point=cast.diner)
    diner_page = f"/regulation/points/{DINER_MN}/"
    acknowledge = f"/regulation/alarms/{alarm.pk}/acknowledge/"
    close = f"/regulation/alarms/{alarm.pk}/close/"
    anonymous = Client()
    assert anonymous.get("/regulation/monitoring/").status_code == 302
    assert anonymous.post(acknowledge).status_code == 302
    for user in (cast.reviewer, cast.admin, cast.citizen):
        http = logged_in(user)
        assert http.get("/regulation/monitoring/").status_code == 403, user.username
        assert http.get(diner_page).status_code == 403, user.username
        assert http.post(acknowledge).status_code == 403, user.username
        assert http.post(close, {"note": "无权关闭"}).status_code == 403, user.username
    # 芙蓉区's regulator does not learn that 天心区's point or alarm exists.
    district = logged_in(cast.district_regulator)
    assert district.get(diner_page).status_code == 404
    assert district.post(acknowledge).status_code == 404
    assert district.post(close, {"note": "越权关闭"}).status_code == 404
    assert district.get("/regulation/points/NO-SUCH-POINT/").status_code == 404
    alarm.refresh_from_db()
    assert alarm.state == "open"
    assert not LedgerEntry.objects.filter(action__endswith="_alarm").exists()


# --- one point ------------------------------------------------------------------------------


def _chart(page: str, pollutant: str) -> str:
    found = re.search(
        rf'<figure class="panel chart-panel" id="chart-{pollutant}">.*?</figure>', page, re.S
    )
    assert found is not None, pollutant
    return found.group()


def _numbers(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", text)]


def test_the_point_page_charts_each_pollutant_with_its_limit_and_marks_the_excess(
    cast: RegulationCast,
) -> None:
    now = local_now()
    values = [20.0, 22.0, 52.5, 61.0, 18.0, 21.0]
    for n, so2 in enumerate(values):
        store(cast.plant, now - dt.timedelta(minutes=60 - n), {"a21026": so2, "a34013": 4.0})
    page = text_of(logged_in(cast.regulator).get(f"/regulation/points/{PLANT_MN}/"))
    assert "35 mg/m3" in page and "10 mg/m3" in page  # the limits table
    chart = _chart(page, "a21026")
    assert "二氧化硫" in chart and "超标 2 次" in chart
    (line,) = re.findall(r'<polyline class="chart-line" points="([^"]+)"', chart)
    ys = [float(pair.split(",")[1]) for pair in line.split()]
    assert len(ys) == len(values)
    limit = re.search(r'<line class="chart-limit"[^>]*y1="([\d.]+)"[^>]*stroke-dasharray', chart)
    assert limit is not None
    limit_y = float(limit.group(1))
    circles = re.findall(r'<circle class="chart-over" cx="[\d.]+" cy="([\d.]+)"', chart)
    # SVG's y grows downwards: the two values over the limit are drawn above its line,
    # the others below it, and the marks sit on the line's highest points.
    assert len(circles) == 2
    assert all(float(y) < limit_y for y in circles)
    assert sorted(float(y) for y in circles) == sorted(ys)[:2]
    assert sum(1 for y in ys if y > limit_y) == 4
    particulate = _chart(page, "a34013")
    assert "颗粒物" in particulate and "chart-over" not in particulate
    # The alarm raised by the excess is listed with its forms.
    assert 'id="alarm-' in page and "确认" in page


def test_a_silence_breaks_the_line_and_a_busy_day_is_thinned_keeping_its_peak(
    cast: RegulationCast,
) -> None:
    now = local_now().replace(second=0)
    start = now - dt.timedelta(hours=8)
    # Six hours of 30-second values (720), one spike, then an hour of silence, then more.
    busy = [
        upload(
            cast.plant,
            start + dt.timedelta(seconds=30 * n),
            {"a21026": 80.0 if n == 333 else 20.0 + n % 7},
        )
        for n in range(720)
    ]
    store_batch(busy, [], actor=TEST_ACTOR)
    store(cast.plant, start + dt.timedelta(hours=7), {"a21026": 21.0})
    store(cast.plant, start + dt.timedelta(hours=7, seconds=30), {"a21026": 22.0})
    chart = _chart(
        text_of(logged_in(cast.regulator).get(f"/regulation/points/{PLANT_MN}/")), "a21026"
    )
    lines = re.findall(r'<polyline class="chart-line" points="([^"]+)"', chart)
    assert len(lines) == 2
    drawn = sum(len(line.split()) for line in lines)
    assert drawn < 722
    assert len(re.findall(r'<circle class="chart-over"', chart)) == 1
    assert "超标 1 次" in chart


def test_a_point_reporting_only_minute_data_is_charted_by_its_averages(
    cast: RegulationCast,
) -> None:
    now = local_now().replace(second=0)
    for n in range(3):
        store(cast.plant, now - dt.timedelta(minutes=3 - n), {"a21026": 30.0 + n}, command="2051")
    page = text_of(logged_in(cast.regulator).get(f"/regulation/points/{PLANT_MN}/"))
    assert "图为分钟均值" in page
    (line,) = re.findall(r'<polyline class="chart-line" points="([^"]+)"', _chart(page, "a21026"))
    assert len(line.split()) == 3


def test_a_crc_failure_is_explained_in_the_language_of_the_page(cast: RegulationCast) -> None:
    refuse(cast.plant, 1)
    raw = frame(segment_of(qn="20260301080100000", st="31", cn="2011", pw=PW, mn=PLANT_MN, cp=""))
    with pytest.raises(HJ212Error) as not_hex:
        parse_packet(raw[:-6] + b"00G0" + raw[-2:])
    store_batch(
        [],
        [Refused(cast.plant.pk, PLANT_MN, not_hex.value, "10.0.0.9:4000", raw, timezone.now())],
        actor=TEST_ACTOR,
    )
    http = logged_in(cast.regulator)
    overview = text_of(http.get("/regulation/monitoring/"))
    row = re.search(rf'<tr id="refused-{PLANT_MN}">.*?</tr>', overview, re.S)
    assert row is not None
    assert "CRC 字段 00G0 不是 4 位十六进制数" in row.group()
    assert "hex digits" not in row.group()
    page = text_of(http.get(f"/regulation/points/{PLANT_MN}/"))
    assert re.search(r"CRC 校验码为 0000，按 HJ 212 计算应为 [0-9A-F]{4}", page)
    assert "CRC 字段 00G0 不是 4 位十六进制数" in page
    assert "does not match" not in page and "hex digits" not in page


def test_the_point_page_shows_each_command_sent_and_what_the_device_answered(
    cast: RegulationCast,
) -> None:
    def answer(cn: str, cp: str, qn: str) -> Accepted:
        raw = frame(segment_of(qn=qn, st="91", cn=cn, pw=PW, mn=PLANT_MN, flag=4, cp=cp))
        return Accepted(cast.plant.pk, parse_packet(raw), raw, timezone.now())

    sent_at = timezone.now() - dt.timedelta(hours=2)
    set_clock, set_analyser, unanswered = (
        "20260301090000123",
        "20260301100000456",
        "20260301110000789",
    )
    store_batch(
        [],
        [],
        commands=[
            SentCommand(cast.plant.pk, set_clock, "1012", "SystemTime=20260301090000", sent_at),
            SentCommand(
                cast.plant.pk,
                set_analyser,
                "1012",
                "PolId=a21026;SystemTime=20260301100000",
                sent_at + dt.timedelta(hours=1),
            ),
            SentCommand(
                cast.plant.pk,
                unanswered,
                "1012",
                "SystemTime=20260301110000",
                sent_at + dt.timedelta(hours=1, minutes=30),
            ),
        ],
        actor=TEST_ACTOR,
    )
    store_batch(
        [
            answer("9011", "QnRtn=1", set_clock),
            answer("9012", "ExeRtn=1", set_clock),
            answer("9011", "QnRtn=1", set_analyser),
            answer("9012", "ExeRtn=6", set_analyser),
        ],
        [],
        actor=TEST_ACTOR,
    )
    page = text_of(logged_in(cast.regulator).get(f"/regulation/points/{PLANT_MN}/"))
    rows = {
        qn: re.search(rf'<tr id="command-{qn}">.*?</tr>', page, re.S)
        for qn in (set_clock, set_analyser, unanswered)
    }
    done, failed, waiting = (rows[qn] for qn in (set_clock, set_analyser, unanswered))
    assert done is not None and failed is not None and waiting is not None
    assert "设置现场时间" in done.group() and "已执行" in done.group()
    assert "a21026" in failed.group() and "执行失败" in failed.group()
    assert "ExeRtn=6" in failed.group()
    assert "已发送，设备未应答" in waiting.group()
    # Newest first.
    assert page.index(unanswered) < page.index(set_analyser) < page.index(set_clock)


def test_a_point_without_data_says_so(cast: RegulationCast) -> None:
    page = text_of(logged_in(cast.regulator).get(f"/regulation/points/{DINER_MN}/"))
    assert "从未上报" in page and "这段时间没有数据" in page and "<polyline" not in page


# --- navigation and the demo ----------------------------------------------------------------


def test_regulators_find_the_monitoring_on_their_workbench(cast: RegulationCast) -> None:
    page = text_of(logged_in(cast.regulator).get("/workbench/"))
    assert ">在线监控<" in page and 'href="/regulation/monitoring/"' in page
    assert ">在线监控<" not in text_of(logged_in(cast.reviewer).get("/workbench/"))


def test_the_regulation_root_leads_to_the_monitoring(cast: RegulationCast) -> None:
    response = logged_in(cast.regulator).get("/regulation/")
    assert response.status_code == 302 and response["Location"] == "/regulation/monitoring/"


def test_the_demo_shows_an_open_over_limit_alarm_to_its_regulator(db: None) -> None:
    regions = make_region_tree()
    make_department("长沙市生态环境局", code="cs-environment", region=regions.city)
    wanted = {name for name, _point in POINTS}
    for item in city.ENTERPRISES:
        if item.name in wanted:
            region = {"430102": regions.furong, "430103": regions.tianxin}[item.region_code]
            make_enterprise(
                item.name, credit_code=make_credit_code(item.region_code, item.seq), region=region
            )
    uploads = load_demo_regulation(actor=TEST_ACTOR)
    # A day of 5-minute uploads from each of three points.
    assert uploads == 3 * 24 * 12
    assert load_demo_regulation(actor=TEST_ACTOR) == 0
    assert Reading.objects.filter(pollutant="a21026", command="2011").count() == 2 * 24 * 12
    (alarm,) = Alarm.objects.all()
    assert (alarm.kind, alarm.state, alarm.pollutant) == ("over_limit", "open", EPISODE_POLLUTANT)
    assert alarm.point.enterprise.name == "长沙市芙蓉区湘味小厨餐饮店"
    regulator = logged_in(User.objects.get(username="zhoujian"))
    page = text_of(regulator.get("/regulation/monitoring/"))
    assert page.count('<tr id="point-') == 3
    assert f'id="alarm-{alarm.pk}"' in page and "CRC 校验不符" in page
