"""The online-monitoring API, mounted at /api/regulation/.

Regulators (``regulation.monitor``) read the points in their post's scope,
their readings and alarms, and acknowledge and close alarms; administrators
(``regulation.manage_points``) register points and set emission limits.
Every change goes through the actions and lands in the ledger. Errors have
the platform's one shape ``{code, message, detail}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import StringConstraints

from zhengtong.core.errors import InvalidInput, NotFound
from zhengtong.core.schemas import ERROR_RESPONSES, CreditCodeIn
from zhengtong.core.selectors import find_enterprise_by_credit_code, get_region
from zhengtong.identity.actors import actor_of
from zhengtong.identity.auth import session_auth, session_user
from zhengtong.identity.permissions import require_permission
from zhengtong.regulation import access, actions, selectors
from zhengtong.regulation.ingest import DATA_COMMANDS
from zhengtong.regulation.models import Alarm, AlarmState, EmissionLimit, MonitoringPoint
from zhengtong.regulation.permissions import MANAGE_POINTS, MONITOR

router = Router(tags=["regulation"])
ERRORS = ERROR_RESPONSES
# The most readings one request returns (a week of 30-second data for one pollutant).
MAX_READINGS = 20_000
# The most characters of a refused filter value echoed back in a refusal's detail.
ECHOED = 16


# --- schemas ---------------------------------------------------------------------------


class EmissionLimitOut(Schema):
    pollutant: str
    pollutant_name: str
    upper: float
    unit: str


class MonitoringPointOut(Schema):
    mn: str
    name: str
    enterprise_name: str
    enterprise_credit_code: str
    region_code: str | None
    region_name: str | None
    state: str = Field(description="online, offline (silent past its interval) or never")
    last_seen_at: dt.datetime | None
    interval_s: int
    open_alarms: int
    acknowledged_alarms: int
    over_limit_today: int = Field(
        description="valid real-time values over their limit since local midnight"
    )


class MonitoringPointDetailOut(MonitoringPointOut):
    system_code: str
    edition: str
    crc_compat: bool
    is_active: bool
    packets: int
    bad_packets: int
    limits: list[EmissionLimitOut]


class MonitoringPointIn(Schema):
    enterprise_credit_code: CreditCodeIn
    mn: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)]
    name: str = Field(max_length=100)
    password: str = Field(max_length=16, description="the PW the data collector sends")
    region_code: str | None = Field(
        None, description="where the point is; the enterprise's region if empty"
    )
    system_code: str = Field("31", max_length=2, description="ST: 31 flue gas, 32 waste water")
    interval_s: int = Field(30, description="seconds between real-time uploads")
    crc_compat: bool = Field(False, description="also accept CRC-16/MODBUS with swapped bytes")
    edition: str = Field(
        "2017",
        description="edition of HJ 212 the device speaks: 2017 or 2025 (its Flag version)",
    )


class EmissionLimitIn(Schema):
    upper: float
    unit: str = Field("", max_length=16)


class ReadingFilterIn(Schema):
    # Not checked against the platform's named pollutants (selectors.POLLUTANT_NAMES):
    # the receiver stores every code a device sends, the 2005 edition's (011)
    # and those of table B the platform has no name for included, so readings
    # exist under codes outside that dictionary and must stay reachable.
    pollutant: str | None = Field(
        None, max_length=16, description="an HJ 212 pollutant code as the device sends it"
    )
    command: str | None = Field(
        None,
        description="2011 real-time, 2051 minute, 2061 hourly, 2031 daily; "
        "any other value is refused (400 unknown_command)",
    )
    hours: int = Field(24, ge=1, le=168, description="how far back from now")


class ReadingOut(Schema):
    pollutant: str
    command: str
    data_time: dt.datetime
    rtd: float | None
    avg: float | None
    min: float | None
    max: float | None
    zs: float | None
    flag: str


class ReadingsOut(Schema):
    mn: str
    since: dt.datetime
    until: dt.datetime
    truncated: bool = Field(description="more readings than one answer holds: narrow the query")
    readings: list[ReadingOut]


class AlarmFilterIn(Schema):
    state: AlarmState | None = Field(
        None, description="open, acknowledged or closed; open and acknowledged if not given"
    )
    mn: str | None = Field(None, max_length=32)


class AlarmOut(Schema):
    id: int
    mn: str
    point_name: str
    enterprise_name: str
    kind: str
    state: str
    pollutant: str
    pollutant_name: str
    value: float | None
    limit: float | None
    detail: str
    count: int
    first_at: dt.datetime
    last_at: dt.datetime
    acknowledged_by: str
    acknowledged_at: dt.datetime | None
    closed_by: str
    closed_at: dt.datetime | None
    note: str


class AlarmAcknowledgeIn(Schema):
    note: str = Field("", max_length=2000)


class AlarmCloseIn(Schema):
    note: str = Field(max_length=2000, description="what was found and done (required)")
    counts_for_credit: bool = Field(
        True,
        description="over-limit and offline alarms: put a confirmed alarm on the enterprise's "
        "credit file (false when the enterprise is not at fault)",
    )


# --- mapping ---------------------------------------------------------------------------


def _limit_out(limit: EmissionLimit) -> EmissionLimitOut:
    return EmissionLimitOut(
        pollutant=limit.pollutant,
        pollutant_name=selectors.pollutant_name(limit.pollutant),
        upper=limit.upper,
        unit=limit.unit,
    )


def _point_out(summary: selectors.PointSummary) -> MonitoringPointOut:
    point = summary.point
    return MonitoringPointOut(
        mn=point.mn,
        name=point.name,
        enterprise_name=point.enterprise.name,
        enterprise_credit_code=point.enterprise.credit_code,
        region_code=point.region.code if point.region else None,
        region_name=point.region.name if point.region else None,
        state=summary.state,
        last_seen_at=point.last_seen_at,
        interval_s=point.interval_s,
        open_alarms=summary.open_alarms,
        acknowledged_alarms=summary.acknowledged_alarms,
        over_limit_today=summary.over_limit_today,
    )


def _point_detail(point: MonitoringPoint) -> MonitoringPointDetailOut:
    (summary,) = selectors.point_summaries(MonitoringPoint.objects.filter(pk=point.pk))
    fresh = summary.point
    return MonitoringPointDetailOut(
        **_point_out(summary).model_dump(),
        system_code=fresh.system_code,
        edition=fresh.edition,
        crc_compat=fresh.crc_compat,
        is_active=fresh.is_active,
        packets=fresh.packets,
        bad_packets=fresh.bad_packets,
        limits=[_limit_out(limit) for limit in selectors.limits_of(fresh)],
    )


def _alarm_out(alarm: Alarm) -> AlarmOut:
    return AlarmOut(
        id=alarm.pk,
        mn=alarm.point.mn,
        point_name=alarm.point.name,
        enterprise_name=alarm.point.enterprise.name,
        kind=alarm.kind,
        state=alarm.state,
        pollutant=alarm.pollutant,
        pollutant_name=selectors.pollutant_name(alarm.pollutant) if alarm.pollutant else "",
        value=alarm.value,
        limit=alarm.limit,
        detail=alarm.shown_detail,
        count=alarm.count,
        first_at=alarm.first_at,
        last_at=alarm.last_at,
        acknowledged_by=alarm.acknowledged_by,
        acknowledged_at=alarm.acknowledged_at,
        closed_by=alarm.closed_by,
        closed_at=alarm.closed_at,
        note=alarm.note,
    )


# --- points ----------------------------------------------------------------------------


@router.get("/points", response={200: list[MonitoringPointOut], **ERRORS}, auth=session_auth)
def list_points(request: HttpRequest) -> list[MonitoringPointOut]:
    """The points the regulator watches, with their state and alarm counts."""
    user = session_user(request)
    require_permission(user, MONITOR)
    return [
        _point_out(summary) for summary in selectors.point_summaries(access.monitored_points(user))
    ]


@router.post("/points", response={201: MonitoringPointDetailOut, **ERRORS}, auth=session_auth)
def register_point(
    request: HttpRequest, payload: MonitoringPointIn
) -> Status[MonitoringPointDetailOut]:
    """Register a monitoring point; its collector may then report under the MN and PW."""
    user = session_user(request)
    require_permission(user, MANAGE_POINTS)
    enterprise = find_enterprise_by_credit_code(payload.enterprise_credit_code)
    if enterprise is None:
        raise InvalidInput(
            _("没有该统一社会信用代码的企业。"),
            code="unknown_enterprise",
            detail={"fields": {"enterprise_credit_code": "unknown"}},
        )
    # Blank (spaces included) means the enterprise's region, as the field says.
    region_code = (payload.region_code or "").strip()
    region = None
    if region_code:
        # A body field naming a region that does not exist is the caller's
        # mistake in that field (400), as for the inspection tasks, not a
        # missing resource of the URL (404).
        try:
            region = get_region(region_code)
        except NotFound:
            raise InvalidInput(
                _("没有该行政区划代码。"),
                code="unknown_region",
                detail={"fields": {"region_code": "invalid"}},
            ) from None
    point = actions.do_register_point(
        enterprise,
        payload.mn,
        payload.name,
        payload.password,
        actor=actor_of(user),
        region=region,
        system_code=payload.system_code,
        interval_s=payload.interval_s,
        crc_compat=payload.crc_compat,
        edition=payload.edition,
    )
    return Status(201, _point_detail(point))


@router.get("/points/{mn}", response={200: MonitoringPointDetailOut, **ERRORS}, auth=session_auth)
def get_point(request: HttpRequest, mn: str) -> MonitoringPointDetailOut:
    user = session_user(request)
    require_permission(user, MONITOR)
    return _point_detail(access.access_point_by_mn(user, mn))


@router.get("/points/{mn}/readings", response={200: ReadingsOut, **ERRORS}, auth=session_auth)
def point_readings(request: HttpRequest, mn: str, filters: Query[ReadingFilterIn]) -> ReadingsOut:
    """The point's readings of the last hours (24 unless told, at most 168), oldest first."""
    user = session_user(request)
    require_permission(user, MONITOR)
    point = access.access_point_by_mn(user, mn)
    # The receiver stores readings of these uploads only: any other command
    # would answer an empty list, which reads as "no data" rather than as the
    # typing mistake it is. Empty means every kind, as when it is left out.
    if filters.command and filters.command not in DATA_COMMANDS:
        raise InvalidInput(
            _("数据类型无效，只能是 2011（实时）、2051（分钟）、2061（小时）或 2031（日）。"),
            code="unknown_command",
            detail={
                "fields": {"command": "invalid"},
                "command": filters.command[:ECHOED],
                "allowed": sorted(DATA_COMMANDS),
            },
        )
    until = timezone.now()
    since = until - dt.timedelta(hours=filters.hours)
    rows = list(
        selectors.readings_of(
            point, since, until, pollutant=filters.pollutant, command=filters.command
        )[: MAX_READINGS + 1]
    )
    return ReadingsOut(
        mn=point.mn,
        since=since,
        until=until,
        truncated=len(rows) > MAX_READINGS,
        readings=[
            ReadingOut(
                pollutant=row.pollutant,
                command=row.command,
                data_time=row.data_time,
                rtd=row.rtd,
                avg=row.avg,
                min=row.min,
                max=row.max,
                zs=row.zs,
                flag=row.flag,
            )
            for row in rows[:MAX_READINGS]
        ],
    )


@router.put(
    "/points/{mn}/limits/{pollutant}",
    response={200: EmissionLimitOut, **ERRORS},
    auth=session_auth,
)
def set_limit(
    request: HttpRequest, mn: str, pollutant: str, payload: EmissionLimitIn
) -> EmissionLimitOut:
    """Set the emission limit of one pollutant at a point (values above it raise alarms)."""
    user = session_user(request)
    require_permission(user, MANAGE_POINTS)
    point = access.access_point_for_management(user, mn)
    limit = actions.do_set_emission_limit(
        point, pollutant, payload.upper, actor=actor_of(user), unit=payload.unit
    )
    return _limit_out(limit)


# --- alarms ----------------------------------------------------------------------------


@router.get("/alarms", response={200: list[AlarmOut], **ERRORS}, auth=session_auth)
def list_alarms(request: HttpRequest, filters: Query[AlarmFilterIn]) -> list[AlarmOut]:
    """The alarms of the watched points, newest first (at most 500)."""
    user = session_user(request)
    require_permission(user, MONITOR)
    points = access.monitored_points(user)
    if filters.mn:
        points = points.filter(mn=filters.mn)
    states = [filters.state] if filters.state else list(selectors.STATES_TO_HANDLE)
    return [_alarm_out(alarm) for alarm in selectors.alarms_of(points, states)[:500]]


@router.post(
    "/alarms/{alarm_id}/acknowledge", response={200: AlarmOut, **ERRORS}, auth=session_auth
)
def acknowledge_alarm(request: HttpRequest, alarm_id: int, payload: AlarmAcknowledgeIn) -> AlarmOut:
    """The regulator has seen the alarm and is dealing with it."""
    user = session_user(request)
    require_permission(user, MONITOR)
    alarm = access.access_alarm_by_id(user, alarm_id)
    actions.do_acknowledge_alarm(alarm, actor=actor_of(user), note=payload.note)
    return _alarm_out(access.access_alarm_by_id(user, alarm_id))


@router.post("/alarms/{alarm_id}/close", response={200: AlarmOut, **ERRORS}, auth=session_auth)
def close_alarm(request: HttpRequest, alarm_id: int, payload: AlarmCloseIn) -> AlarmOut:
    """Close an alarm with a note of what was found and done."""
    user = session_user(request)
    require_permission(user, MONITOR)
    alarm = access.access_alarm_by_id(user, alarm_id)
    actions.do_close_alarm(
        alarm, payload.note, actor=actor_of(user), counts_for_credit=payload.counts_for_credit
    )
    return _alarm_out(access.access_alarm_by_id(user, alarm_id))


def _mount_parts() -> None:
    # Credit, random inspections and the enterprise's own view live in their own modules.
    from zhengtong.regulation.credit_api import router as credit_router
    from zhengtong.regulation.enterprise_api import router as enterprise_router
    from zhengtong.regulation.inspection_api import router as inspection_router
    from zhengtong.regulation.repair_api import router as repair_router

    router.add_router("/credit/", credit_router)
    router.add_router("/inspections/", inspection_router)
    router.add_router("/my/", enterprise_router)
    router.add_router("/repairs/", repair_router)


_mount_parts()
