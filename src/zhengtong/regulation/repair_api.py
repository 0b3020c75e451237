"""The regulator's credit-repair queue, mounted at /api/regulation/repairs/.

Regulators with ``regulation.manage_credit`` list the repair requests of the
enterprises inside the regions of their posts and grant or refuse them; a
refusal needs a note. A request outside their regions answers
``repair_not_found``, as a missing one does.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from zhengtong.core.schemas import ERROR_RESPONSES
from zhengtong.identity.actors import actor_of
from zhengtong.identity.auth import session_auth, session_user
from zhengtong.identity.permissions import require_permission
from zhengtong.regulation import enterprise_selectors as mine
from zhengtong.regulation.models import CreditRepair, RepairState
from zhengtong.regulation.permissions import MANAGE_CREDIT
from zhengtong.regulation.repair_actions import do_decide_credit_repair

router = Router(tags=["regulation"])
ERRORS = ERROR_RESPONSES


class RepairQueueFilterIn(Schema):
    state: RepairState | None = Field(
        None, description="submitted, granted, refused or withdrawn; every state if not given"
    )


class RepairQueueRecordOut(Schema):
    id: int
    kind: str
    kind_label: str
    severity: str
    occurred_on: dt.date
    count: int
    description: str
    authority: str
    source_ref: str
    repaired_at: dt.datetime | None


class RepairQueueItemOut(Schema):
    id: int
    enterprise_credit_code: str
    enterprise_name: str
    record: RepairQueueRecordOut
    state: str
    rectification: str
    commitment: str
    submitted_by: str
    submitted_at: dt.datetime
    decided_by: str
    decided_at: dt.datetime | None
    decision_note: str


class RepairDecisionIn(Schema):
    grant: bool
    note: str = Field("", description="the decision's reasons; required to refuse")


def _item_out(repair: CreditRepair) -> RepairQueueItemOut:
    record = repair.record
    return RepairQueueItemOut(
        id=repair.pk,
        enterprise_credit_code=repair.enterprise.credit_code,
        enterprise_name=repair.enterprise.name,
        record=RepairQueueRecordOut(
            id=record.pk,
            kind=record.kind,
            kind_label=mine.record_label(record),
            severity=record.severity,
            occurred_on=record.occurred_on,
            count=record.count,
            description=record.shown_description,
            authority=record.authority,
            source_ref=record.source_ref,
            repaired_at=record.repaired_at,
        ),
        state=repair.state,
        rectification=repair.rectification,
        commitment=repair.commitment,
        submitted_by=repair.submitted_by,
        submitted_at=repair.submitted_at,
        decided_by=repair.decided_by,
        decided_at=repair.decided_at,
        decision_note=repair.decision_note,
    )


@router.get("/", response={200: list[RepairQueueItemOut], **ERRORS}, auth=session_auth)
def list_repairs(
    request: HttpRequest, filters: Query[RepairQueueFilterIn]
) -> list[RepairQueueItemOut]:
    """The repair requests to decide, pending first (oldest first), then the decided (newest)."""
    user = session_user(request)
    require_permission(user, MANAGE_CREDIT)
    state = filters.state.value if filters.state else ""
    return [_item_out(repair) for repair in mine.repair_queue(user, state)]


@router.post("/{repair_id}/decide", response={200: RepairQueueItemOut, **ERRORS}, auth=session_auth)
def decide_repair(
    request: HttpRequest, repair_id: int, payload: RepairDecisionIn
) -> RepairQueueItemOut:
    """Grant (the record stops counting and the grade is recomputed) or refuse, with a note."""
    user = session_user(request)
    require_permission(user, MANAGE_CREDIT)
    repair = mine.access_repair_for_decision(user, repair_id)
    do_decide_credit_repair(repair, payload.grant, payload.note, actor=actor_of(user))
    return _item_out(mine.access_repair_for_decision(user, repair_id))
