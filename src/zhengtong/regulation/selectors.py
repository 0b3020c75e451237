"""Reads of online monitoring: the points' states, their alarms, refused packets and readings.

The interface code gets the points a user may see from ``access`` and asks
these functions about them, so that every page and API operation shows the
same state, the same counts and the same series.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zhengtong.core.i18n import shown_text
from zhengtong.regulation.actions import OFFLINE_INTERVALS, OFFLINE_MINIMUM
from zhengtong.regulation.hj212 import EXE_RTN_SUCCESS, QN_RTN_READY, ErrorCode
from zhengtong.regulation.ingest import JUDGED_FLAGS
from zhengtong.regulation.models import (
    Alarm,
    AlarmState,
    CommandState,
    DeviceCommand,
    EmissionLimit,
    MonitoringPoint,
    Reading,
    RefusedPacket,
)

REAL_TIME = "2011"
MINUTE = "2051"
# Flow is reported beside the pollutants; it has no limit and is charted last.
FLOW_CODES = frozenset({"a00000", "w00000"})

# The pollutant codes of HJ 212-2017 table B that the platform names (B.1 water, B.2 air).
POLLUTANT_NAMES: dict[str, str | Promise] = {
    "a00000": _("废气流量"),
    "a01011": _("烟气流速"),
    "a01012": _("烟气温度"),
    "a01013": _("烟气压力"),
    "a01014": _("烟气湿度"),
    "a19001": _("氧气含量"),
    "a21002": _("氮氧化物"),
    "a21005": _("一氧化碳"),
    "a21026": _("二氧化硫"),
    "a24088": _("非甲烷总烃"),
    "a34013": _("颗粒物"),
    "w00000": _("废水流量"),
    "w01001": _("pH值"),
    "w01018": _("化学需氧量"),
    "w21003": _("氨氮"),
    "w21011": _("总磷"),
    "w21001": _("总氮"),
}

# What a refused packet's stable code means, for the regulator.
REFUSAL_REASONS: dict[str, str | Promise] = {
    ErrorCode.BAD_FRAME: _("帧格式错误"),
    ErrorCode.BAD_LENGTH: _("数据段长度不符"),
    ErrorCode.BAD_CRC: _("CRC 校验不符"),
    ErrorCode.BAD_ENCODING: _("编码错误"),
    ErrorCode.BAD_FIELD: _("字段格式错误"),
    ErrorCode.MISSING_FIELD: _("缺少必需字段"),
    ErrorCode.BAD_QN: _("请求编码 QN 错误"),
    ErrorCode.BAD_ST: _("系统编码 ST 错误"),
    ErrorCode.BAD_CN: _("命令编码 CN 错误"),
    ErrorCode.BAD_PW: _("访问密码错误"),
    ErrorCode.BAD_MN: _("设备未登记"),
    ErrorCode.BAD_FLAG: _("拆分包及应答标志错误"),
    ErrorCode.BAD_PACKET_NUMBER: _("分包序号错误"),
    ErrorCode.BAD_CP: _("数据区格式错误"),
    ErrorCode.BAD_VALUE: _("数据值格式错误"),
}


def pollutant_name(code: str) -> str:
    """Return the pollutant's name in the active language, or the code if unnamed."""
    name = POLLUTANT_NAMES.get(code)
    return str(name) if name is not None else code


def refusal_reason(code: str) -> str:
    reason = REFUSAL_REASONS.get(code)
    return str(reason) if reason is not None else code


# The CRC failures' details as ``hj212.parse_packet`` worded them in English
# before the details were stored with their message (``detail_message``):
# the rows stored then are still put into the page's language.
_CRC_DETAILS = (
    (
        re.compile(r"CRC ([0-9A-F]{4}) does not match the segment \(HJ 212: ([0-9A-F]{4})\)"),
        ("sent", "expected"),
        _("CRC 校验码为 %(sent)s，按 HJ 212 计算应为 %(expected)s"),
    ),
    (
        re.compile(r"CRC field b'(.{0,12})' is not 4 hex digits"),
        ("field",),
        _("CRC 字段 %(field)s 不是 4 位十六进制数"),
    ),
)


def refusal_detail(code: str, detail: str, message: Mapping[str, Any] | None = None) -> str:
    """Return a refused packet's detail in the reader's language.

    A detail stored with its message is shown from it. A row stored before
    details had one keeps its text, but for the CRC failures, the refusals
    a regulator meets most (a line fault, a device sending another CRC),
    which are recognised and put into the page's language.
    """
    if message is not None:
        return shown_text(detail, message)
    if code == ErrorCode.BAD_CRC:
        for pattern, names, wording in _CRC_DETAILS:
            found = pattern.fullmatch(detail)
            if found:
                return str(wording) % dict(zip(names, found.groups(), strict=True))
    return detail


# --- points ----------------------------------------------------------------------------------


class PointState(models.TextChoices):
    ONLINE = "online", _("在线")
    OFFLINE = "offline", _("离线")
    NEVER = "never", _("从未上报")


def offline_after(point: MonitoringPoint) -> dt.timedelta:
    """Return how long the point may be silent before it counts as offline.

    The same rule as the offline check (``do_check_offline_points``), so that
    the state shown and the alarm raised agree.
    """
    return max(dt.timedelta(seconds=point.interval_s * OFFLINE_INTERVALS), OFFLINE_MINIMUM)


def point_state(point: MonitoringPoint, now: dt.datetime | None = None) -> str:
    """Return whether the point is online, offline or has never reported."""
    if point.last_seen_at is None:
        return PointState.NEVER
    now = now or timezone.now()
    if now - point.last_seen_at > offline_after(point):
        return PointState.OFFLINE
    return PointState.ONLINE


def start_of_day(now: dt.datetime) -> dt.datetime:
    """Return local midnight of ``now``'s day (Beijing time, as the devices report)."""
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class PointSummary:
    point: MonitoringPoint
    state: str
    open_alarms: int
    acknowledged_alarms: int
    # Real-time values over their limit since local midnight.
    over_limit_today: int

    @property
    def state_label(self) -> str:
        return str(PointState(self.state).label)


def over_limit_counts(
    point_ids: Iterable[int], since: dt.datetime, until: dt.datetime | None = None
) -> dict[int, int]:
    """Return per point how many valid real-time values from ``since`` to ``until`` were over
    the limit (a device whose clock runs ahead sends values dated later than now).

    Valid means flagged as the over-limit alarms judge (``ingest.JUDGED_FLAGS``:
    normal, or over the measuring range): values taken during maintenance,
    calibration or a fault are not emissions to judge.
    """
    upper = EmissionLimit.objects.filter(
        point_id=OuterRef("point_id"), pollutant=OuterRef("pollutant")
    ).values("upper")[:1]
    period = Q(data_time__gte=since) & (Q(data_time__lt=until) if until else Q())
    rows = (
        Reading.objects.filter(
            period, point_id__in=list(point_ids), command=REAL_TIME, flag__in=JUDGED_FLAGS
        )
        # Judged as the alarms judge: the converted value when the device sent one.
        .annotate(upper=Subquery(upper), judged=Coalesce("zs", "rtd"))
        .filter(upper__isnull=False, judged__gt=F("upper"))
        .values("point_id")
        .annotate(n=Count("*"))
    )
    return {row["point_id"]: row["n"] for row in rows}


def alarm_counts(point_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Return per point the number of open and of acknowledged alarms."""
    rows = (
        Alarm.objects.filter(
            point_id__in=list(point_ids), state__in=(AlarmState.OPEN, AlarmState.ACKNOWLEDGED)
        )
        .values("point_id", "state")
        .annotate(n=Count("pk"))
    )
    counts: dict[int, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["point_id"], {})[row["state"]] = row["n"]
    return counts


def point_summaries(
    points: QuerySet[MonitoringPoint], now: dt.datetime | None = None
) -> list[PointSummary]:
    """Return each point with its state, alarm counts and today's over-limit values."""
    now = now or timezone.now()
    listed = list(points.select_related("enterprise", "region").order_by("enterprise__name", "mn"))
    ids = [point.pk for point in listed]
    alarms = alarm_counts(ids)
    today = start_of_day(now)
    # Values dated tomorrow by a clock running ahead count on their own day, not twice.
    over = over_limit_counts(ids, today, today + dt.timedelta(days=1))
    return [
        PointSummary(
            point=point,
            state=point_state(point, now),
            open_alarms=alarms.get(point.pk, {}).get(AlarmState.OPEN, 0),
            acknowledged_alarms=alarms.get(point.pk, {}).get(AlarmState.ACKNOWLEDGED, 0),
            over_limit_today=over.get(point.pk, 0),
        )
        for point in listed
    ]


def limits_of(point: MonitoringPoint) -> list[EmissionLimit]:
    return list(EmissionLimit.objects.filter(point=point).order_by("pollutant"))


# --- alarms ----------------------------------------------------------------------------------

STATES_TO_HANDLE = (AlarmState.OPEN, AlarmState.ACKNOWLEDGED)


def alarms_of(
    points: QuerySet[MonitoringPoint], states: Iterable[str] = STATES_TO_HANDLE
) -> QuerySet[Alarm]:
    """Return the alarms of the points in the given states, newest first."""
    return (
        Alarm.objects.filter(point__in=points, state__in=list(states))
        .select_related("point__enterprise")
        .order_by("-last_at", "-pk")
    )


def alarms_to_handle(points: QuerySet[MonitoringPoint], limit: int = 200) -> list[Alarm]:
    """Return the open alarms, then the acknowledged ones, each newest first."""
    listed = list(alarms_of(points)[:limit])
    return sorted(listed, key=lambda alarm: alarm.state != AlarmState.OPEN)


def alarm_by_id(alarm_id: int) -> Alarm | None:
    return (
        Alarm.objects.select_related("point__enterprise", "point__region")
        .filter(pk=alarm_id)
        .first()
    )


# --- refused packets -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RefusedSummary:
    point: MonitoringPoint
    count: int
    latest_at: dt.datetime
    latest_code: str
    latest_detail: str
    latest_detail_message: dict[str, Any] | None = None

    @property
    def latest_reason(self) -> str:
        return refusal_reason(self.latest_code)

    @property
    def latest_detail_text(self) -> str:
        return refusal_detail(self.latest_code, self.latest_detail, self.latest_detail_message)


def refused_since(points: QuerySet[MonitoringPoint], since: dt.datetime) -> list[RefusedSummary]:
    """Return per point the packets refused since ``since`` and the latest reason, most first."""
    counted = (
        RefusedPacket.objects.filter(point__in=points, received_at__gte=since)
        .values("point_id")
        .annotate(n=Count("pk"), latest=Max("received_at"))
    )
    by_point = {row["point_id"]: (row["n"], row["latest"]) for row in counted}
    if not by_point:
        return []
    named = MonitoringPoint.objects.select_related("enterprise").in_bulk(list(by_point))
    summaries = []
    for point_id, (count, latest_at) in by_point.items():
        latest = (
            RefusedPacket.objects.filter(point_id=point_id, received_at=latest_at)
            .order_by("-pk")
            .only("code", "detail", "detail_message")
            .first()
        )
        summaries.append(
            RefusedSummary(
                point=named[point_id],
                count=count,
                latest_at=latest_at,
                latest_code=latest.code if latest else "",
                latest_detail=latest.detail if latest else "",
                latest_detail_message=latest.detail_message if latest else None,
            )
        )
    return sorted(summaries, key=lambda s: (-s.count, s.point.mn))


def refused_of_point(
    point: MonitoringPoint, since: dt.datetime, limit: int = 20
) -> list[RefusedPacket]:
    return list(RefusedPacket.objects.filter(point=point, received_at__gte=since)[:limit])


# --- commands sent to devices ---------------------------------------------------------------

# The platform's commands (HJ 212-2017 table 9) that the receiver sends.
COMMAND_NAMES: dict[str, str | Promise] = {
    "1012": _("设置现场时间"),
}


@dataclass(frozen=True, slots=True)
class CommandRow:
    command: DeviceCommand
    name: str
    # The device's code behind a failure (``QnRtn=2``, ``ExeRtn=6``), else "".
    failure: str


def commands_of_point(point: MonitoringPoint, limit: int = 20) -> list[CommandRow]:
    """Return the latest commands sent to the point's device and their outcome, newest first."""
    rows = []
    for command in DeviceCommand.objects.filter(point=point)[:limit]:
        failure = ""
        if command.state == CommandState.FAILED:
            if command.exe_rtn and command.exe_rtn != str(EXE_RTN_SUCCESS):
                failure = f"ExeRtn={command.exe_rtn}"
            elif command.qn_rtn and command.qn_rtn != str(QN_RTN_READY):
                failure = f"QnRtn={command.qn_rtn}"
        name = COMMAND_NAMES.get(command.cn)
        rows.append(CommandRow(command, str(name) if name is not None else command.cn, failure))
    return rows


# --- readings --------------------------------------------------------------------------------


def readings_of(
    point: MonitoringPoint,
    since: dt.datetime,
    until: dt.datetime,
    *,
    pollutant: str | None = None,
    command: str | None = None,
) -> QuerySet[Reading]:
    """Return the point's stored readings between two times, oldest first."""
    rows = Reading.objects.filter(point=point, data_time__gte=since, data_time__lte=until)
    if pollutant:
        rows = rows.filter(pollutant=pollutant)
    if command:
        rows = rows.filter(command=command)
    return rows.order_by("data_time", "pollutant", "command")


@dataclass(frozen=True, slots=True)
class Sample:
    at: dt.datetime
    value: float
    flag: str


def series(
    point: MonitoringPoint, since: dt.datetime, until: dt.datetime
) -> tuple[str, dict[str, list[Sample]]]:
    """Return the command charted and each pollutant's values between two times, oldest first.

    Real-time values (2011) when the point sent any in the window; devices that
    send only minute data (2051) are charted by their minute averages instead.
    A value converted to the reference oxygen content (ZsRtd, ZsAvg) is charted
    in place of the measured one, as the limit and the alarms apply to it.
    """
    for command, column in ((REAL_TIME, "rtd"), (MINUTE, "avg")):
        rows = (
            Reading.objects.filter(
                point=point,
                command=command,
                data_time__gte=since,
                data_time__lte=until,
                **{f"{column}__isnull": False},
            )
            .order_by("data_time")
            .values_list("pollutant", "data_time", column, "zs", "flag")
        )
        found: dict[str, list[Sample]] = {}
        for pollutant, at, value, converted, flag in rows:
            judged = value if converted is None else converted
            found.setdefault(pollutant, []).append(Sample(at, judged, flag))
        if found:
            return command, found
    return REAL_TIME, {}


def is_over(sample: Sample, upper: float | None) -> bool:
    """Return whether a value counts as over its limit (valid data above the limit)."""
    return upper is not None and sample.flag in JUDGED_FLAGS and sample.value > upper
