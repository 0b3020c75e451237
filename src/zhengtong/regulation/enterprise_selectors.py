"""Reads of the enterprise's own view (G2B) and of credit-repair requests.

An enterprise user acts for the enterprises of their memberships and sees
only those: its credit grade and records with what can be repaired, its
repair requests, its monitoring points, their alarms and its inspections.
The regulator's repair queue lists the requests of the enterprises inside
the regions of their credit posts.

The ``access_*`` functions are the permission-checked fetches the pages and
the API use; missing and forbidden answer the same "not found".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhengtong.core.errors import NotFound, PermissionDenied
from zhengtong.core.models import Enterprise
from zhengtong.core.validators import normalise
from zhengtong.identity.models import Audience, User
from zhengtong.identity.permissions import grants_of
from zhengtong.identity.selectors import memberships_of
from zhengtong.regulation import credit_scorecard as scoring
from zhengtong.regulation import selectors
from zhengtong.regulation.credit_selectors import active_scorecard, credit_grade, scorecard_records
from zhengtong.regulation.models import (
    Alarm,
    AlarmState,
    CreditRecord,
    CreditRepair,
    DrawState,
    EmissionLimit,
    Inspection,
    MonitoringPoint,
    RepairState,
)
from zhengtong.regulation.permissions import MANAGE_CREDIT
from zhengtong.regulation.repair_actions import (
    Eligibility,
    pending_records,
    repair_eligibility,
    statuses_of,
)

# How long closed alarms stay on the enterprise's page.
RECENT_ALARMS = dt.timedelta(days=30)
MAX_CLOSED_ALARMS = 20

STATUS_LABELS: dict[str, str] = {
    scoring.COUNTED: gettext_noop("计分中"),
    scoring.REPAIRED: gettext_noop("已修复"),
    scoring.EXPIRED: gettext_noop("已过有效期"),
    scoring.NOT_YET: gettext_noop("未到发生日期"),
    scoring.LISTED: gettext_noop("名单有效"),
}
# A counted record is coloured by what it does to the score (``_counted_tag``),
# as in the grade's explanation: red when it takes points off, green when it adds.
STATUS_TAGS: dict[str, str] = {
    scoring.REPAIRED: "tag-ok",
    scoring.EXPIRED: "tag-off",
    scoring.NOT_YET: "tag-off",
    scoring.LISTED: "tag-red",
}
REPAIR_STATE_TAGS: dict[str, str] = {
    RepairState.SUBMITTED: "tag-soon",
    RepairState.GRANTED: "tag-ok",
    RepairState.REFUSED: "tag-red",
    RepairState.WITHDRAWN: "tag-off",
}


def record_label(record: CreditRecord) -> str:
    """Return the record's kind (and severity) in words, e.g. 严重行政处罚."""
    label = scoring.SEVERITY_LABELS.get(
        (record.kind, record.severity), scoring.KIND_LABELS.get(record.kind, record.kind)
    )
    return _(label)


def status_label(status: str) -> str:
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status


# --- who acts for which enterprise ----------------------------------------------------------


def enterprises_of(user: User) -> list[Enterprise]:
    """Return the enterprises the user may act for now, by name."""
    if user.audience != Audience.ENTERPRISE:
        return []
    return [membership.enterprise for membership in memberships_of(user)]


def _not_an_enterprise_user() -> PermissionDenied:
    return PermissionDenied(
        _("只有企业用户可以查看企业的监管和信用信息。"), code="not_an_enterprise_user"
    )


def access_enterprise_by_credit_code(user: User, credit_code: str) -> Enterprise | None:
    """Return the enterprise the user acts for: the one named, or the only one.

    None means the user acts for several and must choose. Refuses accounts
    that are not enterprise users, and answers "not found" for an enterprise
    the user does not act for.
    """
    if user.audience != Audience.ENTERPRISE:
        raise _not_an_enterprise_user()
    enterprises = enterprises_of(user)
    if not enterprises:
        raise PermissionDenied(
            _("您的账号目前没有可以代表的企业（授权可能已到期）。"), code="no_enterprise"
        )
    if credit_code:
        wanted = normalise(credit_code)
        found = next((e for e in enterprises if e.credit_code == wanted), None)
        if found is None:
            raise NotFound(_("找不到该企业，或您无权代表该企业。"), code="enterprise_not_found")
        return found
    return enterprises[0] if len(enterprises) == 1 else None


def access_record_for_member(user: User, record_id: int) -> CreditRecord:
    """Return a credit record of an enterprise the user acts for."""
    if user.audience != Audience.ENTERPRISE:
        raise _not_an_enterprise_user()
    record = (
        CreditRecord.objects.select_related("enterprise")
        .filter(pk=record_id, enterprise__in=enterprises_of(user))
        .first()
    )
    if record is None:
        raise NotFound(_("找不到该信用记录。"), code="record_not_found")
    return record


def access_repair_for_member(user: User, repair_id: int) -> CreditRepair:
    """Return a repair request of an enterprise the user acts for."""
    if user.audience != Audience.ENTERPRISE:
        raise _not_an_enterprise_user()
    repair = (
        CreditRepair.objects.select_related("enterprise", "record")
        .filter(pk=repair_id, enterprise__in=enterprises_of(user))
        .first()
    )
    if repair is None:
        raise NotFound(_("找不到该修复申请。"), code="repair_not_found")
    return repair


# --- the credit file -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordRow:
    record: CreditRecord
    label: str
    status: str
    status_label: str
    status_tag: str
    eligibility: Eligibility

    @property
    def repairable(self) -> bool:
        return self.eligibility.ok


@dataclass(frozen=True, slots=True)
class CreditFile:
    enterprise: Enterprise
    grade: scoring.CreditGrade
    records: list[RecordRow]
    repairs: list[CreditRepair]


def repairs_of(enterprise: Enterprise) -> list[CreditRepair]:
    """Return the enterprise's repair requests, pending first, then newest first."""
    return list(
        CreditRepair.objects.filter(enterprise=enterprise)
        .select_related("record")
        .annotate(
            pending=Case(
                When(state=RepairState.SUBMITTED, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("pending", "-submitted_at", "-pk")
    )


def _counted_tag(points: int) -> str:
    """The tag class of a counted record: red when it takes points off, green when it adds."""
    if points < 0:
        return "tag-red"
    return "tag-ok" if points > 0 else ""


def _counted_points(grade: scoring.CreditGrade) -> dict[int, int]:
    """Map each counted record id to the points of its line in the grade's explanation."""
    points: dict[int, int] = {}
    for line in grade.lines:
        if line.status != scoring.COUNTED:
            continue
        for ref in line.source_refs:
            if ref.isdigit():
                points[int(ref)] = line.points
    return points


def credit_file(enterprise: Enterprise, *, today: dt.date | None = None) -> CreditFile:
    """Return the enterprise's grade, each record with whether it can be repaired, its requests."""
    today = today or timezone.localdate()
    grade = credit_grade(enterprise, today=today)
    statuses = statuses_of(grade)
    counted = _counted_points(grade)
    records = list(
        CreditRecord.objects.filter(enterprise=enterprise).order_by("-occurred_on", "-pk")
    )
    pending = pending_records(record.pk for record in records)
    rows = []
    for record in records:
        status = statuses.get(record.pk, "")
        rows.append(
            RecordRow(
                record=record,
                label=record_label(record),
                status=status,
                status_label=status_label(status),
                status_tag=_counted_tag(counted.get(record.pk, 0))
                if status == scoring.COUNTED
                else STATUS_TAGS.get(status, ""),
                eligibility=repair_eligibility(
                    record, status=status, pending=record.pk in pending, today=today
                ),
            )
        )
    return CreditFile(
        enterprise=enterprise, grade=grade, records=rows, repairs=repairs_of(enterprise)
    )


@dataclass(frozen=True, slots=True)
class RepairEffect:
    """The grade now and the grade once the record is repaired, by the active scorecard."""

    before: scoring.CreditGrade
    after: scoring.CreditGrade

    @property
    def gain(self) -> int:
        return self.after.score - self.before.score


def repair_effect(record: CreditRecord, *, today: dt.date | None = None) -> RepairEffect:
    """Return what repairing the record would change (caps included, so not always its points)."""
    today = today or timezone.localdate()
    _version, card = active_scorecard()
    records = scorecard_records(record.enterprise)
    ref = str(record.pk)
    repaired = [
        dataclasses.replace(r, repaired=True) if r.source_ref == ref else r for r in records
    ]
    return RepairEffect(
        before=scoring.grade(records, card, today=today),
        after=scoring.grade(repaired, card, today=today),
    )


# --- monitoring, alarms and inspections ------------------------------------------------------


def points_of(
    enterprise: Enterprise, now: dt.datetime | None = None
) -> list[selectors.PointSummary]:
    """Return the enterprise's monitoring points in use, with state and alarm counts."""
    return selectors.point_summaries(
        MonitoringPoint.objects.filter(enterprise=enterprise, is_active=True), now
    )


def alarms_of(enterprise: Enterprise, now: dt.datetime | None = None) -> list[Alarm]:
    """Return the enterprise's open and acknowledged alarms, then those closed in 30 days."""
    now = now or timezone.now()
    points = MonitoringPoint.objects.filter(enterprise=enterprise)
    current = selectors.alarms_to_handle(points)
    closed = list(
        selectors.alarms_of(points, [AlarmState.CLOSED]).filter(closed_at__gte=now - RECENT_ALARMS)[
            :MAX_CLOSED_ALARMS
        ]
    )
    return current + closed


def units_of(enterprise: Enterprise) -> dict[tuple[int, str], str]:
    """Map (point id, pollutant) to the unit of its limit, for the enterprise's points."""
    rows = EmissionLimit.objects.filter(point__enterprise=enterprise).values_list(
        "point_id", "pollutant", "unit"
    )
    return {(point_id, pollutant): unit for point_id, pollutant, unit in rows}


def inspections_of(enterprise: Enterprise) -> list[Inspection]:
    """Return the enterprise's random inspections of drawn tasks, newest task first.

    A drawn task's targets are public with its transcript, so the enterprise
    sees an inspection from the draw on, before its result is recorded.
    """
    return list(
        Inspection.objects.filter(enterprise=enterprise, task__state=DrawState.DRAWN)
        .select_related("task__department")
        .order_by("-task__drawn_at", "-pk")
    )


# --- the regulator's repair queue ------------------------------------------------------------


def _inside(field: str, path: str) -> Q:
    area = path.rstrip("/")
    return Q(**{field: area}) | Q(**{f"{field}__startswith": area + "/"})


def repairs_in_scope(user: AbstractBaseUser | AnonymousUser | None) -> QuerySet[CreditRepair]:
    """Return the requests of enterprises inside the regions of the user's credit posts."""
    condition = Q()
    matched = False
    for grant in grants_of(user):
        if MANAGE_CREDIT not in grant.permissions:
            continue
        path = grant.area_path or grant.department_region_path
        if path is None:
            continue
        matched = True
        condition |= _inside("enterprise__region__path", path)
    if not matched:
        return CreditRepair.objects.none()
    return CreditRepair.objects.filter(condition)


def repair_queue(
    user: AbstractBaseUser | AnonymousUser | None, state: str = "", *, limit: int = 200
) -> list[CreditRepair]:
    """Return the requests the regulator may decide: pending first (oldest first), then newest."""
    rows = repairs_in_scope(user).select_related("enterprise", "record__enterprise")
    if state:
        rows = rows.filter(state=state)
    pending = list(rows.filter(state=RepairState.SUBMITTED).order_by("submitted_at", "pk")[:limit])
    decided = list(
        rows.exclude(state=RepairState.SUBMITTED).order_by("-decided_at", "-pk")[
            : max(limit - len(pending), 0)
        ]
    )
    return pending + decided


def access_repair_for_decision(
    user: AbstractBaseUser | AnonymousUser | None, repair_id: int
) -> CreditRepair:
    """Return a request the regulator may decide."""
    repair = (
        repairs_in_scope(user).select_related("enterprise", "record").filter(pk=repair_id).first()
    )
    if repair is None:
        raise NotFound(_("找不到该修复申请。"), code="repair_not_found")
    return repair


def repair_effects(repairs: Sequence[CreditRepair]) -> dict[int, RepairEffect]:
    """Return what granting each pending request would change."""
    return {
        repair.pk: repair_effect(repair.record)
        for repair in repairs
        if repair.state == RepairState.SUBMITTED
    }
