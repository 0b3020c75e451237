"""Random inspections (双随机、一公开) through the API, mounted at /api/regulation/inspections/.

Anyone reads the tasks, each with its announcement (before the draw) or
transcript (after it) and the published results, and downloads the
transcript to verify the draw. Regulators (``regulation.run_inspections``)
announce, draw and cancel the tasks of their departments, record results and
keep the inspector register; for inspections a draw left short of inspectors
they announce and draw (or, before the draw, cancel) supplementary draws
(补充抽取), each with its own commitment and transcript. The seed is never
part of an answer before the draw. Errors have the platform's one shape
``{code, message, detail}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from zhengtong.core.errors import InvalidInput, NotFound, ZhengtongError
from zhengtong.core.schemas import ERROR_RESPONSES, CreditCodeIn
from zhengtong.core.selectors import find_enterprise_by_credit_code, get_region
from zhengtong.identity.actors import actor_of
from zhengtong.identity.auth import session_auth, session_user
from zhengtong.identity.models import User
from zhengtong.identity.permissions import require_permission
from zhengtong.regulation import inspection_access as access
from zhengtong.regulation import inspection_selectors as selectors
from zhengtong.regulation.inspection_actions import (
    MAX_INSPECTORS_PER_TARGET,
    do_add_recusal,
    do_announce_inspection_task,
    do_announce_supplementary_draw,
    do_cancel_inspection_task,
    do_cancel_supplementary_draw,
    do_draw_inspection_task,
    do_draw_supplementary_inspectors,
    do_record_inspection_result,
    do_register_inspector,
    do_remove_recusal,
    do_set_inspector_active,
)
from zhengtong.regulation.models import DrawState, InspectionOutcome, InspectionTask, Inspector
from zhengtong.regulation.permissions import RUN_INSPECTIONS

router = Router(tags=["regulation"])
ERRORS = ERROR_RESPONSES


# --- schemas ---------------------------------------------------------------------------


class InspectionTaskFilterIn(Schema):
    state: DrawState | None = Field(None, description="announced, drawn or cancelled")


class InspectionTaskSummaryOut(Schema):
    code: str
    title: str
    department_code: str
    department_name: str
    region_code: str
    region_name: str
    industry_code: str
    state: str = Field(description="announced, drawn or cancelled")
    announced_at: dt.datetime
    draw_after: dt.datetime
    drawn_at: dt.datetime | None
    commitment: str = Field(description="SHA-256 commitment to the seed, published beforehand")
    registers_digest: str
    drawn: int = Field(description="targets drawn (0 before the draw)")
    results: int = Field(description="drawn targets whose result is published")


class InspectionClassOut(Schema):
    credit_class: str
    ratio: str = Field(description="the share drawn, an exact fraction such as 1/20")
    targets: int = Field(description="enterprises of the class on the frozen register")
    to_draw: int = Field(description="ceil(ratio × targets)")
    drawn: int | None = Field(description="drawn, once the task is drawn")


class InspectionInspectorOut(Schema):
    code: str = Field(description="执法证号")
    name: str
    department_name: str


class InspectionOut(Schema):
    id: int
    enterprise_credit_code: str
    enterprise_name: str
    credit_class: str
    inspectors: list[InspectionInspectorOut] = Field(description="in the order they were drawn")
    shortfall: int = Field(description="inspectors missing for lack of eligible ones")
    outcome: str | None = Field(
        description="pass, problems, fail or not_found; null until recorded"
    )
    findings: str
    inspected_on: dt.date | None


class SupplementaryInspectionOut(Schema):
    enterprise_credit_code: str
    enterprise_name: str
    shortfall_before: int = Field(description="inspectors the target lacked when announced")
    inspectors: list[InspectionInspectorOut] = Field(
        description="the inspectors this draw added, in the order drawn"
    )
    shortfall: int | None = Field(description="still missing after the draw; null before it")


class SupplementaryDrawOut(Schema):
    number: int = Field(description="the task's supplementary draws count from 1")
    state: str = Field(description="announced, drawn or cancelled (before its draw)")
    announced_at: dt.datetime
    draw_after: dt.datetime
    drawn_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    cancel_reason: str = Field(description="why it was cancelled before its draw")
    commitment: str = Field(description="SHA-256 commitment to its own seed, published beforehand")
    registers_digest: str
    seed: str | None = Field(description="revealed by the draw (or on cancellation)")
    verified: bool | None = Field(
        description="whether the transcript recomputes, matches the announcement and refers "
        "to the task's transcript and the earlier supplementary ones"
    )
    still_short: int | None = Field(description="targets still short after the draw")
    inspections: list[SupplementaryInspectionOut]
    announcement: dict[str, Any] = Field(description="as published before the draw")
    transcript: dict[str, Any] | None = Field(description="after the draw")


class SupplementaryDrawIn(Schema):
    draw_after: dt.datetime | None = Field(
        None, description="the draw may not happen earlier (now, if not given)"
    )


class InspectionTaskOut(InspectionTaskSummaryOut):
    matters: str
    base_ratio: str
    inspectors_per_target: int
    required_qualification: str
    classes: list[InspectionClassOut]
    seed: str | None = Field(description="revealed after the draw (or on cancellation)")
    cancelled_at: dt.datetime | None
    cancel_reason: str = Field(description="why the task was cancelled before its draw")
    verified: bool | None = Field(
        description="whether the transcript recomputes and matches the announcement"
    )
    announcement: dict[str, Any] = Field(description="as published before the draw")
    transcript: dict[str, Any] | None = Field(description="after the draw")
    inspections: list[InspectionOut]
    supplementary_draws: list[SupplementaryDrawOut] = Field(
        description="supplementary draws (补充抽取) of inspectors for short inspections"
    )


class InspectionTaskIn(Schema):
    code: str = Field(max_length=64, description="letters, digits, '-' and '_'")
    title: str = Field(max_length=200)
    department_code: str = Field(max_length=64)
    region_code: str = Field(max_length=12, description="the enterprises inside are the targets")
    matters: str = Field(max_length=2000)
    base_ratio: str = Field(
        max_length=16, description='"1/10", "0.1" or "10%"; weighted by credit class'
    )
    industry_code: str = Field("", max_length=5, description="GB/T 4754 prefix, such as C30")
    inspectors_per_target: int = Field(2, ge=2, le=MAX_INSPECTORS_PER_TARGET)
    required_qualification: str = Field("", max_length=32)
    draw_after: dt.datetime | None = Field(
        None, description="the draw may not happen earlier (now, if not given)"
    )


class InspectionCancelIn(Schema):
    reason: str = Field(max_length=300)


class InspectionResultIn(Schema):
    outcome: InspectionOutcome
    findings: str = Field("", max_length=2000, description="required unless the outcome is pass")
    inspected_on: dt.date


class InspectorRecusalOut(Schema):
    enterprise_credit_code: str
    enterprise_name: str
    relation: str


class InspectorOut(Schema):
    code: str = Field(description="执法证号")
    name: str
    department_code: str
    department_name: str
    qualifications: list[str]
    is_active: bool
    recusals: list[InspectorRecusalOut]


class InspectorIn(Schema):
    code: str = Field(max_length=32, description="执法证号")
    name: str = Field(max_length=64)
    department_code: str = Field(max_length=64)
    qualifications: list[str] = Field(default_factory=list)


class InspectorActiveIn(Schema):
    is_active: bool


class InspectorRecusalIn(Schema):
    enterprise_credit_code: CreditCodeIn
    relation: str = Field(max_length=200)


# --- mapping ---------------------------------------------------------------------------


def _summary(task: InspectionTask, drawn: int, results: int) -> dict[str, Any]:
    return {
        "code": task.code,
        "title": task.title,
        "department_code": task.department.code,
        "department_name": task.department.name,
        "region_code": task.region.code,
        "region_name": task.region.name,
        "industry_code": task.industry_code,
        "state": task.state,
        "announced_at": task.announced_at,
        "draw_after": task.draw_after,
        "drawn_at": task.drawn_at,
        "commitment": task.commitment,
        "registers_digest": task.registers_digest,
        "drawn": drawn,
        "results": results,
    }


def _task_out(task: InspectionTask) -> InspectionTaskOut:
    views = selectors.inspections_of(task)
    differences = selectors.verification_of(task)
    return InspectionTaskOut(
        **_summary(task, len(views), sum(1 for v in views if v.inspection.outcome)),
        matters=task.matters,
        base_ratio=task.base_ratio,
        inspectors_per_target=task.inspectors_per_target,
        required_qualification=task.required_qualification,
        classes=[
            InspectionClassOut(
                credit_class=row.credit_class,
                ratio=str(row.ratio),
                targets=row.targets,
                to_draw=row.to_draw,
                drawn=row.drawn,
            )
            for row in selectors.class_rows(task)
        ],
        seed=selectors.seed_of(task),
        cancelled_at=task.cancelled_at,
        cancel_reason=task.cancel_reason,
        verified=None if differences is None else not differences,
        announcement=selectors.public_announcement(task),
        transcript=selectors.public_transcript(task),
        inspections=[
            InspectionOut(
                id=view.inspection.pk,
                enterprise_credit_code=view.inspection.enterprise.credit_code,
                enterprise_name=view.inspection.enterprise.name,
                credit_class=view.inspection.credit_class,
                inspectors=[
                    InspectionInspectorOut(
                        code=i.code, name=i.name, department_name=i.department.name
                    )
                    for i in view.inspectors
                ],
                shortfall=view.inspection.shortfall,
                outcome=view.inspection.outcome or None,
                findings=view.inspection.findings,
                inspected_on=view.inspection.inspected_on,
            )
            for view in views
        ],
        supplementary_draws=[
            _supplementary_out(view) for view in selectors.supplementary_views(task)
        ],
    )


def _supplementary_out(view: selectors.SupplementaryView) -> SupplementaryDrawOut:
    supplementary = view.draw
    drawn = supplementary.state == DrawState.DRAWN
    return SupplementaryDrawOut(
        number=supplementary.number,
        state=supplementary.state,
        announced_at=supplementary.announced_at,
        draw_after=supplementary.draw_after,
        drawn_at=supplementary.drawn_at,
        cancelled_at=supplementary.cancelled_at,
        cancel_reason=supplementary.cancel_reason,
        commitment=supplementary.commitment,
        registers_digest=supplementary.registers_digest,
        seed=view.seed,
        verified=None if view.differences is None else view.verified,
        still_short=view.still_short if drawn else None,
        inspections=[
            SupplementaryInspectionOut(
                enterprise_credit_code=row.target_id,
                enterprise_name=row.enterprise_name,
                shortfall_before=row.shortfall_before,
                inspectors=[
                    InspectionInspectorOut(
                        code=i.code, name=i.name, department_name=i.department.name
                    )
                    for i in row.added
                ],
                shortfall=row.shortfall,
            )
            for row in view.rows
        ],
        announcement=selectors.public_supplementary_announcement(supplementary),
        transcript=selectors.public_supplementary_transcript(supplementary),
    )


def _supplementary_view(task: InspectionTask, number: int) -> SupplementaryDrawOut:
    (view,) = [v for v in selectors.supplementary_views(task) if v.draw.number == number]
    return _supplementary_out(view)


def _inspector_out(inspector: Inspector) -> InspectorOut:
    return InspectorOut(
        code=inspector.code,
        name=inspector.name,
        department_code=inspector.department.code,
        department_name=inspector.department.name,
        qualifications=[str(q) for q in inspector.qualifications],
        is_active=inspector.is_active,
        recusals=[
            InspectorRecusalOut(
                enterprise_credit_code=r.enterprise.credit_code,
                enterprise_name=r.enterprise.name,
                relation=r.relation,
            )
            for r in inspector.recusals.all()
        ],
    )


def _fresh_inspector(request: HttpRequest, code: str) -> InspectorOut:
    # Read again with the recusals, after a change.
    return _inspector_out(access.inspectors_of(session_user(request)).get(code=code))


# --- public ----------------------------------------------------------------------------


@router.get("/tasks", response={200: list[InspectionTaskSummaryOut], **ERRORS})
def list_tasks(
    request: HttpRequest, filters: Query[InspectionTaskFilterIn]
) -> list[InspectionTaskSummaryOut]:
    """Every random-inspection task, newest first (at most 200); public."""
    tasks = selectors.tasks_listed()
    if filters.state:
        tasks = tasks.filter(state=filters.state)
    return [
        InspectionTaskSummaryOut(
            **_summary(task, getattr(task, "drawn_count", 0), getattr(task, "recorded_count", 0))
        )
        for task in tasks[: selectors.MAX_LISTED]
    ]


@router.get("/tasks/{code}", response={200: InspectionTaskOut, **ERRORS})
def get_task(request: HttpRequest, code: str) -> InspectionTaskOut:
    """One task: its announcement, after the draw the seed and transcript, and the results."""
    return _task_out(access.access_public_task_by_code(code))


@router.get("/tasks/{code}/announcement", response={200: dict[str, Any], **ERRORS})
def get_announcement(request: HttpRequest, code: str) -> dict[str, Any]:
    """The announcement published before the draw, to keep and compare the transcript with."""
    return selectors.public_announcement(access.access_public_task_by_code(code))


@router.get("/tasks/{code}/transcript", response={200: dict[str, Any], **ERRORS})
def get_transcript(request: HttpRequest, code: str) -> dict[str, Any]:
    """The draw's transcript, for ``python -m zhengtong.regulation.inspection_draw verify``."""
    transcript = selectors.public_transcript(access.access_public_task_by_code(code))
    if transcript is None:
        raise NotFound(_("该任务尚未抽取，还没有抽取记录。"), code="not_drawn")
    return transcript


@router.get(
    "/tasks/{code}/supplementary-draws/{number}/announcement",
    response={200: dict[str, Any], **ERRORS},
)
def get_supplementary_announcement(request: HttpRequest, code: str, number: int) -> dict[str, Any]:
    """A supplementary draw's announcement, published before it is drawn."""
    return selectors.public_supplementary_announcement(
        access.access_public_supplementary_draw(code, number)
    )


@router.get(
    "/tasks/{code}/supplementary-draws/{number}/transcript",
    response={200: dict[str, Any], **ERRORS},
)
def get_supplementary_transcript(request: HttpRequest, code: str, number: int) -> dict[str, Any]:
    """A supplementary draw's transcript; verify it with ``--original`` (the task's transcript)."""
    supplementary = access.access_public_supplementary_draw(code, number)
    transcript = selectors.public_supplementary_transcript(supplementary)
    if transcript is None and supplementary.state == DrawState.CANCELLED:
        raise NotFound(
            _("该次补充抽取已在抽取前撤销，没有抽取记录。撤销原因：%(reason)s")
            % {"reason": supplementary.cancel_reason},
            code="supplementary_cancelled",
            detail={"reason": supplementary.cancel_reason},
        )
    if transcript is None:
        raise NotFound(_("该次补充抽取尚未抽取，还没有抽取记录。"), code="not_drawn")
    return transcript


# --- regulators ------------------------------------------------------------------------


def _regulator(request: HttpRequest) -> User:
    user = session_user(request)
    require_permission(user, RUN_INSPECTIONS)
    return user


def _regulator_and_task(request: HttpRequest, code: str) -> tuple[User, InspectionTask]:
    """The regulator and, by its code, one of the tasks of the regulator's departments."""
    user = _regulator(request)
    return user, access.access_task_by_code(user, code)


def _regulator_and_inspector(request: HttpRequest, code: str) -> tuple[User, Inspector]:
    """The regulator and, by 执法证号, an inspector of the regulator's departments."""
    user = _regulator(request)
    return user, access.access_inspector_by_code(user, code)


@router.post("/tasks", response={201: InspectionTaskOut, **ERRORS}, auth=session_auth)
def announce_task(request: HttpRequest, payload: InspectionTaskIn) -> Status[InspectionTaskOut]:
    """Announce a task: its registers are frozen and the commitment to its seed published."""
    user = _regulator(request)
    department = access.access_department_for_inspections(user, payload.department_code)
    try:
        region = get_region(payload.region_code)
    except ZhengtongError:
        raise InvalidInput(
            _("没有该行政区划代码。"),
            code="unknown_region",
            detail={"fields": {"region_code": "invalid"}},
        ) from None
    task = do_announce_inspection_task(
        payload.code,
        payload.title,
        department,
        region,
        payload.matters,
        payload.base_ratio,
        actor=actor_of(user),
        industry_code=payload.industry_code,
        inspectors_per_target=payload.inspectors_per_target,
        required_qualification=payload.required_qualification,
        draw_after=payload.draw_after,
    )
    return Status(201, _task_out(access.access_task_by_code(user, task.code)))


@router.post("/tasks/{code}/draw", response={200: InspectionTaskOut, **ERRORS}, auth=session_auth)
def draw_task(request: HttpRequest, code: str) -> InspectionTaskOut:
    """Draw a due task from its frozen registers; the seed and transcript become public."""
    user, task = _regulator_and_task(request, code)
    task = do_draw_inspection_task(task, actor=actor_of(user))
    return _task_out(access.access_task_by_code(user, task.code))


@router.post("/tasks/{code}/cancel", response={200: InspectionTaskOut, **ERRORS}, auth=session_auth)
def cancel_task(request: HttpRequest, code: str, payload: InspectionCancelIn) -> InspectionTaskOut:
    """Cancel a task before its draw, with the reason; its seed becomes public."""
    user, task = _regulator_and_task(request, code)
    task = do_cancel_inspection_task(task, payload.reason, actor=actor_of(user))
    return _task_out(access.access_task_by_code(user, task.code))


@router.post(
    "/tasks/{code}/supplementary-draws",
    response={201: SupplementaryDrawOut, **ERRORS},
    auth=session_auth,
)
def announce_supplementary_draw(
    request: HttpRequest, code: str, payload: SupplementaryDrawIn
) -> Status[SupplementaryDrawOut]:
    """Announce a supplementary draw (补充抽取) for the task's inspections short of inspectors.

    The inspector register as it is now is frozen and the commitment to the
    draw's own seed published; refused when nothing is short
    (``no_shortfall``), when the register has nobody to add
    (``no_eligible_inspectors``) or while another one waits to be drawn
    (``supplementary_pending``).
    """
    user, task = _regulator_and_task(request, code)
    supplementary = do_announce_supplementary_draw(
        task, actor=actor_of(user), draw_after=payload.draw_after
    )
    return Status(201, _supplementary_view(task, supplementary.number))


@router.post(
    "/tasks/{code}/supplementary-draws/{number}/draw",
    response={200: SupplementaryDrawOut, **ERRORS},
    auth=session_auth,
)
def draw_supplementary(request: HttpRequest, code: str, number: int) -> SupplementaryDrawOut:
    """Draw an announced supplementary draw; its seed and transcript become public.

    Refused once drawn (``not_announced``) or cancelled (``supplementary_cancelled``).
    """
    user = _regulator(request)
    supplementary = access.access_supplementary_draw(user, code, number)
    do_draw_supplementary_inspectors(supplementary, actor=actor_of(user))
    return _supplementary_view(access.access_task_by_code(user, code), number)


@router.post(
    "/tasks/{code}/supplementary-draws/{number}/cancel",
    response={200: SupplementaryDrawOut, **ERRORS},
    auth=session_auth,
)
def cancel_supplementary_draw(
    request: HttpRequest, code: str, number: int, payload: InspectionCancelIn
) -> SupplementaryDrawOut:
    """Cancel an announced supplementary draw before it is drawn, with the reason.

    It stays published as cancelled, its seed revealed; a new one can then be
    announced. Refused once drawn (``already_drawn``) or cancelled
    (``supplementary_cancelled``).
    """
    user = _regulator(request)
    supplementary = access.access_supplementary_draw(user, code, number)
    do_cancel_supplementary_draw(supplementary, reason=payload.reason, actor=actor_of(user))
    return _supplementary_view(access.access_task_by_code(user, code), number)


@router.post(
    "/inspections/{inspection_id}/result",
    response={200: InspectionOut, **ERRORS},
    auth=session_auth,
)
def record_result(
    request: HttpRequest, inspection_id: int, payload: InspectionResultIn
) -> InspectionOut:
    """Record a drawn inspection's result, once; it is published and goes on the credit file.

    Refused with ``short_of_inspectors`` while the inspection lacks inspectors
    (its shortfall): a supplementary draw must fill it first.
    """
    user = _regulator(request)
    inspection = access.access_inspection_by_id(user, inspection_id)
    do_record_inspection_result(
        inspection,
        payload.outcome,
        payload.findings,
        payload.inspected_on,
        actor=actor_of(user),
    )
    task = access.access_task_by_code(user, inspection.task.code)
    (published,) = [i for i in _task_out(task).inspections if i.id == inspection.pk]
    return published


@router.get("/inspectors", response={200: list[InspectorOut], **ERRORS}, auth=session_auth)
def list_inspectors(request: HttpRequest) -> list[InspectorOut]:
    """The inspectors of the regulator's departments, with their recusals."""
    user = _regulator(request)
    return [_inspector_out(inspector) for inspector in access.inspectors_of(user)]


@router.post("/inspectors", response={201: InspectorOut, **ERRORS}, auth=session_auth)
def register_inspector(request: HttpRequest, payload: InspectorIn) -> Status[InspectorOut]:
    """Put an inspector on the register under their 执法证号."""
    user = _regulator(request)
    department = access.access_department_for_inspections(user, payload.department_code)
    inspector = do_register_inspector(
        payload.code, payload.name, department, payload.qualifications, actor=actor_of(user)
    )
    return Status(201, _fresh_inspector(request, inspector.code))


@router.post("/inspectors/{code}/active", response={200: InspectorOut, **ERRORS}, auth=session_auth)
def set_inspector_active(
    request: HttpRequest, code: str, payload: InspectorActiveIn
) -> InspectorOut:
    """Take an inspector off the register (tasks announced later skip them), or back on."""
    user, inspector = _regulator_and_inspector(request, code)
    do_set_inspector_active(inspector, payload.is_active, actor=actor_of(user))
    return _fresh_inspector(request, inspector.code)


@router.post(
    "/inspectors/{code}/recusals", response={201: InspectorOut, **ERRORS}, auth=session_auth
)
def add_recusal(
    request: HttpRequest, code: str, payload: InspectorRecusalIn
) -> Status[InspectorOut]:
    """Record a relation that bars the inspector from inspecting an enterprise (回避)."""
    user, inspector = _regulator_and_inspector(request, code)
    enterprise = find_enterprise_by_credit_code(payload.enterprise_credit_code)
    if enterprise is None:
        raise InvalidInput(
            _("没有该统一社会信用代码的企业。"),
            code="unknown_enterprise",
            detail={"fields": {"enterprise_credit_code": "invalid"}},
        )
    do_add_recusal(inspector, enterprise, payload.relation, actor=actor_of(user))
    return Status(201, _fresh_inspector(request, inspector.code))


@router.delete(
    "/inspectors/{code}/recusals/{credit_code}",
    response={200: InspectorOut, **ERRORS},
    auth=session_auth,
)
def remove_recusal(request: HttpRequest, code: str, credit_code: str) -> InspectorOut:
    """Remove a recusal relation that no longer holds."""
    user, inspector = _regulator_and_inspector(request, code)
    recusal = (
        inspector.recusals.select_related("enterprise", "inspector")
        .filter(enterprise__credit_code=credit_code)
        .first()
    )
    if recusal is None:
        raise NotFound(_("找不到该回避关系。"), code="recusal_not_found")
    do_remove_recusal(recusal, actor=actor_of(user))
    return _fresh_inspector(request, inspector.code)
