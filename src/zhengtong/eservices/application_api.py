"""The applications API, mounted at /api/services/applications/ (session users only).

Applicants create, fill in and submit applications (or delete a draft), upload
materials, answer 补正, withdraw and rate; staff list their tasks, claim and complete them,
request 补正 and answer bad ratings. Errors have the platform's one shape
``{code, message, detail}``; form problems are in ``detail.fields`` and
material problems in ``detail.materials``.
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import StrictBool, StrictInt

from zhengtong.core.errors import InvalidInput, NotFound
from zhengtong.core.schemas import ERROR_RESPONSES, MAX_OFFSET
from zhengtong.eservices import application_actions as actions
from zhengtong.eservices import application_selectors as selectors
from zhengtong.eservices.access import access_item_by_code
from zhengtong.eservices.application_access import (
    access_application_by_number,
    access_own_application_by_number,
    access_rectification_by_id,
    access_task_by_id,
)
from zhengtong.eservices.models import Application, Rating, Rectification, WorkTask
from zhengtong.identity.auth import session_auth, session_user

router = Router(tags=["eservices-applications"], auth=session_auth)
ERRORS = ERROR_RESPONSES
# Answered rectifications pile up for good: the list is read a page at a time,
# with the platform's limit and offset (as ``/api/core/departments`` takes them).
RECTIFICATION_PAGE = 100
RECTIFICATION_PAGE_MAX = 500


# --- schemas ---------------------------------------------------------------------------


class DraftIn(Schema):
    item_code: str
    form_data: dict[str, Any] = Field(default_factory=dict)
    # For enterprise users acting for more than one enterprise.
    credit_code: str = ""


class FormIn(Schema):
    form_data: dict[str, Any]


class PromiseIn(Schema):
    promised_on: dt.date


class NoteIn(Schema):
    note: str = ""


class RequestCorrectionIn(Schema):
    note: str = ""
    # The item's materials to be corrected or supplied (补正材料清单); each must
    # be handed in anew before the correction is accepted. Empty: the note only.
    material_ids: list[int] | None = None


class CorrectionIn(Schema):
    note: str = ""
    form_data: dict[str, Any] | None = None
    # The open request's ``version`` as read: refused if a department added to it since.
    request_version: str | None = None


class RatingIn(Schema):
    # Only a JSON number: a lax int read true as 1, 非常不满意, which opens a
    # rectification against the department for what the client meant as praise.
    level: StrictInt
    tags: list[str] = Field(default_factory=list)
    comment: str = ""


class TaskResultIn(Schema):
    # Only JSON true or false: a lax bool read the string "no" as a refusal and
    # "yes", "1" or 1 as a pass, so a client's typo decided the application.
    passed: StrictBool = True
    opinion: str = ""
    reasons: str = ""
    legal_basis: str = ""


class StartProcedureIn(Schema):
    procedure_id: int
    note: str = ""


class ResponseIn(Schema):
    response: str


class ReadIn(Schema):
    ids: list[int] | None = None


class ApplicationSummaryOut(Schema):
    number: str
    item_code: str
    item_name: str
    state: str
    applicant_kind: str
    applicant_name: str
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    deadline_at: dt.datetime | None
    warning_level: str


class EventOut(Schema):
    kind: str
    from_state: str
    to_state: str
    actor: str
    at: dt.datetime
    note: str


class ProvidedMaterialOut(Schema):
    material_id: int
    material_name: str
    kind: str
    file_name: str
    content_type: str
    size: int
    sha256: str
    licence_number: str
    resource_code: str
    promised_on: dt.date | None


class SuspensionOut(Schema):
    kind: str
    stops_clock: bool
    started_at: dt.datetime
    ended_at: dt.datetime | None
    note: str
    # Changes when a department adds to an open 补正 request (see CorrectionIn).
    version: str
    # 补正: the materials the request names, to be handed in anew; [] otherwise.
    material_ids: list[int]
    response: str
    procedure: str
    # A special procedure's maximum working days from its start; null for 补正.
    planned_end_at: dt.datetime | None
    # Ran (or runs) past its planned end: the days beyond count against the limit.
    overdue: bool


class TaskOut(Schema):
    id: int
    application_number: str
    item_name: str
    name: str
    step: str
    role: str
    department_code: str
    claimed_by: str
    created_at: dt.datetime
    completed_at: dt.datetime | None
    deadline_at: dt.datetime | None
    warning_level: str
    result: dict[str, Any]


class RatingOut(Schema):
    id: int
    level: int
    tags: list[str]
    comment: str
    at: dt.datetime
    rectification_id: int | None
    rectification_due_at: dt.datetime | None
    response: str
    responded_at: dt.datetime | None
    # Answered after the rectification's deadline; false while unanswered.
    answered_late: bool
    # Still unanswered at or past the deadline.
    rectification_overdue: bool


class TimeLimitOut(Schema):
    limit_days: int
    deadline_at: dt.datetime | None
    used_days: float
    stopped_days: float
    running: bool
    level: str


class ApplicationDetailOut(ApplicationSummaryOut):
    form_schema: dict[str, Any]
    form_data: dict[str, Any]
    prefilled: dict[str, Any]
    credit_check: dict[str, Any]
    accepted_at: dt.datetime | None
    finished_at: dt.datetime | None
    licence_number: str
    rejection_reasons: str
    rejection_basis: str
    time_limit: TimeLimitOut
    materials: list[ProvidedMaterialOut]
    suspensions: list[SuspensionOut]
    tasks: list[TaskOut]
    timeline: list[EventOut]
    ratings: list[RatingOut]


class FollowUpRatingOut(Schema):
    level: int
    tags: list[str]
    comment: str
    at: dt.datetime


class RectificationOut(Schema):
    id: int
    application_number: str
    department_code: str
    level: int
    # The tags' codes, as a rating gives them: a bad rating may say what went
    # wrong by its tags alone, with no comment.
    tags: list[str]
    comment: str
    due_at: dt.datetime
    response: str
    responded_at: dt.datetime | None
    # Answered after the deadline; false while unanswered.
    answered_late: bool
    # Still unanswered at or past the deadline.
    overdue: bool
    # The applicant's rating after the answer, if they rated again.
    follow_up: FollowUpRatingOut | None


class NotificationOut(Schema):
    id: int
    text: str
    link: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class CountOut(Schema):
    count: int


# --- rendering -------------------------------------------------------------------------


def summary_out(application: Application) -> ApplicationSummaryOut:
    return ApplicationSummaryOut(
        number=application.number,
        item_code=application.item.code,
        item_name=application.item.name,
        state=application.state,
        applicant_kind=application.applicant_kind,
        applicant_name=application.applicant_name,
        created_at=application.created_at,
        submitted_at=application.submitted_at,
        deadline_at=application.deadline_at,
        warning_level=application.warning_level,
    )


def task_out(task: WorkTask) -> TaskOut:
    application = task.application
    return TaskOut(
        id=task.pk,
        application_number=application.number,
        item_name=application.item.name,
        name=task.name,
        step=task.step,
        role=task.role,
        department_code=task.department.code,
        claimed_by=(task.claimed_by.display_name or task.claimed_by.username)
        if task.claimed_by
        else "",
        created_at=task.created_at,
        completed_at=task.completed_at,
        deadline_at=application.deadline_at,
        warning_level=application.warning_level,
        result=task.result,
    )


def rating_out(rating: Rating, now: dt.datetime) -> RatingOut:
    rectification = getattr(rating, "rectification", None)
    return RatingOut(
        id=rating.pk,
        level=rating.level,
        tags=list(rating.tags),
        comment=rating.comment,
        at=rating.at,
        rectification_id=rectification.pk if rectification else None,
        rectification_due_at=rectification.due_at if rectification else None,
        response=rectification.response if rectification else "",
        responded_at=rectification.responded_at if rectification else None,
        answered_late=rectification.answered_late if rectification else False,
        rectification_overdue=rectification.overdue(now) if rectification else False,
    )


def rectification_out(row: Rectification, now: dt.datetime) -> RectificationOut:
    follow_up = selectors.follow_up_rating(row)
    return RectificationOut(
        id=row.pk,
        application_number=row.rating.application.number,
        department_code=row.department.code,
        level=row.rating.level,
        tags=list(row.rating.tags),
        comment=row.rating.comment,
        due_at=row.due_at,
        response=row.response,
        responded_at=row.responded_at,
        answered_late=row.answered_late,
        overdue=row.overdue(now),
        follow_up=FollowUpRatingOut(
            level=follow_up.level,
            tags=list(follow_up.tags),
            comment=follow_up.comment,
            at=follow_up.at,
        )
        if follow_up
        else None,
    )


def application_out(application: Application) -> ApplicationDetailOut:
    limit = selectors.time_limit(application)
    now = timezone.now()
    return ApplicationDetailOut(
        **summary_out(application).dict(),
        form_schema=application.item.form_schema,
        form_data=application.form_data,
        prefilled=application.prefilled,
        credit_check=application.credit_check,
        accepted_at=application.accepted_at,
        finished_at=application.finished_at,
        licence_number=application.licence.number if application.licence else "",
        rejection_reasons=application.shown_rejection_reasons,
        rejection_basis=application.rejection_basis,
        time_limit=TimeLimitOut(
            limit_days=limit.limit_days,
            deadline_at=limit.deadline_at,
            used_days=round(limit.used_days, 2),
            stopped_days=round(limit.stopped_days, 2),
            running=limit.running,
            level=limit.level,
        ),
        materials=[
            ProvidedMaterialOut(
                material_id=row.material_id,
                material_name=row.material.name,
                kind=row.kind,
                file_name=row.file_name,
                content_type=row.content_type,
                size=row.size,
                sha256=row.sha256,
                licence_number=row.licence.number if row.licence else "",
                resource_code=row.resource_code,
                promised_on=row.promised_on,
            )
            for row in selectors.materials_of(application)
        ],
        suspensions=[
            SuspensionOut(
                kind=s.kind,
                stops_clock=s.stops_clock,
                started_at=s.started_at,
                ended_at=s.ended_at,
                note=s.note,
                version=actions.correction_request_version(s.note),
                material_ids=[int(i) for i in s.material_ids or []],
                response=s.response,
                procedure=s.special_procedure.name if s.special_procedure else "",
                planned_end_at=s.planned_end_at,
                overdue=s.overran(now),
            )
            for s in selectors.suspensions_of(application)
        ],
        tasks=[task_out(task) for task in selectors.tasks_of(application)],
        timeline=[
            EventOut(
                kind=e.kind,
                from_state=e.from_state,
                to_state=e.to_state,
                actor=e.actor_label,
                at=e.at,
                note=e.shown_note,
            )
            for e in selectors.timeline(application)
        ],
        ratings=[rating_out(r, now) for r in selectors.ratings_of(application)],
    )


def _detail(request: HttpRequest, number: str) -> ApplicationDetailOut:
    return application_out(access_application_by_number(request.user, number))


# --- staff: tasks, rectifications (static paths first) ---------------------------------


class TaskFilter(Schema):
    mine: bool = False


@router.get("/tasks", response={200: list[TaskOut], **ERRORS})
def list_tasks(request: HttpRequest, filters: Query[TaskFilter]) -> list[TaskOut]:
    """My tasks: open tasks of my roles in my departments, unclaimed or claimed by me."""
    rows = selectors.open_tasks_for(session_user(request), mine_only=filters.mine)
    return [task_out(task) for task in rows[:500]]


@router.post("/tasks/{task_id}/claim", response={200: TaskOut, **ERRORS})
def claim_task(request: HttpRequest, task_id: int) -> TaskOut:
    """Claim an open task."""
    task = access_task_by_id(request.user, task_id)
    actions.do_claim_task(task, acting_user=session_user(request))
    return task_out(access_task_by_id(request.user, task_id))


@router.post("/tasks/{task_id}/release", response={200: TaskOut, **ERRORS})
def release_task(request: HttpRequest, task_id: int) -> TaskOut:
    """Give back a task you claimed: it returns to the queue (409 ``not_claimed`` if not yours)."""
    task = access_task_by_id(request.user, task_id)
    actions.do_release_task(task, acting_user=session_user(request))
    return task_out(access_task_by_id(request.user, task_id))


@router.post("/tasks/{task_id}/complete", response={200: ApplicationDetailOut, **ERRORS})
def complete_task(
    request: HttpRequest, task_id: int, payload: TaskResultIn
) -> ApplicationDetailOut:
    """Complete a task: accept, review, decide (reasons and basis when refusing) or deliver."""
    task = access_task_by_id(request.user, task_id)
    application = actions.do_complete_task(
        task, actions.TaskResult(**payload.dict()), acting_user=session_user(request)
    )
    return _detail(request, application.number)


class RectificationQuery(Schema):
    # A plain string checked below: a typo is refused with the platform's
    # error shape and a stable code, not read as some other list.
    state: str = selectors.RectificationFilter.OPEN.value
    limit: int = Field(RECTIFICATION_PAGE, ge=1, le=RECTIFICATION_PAGE_MAX)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


@router.get("/rectifications", response={200: list[RectificationOut], **ERRORS})
def list_rectifications(
    request: HttpRequest, filters: Query[RectificationQuery]
) -> list[RectificationOut]:
    """Bad ratings of my departments: ``state`` open (default, soonest due first), answered
    (latest answer first) or all; ``limit`` (1 to 500, default 100) from ``offset``."""
    if filters.state not in selectors.RectificationFilter.values:
        raise InvalidInput(
            _("没有这个筛选条件：%(state)s。") % {"state": filters.state[:40]},
            code="unknown_filter",
            detail={"known": list(selectors.RectificationFilter.values)},
        )
    shown = selectors.RectificationFilter(filters.state)
    now = timezone.now()
    rows = selectors.rectifications_for(session_user(request), shown)
    page = rows[filters.offset : filters.offset + filters.limit]
    return [rectification_out(r, now) for r in page]


@router.post("/rectifications/{pk}/respond", response={200: CountOut, **ERRORS})
def respond_to_rating(request: HttpRequest, pk: int, payload: ResponseIn) -> CountOut:
    """Answer a bad rating with what was done."""
    row = access_rectification_by_id(request.user, pk)
    actions.do_respond_to_rating(row, payload.response, acting_user=session_user(request))
    return CountOut(count=1)


@router.get("/notifications", response={200: list[NotificationOut], **ERRORS})
def list_notifications(request: HttpRequest) -> list[NotificationOut]:
    """My messages, newest first."""
    return [
        NotificationOut(
            id=n.pk, text=n.shown_text, link=n.link, created_at=n.created_at, read_at=n.read_at
        )
        for n in selectors.notifications_of(session_user(request))[:200]
    ]


@router.post("/notifications/read", response={200: CountOut, **ERRORS})
def read_notifications(request: HttpRequest, payload: ReadIn) -> CountOut:
    """Mark my messages (all, or the given ids) read."""
    return CountOut(count=actions.do_mark_notifications_read(session_user(request), payload.ids))


# --- applicants ------------------------------------------------------------------------


@router.get("", response={200: list[ApplicationSummaryOut], **ERRORS})
def list_mine(request: HttpRequest, state: str = "") -> list[ApplicationSummaryOut]:
    """My applications, newest first."""
    return [summary_out(a) for a in selectors.applications_of(session_user(request), state)[:500]]


@router.post("", response={200: ApplicationDetailOut, 201: ApplicationDetailOut, **ERRORS})
def create_draft(request: HttpRequest, payload: DraftIn) -> Status[ApplicationDetailOut]:
    """Start an application: a draft prefilled with what the platform already holds (201).

    While the applicant (the same enterprise, for who acts for several) has
    an open draft of the item, it is answered instead with 200, unchanged, as
    the apply page reopens it: a retried request makes no second draft, and
    its ``form_data`` is not applied (save the form with PUT).
    """
    try:
        item = access_item_by_code(request.user, payload.item_code)
    except NotFound as error:
        raise NotFound(code="unknown_item", detail={"field": "item_code"}) from error
    user = session_user(request)
    existing = actions.open_draft_of(item, user, credit_code=payload.credit_code)
    if existing is not None:
        return Status(200, _detail(request, existing.number))
    application = actions.do_save_draft(
        item, payload.form_data, acting_user=user, credit_code=payload.credit_code
    )
    return Status(201, _detail(request, application.number))


@router.get("/{number}", response={200: ApplicationDetailOut, **ERRORS})
def get_application(request: HttpRequest, number: str) -> ApplicationDetailOut:
    """One application with its form, materials, tasks, time limit and timeline."""
    return _detail(request, number)


@router.put("/{number}", response={200: ApplicationDetailOut, **ERRORS})
def update_draft(request: HttpRequest, number: str, payload: FormIn) -> ApplicationDetailOut:
    """Save the form of a draft (or of an application being corrected)."""
    application = access_own_application_by_number(request.user, number)
    actions.do_save_draft(
        application.item,
        payload.form_data,
        acting_user=session_user(request),
        application=application,
    )
    return _detail(request, number)


@router.delete("/{number}", response={204: None, **ERRORS})
def delete_draft(request: HttpRequest, number: str) -> Status[None]:
    """Delete my draft with its materials (409 ``not_a_draft`` once submitted: withdraw it)."""
    application = access_own_application_by_number(request.user, number)
    actions.do_delete_draft(application, acting_user=session_user(request))
    return Status(204, None)


@router.post("/{number}/materials/{material_id}", response={201: ProvidedMaterialOut, **ERRORS})
def upload_material(
    request: HttpRequest, number: str, material_id: int, file: File[UploadedFile]
) -> Status[ProvidedMaterialOut]:
    """Upload a material: PDF, JPG or PNG, at most 10 MB."""
    application = access_own_application_by_number(request.user, number)
    row = actions.do_upload_material(
        application, material_id, file, acting_user=session_user(request)
    )
    return Status(
        201,
        ProvidedMaterialOut(
            material_id=row.material_id,
            material_name=row.material.name,
            kind=row.kind,
            file_name=row.file_name,
            content_type=row.content_type,
            size=row.size,
            sha256=row.sha256,
            licence_number="",
            resource_code="",
            promised_on=None,
        ),
    )


@router.post(
    "/{number}/materials/{material_id}/promise", response={200: ApplicationDetailOut, **ERRORS}
)
def promise_material(
    request: HttpRequest, number: str, material_id: int, payload: PromiseIn
) -> ApplicationDetailOut:
    """Promise a 容缺-eligible material by a date instead of uploading it now."""
    application = access_own_application_by_number(request.user, number)
    actions.do_promise_material(
        application, material_id, payload.promised_on, acting_user=session_user(request)
    )
    return _detail(request, number)


@router.post("/{number}/submit", response={200: ApplicationDetailOut, **ERRORS})
def submit(request: HttpRequest, number: str) -> ApplicationDetailOut:
    """Submit a draft; a simple case may be approved at once (秒批)."""
    application = access_own_application_by_number(request.user, number)
    actions.do_submit_application(application, acting_user=session_user(request))
    return _detail(request, number)


@router.post("/{number}/withdraw", response={200: ApplicationDetailOut, **ERRORS})
def withdraw(request: HttpRequest, number: str, payload: NoteIn) -> ApplicationDetailOut:
    """Withdraw my application before it is decided."""
    application = access_own_application_by_number(request.user, number)
    actions.do_withdraw_application(application, payload.note, acting_user=session_user(request))
    return _detail(request, number)


@router.post("/{number}/correction", response={200: ApplicationDetailOut, **ERRORS})
def submit_correction(
    request: HttpRequest, number: str, payload: CorrectionIn
) -> ApplicationDetailOut:
    """Answer a 补正 request (upload the materials first); the clock runs again."""
    application = access_own_application_by_number(request.user, number)
    actions.do_submit_correction(
        application,
        payload.note,
        acting_user=session_user(request),
        form_data=payload.form_data,
        request_version=payload.request_version,
    )
    return _detail(request, number)


@router.post("/{number}/ratings", response={201: RatingOut, **ERRORS})
def rate(request: HttpRequest, number: str, payload: RatingIn) -> Status[RatingOut]:
    """Rate a finished application (好差评), five levels with tags and a comment."""
    application = access_own_application_by_number(request.user, number)
    rating = actions.do_rate_application(
        application,
        payload.level,
        acting_user=session_user(request),
        tags=payload.tags,
        comment=payload.comment,
    )
    return Status(201, rating_out(rating, timezone.now()))


# --- staff on one application ----------------------------------------------------------


@router.post("/{number}/request-correction", response={200: ApplicationDetailOut, **ERRORS})
def request_correction(
    request: HttpRequest, number: str, payload: RequestCorrectionIn
) -> ApplicationDetailOut:
    """Ask the applicant to correct the application, saying what at once (一次性告知).

    ``material_ids`` names the materials to hand in anew (400
    ``unknown_correction_material`` for one not of the item).
    """
    application = access_application_by_number(request.user, number)
    actions.do_request_correction(
        application,
        payload.note,
        acting_user=session_user(request),
        material_ids=payload.material_ids or (),
    )
    return _detail(request, number)


@router.post("/{number}/special-procedures", response={200: ApplicationDetailOut, **ERRORS})
def start_special_procedure(
    request: HttpRequest, number: str, payload: StartProcedureIn
) -> ApplicationDetailOut:
    """Start one of the item's special procedures (听证, 现场核查 …)."""
    application = access_application_by_number(request.user, number)
    procedure = application.item.special_procedures.filter(pk=payload.procedure_id).first()
    if procedure is None:
        raise NotFound(code="unknown_procedure", detail={"field": "procedure_id"})
    actions.do_start_special_procedure(
        application, procedure, payload.note, acting_user=session_user(request)
    )
    return _detail(request, number)


@router.post("/{number}/special-procedures/end", response={200: ApplicationDetailOut, **ERRORS})
def end_special_procedure(request: HttpRequest, number: str) -> ApplicationDetailOut:
    """End the running special procedure."""
    application = access_application_by_number(request.user, number)
    actions.do_end_special_procedure(application, acting_user=session_user(request))
    return _detail(request, number)
