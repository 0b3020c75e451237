"""The enterprise's own view (G2B), mounted at /api/regulation/my/.

A logged-in enterprise user reads the credit grade, records, repair
requests, monitoring points, alarms and inspections of an enterprise they
act for, and asks for and withdraws credit repair. A user who acts for
several enterprises names one with ``?uscc=`` (统一社会信用代码); without it
the answer is ``enterprise_required`` with the choices. Staff and citizens
are refused with ``not_an_enterprise_user``.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from zhengtong.core.errors import InvalidInput
from zhengtong.core.models import Enterprise
from zhengtong.core.schemas import ERROR_RESPONSES, CreditCodeIn
from zhengtong.identity.actors import actor_of
from zhengtong.identity.auth import session_auth, session_user
from zhengtong.identity.models import User
from zhengtong.regulation import enterprise_selectors as mine
from zhengtong.regulation import selectors
from zhengtong.regulation.credit_api import CreditLineOut, credit_lines_out
from zhengtong.regulation.models import Alarm, CreditRepair
from zhengtong.regulation.repair_actions import do_request_credit_repair, do_withdraw_credit_repair

router = Router(tags=["regulation"])
ERRORS = ERROR_RESPONSES


# --- schemas ---------------------------------------------------------------------------


class MyEnterpriseFilterIn(Schema):
    uscc: CreditCodeIn = Field(
        "",
        description="统一社会信用代码 of the enterprise; needed only by users who act for several",
    )


class MyEnterpriseOut(Schema):
    credit_code: str
    name: str


class MyCreditRecordOut(Schema):
    id: int
    kind: str
    kind_label: str
    severity: str
    occurred_on: dt.date
    count: int
    description: str
    authority: str
    source_ref: str
    status: str = Field(description="how the active scorecard counts it today")
    repaired_at: dt.datetime | None
    repairable: bool = Field(description="whether repair may be asked for now")
    refusal_code: str = Field(
        description="why not, as the request would be refused; empty if it may"
    )
    refusal_reason: str
    repairable_from: dt.date | None = Field(description="first day repair may be asked for")


class MyCreditRepairOut(Schema):
    id: int
    record_id: int
    state: str = Field(description="submitted, granted, refused or withdrawn")
    rectification: str
    commitment: str
    submitted_by: str
    submitted_at: dt.datetime
    decided_by: str
    decided_at: dt.datetime | None
    decision_note: str


class MyCreditOut(Schema):
    enterprise: MyEnterpriseOut
    score: int
    grade: str
    score_grade: str
    base_score: int
    listed: bool
    as_of: dt.date
    lines: list[CreditLineOut]
    records: list[MyCreditRecordOut]
    repairs: list[MyCreditRepairOut]


class MyLimitOut(Schema):
    pollutant: str
    pollutant_name: str
    upper: float
    unit: str


class MyPointOut(Schema):
    mn: str
    name: str
    state: str = Field(description="online, offline (silent past its interval) or never")
    last_seen_at: dt.datetime | None
    interval_s: int
    open_alarms: int
    acknowledged_alarms: int
    over_limit_today: int
    limits: list[MyLimitOut]


class MyAlarmOut(Schema):
    id: int
    mn: str
    point_name: str
    kind: str
    state: str
    pollutant: str
    pollutant_name: str
    value: float | None
    limit: float | None
    unit: str
    detail: str
    count: int
    first_at: dt.datetime
    last_at: dt.datetime
    closed_at: dt.datetime | None
    note: str = Field(description="the regulator's note")


class MyInspectionOut(Schema):
    id: int
    task_code: str
    task_title: str
    department: str
    matters: str
    drawn_at: dt.datetime | None
    inspected_on: dt.date | None
    outcome: str = Field(description="pass, problems, fail, not_found; empty until recorded")
    outcome_label: str
    findings: str


class MyRepairIn(Schema):
    record_id: int
    rectification: str = Field(description="what the enterprise has corrected (整改情况)")
    commitment: str = Field(description="the credit commitment (信用承诺)")


# --- helpers ---------------------------------------------------------------------------


def _enterprise(user: User, uscc: str) -> Enterprise:
    enterprise = mine.access_enterprise_by_credit_code(user, uscc)
    if enterprise is None:
        raise InvalidInput(
            _("请选择要查看的企业（uscc）。"),
            code="enterprise_required",
            detail={
                "fields": {"uscc": "required"},
                "enterprises": [
                    {"credit_code": e.credit_code, "name": e.name}
                    for e in mine.enterprises_of(user)
                ],
            },
        )
    return enterprise


def repair_out(repair: CreditRepair) -> MyCreditRepairOut:
    return MyCreditRepairOut(
        id=repair.pk,
        record_id=repair.record_id,
        state=repair.state,
        rectification=repair.rectification,
        commitment=repair.commitment,
        submitted_by=repair.submitted_by,
        submitted_at=repair.submitted_at,
        decided_by=repair.decided_by,
        decided_at=repair.decided_at,
        decision_note=repair.decision_note,
    )


def _alarm_out(alarm: Alarm, units: dict[tuple[int, str], str]) -> MyAlarmOut:
    return MyAlarmOut(
        id=alarm.pk,
        mn=alarm.point.mn,
        point_name=alarm.point.name,
        kind=alarm.kind,
        state=alarm.state,
        pollutant=alarm.pollutant,
        pollutant_name=selectors.pollutant_name(alarm.pollutant) if alarm.pollutant else "",
        value=alarm.value,
        limit=alarm.limit,
        unit=units.get((alarm.point_id, alarm.pollutant), ""),
        detail=alarm.shown_detail,
        count=alarm.count,
        first_at=alarm.first_at,
        last_at=alarm.last_at,
        closed_at=alarm.closed_at,
        note=alarm.note,
    )


# --- operations ------------------------------------------------------------------------


@router.get("/credit", response={200: MyCreditOut, **ERRORS}, auth=session_auth)
def my_credit(request: HttpRequest, which: Query[MyEnterpriseFilterIn]) -> MyCreditOut:
    """The enterprise's credit grade explained line by line, its records and repair requests."""
    enterprise = _enterprise(session_user(request), which.uscc)
    file = mine.credit_file(enterprise)
    grade = file.grade
    return MyCreditOut(
        enterprise=MyEnterpriseOut(credit_code=enterprise.credit_code, name=enterprise.name),
        score=grade.score,
        grade=grade.grade,
        score_grade=grade.score_grade,
        base_score=grade.base_score,
        listed=grade.listed,
        as_of=grade.as_of,
        lines=credit_lines_out(grade),
        records=[
            MyCreditRecordOut(
                id=row.record.pk,
                kind=row.record.kind,
                kind_label=row.label,
                severity=row.record.severity,
                occurred_on=row.record.occurred_on,
                count=row.record.count,
                description=row.record.shown_description,
                authority=row.record.authority,
                source_ref=row.record.source_ref,
                status=row.status,
                repaired_at=row.record.repaired_at,
                repairable=row.repairable,
                refusal_code=row.eligibility.code,
                refusal_reason=row.eligibility.message,
                repairable_from=row.eligibility.repairable_from,
            )
            for row in file.records
        ],
        repairs=[repair_out(repair) for repair in file.repairs],
    )


@router.get("/points", response={200: list[MyPointOut], **ERRORS}, auth=session_auth)
def my_points(request: HttpRequest, which: Query[MyEnterpriseFilterIn]) -> list[MyPointOut]:
    """The enterprise's monitoring points with their state and emission limits."""
    enterprise = _enterprise(session_user(request), which.uscc)
    return [
        MyPointOut(
            mn=summary.point.mn,
            name=summary.point.name,
            state=summary.state,
            last_seen_at=summary.point.last_seen_at,
            interval_s=summary.point.interval_s,
            open_alarms=summary.open_alarms,
            acknowledged_alarms=summary.acknowledged_alarms,
            over_limit_today=summary.over_limit_today,
            limits=[
                MyLimitOut(
                    pollutant=limit.pollutant,
                    pollutant_name=selectors.pollutant_name(limit.pollutant),
                    upper=limit.upper,
                    unit=limit.unit,
                )
                for limit in selectors.limits_of(summary.point)
            ],
        )
        for summary in mine.points_of(enterprise)
    ]


@router.get("/alarms", response={200: list[MyAlarmOut], **ERRORS}, auth=session_auth)
def my_alarms(request: HttpRequest, which: Query[MyEnterpriseFilterIn]) -> list[MyAlarmOut]:
    """The open and acknowledged alarms of the enterprise's points, then those closed in 30 days."""
    enterprise = _enterprise(session_user(request), which.uscc)
    units = mine.units_of(enterprise)
    return [_alarm_out(alarm, units) for alarm in mine.alarms_of(enterprise)]


@router.get("/inspections", response={200: list[MyInspectionOut], **ERRORS}, auth=session_auth)
def my_inspections(
    request: HttpRequest, which: Query[MyEnterpriseFilterIn]
) -> list[MyInspectionOut]:
    """The random inspections the enterprise was drawn for, with their published results."""
    enterprise = _enterprise(session_user(request), which.uscc)
    return [
        MyInspectionOut(
            id=inspection.pk,
            task_code=inspection.task.code,
            task_title=inspection.task.title,
            department=inspection.task.department.name,
            matters=inspection.task.matters,
            drawn_at=inspection.task.drawn_at,
            inspected_on=inspection.inspected_on,
            outcome=inspection.outcome,
            outcome_label=inspection.get_outcome_display() if inspection.outcome else "",
            findings=inspection.findings,
        )
        for inspection in mine.inspections_of(enterprise)
    ]


@router.post("/repairs", response={201: MyCreditRepairOut, **ERRORS}, auth=session_auth)
def my_request_repair(request: HttpRequest, payload: MyRepairIn) -> Status[MyCreditRepairOut]:
    """Ask for one of the enterprise's credit records to be repaired (信用修复)."""
    user = session_user(request)
    record = mine.access_record_for_member(user, payload.record_id)
    repair = do_request_credit_repair(
        record, payload.rectification, payload.commitment, actor=actor_of(user), user=user
    )
    return Status(201, repair_out(repair))


@router.post(
    "/repairs/{repair_id}/withdraw", response={200: MyCreditRepairOut, **ERRORS}, auth=session_auth
)
def my_withdraw_repair(request: HttpRequest, repair_id: int) -> MyCreditRepairOut:
    """Withdraw a pending repair request."""
    user = session_user(request)
    repair = mine.access_repair_for_member(user, repair_id)
    return repair_out(do_withdraw_credit_repair(repair, actor=actor_of(user), user=user))
