"""The 12345 hotline API, mounted at /api/hotline/.

The call-centre system (a G2G client with the ``hotline.intake`` scope) or a
logged-in agent enters messages; citizens submit and follow their own;
dispatchers, departments and administrators work cases and models. Errors
have the platform's one shape ``{code, message, detail}``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.params import HeaderEx, P
from ninja.responses import Status

from zhengtong.core.errors import InvalidInput, PermissionDenied, ZhengtongError
from zhengtong.core.masking import mask_name, mask_phone
from zhengtong.core.models import Department
from zhengtong.core.schemas import ERROR_RESPONSES, CreditCodeIn
from zhengtong.hotline import access, actions, classifier_actions, routing, selectors
from zhengtong.hotline.imports import do_queue_import, row_error_text
from zhengtong.hotline.management.commands.hotline_train import default_data
from zhengtong.hotline.models import Case, CaseImport, ClassifierVersion
from zhengtong.hotline.people import account_name, account_phone
from zhengtong.hotline.permissions import (
    DISPATCH,
    ENTER_CALLS,
    HANDLE,
    INTAKE,
    MANAGE_ROUTING,
    VIEW_OVERVIEW,
)
from zhengtong.hotline.reply_quality import readable_score, score_reply
from zhengtong.hotline.states import Channel, Urgency
from zhengtong.identity.actors import actor_of
from zhengtong.identity.auth import (
    ClientTokenAuth,
    principal_of,
    require_scope,
    session_auth,
    session_user,
)
from zhengtong.identity.models import Audience, SystemClient, User
from zhengtong.identity.permissions import has_permission, require_permission

router = Router(tags=["hotline"])
ERRORS = ERROR_RESPONSES
client_auth = ClientTokenAuth()


# --- schemas ---------------------------------------------------------------------------


class CaseIn(Schema):
    content: str
    title: str = ""
    location_text: str = ""
    urgency: str = Urgency.NORMAL
    channel: str = ""
    anonymous: bool = False
    contact_name: str = ""
    contact_phone: str = ""
    received_at: dt.datetime | None = None


class PlaceOut(Schema):
    district_code: str | None
    district_name: str
    street_code: str | None
    street_name: str
    matched: list[str]
    ambiguous: bool
    outside: list[str] = Field(
        description="places the text names outside the city; such a message is never "
        "routed automatically"
    )


class SuggestionOut(Schema):
    category: str | None
    confidence: float | None
    alternatives: list[tuple[str, float]]
    model_version: int | None
    department_code: str | None
    department_name: str | None
    place: PlaceOut | None
    automatic: bool


class CaseEventOut(Schema):
    kind: str
    state_after: str
    department: str | None
    note: str
    at: dt.datetime


class CaseOut(Schema):
    number: str
    state: str
    channel: str
    urgency: str
    title: str
    content: str
    location_text: str
    anonymous: bool
    contact_name: str
    contact_phone: str
    received_at: dt.datetime
    district: str | None
    street: str | None
    predicted_category: str
    confidence: float | None
    category: str
    department_code: str | None
    department_name: str | None
    routed_by: str
    dispatch_due: dt.datetime
    reply_due: dt.datetime | None
    warning: str
    reply: str
    replied_at: dt.datetime | None
    reply_score: dict[str, Any]
    upheld_against: str | None = Field(
        description="统一社会信用代码 of the enterprise the complaint was found true against"
    )
    rating: str
    reopened: bool
    merged_into: str | None
    linked: list[str]
    events: list[CaseEventOut]


class CaseCreatedOut(Schema):
    number: str
    tracking_code: str
    state: str
    merged_into: str | None
    department_name: str | None


class TrackOut(Schema):
    number: str
    state: str
    title: str
    received_at: dt.datetime
    department_name: str | None
    reply: str
    replied_at: dt.datetime | None
    rating: str
    reopened: bool
    merged_into: str | None = Field(
        description="the case a repeat of the same person's open case was merged into, "
        "which handles and answers it"
    )
    reply_due: dt.datetime | None = Field(
        description="the deadline for the department's reply (答复期限), as the track page "
        "shows it: null when none is set, and once the case is replied or closed"
    )
    events: list[CaseEventOut]


class CaseSummaryOut(Schema):
    number: str
    state: str
    title: str
    received_at: dt.datetime
    predicted_category: str
    confidence: float | None
    category: str
    department_name: str | None
    district: str | None
    due: dt.datetime | None
    warning: str


class HotlineNotificationOut(Schema):
    id: int
    kind: str = Field(description="the step it tells of: reopened, urged, supervised, recalled, …")
    case_number: str
    department_code: str
    text: str
    created_at: dt.datetime
    handled_by_department: bool = Field(
        description="whether the department still handles the case; a case it returned or "
        "the centre recalled is no longer its to open"
    )
    read: bool = Field(
        description="whether someone of the department marked it read "
        "(POST /notifications/read); a notification is the department's, not one clerk's"
    )
    read_at: dt.datetime | None


class NotificationsReadIn(Schema):
    ids: list[int] = Field(max_length=500, description="the notifications to mark read, as listed")


class NotificationsReadOut(Schema):
    marked: int = Field(description="how many of them were unread and are read now")
    unread: int = Field(description="the user's departments' notifications still unread")


class UrgencyIn(Schema):
    urgency: str = Field(description="normal, urgent or critical (一般, 紧急, 特急)")
    note: str = Field("", description="why, for the history (optional)")


class ClassifyIn(Schema):
    content: str
    title: str = ""
    location_text: str = ""


class DispatchIn(Schema):
    category: str
    department_code: str
    note: str = ""
    district_code: str | None = Field(
        None,
        description="the district (区县) the case took place in, when the text named none, "
        "an ambiguous one or the wrong one; left out, the case keeps the district read from it",
    )
    urgency: str = Field(
        "",
        description="normal, urgent or critical: the centre's judgement of how urgent the "
        "case is, which sets the reply deadline; left out, the case keeps its urgency",
    )


class ReturnReasonIn(Schema):
    reason: str


class RecallIn(Schema):
    reason: str = Field(description="why the centre takes the case back (撤回理由), for the staff")


class ExtensionIn(Schema):
    days: int
    reason: str


class ExtensionOut(Schema):
    id: int
    case_number: str
    days: int
    reason: str
    state: str
    requested_at: dt.datetime


class DecisionIn(Schema):
    approve: bool
    note: str = ""


class UrgeIn(Schema):
    note: str = ""
    supervise: bool = False


class ReplyIn(Schema):
    reply: str
    upheld_against: CreditCodeIn = Field(
        "",
        description="统一社会信用代码 of an enterprise the complaint was found true against "
        "(查实); the finding goes on its credit file",
    )


class ReplyScoreOut(Schema):
    relevance: int
    completeness: int
    interpretability: int
    timeliness: int
    total: int
    advice: list[str]


class ContactOut(Schema):
    name: str = Field(description="诉求人姓名（完整）")
    phone: str = Field(description="联系电话（完整）")


class CaseRatingIn(Schema):
    rating: str
    comment: str = ""


class ImportOut(Schema):
    id: int
    file_name: str
    state: str
    total_rows: int
    processed_rows: int
    created: list[str]
    merged: list[str]
    errors: list[dict[str, Any]]
    error: str


class ClassifierVersionOut(Schema):
    number: str | int
    state: str
    progress: int
    stage: str
    is_active: bool
    source: str
    examples: int
    labels: list[str]
    report: dict[str, Any]
    train_seconds: float
    error: str
    created_at: dt.datetime
    finished_at: dt.datetime | None


class TrainIn(Schema):
    # Train on the shared labelled messages (when installed) and/or the dispatchers' decisions.
    use_shared_data: bool = True
    include_corrections: bool = True


class ActivateIn(Schema):
    confirm_unmapped: bool = Field(
        False,
        description="activate although some of the version's categories have no routing rule",
    )


class HotlineCountOut(Schema):
    name: str
    count: int


class OverviewOut(Schema):
    since: dt.datetime
    until: dt.datetime
    total: int
    open: int
    overdue: int
    satisfaction: float | None
    by_category: list[HotlineCountOut]
    by_district: list[HotlineCountOut]
    by_day: list[tuple[dt.date, int]]
    routing_automatic_share: float
    routing_automatic_precision: float
    returns_after_model: int = Field(
        description="cases the model routed automatically that the department returned "
        "(退回): the model's misroutes"
    )
    recalls_after_model: int = Field(
        description="automatically routed cases the centre recalled before the department "
        "signed for them (撤回)"
    )
    returns_after_dispatcher: int = Field(
        description="cases a dispatcher sent (or sent again after a return) that the "
        "department returned: the dispatchers' misroutes, not the model's"
    )
    recalls_after_dispatcher: int = Field(
        description="cases a dispatcher sent that the centre recalled before the department "
        "signed for them"
    )
    dispatcher_corrections: int


class HotIssueOut(Schema):
    label: str
    place: str
    keywords: list[str]
    first_at: dt.datetime
    last_at: dt.datetime
    message_count: int
    supporters: int
    heat: float
    growth: float
    jumped_by: float | None
    cases: list[str]


class HeatAlertOut(Schema):
    id: int
    raised_at: dt.datetime
    label: str
    place: str
    heat: float
    ratio: float = Field(description="the issue's heat over its heat in the window before")
    message_count: int = Field(description="the issue's messages across the city when raised")
    cases: list[str] = Field(
        description="the issue's messages in the caller's area: the cases the caller may open"
    )
    notified_at: dt.datetime | None = Field(
        description="when the caller was told; null for a post that came after the alert"
    )
    acknowledged_at: dt.datetime | None


class HeatAlertsIn(Schema):
    limit: int = Field(selectors.ALERT_LOG_LIMIT, ge=1, le=100)


# --- mapping ---------------------------------------------------------------------------


@contextmanager
def _fields_named(**names: str) -> Iterator[None]:
    """Name the fields an action refuses as this operation's input names them.

    The actions name a field as the pages' forms do (``department``, a
    choice of the department itself), where the operation takes its code
    (``department_code``); a caller finds the refusal under the name it sent.
    """
    try:
        yield
    except ZhengtongError as error:
        fields = error.detail.get("fields")
        if isinstance(fields, dict):
            error.detail["fields"] = {names.get(name, name): text for name, text in fields.items()}
        raise


def _events(case: Case) -> list[CaseEventOut]:
    return [
        CaseEventOut(
            kind=event.kind,
            state_after=event.state_after,
            department=event.department.name if event.department else None,
            note=selectors.event_note(event),
            at=event.at,
        )
        for event in selectors.history_of(case)
    ]


def _public_events(case: Case) -> list[CaseEventOut]:
    """The steps the citizen's page shows, with only the notes meant for them."""
    return [
        CaseEventOut(
            kind=public.event.kind,
            state_after=public.event.state_after,
            department=public.department.name if public.department else None,
            note=public.note,
            at=public.event.at,
        )
        for public in selectors.public_history_of(case)
    ]


def _case_out(case: Case) -> CaseOut:
    clock = selectors.clock(case)
    return CaseOut(
        number=case.number,
        state=case.state,
        channel=case.channel,
        urgency=case.urgency,
        title=case.title,
        content=case.content,
        location_text=case.location_text,
        anonymous=case.anonymous,
        contact_name=mask_name(case.contact_name) if case.contact_name else "",
        contact_phone=mask_phone(case.contact_phone) if case.contact_phone else "",
        received_at=case.received_at,
        district=case.district.name if case.district else None,
        street=case.street.name if case.street else None,
        predicted_category=case.predicted_category,
        confidence=case.confidence,
        category=case.category,
        department_code=case.department.code if case.department else None,
        department_name=case.department.name if case.department else None,
        routed_by=case.routed_by,
        dispatch_due=case.dispatch_due,
        reply_due=case.reply_due,
        warning=clock.level,
        reply=case.reply,
        replied_at=case.replied_at,
        reply_score=readable_score(case.reply_score),
        upheld_against=case.upheld_against.credit_code if case.upheld_against else None,
        rating=case.rating,
        reopened=case.reopened,
        merged_into=case.merged_into.number if case.merged_into else None,
        linked=[other.number for other, _score in selectors.linked_cases(case)],
        events=_events(case),
    )


# What routing read and decided, blanked in everything a citizen receives
# about their own case: the case itself and the lines of their list.
_HIDDEN_FROM_CITIZENS: dict[str, Any] = {
    "district": None,
    "predicted_category": "",
    "confidence": None,
    "category": "",
    "warning": "",
}


def _citizen_case_out(case: Case) -> CaseOut:
    """The case as its citizen sees it on their page: no routing, scores or staff notes.

    The model's category and confidence, the place it read, the other
    citizens' linked cases and the centre's internal notes stay with the staff.
    """
    staff = _case_out(case)
    return staff.model_copy(
        update={
            **_HIDDEN_FROM_CITIZENS,
            "street": None,
            "routed_by": "",
            "reply_score": {},
            "upheld_against": None,
            "linked": [],
            "events": _public_events(case),
        }
    )


def _summary(case: Case) -> CaseSummaryOut:
    clock = selectors.clock(case)
    return CaseSummaryOut(
        number=case.number,
        state=case.state,
        title=case.title or case.content[:40],
        received_at=case.received_at,
        predicted_category=case.predicted_category,
        confidence=case.confidence,
        category=case.category,
        department_name=case.department.name if case.department else None,
        district=case.district.name if case.district else None,
        due=clock.due,
        warning=clock.level,
    )


def _citizen_summary(case: Case) -> CaseSummaryOut:
    """A line of the citizen's own list: what ``_citizen_case_out`` shows, nothing more."""
    return _summary(case).model_copy(update=_HIDDEN_FROM_CITIZENS)


def _alert_out(item: selectors.AlertInArea) -> HeatAlertOut:
    alert = item.alert
    return HeatAlertOut(
        id=alert.pk,
        raised_at=alert.created_at,
        label=alert.label,
        place=alert.place,
        heat=round(alert.heat, 2),
        ratio=round(alert.ratio, 2),
        message_count=alert.message_count,
        cases=item.cases,
        notified_at=item.notified_at,
        acknowledged_at=item.acknowledged_at,
    )


def _import_out(case_import: CaseImport) -> ImportOut:
    return ImportOut(
        id=case_import.pk,
        file_name=case_import.file_name,
        state=case_import.state,
        total_rows=case_import.total_rows,
        processed_rows=case_import.processed_rows,
        created=case_import.created,
        merged=case_import.merged,
        # Each reason in the reader's language, worded from its stored code.
        errors=[{**e, "message": row_error_text(e)} for e in case_import.errors],
        error=case_import.error_label,
    )


def _version_out(version: ClassifierVersion) -> ClassifierVersionOut:
    return ClassifierVersionOut(
        number=version.number,
        state=version.state,
        progress=version.progress,
        stage=version.stage,
        is_active=version.is_active,
        source=version.source_label,
        examples=version.examples,
        labels=version.labels,
        report=version.report,
        train_seconds=version.train_seconds,
        error=version.error_label,
        created_at=version.created_at,
        finished_at=version.finished_at,
    )


# --- intake ----------------------------------------------------------------------------

# A key of the caller's choosing that makes a retry safe (IETF's Idempotency-Key header).
IDEMPOTENCY_KEY = P(
    alias="Idempotency-Key",
    description="a key of the caller's choosing (a UUID) that makes a retry safe: the same "
    "request sent again with it answers 200 with the case the first one registered; "
    "another request with the same key is refused, 409 idempotency_key_reused",
)


@router.post(
    "/cases",
    response={201: CaseCreatedOut, 200: CaseCreatedOut, **ERRORS},
    auth=[client_auth, session_auth],
    summary="Register a message (call-centre system, agent, citizen or enterprise user)",
)
def submit_case(
    request: HttpRequest,
    payload: CaseIn,
    idempotency_key: HeaderEx[str | None, IDEMPOTENCY_KEY] = None,
) -> Status[CaseCreatedOut]:
    """Register a message; with an ``Idempotency-Key`` header, once however often it is sent."""
    principal = principal_of(request)
    citizen_id = None
    contact_name, contact_phone = payload.contact_name, payload.contact_phone
    if isinstance(principal, SystemClient):
        require_scope(request, INTAKE)
        channel = payload.channel or Channel.PHONE
        entered_by = principal.name
    elif isinstance(principal, User) and has_permission(principal, ENTER_CALLS):
        channel = payload.channel or Channel.PHONE
        entered_by = principal.get_username()
    elif isinstance(principal, User) and principal.audience in (
        Audience.CITIZEN,
        Audience.ENTERPRISE,
    ):
        # Citizens and enterprises' users write for themselves, online, and
        # cannot set the time, as on the 我要反映 page.
        channel = Channel.APP if payload.channel == Channel.APP else Channel.WEB
        citizen_id = principal.pk
        entered_by = ""
        payload.received_at = None
        payload.urgency = Urgency.NORMAL
        # Their account is the contact for what the message leaves out, as
        # on the 我要反映 page: the centre calls them back either way.
        contact_name = contact_name.strip() or account_name(principal)
        contact_phone = contact_phone.strip() or account_phone(principal)
    else:
        raise PermissionDenied(code="permission_denied")
    data = actions.CaseInput(
        content=payload.content,
        channel=channel,
        title=payload.title,
        location_text=payload.location_text,
        urgency=payload.urgency,
        anonymous=payload.anonymous,
        contact_name=contact_name,
        contact_phone=contact_phone,
        received_at=payload.received_at,
    )
    actor = actor_of(principal)
    repeated = False
    if idempotency_key is None:
        case = actions.do_submit_case(
            data, actor=actor, citizen_id=citizen_id, entered_by=entered_by
        )
    else:
        submission = actions.do_submit_case_once(
            data, idempotency_key, actor=actor, citizen_id=citizen_id, entered_by=entered_by
        )
        case, repeated = submission.case, submission.repeated
    return Status(
        200 if repeated else 201,
        CaseCreatedOut(
            number=case.number,
            tracking_code=case.tracking_code,
            state=case.state,
            merged_into=case.merged_into.number if case.merged_into else None,
            department_name=case.department.name if case.department else None,
        ),
    )


@router.post(
    "/classify",
    response={200: SuggestionOut, **ERRORS},
    auth=[client_auth, session_auth],
    summary="Suggest category, place and department for a message, without registering it",
)
def classify(request: HttpRequest, payload: ClassifyIn) -> SuggestionOut:
    principal = principal_of(request)
    if isinstance(principal, SystemClient):
        require_scope(request, INTAKE)
    elif not (
        isinstance(principal, User)
        and (has_permission(principal, ENTER_CALLS) or has_permission(principal, DISPATCH))
    ):
        raise PermissionDenied(code="permission_denied")
    content, title, location_text = actions.checked_message_text(
        payload.content, payload.title, payload.location_text
    )
    suggestion = routing.suggest(location_text, title, content)
    prediction = suggestion.prediction
    place = suggestion.place
    return SuggestionOut(
        category=prediction.label if prediction else None,
        confidence=prediction.confidence if prediction else None,
        alternatives=list(prediction.alternatives) if prediction else [],
        model_version=suggestion.version,
        department_code=suggestion.department.code if suggestion.department else None,
        department_name=suggestion.department.name if suggestion.department else None,
        place=PlaceOut(
            district_code=place.district_code,
            district_name=place.district_name,
            street_code=place.street_code,
            street_name=place.street_name,
            matched=list(place.matched),
            ambiguous=place.ambiguous,
            outside=list(place.outside),
        )
        if place
        else None,
        automatic=suggestion.automatic,
    )


@router.post(
    "/imports",
    response={202: ImportOut, **ERRORS},
    auth=session_auth,
    summary="Upload an XLSX workbook of messages; it is imported in the background",
)
def import_cases(
    request: HttpRequest, file: File[UploadedFile], confirm_duplicate: Form[bool] = False
) -> Status[ImportOut]:
    """A workbook imported before is refused (409 ``already_imported``, naming that import)
    unless ``confirm_duplicate=true`` says it is meant to be imported again."""
    user = session_user(request)
    require_permission(user, ENTER_CALLS)
    case_import = do_queue_import(
        file.read(),
        file.name or "",
        actor=actor_of(user),
        entered_by=user.get_username(),
        confirm_duplicate=confirm_duplicate,
    )
    return Status(202, _import_out(case_import))


@router.get("/imports/{import_id}", response={200: ImportOut, **ERRORS}, auth=session_auth)
def get_import(request: HttpRequest, import_id: int) -> ImportOut:
    """The progress of an import, and its report: cases made, repeats merged, bad rows."""
    return _import_out(access.access_import_by_id(session_user(request), import_id))


# --- reading ---------------------------------------------------------------------------


@router.get("/cases/{number}", response={200: CaseOut, **ERRORS}, auth=session_auth)
def get_case(request: HttpRequest, number: str) -> CaseOut:
    user = session_user(request)
    if user.audience == Audience.STAFF:
        return _case_out(access.access_case_for_staff(user, number))
    return _citizen_case_out(access.access_own_case(user, number))


@router.get("/mine", response={200: list[CaseSummaryOut], **ERRORS}, auth=session_auth)
def my_cases(request: HttpRequest) -> list[CaseSummaryOut]:
    return [_citizen_summary(c) for c in selectors.cases_of_citizen(session_user(request).pk)[:200]]


@router.get("/track/{code}", response={200: TrackOut, **ERRORS}, auth=None)
def track_case(request: HttpRequest, code: str) -> TrackOut:
    case = access.access_case_by_tracking_code(code)
    return TrackOut(
        number=case.number,
        state=case.state,
        title=case.title or case.content[:40],
        received_at=case.received_at,
        department_name=case.department.name if case.department else None,
        reply=case.reply,
        replied_at=case.replied_at,
        rating=case.rating,
        reopened=case.reopened,
        # The page says so too: the reply comes on that case, never on this one.
        merged_into=case.merged_into.number if case.merged_into else None,
        reply_due=selectors.awaited_reply_due(case),
        events=_public_events(case),
    )


@router.get("/queue", response={200: list[CaseSummaryOut], **ERRORS}, auth=session_auth)
def dispatch_queue(request: HttpRequest) -> list[CaseSummaryOut]:
    require_permission(session_user(request), DISPATCH)
    return [_summary(c) for c in selectors.dispatch_queue()[:500]]


@router.get("/department-cases", response={200: list[CaseSummaryOut], **ERRORS}, auth=session_auth)
def department_cases(request: HttpRequest) -> list[CaseSummaryOut]:
    # The worklist page's cases: a department's head follows them as its handlers do.
    cases = selectors.department_cases(access.worklist_departments_for_api(session_user(request)))
    return [_summary(c) for c in cases[:500]]


@router.get(
    "/notifications", response={200: list[HotlineNotificationOut], **ERRORS}, auth=session_auth
)
def list_notifications(request: HttpRequest) -> list[HotlineNotificationOut]:
    """What the worklist page tells the departments the user handles or heads, newest first.

    A reopened case (回访不满意) for the department's head, 催办 and 督办, a
    recall, a repeat or an escalation, an extension decided, a deadline
    counted again: a department's own system learns of them here.
    """
    departments = access.worklist_departments_for_api(session_user(request))
    return [
        HotlineNotificationOut(
            id=n.pk,
            kind=n.kind,
            case_number=n.case.number,
            department_code=n.department.code,
            text=n.shown_text,
            created_at=n.created_at,
            handled_by_department=n.case.department_id == n.department_id,
            read=n.read_at is not None,
            read_at=n.read_at,
        )
        for n in selectors.notifications_for(departments, 100)
    ]


@router.post(
    "/notifications/read", response={200: NotificationsReadOut, **ERRORS}, auth=session_auth
)
def read_notifications(request: HttpRequest, payload: NotificationsReadIn) -> NotificationsReadOut:
    """Mark notifications of the user's departments read, as the worklist's button does.

    Ids of notifications read already, or of other departments', are passed
    over: sending the same ids twice marks nothing the second time.
    """
    user = session_user(request)
    departments = access.worklist_departments_for_api(user)
    marked = actions.do_mark_notifications_read(
        payload.ids, actor=actor_of(user), departments=departments
    )
    return NotificationsReadOut(
        marked=marked, unread=selectors.unread_notification_count(departments)
    )


# --- handling --------------------------------------------------------------------------


@router.post("/cases/{number}/dispatch", response={200: CaseOut, **ERRORS}, auth=session_auth)
def dispatch_case(request: HttpRequest, number: str, payload: DispatchIn) -> CaseOut:
    user = session_user(request)
    require_permission(user, DISPATCH)
    case = access.access_case_for_staff(user, number)
    code = payload.department_code.strip()
    if not code:
        # As a missing category is (category_required), not "no department of code ''".
        message = _("请填写承办部门代码。")
        raise InvalidInput(
            message,
            code="department_code_required",
            detail={"fields": {"department_code": message}},
        )
    department = Department.objects.filter(code=code).first()
    if department is None:
        # A code no department could have is not echoed back: it may be any text, of any length.
        fits = len(code) <= (Department._meta.get_field("code").max_length or 0)
        message = (
            _("找不到代码为“%(code)s”的承办部门，请核对部门代码。") % {"code": code}
            if fits
            else _("找不到该承办部门，请核对部门代码。")
        )
        # The message beside the field, as department_code_required puts it.
        raise InvalidInput(
            message,
            code="unknown_department",
            detail={"fields": {"department_code": message}},
        )
    district = None
    if payload.district_code:
        district = routing.city_districts().filter(code=payload.district_code).first()
        if district is None:
            message = _("没有这个区县，请从列表中选择。")
            raise InvalidInput(
                message, code="unknown_district", detail={"fields": {"district_code": message}}
            )
    with _fields_named(department="department_code", district="district_code"):
        dispatched = actions.do_dispatch_case(
            case,
            payload.category,
            department,
            actor=actor_of(user),
            note=payload.note,
            district=district,
            urgency=payload.urgency,
        )
    return _case_out(dispatched)


def _handled_case(user: User, number: str) -> tuple[Case, list[int]]:
    require_permission(user, HANDLE)
    return access.access_case_for_staff(user, number), access.handling_department_ids(user)


@router.post("/cases/{number}/sign", response={200: CaseOut, **ERRORS}, auth=session_auth)
def sign_case(request: HttpRequest, number: str) -> CaseOut:
    user = session_user(request)
    case, departments = _handled_case(user, number)
    return _case_out(actions.do_sign_case(case, actor=actor_of(user), departments=departments))


@router.post("/cases/{number}/return", response={200: CaseOut, **ERRORS}, auth=session_auth)
def return_case(request: HttpRequest, number: str, payload: ReturnReasonIn) -> CaseOut:
    """Send a misrouted case back to the dispatchers (退回), with the reason.

    The same return sent again (a retry after a lost answer), while the case
    still waits in the dispatch queue with that return as its latest step,
    is answered as the first was; the case is not returned twice.
    """
    user = session_user(request)
    try:
        case, departments = _handled_case(user, number)
        returned = actions.do_return_case(
            case, payload.reason, actor=actor_of(user), departments=departments
        )
    except ZhengtongError as error:
        # Gone from the department (404), or still visible to a leader or a
        # dispatcher but no longer the department's (403): a repeat of the
        # return that did it is no fault, as on the case page.
        repeated = (
            access.returned_by_this_request(user, number, payload.reason)
            if error.status in (403, 404)
            else None
        )
        if repeated is None:
            raise
        returned = repeated
    return _case_out(returned)


@router.post("/cases/{number}/urgency", response={200: CaseOut, **ERRORS}, auth=session_auth)
def set_case_urgency(request: HttpRequest, number: str, payload: UrgencyIn) -> CaseOut:
    """Grade a dispatched case's urgency anew; the reply deadline is counted by it.

    For dispatchers and the head of the handling department, until the case
    is replied (``already_replied``); a queued case gets its urgency when
    dispatched (``not_dispatched``). The deadline runs from the acceptance,
    with any extension granted; a pending extension request is withdrawn.
    """
    user = session_user(request)
    case = access.access_case_for_staff(user, number)
    if not access.may_set_urgency(user, case):
        raise PermissionDenied(code="permission_denied")
    return _case_out(
        actions.do_set_case_urgency(case, payload.urgency, actor=actor_of(user), note=payload.note)
    )


@router.post("/cases/{number}/recall", response={200: CaseOut, **ERRORS}, auth=session_auth)
def recall_case(request: HttpRequest, number: str, payload: RecallIn) -> CaseOut:
    """Take an assigned case back before the department signs for it (撤回), to dispatch it anew.

    For dispatchers. The case returns to the dispatch queue with its category
    and suggestion; a case already signed for is refused (``already_signed``),
    as is one in any other state but 待签收 (``not_assigned``, ``case_closed``,
    ``case_merged``).
    """
    user = session_user(request)
    require_permission(user, DISPATCH)
    case = access.access_case_for_staff(user, number)
    return _case_out(actions.do_recall_case(case, payload.reason, actor=actor_of(user)))


@router.post(
    "/cases/{number}/extensions", response={201: ExtensionOut, **ERRORS}, auth=session_auth
)
def request_extension(
    request: HttpRequest, number: str, payload: ExtensionIn
) -> Status[ExtensionOut]:
    user = session_user(request)
    case, departments = _handled_case(user, number)
    extension = actions.do_request_extension(
        case, payload.days, payload.reason, actor=actor_of(user), departments=departments
    )
    return Status(
        201,
        ExtensionOut(
            id=extension.pk,
            case_number=case.number,
            days=extension.days,
            reason=extension.reason,
            state=extension.state,
            requested_at=extension.requested_at,
        ),
    )


@router.get("/extensions", response={200: list[ExtensionOut], **ERRORS}, auth=session_auth)
def list_extensions(request: HttpRequest) -> list[ExtensionOut]:
    require_permission(session_user(request), DISPATCH)
    return [
        ExtensionOut(
            id=e.pk,
            case_number=e.case.number,
            days=e.days,
            reason=e.reason,
            state=e.state,
            requested_at=e.requested_at,
        )
        for e in selectors.pending_extensions()
    ]


@router.post(
    "/extensions/{extension_id}/decision",
    response={200: CaseOut, **ERRORS},
    auth=session_auth,
)
def decide_extension(request: HttpRequest, extension_id: int, payload: DecisionIn) -> CaseOut:
    user = session_user(request)
    extension = access.access_extension_by_id(user, extension_id)
    decided = actions.do_decide_extension(
        extension, payload.approve, actor=actor_of(user), note=payload.note
    )
    return _case_out(access.access_case_for_staff(user, decided.case.number))


@router.post("/cases/{number}/urge", response={200: CaseOut, **ERRORS}, auth=session_auth)
def urge_case(request: HttpRequest, number: str, payload: UrgeIn) -> CaseOut:
    user = session_user(request)
    require_permission(user, DISPATCH)
    case = access.access_case_for_staff(user, number)
    return _case_out(
        actions.do_urge_case(
            case, actor=actor_of(user), note=payload.note, supervise=payload.supervise
        )
    )


@router.post(
    "/cases/{number}/reply-score", response={200: ReplyScoreOut, **ERRORS}, auth=session_auth
)
def preview_reply_score(request: HttpRequest, number: str, payload: ReplyIn) -> ReplyScoreOut:
    """Score a draft reply before it is sent, so a weak one can be improved."""
    user = session_user(request)
    case, _departments = _handled_case(user, number)
    score = score_reply(
        case.title,
        case.content,
        actions.checked_reply_draft(payload.reply),
        received_at=case.dispatched_at or case.received_at,
        replied_at=timezone.now(),
        due_at=case.reply_due,
    )
    return ReplyScoreOut(
        **{**actions.score_as_dict(score), "advice": [str(hint) for hint in score.advice]}
    )


@router.post("/cases/{number}/reply", response={200: CaseOut, **ERRORS}, auth=session_auth)
def reply_case(request: HttpRequest, number: str, payload: ReplyIn) -> CaseOut:
    user = session_user(request)
    case, departments = _handled_case(user, number)
    return _case_out(
        actions.do_reply_case(
            case,
            payload.reply,
            actor=actor_of(user),
            departments=departments,
            upheld_against=payload.upheld_against,
        )
    )


@router.post("/cases/{number}/contact", response={200: ContactOut, **ERRORS}, auth=session_auth)
def reveal_contact(request: HttpRequest, number: str) -> ContactOut:
    """The citizen's full name and number, for the callback (回访) or the handler's call.

    For dispatchers, and for the handling department while it works the case
    and until the callback; each call is in the ledger (``hotline.reveal_contact``).
    """
    user = session_user(request)
    case = access.access_case_for_staff(user, number)
    if not access.may_reveal_contact(user, case):
        raise PermissionDenied(_("您无权查看该诉求人的联系方式。"), code="permission_denied")
    contact = actions.do_reveal_contact(case, actor=actor_of(user))
    return ContactOut(name=contact.name, phone=contact.phone)


@router.post("/cases/{number}/rating", response={200: CaseOut, **ERRORS}, auth=session_auth)
def rate_case(request: HttpRequest, number: str, payload: CaseRatingIn) -> CaseOut:
    """The citizen rates their own case, or a dispatcher records the callback (回访)."""
    user = session_user(request)
    if user.audience == Audience.STAFF:
        require_permission(user, DISPATCH)
        case = access.access_case_for_staff(user, number)
    else:
        case = access.access_own_case(user, number)
    rated = actions.do_rate_case(
        case, payload.rating, actor=actor_of(user), comment=payload.comment
    )
    if user.audience == Audience.STAFF:
        return _case_out(rated)
    return _citizen_case_out(access.access_own_case(user, number))


@router.post("/track/{code}/rating", response={200: TrackOut, **ERRORS}, auth=None)
def rate_tracked_case(request: HttpRequest, code: str, payload: CaseRatingIn) -> TrackOut:
    case = access.access_case_by_tracking_code(code)
    actions.do_rate_case(case, payload.rating, actor=actor_of(None), comment=payload.comment)
    return track_case(request, code)


# --- models ----------------------------------------------------------------------------


@router.get("/models", response={200: list[ClassifierVersionOut], **ERRORS}, auth=session_auth)
def list_models(request: HttpRequest) -> list[ClassifierVersionOut]:
    require_permission(session_user(request), MANAGE_ROUTING)
    return [_version_out(v) for v in selectors.classifier_versions()[:100]]


@router.post("/models", response={202: ClassifierVersionOut, **ERRORS}, auth=session_auth)
def train_model(request: HttpRequest, payload: TrainIn) -> Status[ClassifierVersionOut]:
    """Start training a new version in the background; poll it for progress."""
    from zhengtong.hotline.tasks import train_classifier

    user = session_user(request)
    access.require_routing_manager(user)
    data: Path | None = default_data() if payload.use_shared_data else None
    if payload.use_shared_data and data is None:
        raise InvalidInput(
            _(
                "共享数据目录中没有 hotline/messages_labelled.csv：请设置 ZHENGTONG_SHARED_DATA，"
                "或上传训练文件。"
            ),
            code="shared_data_missing",
            detail={
                "path": "hotline/messages_labelled.csv",
                "setting": "SHARED_DATA_DIR",
                "environment": "ZHENGTONG_SHARED_DATA",
            },
        )
    # The page's choice of training data (``source``) is use_shared_data here:
    # decisions too few to train on alone are refused beside the switch that
    # left the shared data out.
    with _fields_named(source="use_shared_data"):
        version = classifier_actions.do_queue_training(
            actor=actor_of(user), data_path=data, include_corrections=payload.include_corrections
        )
    transaction.on_commit(lambda: train_classifier.enqueue(version.pk))
    return Status(202, _version_out(version))


@router.get("/models/{number}", response={200: ClassifierVersionOut, **ERRORS}, auth=session_auth)
def get_model(request: HttpRequest, number: int) -> ClassifierVersionOut:
    return _version_out(access.access_classifier_version(session_user(request), number))


@router.post(
    "/models/{number}/activate", response={200: ClassifierVersionOut, **ERRORS}, auth=session_auth
)
def activate_model(
    request: HttpRequest, number: int, options: Query[ActivateIn]
) -> ClassifierVersionOut:
    """Route with this version (activating an older version is the rollback).

    A version predicting categories no routing rule sends anywhere is refused
    (409 ``unmapped_categories``, the labels in ``detail.labels``) unless
    ``confirm_unmapped`` is set: its messages of those categories would all
    wait for a dispatcher.
    """
    user = session_user(request)
    version = access.access_classifier_version(user, number)
    access.require_routing_manager(user)
    return _version_out(
        classifier_actions.do_activate_classifier(
            version, actor=actor_of(user), confirm_unmapped=options.confirm_unmapped
        )
    )


# --- overview --------------------------------------------------------------------------


class WindowIn(Schema):
    days: int = Field(30, ge=1, le=366)


@router.get("/overview", response={200: OverviewOut, **ERRORS}, auth=session_auth)
def get_overview(request: HttpRequest, window: Query[WindowIn]) -> OverviewOut:
    user = session_user(request)
    require_permission(user, VIEW_OVERVIEW)
    until = timezone.now()
    since = until - dt.timedelta(days=window.days)
    # The leader's area, as on the overview page; routing figures are the centre's, city-wide.
    figures = selectors.overview(since, until, within=access.overview_area(user))
    routing_figures = selectors.routing_figures(since)
    return OverviewOut(
        since=since,
        until=until,
        total=figures.total,
        open=figures.open,
        overdue=figures.overdue,
        satisfaction=figures.satisfaction,
        by_category=[HotlineCountOut(name=n, count=c) for n, c in figures.by_category],
        by_district=[HotlineCountOut(name=n, count=c) for n, c in figures.by_district],
        by_day=figures.by_day,
        routing_automatic_share=routing_figures.automatic_share,
        routing_automatic_precision=routing_figures.automatic_precision,
        returns_after_model=routing_figures.returned_after_model,
        recalls_after_model=routing_figures.recalled_after_model,
        returns_after_dispatcher=routing_figures.returned_after_dispatcher,
        recalls_after_dispatcher=routing_figures.recalled_after_dispatcher,
        dispatcher_corrections=routing_figures.corrections,
    )


class HotWindowIn(Schema):
    days: int = Field(
        30,
        description="the window, in days: 7, 30 or 90, the windows mined hourly when the "
        "city is too busy to mine per request",
    )


@router.get("/hot-issues", response={200: list[HotIssueOut], **ERRORS}, auth=session_auth)
def get_hot_issues(request: HttpRequest, window: Query[HotWindowIn]) -> list[HotIssueOut]:
    user = session_user(request)
    require_permission(user, VIEW_OVERVIEW)
    if window.days not in selectors.SNAPSHOT_WINDOWS:
        # A busy city's hot issues come from the hourly snapshots, kept for
        # these windows only: another window would answer "no hot issues"
        # for as long as the city stays busy.
        message = _("热点问题的时间范围只能是 7、30 或 90 天。")
        raise InvalidInput(
            message,
            code="invalid_days",
            detail={"fields": {"days": message}, "allowed": list(selectors.SNAPSHOT_WINDOWS)},
        )
    area = access.overview_area(user)
    result = selectors.hot_issues(
        days=window.days,
        limit=selectors.CITY_ISSUES if area is None else selectors.AREA_ISSUES,
    )
    return [
        HotIssueOut(
            label=item.issue.label,
            place=item.issue.place,
            keywords=list(item.issue.keywords),
            first_at=item.issue.first_at,
            last_at=item.issue.last_at,
            message_count=item.issue.message_count,
            supporters=item.issue.supporters,
            heat=round(item.issue.heat, 2),
            growth=round(item.issue.growth, 3),
            jumped_by=item.jumped_by,
            cases=item.keys,
        )
        for item in selectors.issues_within(result, area, 20)
    ]


@router.get("/hot-issues/alerts", response={200: list[HeatAlertOut], **ERRORS}, auth=session_auth)
def list_heat_alerts(request: HttpRequest, query: Query[HeatAlertsIn]) -> list[HeatAlertOut]:
    """The heat-jump alerts in the caller's area, newest first (a city leader's: every one)."""
    user = session_user(request)
    require_permission(user, VIEW_OVERVIEW)
    area = access.overview_area(user)
    return [_alert_out(item) for item in selectors.alert_log(user, area, limit=query.limit)]


@router.post(
    "/hot-issues/alerts/{alert_id}/acknowledge",
    response={200: HeatAlertOut, **ERRORS},
    auth=session_auth,
)
def acknowledge_heat_alert(request: HttpRequest, alert_id: int) -> HeatAlertOut:
    """Acknowledge a heat-jump alert, once.

    An unknown alert and one outside the caller's area are both 404
    ``heat_alert_not_found``; acknowledging it again is 409
    ``heat_alert_acknowledged``.
    """
    user = session_user(request)
    require_permission(user, VIEW_OVERVIEW)
    found = access.access_heat_alert_by_id(user, alert_id)
    return _alert_out(actions.do_acknowledge_heat_alert(found, acting_user=user))
