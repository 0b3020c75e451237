"""Over-limit alarms from stored uploads, offline and suspicious-data checks, and closing alarms."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhengtong.core.calendar import SHANGHAI
from zhengtong.core.errors import Conflict, InvalidInput
from zhengtong.core.testing import TEST_ACTOR, make_enterprise, make_person
from zhengtong.ledger.models import LedgerEntry
from zhengtong.regulation import selectors
from zhengtong.regulation.actions import (
    do_acknowledge_alarm,
    do_check_offline_points,
    do_check_suspicious_data,
    do_close_alarm,
    do_register_point,
    do_set_emission_limit,
)
from zhengtong.regulation.credit_scorecard import DEFAULT_CONFIG
from zhengtong.regulation.credit_selectors import standing_of
from zhengtong.regulation.hj212 import ErrorCode, HJ212Error, frame, parse_packet, segment_of
from zhengtong.regulation.ingest import Accepted, Refused, store_batch
from zhengtong.regulation.models import Alarm, CreditRecord, MonitoringPoint, Reading
from zhengtong.regulation.tasks import check_suspicious_data

MN = "010000A8900016F000169DC0"


@pytest.fixture
def point(db: None) -> MonitoringPoint:
    enterprise = make_enterprise("长沙市某化工有限公司", legal_representative=make_person("钱老板"))
    registered = do_register_point(enterprise, MN, "1号排放口", "123456", actor=TEST_ACTOR)
    do_set_emission_limit(registered, "a21026", 35.0, actor=TEST_ACTOR, unit="mg/m3")
    return registered


def store(
    point: MonitoringPoint,
    minute: int,
    so2: float,
    *,
    flag: str = "N",
    flow: float = 100,
    converted: float | None = None,
) -> None:
    zs = "" if converted is None else f"a21026-ZsRtd={converted},"
    cp = (
        f"DataTime=2026030108{minute:02d}00;a21026-Rtd={so2},{zs}a21026-Flag={flag};"
        f"a00000-Rtd={flow},a00000-Flag=N"
    )
    raw = frame(
        segment_of(
            qn=f"2026030108{minute:02d}00000", st="31", cn="2011", pw="123456", mn=MN, flag=5, cp=cp
        )
    )
    store_batch([Accepted(point.pk, parse_packet(raw), raw, timezone.now())], [], actor=TEST_ACTOR)


def test_a_batch_adds_each_points_own_packets_to_its_counters(point: MonitoringPoint) -> None:
    others = [
        do_register_point(
            point.enterprise, f"{MN[:-1]}{n}", f"{n}号排放口", "123456", actor=TEST_ACTOR
        )
        for n in (1, 2, 3)
    ]

    def uploads(target: MonitoringPoint, count: int) -> list[Accepted]:
        batch = []
        for n in range(count):
            raw = frame(
                segment_of(
                    qn=f"202603010{n}0000000",
                    st="31",
                    cn="2011",
                    pw="123456",
                    mn=target.mn,
                    flag=5,
                    cp=f"DataTime=202603010{n}0000;a00000-Rtd={n}",
                )
            )
            batch.append(Accepted(target.pk, parse_packet(raw), raw, timezone.now()))
        return batch

    def refusal(target: MonitoringPoint) -> Refused:
        error = HJ212Error(ErrorCode.BAD_CRC, "CRC 0000 does not match")
        return Refused(target.pk, target.mn, error, "10.0.0.9:4000", b"##0001x", timezone.now())

    # Points that sent the same number of packets, and others that did not.
    accepted = [
        *uploads(point, 3),
        *uploads(others[0], 1),
        *uploads(others[1], 3),
        *uploads(others[2], 2),
    ]
    refused = [refusal(point), refusal(others[2]), refusal(others[2])]
    store_batch(accepted, refused, actor=TEST_ACTOR)
    store_batch(uploads(others[0], 1), [], actor=TEST_ACTOR)  # a resend still counts
    counted = {
        p.pk: (p.packets, p.bad_packets, p.last_seen_at is not None)
        for p in MonitoringPoint.objects.all()
    }
    assert counted == {
        point.pk: (3, 1, True),
        others[0].pk: (2, 0, True),
        others[1].pk: (3, 0, True),
        others[2].pk: (2, 2, True),
    }


def test_a_value_over_the_limit_opens_one_alarm_that_grows(point: MonitoringPoint) -> None:
    store(point, 0, 20.0)
    assert not Alarm.objects.exists()
    store(point, 1, 50.5)
    store(point, 2, 61.0)
    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.pollutant, alarm.value, alarm.limit, alarm.count) == (
        "over_limit",
        "a21026",
        61.0,
        35.0,
        2,
    )


def test_a_large_batch_stores_each_reading_once_and_counts_each_exceedance(
    point: MonitoringPoint,
) -> None:
    # 260 uploads of two readings: more rows than one INSERT statement takes
    # on SQLite, so the batch is written in a full statement and a remainder.
    def upload(n: int) -> Accepted:
        when = dt.datetime(2026, 3, 1, 8, 0) + dt.timedelta(seconds=30 * n)
        so2 = 50.0 + n if n % 100 == 7 else 20.0 + n / 100
        cp = f"DataTime={when:%Y%m%d%H%M%S};a21026-Rtd={so2},a21026-Flag=N;a00000-Rtd={n}"
        raw = frame(
            segment_of(
                qn=f"{when:%Y%m%d%H%M%S}000", st="31", cn="2011", pw="123456", mn=MN, flag=5, cp=cp
            )
        )
        return Accepted(point.pk, parse_packet(raw), raw, timezone.now())

    uploads = [upload(n) for n in range(260)]
    # Each upload twice in the same batch (a device resending at once), then
    # some again in the next one: nothing is stored twice, nor offered twice.
    assert store_batch(uploads + uploads, [], actor=TEST_ACTOR) == 520
    store_batch(uploads[:10], [], actor=TEST_ACTOR)
    readings = Reading.objects.filter(point=point)
    assert readings.count() == 520
    flows = readings.filter(pollutant="a00000").values_list("rtd", flat=True)
    assert sorted(flow or 0.0 for flow in flows) == [float(n) for n in range(260)]
    so2 = readings.get(
        pollutant="a21026", data_time=dt.datetime(2026, 3, 1, 8, 0, 30, tzinfo=SHANGHAI)
    )
    assert so2.rtd == 20.01 and so2.flag == "N"
    # Over the limit at n = 7, 107 and 207: each counted once, though sent
    # twice in the batch and n = 7 a third time in the next.
    alarm = Alarm.objects.get()
    assert (alarm.count, alarm.value) == (3, 257.0)


def test_values_flagged_as_maintenance_do_not_alarm(point: MonitoringPoint) -> None:
    store(point, 0, 99.0, flag="M")
    store(point, 1, 99.0, flag="C")
    assert not Alarm.objects.exists()


def test_values_over_the_measuring_range_are_over_the_limit_too(point: MonitoringPoint) -> None:
    # T: the instrument's upper range was exceeded. The emission was at least
    # the value sent, so one above the limit is an exceedance like any other.
    store(point, 0, 99.0, flag="T")
    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.value, alarm.count) == ("over_limit", 99.0, 1)
    # The regulator's count of values over the limit says the same.
    since = dt.datetime(2026, 3, 1, tzinfo=SHANGHAI)
    assert selectors.over_limit_counts([point.pk], since) == {point.pk: 1}


def test_the_converted_value_is_judged_when_the_device_sends_one(point: MonitoringPoint) -> None:
    # Flue-gas limits are set at the reference oxygen content (折算浓度): air
    # let into the stack dilutes the measured value, not the converted one.
    store(point, 0, 20.0, converted=50.0)
    store(point, 1, 50.0, converted=30.0)
    alarm = Alarm.objects.get()
    assert (alarm.value, alarm.count) == (50.0, 1)
    assert alarm.first_at == dt.datetime(2026, 3, 1, 8, 0, tzinfo=SHANGHAI)
    since = dt.datetime(2026, 3, 1, tzinfo=SHANGHAI)
    assert selectors.over_limit_counts([point.pk], since) == {point.pk: 1}
    until = since + dt.timedelta(days=1)
    _command, charted = selectors.series(point, since, until)
    assert [s.value for s in charted["a21026"]] == [50.0, 30.0]


def test_a_value_dated_tomorrow_is_not_counted_today(point: MonitoringPoint) -> None:
    # The device's clock runs a day ahead: its 08:00 value is dated 2 March.
    store(point, 0, 99.0)
    day_before = dt.datetime(2026, 2, 28, 12, tzinfo=SHANGHAI)
    (summary,) = selectors.point_summaries(MonitoringPoint.objects.filter(pk=point.pk), day_before)
    assert summary.over_limit_today == 0
    on_the_day = dt.datetime(2026, 3, 1, 12, tzinfo=SHANGHAI)
    (summary,) = selectors.point_summaries(MonitoringPoint.objects.filter(pk=point.pk), on_the_day)
    assert summary.over_limit_today == 1


def test_late_data_moves_the_start_of_an_open_alarm_back(point: MonitoringPoint) -> None:
    store(point, 30, 50.0)
    store(point, 10, 60.0)  # an exceedance of earlier, sent late (after an outage)
    alarm = Alarm.objects.get()
    assert alarm.count == 2
    assert alarm.first_at == dt.datetime(2026, 3, 1, 8, 10, tzinfo=SHANGHAI)
    assert alarm.last_at == dt.datetime(2026, 3, 1, 8, 30, tzinfo=SHANGHAI)
    do_close_alarm(alarm, "超标属实，已责令整改", actor=TEST_ACTOR)


def test_a_silent_point_goes_offline_and_back(point: MonitoringPoint) -> None:
    store(point, 0, 20.0)
    # Last heard from an hour ago, so the outage the check finds began in the
    # past, as in production: its credit record may not be dated after today.
    MonitoringPoint.objects.filter(pk=point.pk).update(
        last_seen_at=timezone.now() - dt.timedelta(hours=1)
    )
    point.refresh_from_db()
    assert point.last_seen_at is not None
    assert do_check_offline_points(actor=TEST_ACTOR, now=point.last_seen_at) == []
    later = point.last_seen_at + dt.timedelta(minutes=10)
    assert do_check_offline_points(actor=TEST_ACTOR, now=later) == [MN]
    assert do_check_offline_points(actor=TEST_ACTOR, now=later) == []  # one open alarm only
    store(point, 1, 20.0)
    # Reporting again ends the outage but not the alarm: the regulator judges it.
    outage = Alarm.objects.get(kind="offline")
    assert outage.state == "open" and outage.recovered_at is not None
    point.refresh_from_db()
    assert point.last_seen_at is not None
    assert do_check_offline_points(actor=TEST_ACTOR, now=point.last_seen_at) == []
    # A second outage is an alarm of its own.
    again = point.last_seen_at + dt.timedelta(minutes=10)
    assert do_check_offline_points(actor=TEST_ACTOR, now=again) == [MN]
    second = Alarm.objects.exclude(pk=outage.pk).get(kind="offline")
    assert second.recovered_at is None
    outage.refresh_from_db()
    assert outage.recovered_at is not None and outage.state == "open"
    # Confirmed by the regulator, the first outage goes on the credit file with its span.
    do_close_alarm(outage, "未按规定报告故障，数据中断属实", actor=TEST_ACTOR)
    record = CreditRecord.objects.get(enterprise=point.enterprise)
    assert record.kind == "offline_alarm" and record.source_ref == f"alarm:{outage.pk}"
    assert "恢复上报" in record.description


@pytest.mark.parametrize(
    ("values", "flow", "detail"),
    [
        ([22.5] * 12, 100, "恒值"),
        ([0.0] * 12, 100, "持续为零"),
        ([22.5] * 10 + [21.0, 23.0], 100, "大量重复"),
    ],
)
def test_suspicious_data_is_flagged(
    point: MonitoringPoint, values: list[float], flow: float, detail: str
) -> None:
    for minute, value in enumerate(values):
        store(point, minute, value, flow=flow)
    now = timezone.now()
    assert do_check_suspicious_data(actor=TEST_ACTOR, now=now) == [f"{point.pk}:a21026"]
    alarm = Alarm.objects.get(kind="suspicious")
    assert detail in alarm.detail


def test_a_flat_line_is_found_on_a_device_that_reports_many_pollutants(
    point: MonitoringPoint,
) -> None:
    # A flue-gas system reports its gases beside oxygen, temperature,
    # pressure, velocity and humidity: more than a dozen codes in each upload.
    others = ["a01011", "a01012", "a01013", "a01014", "a19001", "a21002", "a21005", "a34013"]
    others += ["a21001", "a21003", "a21004", "a21024"]
    for minute in range(12):
        varying = ",".join(
            f"{code}-Rtd={10 + minute}.{n},{code}-Flag=N" for n, code in enumerate(others)
        )
        cp = (
            f"DataTime=2026030108{minute:02d}00;a21026-Rtd=22.5,a21026-Flag=N;"
            f"a00000-Rtd=100,a00000-Flag=N;{varying}"
        )
        raw = frame(
            segment_of(
                qn=f"2026030108{minute:02d}00000",
                st="31",
                cn="2011",
                pw="123456",
                mn=MN,
                flag=5,
                cp=cp,
            )
        )
        store_batch(
            [Accepted(point.pk, parse_packet(raw), raw, timezone.now())], [], actor=TEST_ACTOR
        )
    # The scheduled check finds the one pollutant that never moves, and only it.
    assert check_suspicious_data.call() == 1
    alarm = Alarm.objects.get(kind="suspicious")
    assert alarm.pollutant == "a21026" and "恒值" in alarm.detail


def test_ordinary_data_is_not_suspicious(point: MonitoringPoint) -> None:
    for minute in range(12):
        store(point, minute, 20.0 + minute * 0.7)
    assert do_check_suspicious_data(actor=TEST_ACTOR, now=timezone.now()) == []


def test_a_constant_value_during_calibration_is_not_suspicious(point: MonitoringPoint) -> None:
    # The analyser reads its span gas during calibration (C) and holds its last
    # value during maintenance (M): constant by design, and flagged as such.
    for minute in range(12):
        store(point, minute, 80.0, flag="C" if minute < 6 else "M")
    assert do_check_suspicious_data(actor=TEST_ACTOR, now=timezone.now()) == []


def test_zeros_while_stopped_count_as_a_flat_line_not_as_zeros_while_operating(
    point: MonitoringPoint,
) -> None:
    for minute in range(12):
        store(point, minute, 0.0, flow=0)
    assert do_check_suspicious_data(actor=TEST_ACTOR, now=timezone.now()) == [f"{point.pk}:a21026"]
    # All zeros with no flow is still a flat line; the detail says which.
    assert "恒值" in Alarm.objects.get().detail


def test_a_regulator_acknowledges_then_closes_with_a_note(point: MonitoringPoint) -> None:
    store(point, 1, 50.5)
    alarm = Alarm.objects.get()
    acknowledged = do_acknowledge_alarm(alarm, actor=TEST_ACTOR, note="已电话通知企业")
    assert acknowledged.state == "acknowledged"
    with pytest.raises(Conflict):
        do_acknowledge_alarm(alarm, actor=TEST_ACTOR)
    with pytest.raises(InvalidInput) as refused:
        do_close_alarm(alarm, "  ", actor=TEST_ACTOR)
    assert refused.value.code == "note_required"
    closed = do_close_alarm(alarm, "脱硫设施故障，已修复并复测达标", actor=TEST_ACTOR)
    assert (closed.state, closed.note) == ("closed", "脱硫设施故障，已修复并复测达标")
    assert LedgerEntry.objects.filter(action="regulation.close_alarm").count() == 1
    # A new exceedance after closing opens a new alarm.
    store(point, 2, 70.0)
    assert Alarm.objects.filter(state="open").count() == 1


def test_a_confirmed_alarm_goes_on_the_credit_file_once_and_a_declined_one_does_not(
    point: MonitoringPoint,
) -> None:
    store(point, 1, 50.5)
    confirmed = Alarm.objects.get()
    do_close_alarm(confirmed, "超标属实，已责令整改", actor=TEST_ACTOR)
    record = CreditRecord.objects.get(enterprise=point.enterprise)
    assert (record.kind, record.count, record.source_ref) == (
        "over_limit_alarm",
        1,
        f"alarm:{confirmed.pk}",
    )
    assert record.occurred_on == timezone.localtime(confirmed.first_at).date()
    # The pollutant by its name and the values with the limit's unit.
    assert "二氧化硫 超标排放（最高 50.5 mg/m3，限值 35 mg/m3）" in record.description
    standing = standing_of(point.enterprise)
    points = DEFAULT_CONFIG["kinds"]["over_limit_alarm"]["points"]
    assert standing is not None and standing.score == DEFAULT_CONFIG["base_score"] + points
    store(point, 2, 70.0)
    declined = Alarm.objects.get(state="open")
    do_close_alarm(declined, "监测仪故障，已报告", actor=TEST_ACTOR, counts_for_credit=False)
    assert CreditRecord.objects.filter(enterprise=point.enterprise).count() == 1


def test_after_a_limit_change_values_within_the_new_limit_leave_the_old_alarm_as_it_was(
    point: MonitoringPoint,
) -> None:
    store(point, 1, 50.0)
    alarm = Alarm.objects.get()
    do_set_emission_limit(point, "a21026", 60.0, actor=TEST_ACTOR, unit="mg/m3")
    # Over the old limit of 35, within the new one of 60: no alarm, and the
    # exceedance of the limit then in force stays open for the regulator.
    store(point, 2, 55.0)
    alarm.refresh_from_db()
    assert (alarm.state, alarm.limit, alarm.value, alarm.count) == ("open", 35.0, 50.0, 1)
    assert Alarm.objects.count() == 1


def test_after_a_limit_change_values_over_the_new_limit_raise_an_alarm_under_it(
    point: MonitoringPoint,
) -> None:
    store(point, 1, 50.0)
    old = Alarm.objects.get()
    do_acknowledge_alarm(old, actor=TEST_ACTOR)
    do_set_emission_limit(point, "a21026", 20.0, actor=TEST_ACTOR, unit="mg/m3")
    store(point, 2, 30.0)
    store(point, 3, 25.0)
    old.refresh_from_db()
    # Still over the limit in force: the old alarm stays for the regulator, unchanged.
    assert (old.state, old.limit, old.value, old.count) == ("acknowledged", 35.0, 50.0, 1)
    new = Alarm.objects.exclude(pk=old.pk).get()
    assert (new.state, new.limit, new.value, new.count) == ("open", 20.0, 30.0, 2)
    # Within the new limit: both wait for the regulator, as every alarm does.
    store(point, 4, 10.0)
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.state, new.state) == ("acknowledged", "open")
