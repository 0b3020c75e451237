"""What an alarm says while open and what its credit record says once closed, on the pages.

The cast is the monitoring pages' (``test_pages``): 周检 regulates the whole
city; a chemical plant and a restaurant each have a monitoring point.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.regulation.actions import do_check_offline_points
from zhengtong.regulation.models import Alarm, AlarmKind, CreditRecord, MonitoringPoint
from zhengtong.regulation.tests.bureau import logged_in, text_of
from zhengtong.regulation.tests.test_pages import (
    HX,
    RegulationCast,
    local_now,
    make_cast,
    over_limit_alarm,
    store,
)


@pytest.fixture
def cast(db: None) -> RegulationCast:
    return make_cast()


# The longest note the forms and the API take.
NOTE_LIMIT = 2000


def _offline_alarm(cast: RegulationCast, silent: int, noticed_after: int) -> Alarm:
    """The plant last reported ``silent`` minutes ago; a check noticed ``noticed_after`` later."""
    store(cast.plant, local_now(), {"a21026": 20.0})
    last_report = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=silent)
    MonitoringPoint.objects.filter(pk=cast.plant.pk).update(last_seen_at=last_report)
    noticed = last_report + dt.timedelta(minutes=noticed_after)
    assert do_check_offline_points(actor=TEST_ACTOR, now=noticed) == [cast.plant.mn]
    return Alarm.objects.get(point=cast.plant, kind=AlarmKind.OFFLINE)


def _row(page: str, alarm: Alarm) -> str:
    found = re.search(rf'<tr id="alarm-{alarm.pk}".*?</tr>', page, re.S)
    assert found is not None
    return found.group()


def test_an_open_offline_alarm_says_how_long_the_point_has_been_silent_since_its_last_report(
    cast: RegulationCast,
) -> None:
    alarm = _offline_alarm(cast, silent=40, noticed_after=15)
    point = MonitoringPoint.objects.get(pk=cast.plant.pk)
    assert point.last_seen_at is not None
    # The outage began with the last report, not when the check noticed it.
    assert alarm.first_at == point.last_seen_at
    last_report = timezone.localtime(point.last_seen_at)
    regulator = logged_in(cast.regulator)
    for url in ("/regulation/monitoring/", f"/regulation/points/{cast.plant.mn}/"):
        row = _row(text_of(regulator.get(url)), alarm)
        assert "已 40 分钟未上报数据" in row
        assert "已 15 分钟" not in row
        assert f"自 {last_report:%m-%d %H:%M}" in row
    # Another check while the point is still silent opens nothing new.
    assert do_check_offline_points(actor=TEST_ACTOR) == []


def test_closing_a_still_silent_point_s_alarm_records_the_outage_as_it_stands(
    cast: RegulationCast,
) -> None:
    alarm = _offline_alarm(cast, silent=90, noticed_after=15)
    response = logged_in(cast.regulator).post(
        f"/regulation/alarms/{alarm.pk}/close/", {"note": "数据中断属实，未按规定报告"}, headers=HX
    )
    assert "已关闭" in text_of(response)
    record = CreditRecord.objects.get(source_ref=f"alarm:{alarm.pk}")
    last_report = timezone.localtime(alarm.first_at)
    assert f"{last_report:%Y-%m-%d %H:%M} 起未上报数据" in record.description
    assert "已 90 分钟" in record.description
    assert "15 分钟" not in record.description


def test_an_over_limit_credit_record_names_the_pollutant_and_unit_in_the_reader_s_language(
    cast: RegulationCast,
) -> None:
    now = local_now()
    store(cast.diner, now - dt.timedelta(minutes=5), {"a34013": 23.33})
    alarm = Alarm.objects.get(point=cast.diner, kind=AlarmKind.OVER_LIMIT)
    regulator = logged_in(cast.regulator)
    regulator.post(f"/regulation/alarms/{alarm.pk}/close/", {"note": "超标属实"}, headers=HX)
    record = CreditRecord.objects.get(source_ref=f"alarm:{alarm.pk}")
    assert record.description == "油烟排放口 颗粒物 超标排放（最高 23.33 mg/m3，限值 10 mg/m3）"
    code = cast.diner.enterprise.credit_code
    assert record.description in text_of(regulator.get(f"/regulation/credit/{code}/"))
    regulator.cookies["django_language"] = "en"
    page = text_of(regulator.get(f"/regulation/credit/{code}/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Particulate matter emissions over the limit (peak 23.33 mg/m3, limit 10 mg/m3)" in page
    assert "颗粒物" not in page and "a34013" not in page


def test_an_over_long_note_is_refused_beside_its_field_and_kept(cast: RegulationCast) -> None:
    alarm = over_limit_alarm(cast)
    regulator = logged_in(cast.regulator)
    long_note = "核" * (NOTE_LIMIT + 1)
    for step, field_id in (("acknowledge", "ack-note"), ("close", "close-note")):
        response = regulator.post(
            f"/regulation/alarms/{alarm.pk}/{step}/", {"note": long_note}, headers=HX
        )
        row = text_of(response)
        field = re.search(rf'<input type="text" id="{field_id}-{alarm.pk}"[^>]*>', row)
        assert field is not None and 'aria-invalid="true"' in field.group()
        assert f'value="{long_note}"' in field.group()
        error_id = "ack-error" if step == "acknowledge" else "close-error"
        error = re.search(
            rf'<p class="errorlist"[^>]*id="{error_id}-{alarm.pk}"[^>]*>(.*?)</p>', row
        )
        assert error is not None and "处理说明不能超过 2000 个字" in error.group(1)
        alarm.refresh_from_db()
        assert (alarm.state, alarm.note) == ("open", "")
    assert not CreditRecord.objects.filter(source_ref=f"alarm:{alarm.pk}").exists()
    # A note of the greatest length is taken whole.
    regulator.post(f"/regulation/alarms/{alarm.pk}/close/", {"note": long_note[:-1]}, headers=HX)
    alarm.refresh_from_db()
    assert (alarm.state, alarm.note) == ("closed", long_note[:-1])


def test_an_alarm_s_credit_record_names_the_point_and_time_not_the_alarm_s_row(
    cast: RegulationCast,
) -> None:
    alarm = over_limit_alarm(cast)
    regulator = logged_in(cast.regulator)
    regulator.post(f"/regulation/alarms/{alarm.pk}/close/", {"note": "超标属实"}, headers=HX)
    code = cast.plant.enterprise.credit_code
    page = text_of(regulator.get(f"/regulation/credit/{code}/"))
    began = timezone.localtime(alarm.first_at)
    assert f"在线监测报警（1号废气排放口，{began:%Y-%m-%d %H:%M}）" in page
    assert f"在线监测报警 {alarm.pk}" not in page
