"""State changes of random inspections (双随机、一公开): registers, tasks, draws and results.

A task is announced with its registers frozen and a commitment to a secret
seed; it is drawn, no earlier than announced, from exactly those frozen
registers, and the seed is revealed in the transcript. Inspections the
draw left short of inspectors are filled by supplementary draws, each
announced and drawn the same way from the register as it is then. Each drawn
inspection's result is recorded once it has its inspectors, only once, and
goes onto the enterprise's credit file in the same transaction.
``inspection_draw`` holds the algorithm; ``docs/regulation-draw.md``
describes the procedure.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhengtong.core.actors import Actor
from zhengtong.core.errors import Conflict, InvalidInput, NotFound
from zhengtong.core.i18n import stored_text
from zhengtong.core.models import Department, Enterprise, Region
from zhengtong.identity.models import User
from zhengtong.ledger.actions import record_entry
from zhengtong.regulation import inspection_draw as draw
from zhengtong.regulation.credit_actions import add_credit_record
from zhengtong.regulation.credit_selectors import active_scorecard, standing_of
from zhengtong.regulation.inspection_selectors import (
    inspector_register,
    recorded_targets,
    target_register,
)
from zhengtong.regulation.models import (
    CreditKind,
    DrawState,
    Inspection,
    InspectionOutcome,
    InspectionTask,
    Inspector,
    Recusal,
    SupplementaryDraw,
    VerifiableDraw,
)
from zhengtong.regulation.problems import Problems
from zhengtong.regulation.seed_sealing import SeedUnsealable, seal_seed, unseal_seed
from zhengtong.regulation.texts import refuse_control_characters, visible_text

logger = logging.getLogger(__name__)

TASK_SUBJECT = "regulation.inspection_task"
INSPECTOR_SUBJECT = "regulation.inspector"
INSPECTION_SUBJECT = "regulation.inspection"

# Task codes name URLs and the files people download, so they stay plain.
_TASK_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
# 执法证号: digits and letters, sometimes grouped with hyphens.
_INSPECTOR_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,31}")
# GB/T 4754 industry: a section letter and up to four digits (C, C30, C3021).
_INDUSTRY_CODE = re.compile(r"[A-Z]\d{0,4}")
_RATIO_PERCENT = re.compile(r"\s*(\d+(?:\.\d+)?)\s*[%％]\s*")
MAX_INSPECTORS_PER_TARGET = 5
MAX_QUALIFICATIONS = 20
# The latest a draw may be announced for. Later is a typing error (a year
# 9999 would be no time the pages can show in Beijing time), and a task no one
# can draw for years only blocks its code.
MAX_DRAW_DELAY = dt.timedelta(days=366)

# The credit record an outcome makes; "not found at the registered address" counts as failed.
OUTCOME_SEVERITY: Mapping[str, str] = {
    InspectionOutcome.PASS: "pass",
    InspectionOutcome.PROBLEMS: "problems",
    InspectionOutcome.FAIL: "fail",
    InspectionOutcome.NOT_FOUND: "fail",
}
# The outcomes as written into the stored credit record, in the platform's language.
OUTCOME_TEXTS: Mapping[str, str] = {
    InspectionOutcome.PASS: gettext_noop("未发现问题"),
    InspectionOutcome.PROBLEMS: gettext_noop("发现问题，责令整改"),
    InspectionOutcome.FAIL: gettext_noop("不合格"),
    InspectionOutcome.NOT_FOUND: gettext_noop("未发现企业（通过登记的住所无法联系）"),
}


def _field_error(message: str, code: str, field: str) -> InvalidInput:
    return InvalidInput(message, code=code, detail={"fields": {field: "invalid"}})


def _checked_draw_after(draw_after: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
    """The earliest time of a draw, aware; refused when it lies too far ahead."""
    if draw_after is None:
        return None
    if timezone.is_naive(draw_after):
        # A time without its offset is one read off the clock on the wall:
        # Beijing time, the platform's, as the pages take it.
        draw_after = timezone.make_aware(draw_after)
    if draw_after - now > MAX_DRAW_DELAY:
        raise _field_error(_("抽取时间不能晚于公告后一年。"), "draw_after_too_late", "draw_after")
    return draw_after


# --- the inspector register --------------------------------------------------------------------


def _clean_qualifications(qualifications: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for item in qualifications:
        if not isinstance(item, str):
            raise _field_error(_("执法资格应为文字。"), "invalid_qualifications", "qualifications")
        text = visible_text(item)
        if not text:
            continue
        if len(text) > 32:
            raise _field_error(
                _("每项执法资格不超过 32 个字。"), "invalid_qualifications", "qualifications"
            )
        refuse_control_characters(text, "qualifications")
        if text not in cleaned:
            cleaned.append(text)
    if len(cleaned) > MAX_QUALIFICATIONS:
        raise _field_error(_("执法资格不超过 20 项。"), "invalid_qualifications", "qualifications")
    return cleaned


def do_register_inspector(
    code: str,
    name: str,
    department: Department,
    qualifications: Sequence[str],
    *,
    actor: Actor,
    user: User | None = None,
) -> Inspector:
    """Put an inspector on the register (执法检查人员名录库) under their 执法证号."""
    code = code.strip()
    name = visible_text(name)
    if not _INSPECTOR_CODE.fullmatch(code):
        raise _field_error(
            _("执法证号应为 1 至 32 位字母、数字或连字符。"), "invalid_inspector_code", "code"
        )
    if not name or len(name) > 64:
        raise _field_error(_("请填写检查人员的姓名（不超过 64 个字）。"), "name_required", "name")
    refuse_control_characters(name, "name")
    cleaned = _clean_qualifications(qualifications)
    with transaction.atomic(durable=True):
        if Inspector.objects.filter(code=code).exists():
            raise Conflict(
                _("该执法证号已在名录库中。"),
                code="inspector_code_taken",
                detail={"fields": {"code": "invalid"}},
            )
        inspector = Inspector.objects.create(
            code=code, name=name, department=department, qualifications=cleaned, user=user
        )
        record_entry(
            actor=actor,
            action="regulation.register_inspector",
            subject_type=INSPECTOR_SUBJECT,
            subject_id=code,
            data={
                "department": department.code,
                "qualifications": cleaned,
                "user": user.pk if user is not None else None,
            },
        )
    return inspector


def do_set_inspector_active(inspector: Inspector, is_active: bool, *, actor: Actor) -> Inspector:
    """Keep an inspector on the register, or take them off it (tasks announced later skip them)."""
    with transaction.atomic(durable=True):
        locked = Inspector.objects.select_for_update().get(pk=inspector.pk)
        inspector.is_active = is_active
        if locked.is_active == is_active:
            # A repeated click or a retry: the register already says so, and the
            # ledger has the entry of the change that did it.
            return inspector
        Inspector.objects.filter(pk=inspector.pk).update(is_active=is_active)
        record_entry(
            actor=actor,
            action="regulation.set_inspector_active",
            subject_type=INSPECTOR_SUBJECT,
            subject_id=inspector.code,
            data={"is_active": is_active},
        )
    return inspector


def do_add_recusal(
    inspector: Inspector, enterprise: Enterprise, relation: str, *, actor: Actor
) -> Recusal:
    """Record a relation that bars the inspector from inspecting the enterprise (回避)."""
    relation = visible_text(relation)
    if not relation or len(relation) > 200:
        raise _field_error(
            _("请填写回避事由（不超过 200 个字）。"), "relation_required", "relation"
        )
    refuse_control_characters(relation, "relation")
    with transaction.atomic(durable=True):
        if Recusal.objects.filter(inspector=inspector, enterprise=enterprise).exists():
            raise Conflict(
                _("该检查人员与该企业的回避关系已登记。"),
                code="recusal_exists",
                detail={"fields": {"enterprise": "invalid"}},
            )
        recusal = Recusal.objects.create(
            inspector=inspector, enterprise=enterprise, relation=relation
        )
        record_entry(
            actor=actor,
            action="regulation.add_recusal",
            subject_type=INSPECTOR_SUBJECT,
            subject_id=inspector.code,
            # The relation itself may be personal (a relative); the log keeps who and whom.
            data={"enterprise": enterprise.credit_code},
        )
    return recusal


def do_remove_recusal(recusal: Recusal, *, actor: Actor) -> None:
    """Remove a recusal relation that no longer holds (tasks announced earlier keep it)."""
    inspector_code = recusal.inspector.code
    credit_code = recusal.enterprise.credit_code
    with transaction.atomic(durable=True):
        deleted, _rows = Recusal.objects.filter(pk=recusal.pk).delete()
        if not deleted:
            raise NotFound(_("找不到该回避关系。"), code="recusal_not_found")
        record_entry(
            actor=actor,
            action="regulation.remove_recusal",
            subject_type=INSPECTOR_SUBJECT,
            subject_id=inspector_code,
            data={"enterprise": credit_code},
        )


# --- tasks -------------------------------------------------------------------------------------


MAX_RATIO_DENOMINATOR = 1_000_000


def parse_ratio(value: str | Fraction) -> Fraction:
    """Read a share to inspect, 0 < share ≤ 1: "1/10", "0.1" or "10%" (exactly, never a float)."""
    if isinstance(value, Fraction):
        ratio = value
    else:
        text = value.strip()
        percent = _RATIO_PERCENT.fullmatch(text)
        try:
            # Fraction reads "1e-999999999" by raising ten to the exponent, which
            # takes the process many minutes; no share is written that way.
            if "e" in text.casefold():
                raise ValueError(text)
            ratio = Fraction(percent.group(1)) / 100 if percent else Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise _field_error(
                _("抽查比例应为分数或小数，如 1/10、0.1 或 10%。"), "invalid_ratio", "base_ratio"
            ) from None
    if not 0 < ratio <= 1:
        raise _field_error(_("抽查比例应大于 0 且不超过 1。"), "invalid_ratio", "base_ratio")
    # The share is written into the published rules of the draw; one in a
    # million is finer than any list of enterprises needs.
    if ratio.denominator > MAX_RATIO_DENOMINATOR:
        raise _field_error(_("抽查比例最多精确到百万分之一。"), "invalid_ratio", "base_ratio")
    return ratio


def class_ratios(base: Fraction, weights: Mapping[str, Fraction]) -> dict[str, Fraction]:
    """Return each credit class's share: the base share times the class's weight, at most all."""
    return {c: min(Fraction(1), base * weights[c]) for c in draw.CREDIT_CLASSES}


def _task_problems(
    code: str,
    title: str,
    matters: str,
    department: Department,
    region: Region,
    industry_code: str,
    inspectors_per_target: int,
    required_qualification: str,
) -> Problems:
    """Every problem of a task's fields, so that one refusal names them all."""
    problems = Problems()
    if not _TASK_CODE.fullmatch(code):
        problems.add(
            _field_error(
                _("任务编号应为 1 至 64 位字母、数字、连字符或下划线。"),
                "invalid_task_code",
                "code",
            )
        )
    if not title or len(title) > 200:
        problems.add(
            _field_error(_("请填写任务名称（不超过 200 个字）。"), "title_required", "title")
        )
    else:
        problems.check(lambda: refuse_control_characters(title, "title"))
    if not matters:
        problems.add(_field_error(_("请填写检查事项。"), "matters_required", "matters"))
    else:
        problems.check(lambda: refuse_control_characters(matters, "matters"))
    if not (
        region.path == department.region.path
        or region.path.startswith(department.region.path.rstrip("/") + "/")
    ):
        problems.add(
            _field_error(_("抽查区域应在该部门的辖区之内。"), "region_outside_department", "region")
        )
    if industry_code and not _INDUSTRY_CODE.fullmatch(industry_code):
        problems.add(
            _field_error(
                _("行业代码应为国民经济行业分类代码，如 C 或 C3021。"),
                "invalid_industry_code",
                "industry_code",
            )
        )
    if (
        isinstance(inspectors_per_target, bool)
        or not isinstance(inspectors_per_target, int)
        or not 2 <= inspectors_per_target <= MAX_INSPECTORS_PER_TARGET
    ):
        problems.add(
            _field_error(
                _("每户检查人员应为 2 至 5 名。"),
                "invalid_inspectors_per_target",
                "inspectors_per_target",
            )
        )
    if len(required_qualification) > 32:
        problems.add(
            _field_error(
                _("所需执法资格不超过 32 个字。"),
                "invalid_qualification",
                "required_qualification",
            )
        )
    return problems


def _announced_draw_fields(
    published: Mapping[str, Any],
    sealed: str,
    actor: Actor,
    now: dt.datetime,
    draw_after: dt.datetime | None,
) -> dict[str, Any]:
    """The fields of a draw announced now: its sealed seed, commitment and frozen registers."""
    return {
        "state": DrawState.ANNOUNCED,
        "sealed_seed": sealed,
        "commitment": published["commitment"],
        "registers_digest": published["registers_digest"],
        "announcement": published,
        "created_by": actor.label[:64],
        "announced_at": now,
        "draw_after": max(draw_after, now) if draw_after is not None else now,
    }


def do_announce_inspection_task(
    code: str,
    title: str,
    department: Department,
    region: Region,
    matters: str,
    base_ratio: str | Fraction,
    *,
    actor: Actor,
    industry_code: str = "",
    inspectors_per_target: int = 2,
    required_qualification: str = "",
    draw_after: dt.datetime | None = None,
) -> InspectionTask:
    """Announce a task: freeze its registers and rules and commit to a secret seed.

    Each credit class is drawn at the base share times the active scorecard's
    draw weight of the class (lower grades more often), at most all of it. The
    draw may happen from ``draw_after`` on (now, if not given or already past).
    """
    code, title, matters = code.strip(), visible_text(title), visible_text(matters)
    industry_code = industry_code.strip().upper()
    required_qualification = required_qualification.strip()
    problems = _task_problems(
        code,
        title,
        matters,
        department,
        region,
        industry_code,
        inspectors_per_target,
        required_qualification,
    )
    base = problems.check(lambda: parse_ratio(base_ratio))
    now = timezone.now()
    draw_after = problems.check(lambda: _checked_draw_after(draw_after, now))
    problems.refuse()
    assert base is not None
    with transaction.atomic(durable=True):
        if InspectionTask.objects.filter(code=code).exists():
            raise Conflict(
                _("该任务编号已被使用。"),
                code="task_code_taken",
                detail={"fields": {"code": "invalid"}},
            )
        version, card = active_scorecard()
        ratios = class_ratios(base, card.draw_weights)
        targets = target_register(region, industry_code)
        if not targets:
            raise _field_error(_("抽查区域和行业内没有可抽取的企业。"), "no_targets", "region")
        inspectors = inspector_register(department, (t.id for t in targets))
        qualified = [
            i
            for i in inspectors
            if not required_qualification or required_qualification in i.qualifications
        ]
        if len(qualified) < inspectors_per_target:
            raise _field_error(
                _("名录库中具备所需执法资格的在册检查人员不足每户所需人数。"),
                "not_enough_inspectors",
                "required_qualification",
            )
        rules = draw.DrawRules(
            task_id=code,
            ratios=ratios,
            inspectors_per_target=inspectors_per_target,
            required_qualification=required_qualification or None,
        )
        seed = draw.new_seed()
        published = draw.announcement(draw.commit(seed), targets, inspectors, rules)
        # Only sealed until the draw: the database alone must not tell what it will pick.
        sealed = seal_seed(seed, task_code=code, commitment=published["commitment"])
        try:
            with transaction.atomic():
                task = InspectionTask.objects.create(
                    code=code,
                    title=title,
                    department=department,
                    region=region,
                    industry_code=industry_code,
                    matters=matters,
                    base_ratio=str(base),
                    ratios={c: str(r) for c, r in ratios.items()},
                    inspectors_per_target=inspectors_per_target,
                    required_qualification=required_qualification,
                    **_announced_draw_fields(published, sealed, actor, now, draw_after),
                )
        except IntegrityError:
            # The same code announced by a concurrent request.
            raise Conflict(
                _("该任务编号已被使用。"),
                code="task_code_taken",
                detail={"fields": {"code": "invalid"}},
            ) from None
        record_entry(
            actor=actor,
            action="regulation.announce_inspection_task",
            subject_type=TASK_SUBJECT,
            subject_id=code,
            data={
                "commitment": task.commitment,
                "registers_digest": task.registers_digest,
                "department": department.code,
                "region": region.code,
                "targets": len(targets),
                "inspectors": len(inspectors),
                "ratios": task.ratios,
                "scorecard": version.number,
                "draw_after": task.draw_after.isoformat(),
            },
        )
    return task


def _frozen_inspectors(entries: Sequence[Mapping[str, Any]]) -> list[draw.Inspector]:
    """Rebuild an announced inspector register (names are not part of a draw)."""
    return [
        draw.Inspector(
            id=entry["id"],
            name="",
            department=entry["department"],
            qualifications=frozenset(entry["qualifications"]),
            conflicts=frozenset(entry["conflicts"]),
        )
        for entry in entries
    ]


def _frozen_registers(
    announced: Mapping[str, Any],
) -> tuple[list[draw.Target], list[draw.Inspector], draw.DrawRules]:
    """Rebuild the draw's inputs from the announcement (names are not part of the draw)."""
    registers = announced["registers"]
    rules = announced["rules"]
    targets = [
        draw.Target(
            id=entry["id"], name="", credit_class=cast(draw.CreditClass, entry["credit_class"])
        )
        for entry in registers["targets"]
    ]
    inspectors = _frozen_inspectors(registers["inspectors"])
    return (
        targets,
        inspectors,
        draw.DrawRules(
            task_id=rules["task_id"],
            ratios=dict(rules["ratios"]),
            inspectors_per_target=rules["inspectors_per_target"],
            required_qualification=rules["required_qualification"],
        ),
    )


def _opened_seed(announced: VerifiableDraw, seal_name: str, described: str) -> bytes | None:
    """An announced draw's seed, opened from its seal; None (logged) when it does not open."""
    try:
        return unseal_seed(
            announced.sealed_seed, task_code=seal_name, commitment=announced.commitment
        )
    except SeedUnsealable:
        logger.error("the sealed seed of %s does not open", described)
        return None


def _opened_task_seed(task: InspectionTask) -> bytes | None:
    return _opened_seed(task, task.code, f"inspection task {task.code}")


def _broken(what: str) -> Conflict:
    # Only a changed row could cause this: the draw is refused rather than published.
    return Conflict(
        _("抽查任务的公告数据不一致，不能抽取。"),
        code="announcement_mismatch",
        detail={"reason": what},
    )


def result_digest(result: Mapping[str, Any]) -> str:
    """Return the SHA-256 (hex) of a draw result's canonical JSON, as the ledger records it."""
    return hashlib.sha256(draw.canonical_json(result)).hexdigest()


def _require_due(announced: VerifiableDraw, now: dt.datetime) -> None:
    if now < announced.draw_after:
        raise Conflict(
            _("尚未到公告的抽取时间（%(at)s）。")
            % {"at": timezone.localtime(announced.draw_after).strftime("%Y-%m-%d %H:%M")},
            code="too_early",
            detail={"draw_after": announced.draw_after.isoformat()},
        )


def _require_committed_seed(announced: VerifiableDraw, seed: bytes | None) -> bytes:
    """The opened seed, refused unless it is the one committed to and announced."""
    if seed is None:
        raise _broken("seed")
    if not draw.verify_commitment(announced.commitment, seed) or (
        announced.announcement.get("commitment") != announced.commitment
    ):
        raise _broken("commitment")
    return seed


def _require_registers_digest(announced: VerifiableDraw, recomputed: str) -> None:
    if not (recomputed == announced.registers_digest == announced.announcement["registers_digest"]):
        raise _broken("registers_digest")


def _link_drawn_inspectors(drawn: Iterable[tuple[Inspection, Sequence[str]]]) -> None:
    """Give each inspection the inspectors (by 执法证号) a draw gave it, in one insert."""
    drawn = list(drawn)
    inspectors = {
        i.code: i
        for i in Inspector.objects.filter(code__in={code for _, codes in drawn for code in codes})
    }
    links = []
    for inspection, codes in drawn:
        for inspector_code in codes:
            inspector = inspectors.get(inspector_code)
            if inspector is None:
                raise _broken(f"inspector {inspector_code}")
            links.append(
                Inspection.inspectors.through(
                    inspection_id=inspection.pk, inspector_id=inspector.pk
                )
            )
    Inspection.inspectors.through.objects.bulk_create(links)


def _mark_drawn(
    drawn: VerifiableDraw,
    transcript: dict[str, Any],
    seed: bytes,
    *,
    now: dt.datetime,
    actor: Actor,
) -> None:
    """Publish a draw's transcript and seed; the seal is no longer needed."""
    drawn.state = DrawState.DRAWN
    drawn.transcript = transcript
    drawn.seed_hex = seed.hex()
    drawn.sealed_seed = ""
    drawn.drawn_at = now
    drawn.drawn_by = actor.label[:64]
    drawn.save(
        update_fields=["state", "transcript", "seed_hex", "sealed_seed", "drawn_at", "drawn_by"]
    )


def _revealed_draw_data(drawn: VerifiableDraw, transcript: Mapping[str, Any]) -> dict[str, Any]:
    """What the ledger entry of a draw records of it: seed, commitment and digests."""
    return {
        "seed": drawn.seed_hex,
        "commitment": drawn.commitment,
        "registers_digest": drawn.registers_digest,
        "result_digest": result_digest(transcript["result"]),
    }


def do_draw_inspection_task(
    task: InspectionTask, *, actor: Actor, now: dt.datetime | None = None
) -> InspectionTask:
    """Draw an announced task from its frozen registers and publish the transcript."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        locked = (
            InspectionTask.objects.select_for_update().select_related("department").get(pk=task.pk)
        )
        if locked.state != DrawState.ANNOUNCED:
            raise Conflict(
                _("只能抽取已公告、尚未抽取的任务。"),
                code="not_announced",
                detail={"state": locked.state},
            )
        _require_due(locked, now)
        announced = locked.announcement
        seed = _require_committed_seed(locked, _opened_task_seed(locked))
        targets, inspectors, rules = _frozen_registers(announced)
        result = draw.draw(seed, targets, inspectors, rules)
        _require_registers_digest(locked, result.registers_digest)
        transcript = result.transcript()
        if draw.transcript_differences(transcript, announced):
            raise _broken("transcript")
        enterprises = {
            e.credit_code: e
            for e in Enterprise.objects.filter(
                credit_code__in=[a.target_id for a in result.assignments]
            )
        }
        inspections = []
        for assignment in result.assignments:
            enterprise = enterprises.get(assignment.target_id)
            if enterprise is None:
                raise _broken(f"target {assignment.target_id}")
            inspections.append(
                Inspection(
                    task=locked,
                    enterprise=enterprise,
                    credit_class=assignment.credit_class,
                    shortfall=assignment.shortfall,
                )
            )
        created = Inspection.objects.bulk_create(inspections)
        _link_drawn_inspectors(
            (inspection, assignment.inspector_ids)
            for inspection, assignment in zip(created, result.assignments, strict=True)
        )
        _mark_drawn(locked, transcript, seed, now=now, actor=actor)
        record_entry(
            actor=actor,
            action="regulation.draw_inspection_task",
            subject_type=TASK_SUBJECT,
            subject_id=locked.code,
            data={
                **_revealed_draw_data(locked, transcript),
                "drawn": len(result.assignments),
                "shortfalls": result.shortfalls,
            },
        )
    return locked


def _cancel_reason(reason: str) -> str:
    reason = visible_text(reason)
    if not reason or len(reason) > 300:
        raise _field_error(_("请填写撤销原因（不超过 300 个字）。"), "reason_required", "reason")
    refuse_control_characters(reason, "reason")
    return reason


def _mark_cancelled(
    draw_row: VerifiableDraw, seed: bytes | None, reason: str, actor: Actor
) -> None:
    """Store a draw cancelled before it was drawn: who, when, why, and its seed made public."""
    draw_row.state = DrawState.CANCELLED
    draw_row.seed_hex = seed.hex() if seed is not None else ""
    draw_row.sealed_seed = ""
    draw_row.cancelled_at = timezone.now()
    draw_row.cancelled_by = actor.label[:64]
    draw_row.cancel_reason = reason
    draw_row.save(
        update_fields=[
            "state",
            "seed_hex",
            "sealed_seed",
            "cancelled_at",
            "cancelled_by",
            "cancel_reason",
        ]
    )


def do_cancel_inspection_task(task: InspectionTask, reason: str, *, actor: Actor) -> InspectionTask:
    """Cancel an announced task before its draw, for a stated reason; its seed becomes public."""
    reason = _cancel_reason(reason)
    with transaction.atomic(durable=True):
        locked = InspectionTask.objects.select_for_update().get(pk=task.pk)
        if locked.state != DrawState.ANNOUNCED:
            raise Conflict(
                _("只能在抽取之前撤销任务。"),
                code="not_announced",
                detail={"state": locked.state},
            )
        # Revealed, so anyone can compute what the draw would have picked. A
        # seed that no longer opens (its key lost) must not keep the task
        # open for ever: the cancellation goes ahead and says so.
        seed = _opened_task_seed(locked)
        _mark_cancelled(locked, seed, reason, actor)
        record_entry(
            actor=actor,
            action="regulation.cancel_inspection_task",
            subject_type=TASK_SUBJECT,
            subject_id=locked.code,
            data={
                "reason": reason,
                "seed": locked.seed_hex or None,
                "seed_unavailable": seed is None,
                "commitment": locked.commitment,
            },
        )
    return locked


# --- supplementary draws (补充抽取) -------------------------------------------------------------


def _supplementary_seal_name(task: InspectionTask, number: int) -> str:
    # The seal binds the seed to one draw: the task's own seal cannot open it, nor another's.
    return f"{task.code}/supplementary-{number}"


def _drawn_transcripts(
    task: InspectionTask,
) -> tuple[list[SupplementaryDraw], list[dict[str, Any]]]:
    """The task's supplementary draws so far, and the transcripts of those drawn, in order."""
    earlier = list(SupplementaryDraw.objects.filter(task=task).order_by("number"))
    return earlier, [s.transcript for s in earlier if s.state == DrawState.DRAWN and s.transcript]


def do_announce_supplementary_draw(
    task: InspectionTask, *, actor: Actor, draw_after: dt.datetime | None = None
) -> SupplementaryDraw:
    """Announce a supplementary draw for a drawn task's inspections still short of inspectors.

    The inspector register is read as it is now (inspectors added, recusals
    lifted since the task's draw) and frozen with a commitment to a fresh
    secret seed, exactly as the task's own announcement; the draw follows
    from ``draw_after`` on (now, if not given or already past).
    """
    now = timezone.now()
    draw_after = _checked_draw_after(draw_after, now)
    with transaction.atomic(durable=True):
        locked = (
            InspectionTask.objects.select_for_update().select_related("department").get(pk=task.pk)
        )
        if locked.state != DrawState.DRAWN or not locked.transcript:
            raise Conflict(_("该任务尚未抽取，不能补充抽取。"), code="not_drawn")
        earlier, previous = _drawn_transcripts(locked)
        if any(s.state == DrawState.ANNOUNCED for s in earlier):
            raise Conflict(
                _("该任务已有一次补充抽取已公告、尚未抽取，请先完成该次抽取。"),
                code="supplementary_pending",
            )
        left_short = draw.short_inspections(locked.transcript, previous)
        # Only results recorded before short inspections were refused can be
        # here; such an inspection is over, and the announcement says so.
        finished = recorded_targets(locked, [s.target_id for s in left_short])
        short = [s for s in left_short if s.target_id not in finished]
        if not short:
            raise Conflict(
                _("该任务的检查对象都已抽足检查人员，无需补充抽取。"), code="no_shortfall"
            )
        _targets, _inspectors, original_rules = _frozen_registers(locked.announcement)
        rules = draw.SupplementaryRules.of(original_rules)
        inspectors = inspector_register(locked.department, (s.target_id for s in short))
        if not any(_eligible_newcomers(entry, inspectors, rules) for entry in short):
            raise Conflict(
                _(
                    "名录库中没有可补充抽取的检查人员：请先增补具备执法资格的检查人员，"
                    "或解除已不成立的回避关系。"
                ),
                code="no_eligible_inspectors",
            )
        seed = draw.new_seed()
        number = len(earlier) + 1
        published = draw.supplementary_announcement(
            draw.commit(seed),
            draw.transcript_digest(locked.transcript),
            [draw.transcript_digest(t) for t in previous],
            short,
            inspectors,
            rules,
            finished,
        )
        sealed = seal_seed(
            seed,
            task_code=_supplementary_seal_name(locked, number),
            commitment=published["commitment"],
        )
        try:
            with transaction.atomic():
                supplementary = SupplementaryDraw.objects.create(
                    task=locked,
                    number=number,
                    **_announced_draw_fields(published, sealed, actor, now, draw_after),
                )
        except IntegrityError:
            # Announced by a concurrent request.
            raise Conflict(
                _("该任务已有一次补充抽取已公告、尚未抽取，请先完成该次抽取。"),
                code="supplementary_pending",
            ) from None
        record_entry(
            actor=actor,
            action="regulation.announce_supplementary_draw",
            subject_type=TASK_SUBJECT,
            subject_id=locked.code,
            data={
                "number": number,
                "commitment": supplementary.commitment,
                "registers_digest": supplementary.registers_digest,
                "original": published["basis"]["original"],
                "previous": published["basis"]["previous"],
                "finished": published["basis"].get("finished", []),
                "shortfalls": {s.target_id: s.shortfall for s in short},
                "inspectors": len(inspectors),
                "draw_after": supplementary.draw_after.isoformat(),
            },
        )
    return supplementary


def _eligible_newcomers(
    entry: draw.ShortInspection,
    inspectors: Sequence[draw.Inspector],
    rules: draw.SupplementaryRules,
) -> list[draw.Inspector]:
    assigned = {i.id for i in entry.assigned}
    return [
        i
        for i in inspectors
        if i.id not in assigned
        and entry.target_id not in i.conflicts
        and (
            rules.required_qualification is None or rules.required_qualification in i.qualifications
        )
    ]


def _frozen_supplementary(
    announced: Mapping[str, Any],
) -> tuple[list[draw.ShortInspection], list[draw.Inspector], draw.SupplementaryRules]:
    """Rebuild a supplementary draw's inputs from its announcement."""
    registers = announced["registers"]
    rules = announced["rules"]
    short = [
        draw.ShortInspection(
            target_id=entry["target"],
            assigned=tuple(
                draw.Inspector(id=i["id"], name="", department=i["department"])
                for i in entry["assigned"]
            ),
            shortfall=entry["shortfall"],
        )
        for entry in registers["inspections"]
    ]
    inspectors = _frozen_inspectors(registers["inspectors"])
    return (
        short,
        inspectors,
        draw.SupplementaryRules(
            task_id=rules["task_id"],
            inspectors_per_target=rules["inspectors_per_target"],
            required_qualification=rules["required_qualification"],
        ),
    )


def _lock_supplementary(
    supplementary: SupplementaryDraw,
) -> tuple[InspectionTask, SupplementaryDraw]:
    """Lock the task, then the draw, as every supplementary action does; refuse a cancelled one."""
    task = InspectionTask.objects.select_for_update().get(pk=supplementary.task_id)
    locked = SupplementaryDraw.objects.select_for_update().get(pk=supplementary.pk)
    if locked.state == DrawState.CANCELLED:
        raise Conflict(
            _("该次补充抽取已撤销。"),
            code="supplementary_cancelled",
            detail={"state": locked.state},
        )
    return task, locked


def _opened_supplementary_seed(
    task: InspectionTask, supplementary: SupplementaryDraw
) -> bytes | None:
    return _opened_seed(
        supplementary,
        _supplementary_seal_name(task, supplementary.number),
        f"{task.code} supplementary draw {supplementary.number}",
    )


def do_draw_supplementary_inspectors(
    supplementary: SupplementaryDraw, *, actor: Actor, now: dt.datetime | None = None
) -> SupplementaryDraw:
    """Draw an announced supplementary draw from its frozen register and publish its transcript.

    The inspectors drawn join their inspections; an inspection the register
    still cannot fill keeps the rest of its shortfall, published as such.
    """
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        task, locked = _lock_supplementary(supplementary)
        if locked.state != DrawState.ANNOUNCED:
            raise Conflict(
                _("只能抽取已公告、尚未抽取的补充抽取。"),
                code="not_announced",
                detail={"state": locked.state},
            )
        _require_due(locked, now)
        announced = locked.announcement
        seed = _require_committed_seed(
            locked,
            _opened_supplementary_seed(task, locked),
        )
        _earlier, previous = _drawn_transcripts(task)
        basis = announced["basis"]
        if not task.transcript or (basis["original"], basis["previous"]) != (
            draw.transcript_digest(task.transcript),
            [draw.transcript_digest(t) for t in previous],
        ):
            raise _broken("basis")
        short, inspectors, rules = _frozen_supplementary(announced)
        result = draw.draw_supplementary(
            seed,
            basis["original"],
            basis["previous"],
            short,
            inspectors,
            rules,
            basis.get("finished", ()),
        )
        _require_registers_digest(locked, result.registers_digest)
        transcript = result.transcript()
        if draw.transcript_differences(
            transcript, announced, original=task.transcript, previous=previous
        ):
            raise _broken("transcript")
        inspections = {
            i.enterprise.credit_code: i
            for i in Inspection.objects.filter(
                task=task, enterprise__credit_code__in=[s.target_id for s in short]
            )
            .select_related("enterprise")
            .prefetch_related("inspectors")
        }
        for entry in short:
            inspection = inspections.get(entry.target_id)
            if (
                inspection is None
                or inspection.shortfall != entry.shortfall
                or {i.code for i in inspection.inspectors.all()} != {i.id for i in entry.assigned}
            ):
                raise _broken(f"inspection {entry.target_id}")
        _link_drawn_inspectors(
            (inspections[a.target_id], a.inspector_ids) for a in result.assignments
        )
        for assignment in result.assignments:
            inspection = inspections[assignment.target_id]
            if assignment.shortfall != inspection.shortfall:
                Inspection.objects.filter(pk=inspection.pk).update(shortfall=assignment.shortfall)
        _mark_drawn(locked, transcript, seed, now=now, actor=actor)
        record_entry(
            actor=actor,
            action="regulation.draw_supplementary_inspectors",
            subject_type=TASK_SUBJECT,
            subject_id=task.code,
            data={
                "number": locked.number,
                **_revealed_draw_data(locked, transcript),
                "added": {a.target_id: list(a.inspector_ids) for a in result.assignments},
                "shortfalls": result.shortfalls,
            },
        )
    return locked


def do_cancel_supplementary_draw(
    supplementary: SupplementaryDraw, *, reason: str, actor: Actor
) -> SupplementaryDraw:
    """Cancel an announced supplementary draw before it is drawn, for a stated reason.

    Its announcement was published, so the row stays, marked cancelled with
    the reason, and its seed becomes public as a cancelled task's does. It
    drew nobody and has no transcript: the next supplementary draw of the
    task takes the next number and does not refer to it.
    """
    reason = _cancel_reason(reason)
    with transaction.atomic(durable=True):
        task, locked = _lock_supplementary(supplementary)
        if locked.state != DrawState.ANNOUNCED:
            raise Conflict(
                _("该次补充抽取已经抽取，不能撤销。"),
                code="already_drawn",
                detail={"state": locked.state},
            )
        # Revealed, so that anyone can compute what it would have drawn and
        # see whether it was cancelled for its outcome; a seal that no longer
        # opens must not keep the task blocked, so the cancellation says so.
        seed = _opened_supplementary_seed(task, locked)
        _mark_cancelled(locked, seed, reason, actor)
        record_entry(
            actor=actor,
            action="regulation.cancel_supplementary_draw",
            subject_type=TASK_SUBJECT,
            subject_id=task.code,
            data={
                "number": locked.number,
                "commitment": locked.commitment,
                "reason": reason,
                "seed": locked.seed_hex or None,
                "seed_unavailable": seed is None,
            },
        )
    return locked


# --- results -----------------------------------------------------------------------------------


def do_record_inspection_result(
    inspection: Inspection,
    outcome: str,
    findings: str,
    inspected_on: dt.date,
    *,
    actor: Actor,
) -> Inspection:
    """Record a drawn inspection's result, once, and put it on the enterprise's credit file."""
    if outcome not in InspectionOutcome.values:
        raise _field_error(_("请选择检查结果。"), "invalid_outcome", "outcome")
    findings = visible_text(findings)
    if outcome != InspectionOutcome.PASS and not findings:
        raise _field_error(
            _("发现问题、不合格或未发现企业时，请写明检查情况。"), "findings_required", "findings"
        )
    if len(findings) > 2000:
        raise _field_error(_("检查情况不超过 2000 个字。"), "findings_too_long", "findings")
    refuse_control_characters(findings, "findings")
    if inspected_on > timezone.localdate():
        raise _field_error(_("检查日期不能晚于今天。"), "inspected_in_future", "inspected_on")
    with transaction.atomic(durable=True):
        locked = (
            Inspection.objects.select_for_update()
            .select_related("task__department", "enterprise")
            .get(pk=inspection.pk)
        )
        task = locked.task
        if task.state != DrawState.DRAWN or task.drawn_at is None:
            raise Conflict(_("该任务尚未抽取。"), code="not_drawn")
        if locked.outcome:
            raise Conflict(_("该检查结果已经录入，不能重复录入。"), code="result_recorded")
        if locked.shortfall:
            # On site there must be as many law-enforcement inspectors as the
            # task's rules ask for (at least two): a short inspection waits
            # for its supplementary draw.
            raise Conflict(
                _("该检查对象的检查人员不足（缺 %(n)d 名），补充抽取后才能录入检查结果。")
                % {"n": locked.shortfall},
                code="short_of_inspectors",
                detail={"shortfall": locked.shortfall},
            )
        if inspected_on < timezone.localdate(task.drawn_at):
            raise _field_error(
                _("检查日期不能早于抽取日期。"), "inspected_before_draw", "inspected_on"
            )
        locked.outcome = outcome
        locked.findings = findings
        locked.inspected_on = inspected_on
        locked.recorded_by = actor.label[:64]
        locked.recorded_at = timezone.now()
        locked.save(
            update_fields=["outcome", "findings", "inspected_on", "recorded_by", "recorded_at"]
        )
        description = stored_text(
            gettext_noop("双随机抽查“%(title)s”（%(code)s）：%(outcome)s。%(findings)s"),
            title=task.title,
            code=task.code,
            outcome=stored_text(OUTCOME_TEXTS[outcome]),
            findings=findings,
        )
        record = add_credit_record(
            locked.enterprise,
            CreditKind.INSPECTION,
            inspected_on,
            description,
            recorded_by=actor.label,
            severity=OUTCOME_SEVERITY[outcome],
            authority=task.department.name,
            source_ref=f"inspection:{locked.pk}",
        )
        standing = standing_of(locked.enterprise)
        record_entry(
            actor=actor,
            action="regulation.record_inspection_result",
            subject_type=INSPECTION_SUBJECT,
            subject_id=locked.pk,
            data={
                "task": task.code,
                "enterprise": locked.enterprise.credit_code,
                "outcome": outcome,
                "inspected_on": inspected_on.isoformat(),
                "credit_record": record.pk if record is not None else None,
                "grade": standing.grade if standing is not None else None,
            },
        )
    return locked
