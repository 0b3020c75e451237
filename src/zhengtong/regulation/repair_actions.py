"""Credit repair (信用修复): an enterprise asks that a record stop counting; a regulator decides.

The rules follow the national measures for repairing credit information
after a breach of trust has been corrected (国家发展改革委《失信行为纠正后的
信用信息修复管理办法（试行）》, 2023) as this platform's records allow:

* Only deductions can be repaired: penalties, inspections that found
  problems or failed, upheld complaints and the HJ 212 over-limit and offline
  alarm records. A commendation or a passed inspection needs no repair, and a
  listing as seriously dishonest is repaired only by removal from the list,
  which is the listing's own procedure.
* A record is repaired once: a repaired record, or one that no longer counts
  (its validity window has passed, or it is dated after today), is refused.
* A record can be repaired only after a minimum time since it occurred, the
  measures' 最短公示期: a year for a severe penalty, three months for every
  other deduction (``REPAIR_WAIT_MONTHS``, data so that a change of policy is
  a change of one table).
* One request per record is pending at a time (the database holds the rule).
  The enterprise states what it has corrected (整改情况) and signs the credit
  commitment (信用承诺); the regulator grants or refuses, and a refusal says why.
  Granting marks the record repaired and regrades the enterprise in the same
  transaction, so the grade never lags the decision.

Every action writes one ledger entry. The ledger keeps only the hash of an
entry's data, so the request's texts are part of its data: the entry then
shows which rectification and commitment were submitted, without the log
holding them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.core.actors import Actor
from zhengtong.core.errors import Conflict, InvalidInput, PermissionDenied, ZhengtongError
from zhengtong.core.models import Enterprise
from zhengtong.identity.models import Audience, User
from zhengtong.identity.selectors import memberships_of
from zhengtong.ledger.actions import record_entry
from zhengtong.regulation import credit_scorecard as scoring
from zhengtong.regulation.credit_actions import regrade
from zhengtong.regulation.credit_selectors import credit_grade
from zhengtong.regulation.models import CreditKind, CreditRecord, CreditRepair, RepairState
from zhengtong.regulation.problems import Problems
from zhengtong.regulation.texts import refuse_control_characters, visible_text

SUBJECT = "regulation.credit_repair"

# The months that must pass after a record occurred before its repair can be
# asked for, per (kind, severity); a kind missing here cannot be repaired by
# request. A severe penalty waits a year, every other deduction three months.
REPAIR_WAIT_MONTHS: Mapping[tuple[str, str], int] = {
    (CreditKind.PENALTY, "minor"): 3,
    (CreditKind.PENALTY, "major"): 3,
    (CreditKind.PENALTY, "severe"): 12,
    (CreditKind.INSPECTION, "problems"): 3,
    (CreditKind.INSPECTION, "fail"): 3,
    (CreditKind.COMPLAINT_UPHELD, ""): 3,
    (CreditKind.OVER_LIMIT_ALARM, ""): 3,
    (CreditKind.OFFLINE_ALARM, ""): 3,
}

# The longest rectification and commitment accepted, in characters.
MAX_TEXT = 4000
MAX_NOTE = 2000

# The states a request moves between; only a pending request changes.
ALLOWED_TRANSITIONS: Mapping[str, frozenset[str]] = {
    RepairState.SUBMITTED: frozenset(
        {RepairState.GRANTED, RepairState.REFUSED, RepairState.WITHDRAWN}
    ),
    RepairState.GRANTED: frozenset(),
    RepairState.REFUSED: frozenset(),
    RepairState.WITHDRAWN: frozenset(),
}


# --- the rules -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Whether a record may be repaired now; ``code`` is empty when it may."""

    code: str = ""
    message: str = ""
    repairable_from: dt.date | None = None

    @property
    def ok(self) -> bool:
        return not self.code

    def error(self) -> ZhengtongError:
        """Return the refusal this answer stands for (only when not ``ok``)."""
        detail: dict[str, object] = {}
        if self.repairable_from is not None:
            detail["repairable_from"] = self.repairable_from.isoformat()
        if self.code == "not_repairable":
            return InvalidInput(self.message, code=self.code, detail=detail)
        return Conflict(self.message, code=self.code, detail=detail)


def statuses_of(grade: scoring.CreditGrade) -> dict[int, str]:
    """Map each record id the grade explains to how it stands (counted, expired, repaired ...)."""
    statuses: dict[int, str] = {}
    for line in grade.lines:
        if line.status in (scoring.CAPPED, scoring.BOUNDED):
            continue
        for ref in line.source_refs:
            if ref.isdigit():
                statuses[int(ref)] = line.status
    return statuses


def repairable_from(record: CreditRecord) -> dt.date | None:
    """Return the first day the record's repair may be asked for; None if never by request."""
    months = REPAIR_WAIT_MONTHS.get((record.kind, record.severity))
    if months is None:
        return None
    return scoring.add_months(record.occurred_on, months)


def repair_eligibility(
    record: CreditRecord,
    *,
    status: str,
    pending: bool,
    today: dt.date | None = None,
) -> Eligibility:
    """Say whether the record may be repaired now.

    ``status`` is how the active scorecard counts the record today (see
    ``statuses_of``) and ``pending`` whether a request for it awaits a decision.
    """
    today = today or timezone.localdate()
    if record.kind == CreditKind.SERIOUS_DISHONESTY:
        return Eligibility(
            "not_repairable",
            _("列入严重失信主体名单的记录只能通过移出名单修复，不能申请信用修复。"),
        )
    first_day = repairable_from(record)
    if first_day is None:
        return Eligibility("not_repairable", _("该记录不扣分，无需修复。"))
    if record.repaired_at is not None or status == scoring.REPAIRED:
        return Eligibility("already_repaired", _("该记录已完成信用修复。"))
    if status != scoring.COUNTED:
        return Eligibility("record_not_counting", _("该记录已不计入信用分，无需修复。"))
    if pending:
        return Eligibility("repair_pending", _("该记录已有待审核的修复申请。"))
    if today < first_day:
        return Eligibility(
            "repair_too_early",
            _("该记录须满最短公示期后方可申请修复，%(day)s 起可以申请。")
            % {"day": first_day.isoformat()},
            first_day,
        )
    return Eligibility()


def pending_records(record_ids: Iterable[int]) -> set[int]:
    """Return which of the records have a request awaiting a decision."""
    return set(
        CreditRepair.objects.filter(
            record_id__in=list(record_ids), state=RepairState.SUBMITTED
        ).values_list("record_id", flat=True)
    )


def eligibility_now(record: CreditRecord, *, today: dt.date | None = None) -> Eligibility:
    """Say whether the record may be repaired now, grading its enterprise to find out."""
    today = today or timezone.localdate()
    status = statuses_of(credit_grade(record.enterprise, today=today)).get(record.pk, "")
    pending = bool(pending_records([record.pk]))
    return repair_eligibility(record, status=status, pending=pending, today=today)


def is_member(user: User, enterprise: Enterprise) -> bool:
    """Return whether the user may act for the enterprise now."""
    if user.audience != Audience.ENTERPRISE:
        return False
    return memberships_of(user).filter(enterprise=enterprise).exists()


# --- helpers ---------------------------------------------------------------------------------


def _text(value: str, field: str, required: str, *, limit: int = MAX_TEXT) -> str:
    text = visible_text(value)
    if not text:
        raise InvalidInput(
            required, code=f"{field}_required", detail={"fields": {field: "required"}}
        )
    if len(text) > limit:
        raise InvalidInput(
            _("内容过长，最多 %(n)d 字。") % {"n": limit},
            code="text_too_long",
            detail={"fields": {field: "too_long"}, "max_length": limit},
        )
    refuse_control_characters(text, field)
    return text


def checked_request(rectification: str, commitment: str) -> tuple[str, str]:
    """The request's texts cleaned, or a refusal naming every problem they have at once."""
    problems = Problems()
    checked = problems.check(lambda: _text(rectification, "rectification", _("请填写整改情况。")))
    signed = problems.check(lambda: _text(commitment, "commitment", _("请填写信用承诺。")))
    problems.refuse()
    return checked or "", signed or ""


def _move(repair: CreditRepair, to: str) -> None:
    if to not in ALLOWED_TRANSITIONS.get(repair.state, frozenset()):
        raise Conflict(
            _("该修复申请已经处理，不能再更改。"),
            code="repair_not_pending",
            detail={"state": repair.state},
        )
    repair.state = to


# --- actions ---------------------------------------------------------------------------------


def do_request_credit_repair(
    record: CreditRecord,
    rectification: str,
    commitment: str,
    *,
    actor: Actor,
    user: User,
) -> CreditRepair:
    """Ask for a credit record to be repaired, for an enterprise the user acts for."""
    if not is_member(user, record.enterprise):
        raise PermissionDenied(_("您不是该企业的法定代表人或授权经办人。"), code="not_a_member")
    today = timezone.localdate()
    with transaction.atomic(durable=True):
        locked = (
            CreditRecord.objects.select_for_update().select_related("enterprise").get(pk=record.pk)
        )
        eligibility = eligibility_now(locked, today=today)
        if not eligibility.ok:
            raise eligibility.error()
        rectification, commitment = checked_request(rectification, commitment)
        try:
            with transaction.atomic():
                repair = CreditRepair.objects.create(
                    record=locked,
                    enterprise=locked.enterprise,
                    rectification=rectification,
                    commitment=commitment,
                    submitted_by=actor.label[:64],
                    submitted_at=timezone.now(),
                )
        except IntegrityError:
            # A request for the same record committed meanwhile.
            raise Conflict(_("该记录已有待审核的修复申请。"), code="repair_pending") from None
        record_entry(
            actor=actor,
            action="regulation.request_credit_repair",
            subject_type=SUBJECT,
            subject_id=repair.pk,
            data={
                "enterprise": locked.enterprise.credit_code,
                "record": locked.pk,
                "kind": locked.kind,
                "severity": locked.severity,
                "rectification": rectification,
                "commitment": commitment,
            },
        )
    return repair


def do_withdraw_credit_repair(repair: CreditRepair, *, actor: Actor, user: User) -> CreditRepair:
    """Withdraw a pending repair request of an enterprise the user acts for."""
    if not is_member(user, repair.enterprise):
        raise PermissionDenied(_("您不是该企业的法定代表人或授权经办人。"), code="not_a_member")
    with transaction.atomic(durable=True):
        locked = (
            CreditRepair.objects.select_for_update().select_related("enterprise").get(pk=repair.pk)
        )
        _move(locked, RepairState.WITHDRAWN)
        # decided_by/at say who ended the request and when, whichever way it ended.
        locked.decided_by = actor.label[:64]
        locked.decided_at = timezone.now()
        locked.save(update_fields=["state", "decided_by", "decided_at"])
        record_entry(
            actor=actor,
            action="regulation.withdraw_credit_repair",
            subject_type=SUBJECT,
            subject_id=locked.pk,
            data={"enterprise": locked.enterprise.credit_code, "record": locked.record_id},
        )
    return locked


def do_decide_credit_repair(
    repair: CreditRepair, grant: bool, note: str, *, actor: Actor
) -> CreditRepair:
    """Grant or refuse a pending repair request; a grant repairs the record and regrades.

    The caller has checked that the actor may decide credit repairs
    (``regulation.manage_credit``) for the enterprise.
    """
    note = visible_text(note)
    if not grant and not note:
        raise InvalidInput(
            _("不予修复时请写明理由。"),
            code="note_required",
            detail={"fields": {"note": "required"}},
        )
    if len(note) > MAX_NOTE:
        raise InvalidInput(
            _("审核意见过长，最多 %(n)d 字。") % {"n": MAX_NOTE},
            code="text_too_long",
            detail={"fields": {"note": "too_long"}, "max_length": MAX_NOTE},
        )
    refuse_control_characters(note, "note")
    now = timezone.now()
    with transaction.atomic(durable=True):
        locked = (
            CreditRepair.objects.select_for_update().select_related("enterprise").get(pk=repair.pk)
        )
        _move(locked, RepairState.GRANTED if grant else RepairState.REFUSED)
        locked.decided_by = actor.label[:64]
        locked.decided_at = now
        locked.decision_note = note
        locked.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        data: dict[str, object] = {
            "enterprise": locked.enterprise.credit_code,
            "record": locked.record_id,
            "grant": grant,
        }
        if grant:
            CreditRecord.objects.select_for_update().filter(
                pk=locked.record_id, repaired_at=None
            ).update(repaired_at=now)
            standing = regrade(locked.enterprise)
            data.update(grade=standing.grade, score=standing.score)
        record_entry(
            actor=actor,
            action="regulation.decide_credit_repair",
            subject_type=SUBJECT,
            subject_id=locked.pk,
            data=data,
        )
    return locked
