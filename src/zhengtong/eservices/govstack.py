"""A GovStack Registration building-block profile of eservices, at /api/govstack/registration/.

The Registration BB API 0.1.1 and its statistics API, served over the same
service items and applications as the native API (``api.py`` and
``application_api.py``); nothing is stored twice:

* a **service** is a published service item, named by its item code; its one
  **eForm** is the item's application form (JSON Schema), with the same id;
* an **application file** is an application (办件), named by its number;
  creating one saves a draft and submits it through the application actions,
  updating one saves and submits a draft or hands in a 补正 correction;
* a **document** is an uploaded material of an application of one's own;
* a **task** is an open user task of an application's process (the workbench
  queue); completing one is ``do_complete_task``;
* **statistics** count decisions and 补正 requests from the applications'
  timelines.

People use their session, exactly as with the native applications API, and
the same access functions decide who sees what; the service list, its forms
and the statistics are public (statistics are counts only). The GovStack
``Information-Mediator-Client`` header is required where the specification
requires it (applications and statistics) and optional elsewhere; when sent it
must be well formed, and for a department system it must name that system.
Errors have the platform's ``{code, message, detail}`` shape. See
docs/eservices-govstack.md.
"""

import base64
import binascii
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal, TypeVar

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadedfile import UploadedFile as DjangoUploadedFile
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import OrderBy
from django.http import FileResponse, Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.params import HeaderEx, P
from ninja.params.functions import File as FileParam
from pydantic import BaseModel, ConfigDict, model_validator

from zhengtong.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ZhengtongError,
)
from zhengtong.core.schemas import MAX_OFFSET, ErrorOut
from zhengtong.core.validators import normalise, validate_credit_code
from zhengtong.eservices import application_actions as actions
from zhengtong.eservices import application_selectors as selectors
from zhengtong.eservices.access import access_item_by_code
from zhengtong.eservices.application_access import (
    access_application_by_number,
    access_task_by_id,
)
from zhengtong.eservices.application_states import FINISHED_STATES, ApplicationState
from zhengtong.eservices.models import (
    ApplicantKind,
    Application,
    ApplicationMaterial,
    ProvisionKind,
    ServiceItem,
    WorkTask,
)
from zhengtong.eservices.selectors import ItemFilters, search_items
from zhengtong.eservices.states import ItemState
from zhengtong.exchange.govstack import client_identifier
from zhengtong.identity.auth import ClientTokenAuth, principal_of, session_auth
from zhengtong.identity.models import Audience, SystemClient, User
from zhengtong.identity.selectors import memberships_of

router = Router(tags=["govstack-registration"])

PREFIX = "/api/govstack/registration"
CLIENT_HEADER = "Information-Mediator-Client"
MAX_RESULTS = 500

ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
}

StatusCode = Literal["PENDING", "APPROVED", "SENDBACK", "REJECTED"]
# The GovStack status of each application state.
STATUS_CODES: dict[str, StatusCode] = {
    ApplicationState.DRAFT: "PENDING",
    ApplicationState.SUBMITTED: "PENDING",
    ApplicationState.ACCEPTED: "PENDING",
    ApplicationState.CORRECTING: "SENDBACK",
    ApplicationState.APPROVED: "APPROVED",
    ApplicationState.REJECTED: "REJECTED",
    ApplicationState.WITHDRAWN: "REJECTED",
}


# --- Schemas (field names as in the specification) -------------------------------------


class PropertyOut(Schema):
    code: str
    value: str


class ServiceOut(Schema):
    id: str = Field(description="the item code")
    name: str
    version: str = Field(description="when the item was last changed (YYYYMMDDhhmmss)")
    type: Literal["None", "Private", "Public"]
    isExecutable: bool = Field(description="whether it takes applications online now")
    description: str
    serviceBody: list[PropertyOut] = Field(description="the main facts of the guide (办事指南)")


class ServiceListIn(Schema):
    name: str = Field("", max_length=100, description="words of the name, or how people ask")


class EFormListItemOut(Schema):
    eFormId: str = Field(description="the item code: each item has one form")
    name: str
    description: str
    version: str
    latest: bool


class EFormOut(EFormListItemOut):
    schema_: dict[str, Any] = Field(alias="schema", description="the form as JSON Schema")


class FormDataIn(Schema):
    data: dict[str, Any] = Field(default_factory=dict)
    eFormId: str | None = Field(None, max_length=40)


class ApplicationFileIn(Schema):
    model_config = ConfigDict(extra="allow")

    applicantId: str = Field(
        max_length=64,
        description="your own applicantId (your account number, or a citizen's 身份证号);"
        " an enterprise user applies"
        " for the enterprise whose 统一社会信用代码 it is instead, and must when acting for"
        " several (400 enterprise_required); one they do not act for is refused"
        " (403 enterprise_not_linked)",
    )
    applicationName: str | None = Field(None, max_length=200, description="not stored")
    created: str | None = Field(None, description="not used: the platform records the time")
    formData: FormDataIn | None = None
    documentUrls: list[str] | None = Field(None, description="not read: upload with /documents")


class SubmitIn(Schema):
    draft: bool = Field(False, description="only save: submit later with PUT")


class UpdateIn(SubmitIn):
    requestVersion: str | None = Field(
        None,
        max_length=64,
        description="for a 补正: additionalMeta.correctionRequestVersion of the request"
        " answered; refused (409 correction_request_changed) when a department has"
        " added to the request since",
    )


class StatusOut(Schema):
    code: StatusCode
    title: str


class FormDataOut(Schema):
    data: dict[str, Any]
    eFormId: str


class ApplicationDataOut(Schema):
    applicationName: str
    applicantId: str
    created: dt.datetime
    formData: FormDataOut
    documentUrls: list[str]


class AdditionalDataOut(Schema):
    data: dict[str, Any]


class ApplicationFileOut(Schema):
    fileId: str
    applicantId: str = Field(
        description="required here by the specification, as in applicationData"
    )
    registered: dt.datetime | None = Field(None, description="when it was submitted")
    serviceId: str
    serviceName: str
    status: StatusOut
    ended: bool
    applicationData: ApplicationDataOut
    additionalMeta: AdditionalDataOut | None = Field(
        None,
        description="while sent back (SENDBACK): the 补正 request (correctionRequest)"
        " and its version (correctionRequestVersion); once rejected: the reasons"
        " (rejectionReasons) and their legal basis (rejectionBasis)",
    )


class ApplicationListItemOut(Schema):
    fileId: str
    mainTaskId: str | None = None
    taskTitle: str | None = None
    roleId: str | None = None
    assigneeId: str | None = None
    operatorName: str | None = None
    status: StatusOut
    applicantId: str
    created: dt.datetime
    registered: dt.datetime | None = None
    description: str
    serviceName: str
    serviceId: str
    eformId: str
    documentUrls: list[str]
    additionalMeta: AdditionalDataOut


class PageIn(Schema):
    firstResult: int = Field(
        0, ge=0, le=MAX_OFFSET, description="the index of the first result, from 0"
    )
    # More than the platform pages by is not an error: the page is just shorter.
    maxResult: int = Field(100, ge=1, description=f"at most {MAX_RESULTS} are returned")
    sortBy: str = Field("", max_length=40)
    sortOrder: Literal["", "asc", "desc"] = ""


# Filters longer than any id match nothing, as an id that does not exist does.
class ApplicationListIn(PageIn):
    serviceId: str = Field("", max_length=200)
    applicantId: str = Field(
        "",
        max_length=200,
        description="an account number; your own may also be given as POST takes it (a"
        " citizen's 身份证号, an enterprise user's 统一社会信用代码 of an enterprise they act"
        " for, which lists what they applied for it)",
    )


class UploadIn(Schema):
    # Optional here so that a request without them is the specification's 400, not a 422.
    fileId: str = Field("", max_length=40, description="the application it belongs to")
    materialId: int | None = Field(None, description="the item's material it provides")
    additionalMetadata: str = Field("", max_length=500, description="not stored")


class UploadOut(Schema):
    code: int
    type: str
    message: str
    url: str


class TaskListIn(PageIn):
    mainTaskId: str = Field("", max_length=200)
    fileId: str = Field("", max_length=200)
    assigneeId: str = Field("", max_length=200)


class UserTaskOut(Schema):
    taskId: str
    name: str
    assigneeId: str | None = None
    roleId: str
    created: dt.datetime
    description: str
    serviceId: str
    serviceName: str
    fileId: str
    eFormId: str
    status: StatusOut


class DataUserTaskOut(Schema):
    taskId: str
    taskName: str
    assigneeId: str | None = None
    roleId: str
    created: dt.datetime
    description: str
    fileId: str
    serviceId: str
    serviceName: str
    eFormId: str
    formVariables: dict[str, Any]
    status: StatusOut
    data: dict[str, Any]


class CompleteIn(BaseModel):
    data: dict[str, Any] = Field(
        default_factory=dict,
        description="passed (true/false), opinion; when not passed: reasons and legalBasis",
    )

    @model_validator(mode="before")
    @classmethod
    def _require_object(cls, value: Any) -> Any:
        """Refuse a body that is JSON but not an object ("x", null, [], 42).

        Completing a task cannot be undone, so a request that said nothing
        must not pass as ``{}``. A ninja ``Schema`` reads its fields off any
        value and would take such a body for ``{}``; this plain pydantic model
        sees the body as ninja parsed it, so the request is read only once.
        """
        if not isinstance(value, dict):
            raise InvalidInput(
                _("请求体应为 JSON 对象。"), code="invalid_input", detail={"field": "body"}
            )
        return value


class CompletedTaskOut(Schema):
    taskId: str
    fileId: str
    serviceId: str
    status: StatusOut
    variables: dict[str, AdditionalDataOut]


class StatisticsIn(Schema):
    startDate: dt.date | None = None
    endDate: dt.date | None = None
    registrationName: str = Field("", max_length=200, description="an item's name or code")
    operator: str = Field("", max_length=100, description="the name shown for the staff member")
    role: str = Field(
        "",
        max_length=64,
        description=(
            "the role of the operator: of the tasks whose decisions count. A lane role's code"
            " (reviewer, or fire.reviewer for one department's lane) or the name of the staff"
            " role of that code, in any case; or the specification's generic operator roles,"
            " Handler and Operator (any case), for decisions made at a task of any lane."
            " Automatic decisions (秒批) are made at no task and count under no role; any"
            " other role is 404 unknown_role"
        ),
    )
    timeframe: Literal["", "day", "week", "month", "year"] = ""


class StatisticsReferencesOut(Schema):
    startDate: dt.date | None = None
    endDate: dt.date | None = None
    registrationName: str | None = None
    operator: str | None = None
    role: str | None = None
    timeframeDay: bool
    timeframeWeek: bool
    timeframeMonth: bool
    timeframeYear: bool


class StatisticsOut(Schema):
    processed: int = Field(description="approved + rejected + sentBack")
    approved: int
    sentBack: int = Field(description="补正 requests")
    rejected: int
    references: StatisticsReferencesOut


# --- Who is calling ---------------------------------------------------------------------


def _check_client_header(request: HttpRequest, *, required: bool = False) -> None:
    """Check the caller's ``Information-Mediator-Client`` header.

    The specification requires it on the applications and statistics
    operations (``required``); elsewhere it may be left out.
    """
    claimed = request.headers.get(CLIENT_HEADER)
    if claimed is None:
        if not required:
            return
        raise InvalidInput(
            _("请求头缺少 %(header)s。") % {"header": CLIENT_HEADER},
            code="bad_client_header",
            detail={"header": CLIENT_HEADER},
        )
    parts = claimed.strip().split("/")
    # Each of INSTANCE, CLASS, MEMBER and SUBSYSTEM names something: none is empty.
    if len(parts) != 4 or not all(part.strip() for part in parts):
        raise InvalidInput(
            _("请求头应为 INSTANCE/CLASS/MEMBER/SUBSYSTEM 格式。"),
            code="bad_client_header",
            detail={"header": CLIENT_HEADER},
        )
    client = principal_of(request)
    # A system's token proves who calls; the header may only repeat it.
    if isinstance(client, SystemClient) and claimed.strip() != client_identifier(client):
        raise PermissionDenied(
            _("请求头所称的接入系统与接口凭证不符。"),
            code="client_mismatch",
            detail={"header": CLIENT_HEADER, "expected": client_identifier(client)},
        )


def _user(request: HttpRequest, *, header_required: bool = False) -> User:
    _check_client_header(request, required=header_required)
    user = principal_of(request)
    if not isinstance(user, User):  # pragma: no cover - session_auth lets only users in
        raise PermissionDenied()
    return user


def applicant_id(user: User) -> str:
    """The applicantId of a user: their account number on the platform."""
    return str(user.pk)


def _names_caller(user: User, given: str) -> bool:
    """Whether an applicantId names the caller: their account number or a citizen's 身份证号.

    Identifiers are compared as the rest of the platform stores them
    (``normalise``): a 身份证号 typed in full-width digits or with a lower-case
    x is the same number.
    """
    given = normalise(given)
    if given == applicant_id(user):
        return True
    person = user.person if user.audience == Audience.CITIZEN else None
    return person is not None and given == person.id_number


# --- Rendering --------------------------------------------------------------------------


def _status(application: Application) -> StatusOut:
    return StatusOut(
        code=STATUS_CODES[application.state],
        title=str(ApplicationState(application.state).label),
    )


def _version(item: ServiceItem) -> str:
    return timezone.localtime(item.updated_at).strftime("%Y%m%d%H%M%S")


def service_out(item: ServiceItem) -> ServiceOut:
    facts = {
        "department": item.department.name,
        "itemType": item.get_item_type_display(),
        "target": item.get_target_display(),
        "handlingKind": item.get_handling_kind_display(),
        "statutoryLimitDays": str(item.statutory_limit_days),
        "committedLimitDays": str(item.committed_limit_days),
        "onsiteVisits": str(item.onsite_visits),
        "onlineDepth": item.get_online_depth_display(),
        "place": item.place,
        "hours": item.hours,
        "enquiryPhone": item.enquiry_phone,
        "resultName": item.result_name,
    }
    return ServiceOut(
        id=item.code,
        name=item.name,
        version=_version(item),
        type="Public",
        isExecutable=item.state == ItemState.PUBLISHED and bool(item.process_id),
        description=item.summary,
        serviceBody=[PropertyOut(code=code, value=str(value)) for code, value in facts.items()],
    )


def eform_out(item: ServiceItem) -> EFormListItemOut:
    return EFormListItemOut(
        eFormId=item.code,
        name=str(item.form_schema.get("title") or item.name),
        description=str(item.form_schema.get("description") or ""),
        version=_version(item),
        latest=True,
    )


def document_url(application: Application, material_id: int) -> str:
    return f"{PREFIX}/applications/{application.number}/documents/{material_id}"


def _document_urls(application: Application, rows: Iterable[ApplicationMaterial]) -> list[str]:
    return [
        document_url(application, row.material_id)
        for row in rows
        if row.kind == ProvisionKind.UPLOAD and row.file
    ]


def _correction_meta(note: str | None) -> dict[str, str]:
    """What a client needs to answer the open 补正 request, or nothing when none is open."""
    if note is None:
        return {}
    return {
        "correctionRequest": note,
        "correctionRequestVersion": actions.correction_request_version(note),
    }


def _rejection_meta(application: Application) -> dict[str, str]:
    """Why a rejected application was refused and on what legal basis, as its page says."""
    if application.state != ApplicationState.REJECTED:
        return {}
    return {
        "rejectionReasons": application.shown_rejection_reasons,
        "rejectionBasis": application.rejection_basis,
    }


def file_out(application: Application) -> ApplicationFileOut:
    item = application.item
    meta = {
        **_correction_meta(selectors.open_correction_note(application)),
        **_rejection_meta(application),
    }
    return ApplicationFileOut(
        fileId=application.number,
        applicantId=str(application.applicant_id),
        registered=application.submitted_at,
        serviceId=item.code,
        serviceName=item.name,
        status=_status(application),
        ended=application.state in FINISHED_STATES,
        applicationData=ApplicationDataOut(
            applicationName=application.applicant_name,
            applicantId=str(application.applicant_id),
            created=application.created_at,
            formData=FormDataOut(data=application.form_data, eFormId=item.code),
            documentUrls=_document_urls(application, selectors.materials_of(application)),
        ),
        additionalMeta=AdditionalDataOut(data=meta) if meta else None,
    )


def list_item_out(application: Application) -> ApplicationListItemOut:
    item = application.item
    open_tasks: list[WorkTask] = getattr(application, "open_tasks", [])
    task = open_tasks[0] if open_tasks else None
    operator = task.claimed_by if task else None
    return ApplicationListItemOut(
        fileId=application.number,
        mainTaskId=str(task.pk) if task else None,
        taskTitle=task.name if task else None,
        roleId=task.role if task else None,
        assigneeId=str(operator.pk) if operator else None,
        operatorName=(operator.display_name or operator.username) if operator else None,
        status=_status(application),
        applicantId=str(application.applicant_id),
        created=application.created_at,
        registered=application.submitted_at,
        description=application.applicant_name,
        serviceName=item.name,
        serviceId=item.code,
        eformId=item.code,
        documentUrls=_document_urls(application, getattr(application, "materials_in_order", [])),
        additionalMeta=AdditionalDataOut(
            data={
                "warningLevel": application.warning_level,
                **_correction_meta(selectors.open_correction_note(application)),
            }
        ),
    )


def _task_fields(task: WorkTask) -> dict[str, Any]:
    application = task.application
    return {
        "taskId": str(task.pk),
        "assigneeId": str(task.claimed_by_id) if task.claimed_by_id else None,
        "roleId": task.role,
        "created": task.created_at,
        "description": task.get_step_display(),
        "fileId": application.number,
        "serviceId": application.item.code,
        "serviceName": application.item.name,
        "eFormId": application.item.code,
        "status": _status(application),
    }


def _number(value: str) -> int:
    """An account or task number given as text; anything else matches nothing."""
    value = value.strip()
    # ASCII only: str.isdigit() also accepts digits int() refuses ("²"), and
    # fewer than 19 digits stay within a 64-bit primary key.
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else -1


Row = TypeVar("Row", Application, WorkTask)

# Every sortBy the specification lists (Camunda's names), by what each means
# here: an application is its process instance and its execution; its due date
# is its deadline, and the nearest deadline is what is most urgent (priority).
APPLICATION_SORTS = {
    "created": "created_at",
    "registered": "submitted_at",
    "id": "number",
    "instanceId": "number",
    "caseInstanceId": "number",
    "executionId": "number",
    "caseExecutionId": "number",
    "dueDate": "deadline_at",
    "priority": "deadline_at",
    "name": "item__name",
    "nameCaseInsensitive": "item__name",
    "description": "applicant_name",
    # Who claimed the main task (the oldest open one), as assigneeId shows.
    "assignee": "main_task_assignee",
}
TASK_SORTS = {
    "created": "created_at",
    "id": "pk",
    "name": "name",
    "nameCaseInsensitive": "name",
    "description": "step",
    "dueDate": "application__deadline_at",
    "priority": "application__deadline_at",
    "assignee": "claimed_by_id",
    "instanceId": "application__number",
    "caseInstanceId": "application__number",
    "executionId": "application__number",
    "caseExecutionId": "application__number",
}


def _page(rows: QuerySet[Row], params: PageIn) -> QuerySet[Row]:
    start = params.firstResult
    return rows[start : start + min(params.maxResult, MAX_RESULTS)]


def _sort_key(allowed: Mapping[str, str], params: PageIn, default: str) -> OrderBy:
    field = allowed.get(params.sortBy or default)
    if field is None:
        raise InvalidInput(
            _("不支持按该条件排序。"),
            code="bad_sort",
            detail={"field": "sortBy", "allowed": sorted(allowed)},
        )
    # What has no value yet (a task not accepted has no due date, a draft was
    # never registered) comes last either way, on every database: PostgreSQL
    # and SQLite otherwise put it at opposite ends.
    if params.sortOrder == "desc":
        return F(field).desc(nulls_last=True)
    return F(field).asc(nulls_last=True)


# --- Services and eForms ----------------------------------------------------------------


def _service(code: str) -> ServiceItem:
    try:
        return access_item_by_code(None, code)
    except NotFound as error:
        raise NotFound(_("没有这个服务。"), code="unknown_service") from error


@router.get("/services", response={200: list[ServiceOut], **ERRORS}, auth=None)
def list_services(request: HttpRequest, params: Query[ServiceListIn]) -> list[ServiceOut]:
    """The published service items; ``name`` searches them the way people ask ("开饭店")."""
    _check_client_header(request)
    hits = search_items(ItemFilters(query=params.name))
    return [service_out(hit.item) for hit in hits]


@router.get("/services/{serviceId}", response={200: ServiceOut, **ERRORS}, auth=None)
def get_service(request: HttpRequest, serviceId: str) -> ServiceOut:
    """One service item (published or suspended) with the main facts of its guide."""
    _check_client_header(request)
    return service_out(_service(serviceId))


@router.get(
    "/services/{serviceId}/eForms", response={200: list[EFormListItemOut], **ERRORS}, auth=None
)
def list_eforms(request: HttpRequest, serviceId: str) -> list[EFormListItemOut]:
    """The item's application form (an item has one, or none); none for an unknown service.

    The specification answers this operation with a list only, empty when
    there is nothing to list.
    """
    _check_client_header(request)
    try:
        item = _service(serviceId)
    except NotFound:
        return []
    return [eform_out(item)] if item.form_schema else []


@router.get("/eForms/{eFormId}", response={200: EFormOut, **ERRORS}, auth=None, by_alias=True)
def get_eform(request: HttpRequest, eFormId: str) -> EFormOut:
    """The item's application form with its JSON Schema."""
    _check_client_header(request)
    try:
        item = access_item_by_code(None, eFormId)
    except NotFound as error:
        raise NotFound(_("没有这个表单。"), code="unknown_eform") from error
    if not item.form_schema:
        raise NotFound(_("没有这个表单。"), code="unknown_eform")
    return EFormOut(**eform_out(item).dict(), schema=item.form_schema)


# --- Applications -----------------------------------------------------------------------


def _form_data(item: ServiceItem, payload: ApplicationFileIn) -> dict[str, Any] | None:
    form = payload.formData
    if form is None:
        return None
    if form.eFormId not in (None, "", item.code):
        raise InvalidInput(
            _("该表单不属于这个服务。"), code="unknown_eform", detail={"field": "eFormId"}
        )
    return form.data


def _not_own_applicant(user: User) -> PermissionDenied:
    return PermissionDenied(
        _("只能以本人的身份提交申请。"),
        code="not_own_applicant",
        detail={"field": "applicantId", "expected": applicant_id(user)},
    )


def _own_applicant_id(
    user: User, payload: ApplicationFileIn, application: Application | None = None
) -> None:
    """Refuse an applicantId that is neither the caller's account nor the application's enterprise.

    An application made for an enterprise may name it by its credit code, as
    the request that made it did.
    """
    given = payload.applicantId.strip()
    if _names_caller(user, given):
        return
    if (
        application is not None
        and application.applicant_kind == ApplicantKind.ENTERPRISE
        and normalise(given) == application.applicant_id_number
    ):
        return
    raise _not_own_applicant(user)


def _chosen_enterprise(user: User, payload: ApplicationFileIn) -> str:
    """The credit code of the enterprise an application is for ("": the caller themself).

    The specification has one applicant field, ``applicantId``, naming the
    account that applies. An enterprise user (经办人) acts for the enterprises
    that authorised them, as on the native API's ``credit_code``: the
    applicantId then carries the chosen enterprise's 统一社会信用代码. Who acts
    for several and names only their account is asked to choose, never given
    one of them silently.
    """
    given = payload.applicantId.strip()
    if user.audience != Audience.ENTERPRISE:
        if not _names_caller(user, given):
            raise _not_own_applicant(user)
        return ""
    codes = [m.enterprise.credit_code for m in memberships_of(user)]
    if not _names_caller(user, given):
        try:
            credit_code = validate_credit_code(given)
        except InvalidInput:
            # Not a credit code: some other account's applicantId.
            raise _not_own_applicant(user) from None
        if credit_code not in codes:
            raise actions.enterprise_not_linked("applicantId")
        return credit_code
    if len(codes) > 1:
        raise InvalidInput(
            _(
                "您为多家企业办理业务，请在 applicantId 中填写以哪家企业名义申请"
                "（该企业的统一社会信用代码）。"
            ),
            code="enterprise_required",
            detail={"field": "applicantId", "choices": codes},
        )
    # One enterprise or none: the draft takes the one, or says how to be linked
    # to one (no_enterprise_linked).
    return ""


def _request_digest(item: ServiceItem, payload: ApplicationFileIn, params: SubmitIn) -> str:
    """What an apply request asked for: the same request sent again digests the same."""
    asked = {"service": item.code, "draft": params.draft, "body": payload.model_dump(mode="json")}
    text = json.dumps(asked, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _submit(application: Application, user: User) -> None:
    try:
        actions.do_submit_application(application, acting_user=user)
    except ZhengtongError as error:
        # The draft is kept, as on the applicant's pages: say which, so that the
        # caller can upload the missing documents and submit it with PUT.
        error.detail.setdefault("fileId", application.number)
        raise


def _submit_again(application: Application, user: User) -> None:
    """Submit the draft a repeated request started, unless its first sending has meanwhile.

    The first sending's submission may have been refused (a material was
    missing: the retry after uploading it submits), or still be under way.
    """
    try:
        _submit(application, user)
    except Conflict as conflict:
        if conflict.code not in ("invalid_transition", "changed_meanwhile"):
            raise
        current = access_application_by_number(user, application.number)
        if current.state in (ApplicationState.DRAFT, ApplicationState.WITHDRAWN):
            raise


# A key of the caller's choosing that makes a retry safe (IETF's Idempotency-Key header).
IDEMPOTENCY_KEY = P(
    alias="Idempotency-Key",
    description="a key of the caller's choosing (a UUID), 1 to 255 visible ASCII characters,"
    " that makes a retry safe: the same request (path, draft and body) sent again with it"
    " answers 200 with the application the first one started, making no second one;"
    " another request with the same key is refused, 409 idempotency_key_reused. Keys are"
    " each account's own",
)


@router.post(
    "/services/{serviceId}/applications",
    response={200: ApplicationFileOut, **ERRORS},
    auth=session_auth,
    exclude_none=True,
)
def submit_application(
    request: HttpRequest,
    serviceId: str,
    payload: ApplicationFileIn,
    params: Query[SubmitIn],
    idempotency_key: HeaderEx[str | None, IDEMPOTENCY_KEY] = None,
) -> ApplicationFileOut:
    """Apply for a service: save the form as a draft (prefilled from the exchange) and submit it.

    If the submission is refused (a material missing, the form incomplete) the
    draft stays and the error's ``detail.fileId`` names it; with ``draft=true``
    the draft is only saved. An enterprise user names the enterprise they apply
    for by its 统一社会信用代码 in ``applicantId``. With an ``Idempotency-Key``
    header a retry of the same request answers with the application the first
    sending started (submitting it, if it is still a draft and the request asked
    to), and never starts a second one.
    """
    user = _user(request, header_required=True)
    item = _service(serviceId)
    credit_code = _chosen_enterprise(user, payload)
    form = _form_data(item, payload) or {}
    if idempotency_key is None:
        application = actions.do_save_draft(item, form, acting_user=user, credit_code=credit_code)
        if not params.draft:
            _submit(application, user)
    else:
        started = actions.do_save_draft_once(
            item,
            form,
            idempotency_key,
            acting_user=user,
            credit_code=credit_code,
            request_digest=_request_digest(item, payload, params),
        )
        application = started.application
        if not params.draft and not started.repeated:
            _submit(application, user)
        elif not params.draft and application.state == ApplicationState.DRAFT:
            _submit_again(application, user)
    return file_out(access_application_by_number(user, application.number))


def _applicant_filter(user: User, given: str) -> Q:
    """The applications an applicantId names, as ``POST`` reads it.

    The caller's own account number or (a citizen's) 身份证号 names what they
    filed themself; an enterprise user names what they filed for an
    enterprise they act for by its 统一社会信用代码. Anything else is some
    account's number, which staff filter their queues by.
    """
    if _names_caller(user, given):
        return Q(applicant=user)
    if user.audience == Audience.ENTERPRISE:
        try:
            credit_code = validate_credit_code(given)
        except InvalidInput:
            credit_code = ""
        if credit_code:
            return Q(applicant_kind=ApplicantKind.ENTERPRISE, applicant_id_number=credit_code)
    return Q(applicant_id=_number(given))


@router.get(
    "/applications",
    response={200: list[ApplicationListItemOut], **ERRORS},
    auth=session_auth,
    exclude_none=True,
)
def list_applications(
    request: HttpRequest, params: Query[ApplicationListIn]
) -> list[ApplicationListItemOut]:
    """Your own applications; for staff also those in the queues they work in."""
    user = _user(request, header_required=True)
    rows: QuerySet[Application] = selectors.applications_visible_to(user)
    if params.serviceId:
        rows = rows.filter(item__code=params.serviceId)
    if params.applicantId:
        rows = rows.filter(_applicant_filter(user, params.applicantId))
    order = _sort_key(APPLICATION_SORTS, params, "created")
    if params.sortBy == "assignee":
        main_task = WorkTask.objects.filter(application=OuterRef("pk"), completed_at=None)
        rows = rows.annotate(
            main_task_assignee=Subquery(
                main_task.order_by("created_at", "pk").values("claimed_by_id")[:1]
            )
        )
    return [list_item_out(a) for a in _page(rows.order_by(order, "pk"), params)]


@router.get(
    "/applications/{fileId}",
    response={200: ApplicationFileOut, **ERRORS},
    auth=session_auth,
    exclude_none=True,
)
def get_application(request: HttpRequest, fileId: str) -> ApplicationFileOut:
    """One application you may see (your own, or one in your queues)."""
    return file_out(access_application_by_number(_user(request, header_required=True), fileId))


@router.put(
    "/applications/{fileId}",
    response={200: ApplicationFileOut, **ERRORS},
    auth=session_auth,
    exclude_none=True,
)
def update_application(
    request: HttpRequest,
    fileId: str,
    payload: ApplicationFileIn,
    params: Query[UpdateIn],
) -> ApplicationFileOut:
    """Change your application: save a draft's form and submit it, or hand in a 补正 correction.

    Staff do not change an applicant's form; they complete tasks. A correction
    may name the request it answers (``requestVersion``), so that one a
    department has added to since it was read is not answered unseen.
    """
    user = _user(request, header_required=True)
    application = access_application_by_number(user, fileId)
    if application.applicant_id != user.pk:
        raise PermissionDenied(_("只有申请人本人可以修改申请。"), code="not_applicant")
    _own_applicant_id(user, payload, application)
    form = _form_data(application.item, payload)
    if application.state == ApplicationState.CORRECTING and params.draft:
        # Only saved, as for a draft: handing in the correction restarts the
        # clock and ends the 补正, which the caller asked not to do yet. As when
        # it is handed in, the fields sent are the ones corrected; the others
        # keep their values.
        if form is not None:
            actions.do_save_draft(
                application.item,
                {**actions.saved_form(application), **form},
                acting_user=user,
                application=application,
            )
    elif application.state == ApplicationState.CORRECTING:
        actions.do_submit_correction(
            application,
            "",
            acting_user=user,
            form_data=form,
            request_version=params.requestVersion,
        )
    elif application.state == ApplicationState.DRAFT:
        if form is not None:
            application = actions.do_save_draft(
                application.item, form, acting_user=user, application=application
            )
        if not params.draft:
            _submit(application, user)
    else:
        raise Conflict(_("已提交的申请不能再修改。"), code="not_editable")
    return file_out(access_application_by_number(user, fileId))


# --- Documents --------------------------------------------------------------------------


def _base64_files(texts: list[str]) -> "list[DjangoUploadedFile[bytes]]":
    """Files sent as base64 text parts, named by what their first bytes show them to be.

    A text part has no file name; the type check that follows still goes by
    the content (``actions.FILE_TYPES``). Text parts are held to Django's
    limit on form data (``DATA_UPLOAD_MAX_MEMORY_SIZE``), so larger files come
    as file parts.
    """
    found: list[DjangoUploadedFile[bytes]] = []
    for text in texts:
        # A data URL's header (data:application/pdf;base64,) says nothing the bytes do not.
        _header, comma, data = text.partition(",")
        encoded = data if text.startswith("data:") else text
        try:
            if text.startswith("data:") and not comma:
                raise ValueError("a data URL without its data")
            content = base64.b64decode("".join(encoded.split()), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput(
                _("文件内容不是有效的 base64 编码。"), code="bad_base64", detail={"field": "file"}
            ) from None
        suffix = next(
            (ends[0] for magic, ends in actions.FILE_TYPES.values() if content.startswith(magic)),
            "",
        )
        found.append(SimpleUploadedFile(f"document{suffix}", content))
    return found


@router.post("/documents", response={200: UploadOut, **ERRORS}, auth=session_auth)
def upload_document(
    request: HttpRequest,
    params: Query[UploadIn],
    file: Annotated[list[UploadedFile] | None, FileParam(None)] = None,
) -> UploadOut:
    """Upload one material of your draft or 补正 application: PDF, JPG or PNG, at most 10 MB.

    The file comes as a file part, or as a text part holding its content in
    base64 (the specification's ``format: base64``).
    """
    user = _user(request)
    files = list(file or []) or _base64_files(request.POST.getlist("file"))
    if len(files) != 1:
        raise InvalidInput(
            _("请上传一个文件。"), code="one_file_required", detail={"field": "file"}
        )
    if not params.fileId or params.materialId is None:
        raise InvalidInput(
            _("请说明材料属于哪件申请的哪项材料（fileId 和 materialId）。"),
            code="document_target_required",
            detail={"fields": ["fileId", "materialId"]},
        )
    application = access_application_by_number(user, params.fileId)
    if application.applicant_id != user.pk:
        raise PermissionDenied(_("只有申请人本人可以上传材料。"), code="not_applicant")
    row = actions.do_upload_material(application, params.materialId, files[0], acting_user=user)
    return UploadOut(
        code=200,
        type=row.content_type,
        message=str(_("材料已上传：%(name)s") % {"name": row.material.name}),
        url=document_url(application, row.material_id),
    )


@router.get(
    "/applications/{fileId}/documents/{materialId}",
    response={200: None, **ERRORS},
    auth=session_auth,
    include_in_schema=False,
)
def get_document(
    request: HttpRequest,
    fileId: str,
    materialId: int,
) -> FileResponse:
    """An uploaded material of an application you may see (the address in documentUrls)."""
    application = access_application_by_number(_user(request), fileId)
    row = (
        selectors.materials_of(application)
        .filter(material_id=materialId, kind=ProvisionKind.UPLOAD)
        .exclude(file="")
        .last()
    )
    if row is None:
        raise Http404
    try:
        handle = row.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, content_type=row.content_type or "application/octet-stream", filename=row.file_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- Tasks ------------------------------------------------------------------------------


def _task(user: User, task_id: str) -> WorkTask:
    number = _number(task_id)
    if number < 0:
        raise NotFound()
    return access_task_by_id(user, number)


@router.get(
    "/tasks",
    response={200: list[UserTaskOut], **ERRORS},
    auth=session_auth,
    exclude_none=True,
)
def list_tasks(request: HttpRequest, params: Query[TaskListIn]) -> list[UserTaskOut]:
    """The open tasks you may claim or have claimed (the workbench's 我的待办)."""
    user = _user(request)
    rows = selectors.open_tasks_for(user).select_related("application__item")
    if params.fileId:
        # As GET /applications/{fileId} reads it: a number typed in full width is the same.
        rows = rows.filter(application__number=normalise(params.fileId))
    if params.mainTaskId:
        rows = rows.filter(pk=_number(params.mainTaskId))
    if params.assigneeId:
        rows = rows.filter(claimed_by_id=_number(params.assigneeId))
    order = _sort_key(TASK_SORTS, params, "dueDate")
    return [
        UserTaskOut(name=task.name, **_task_fields(task))
        for task in _page(rows.order_by(order, "pk"), params)
    ]


@router.get(
    "/tasks/{taskId}",
    response={200: DataUserTaskOut, **ERRORS},
    auth=session_auth,
    exclude_none=True,
)
def get_task(request: HttpRequest, taskId: str) -> DataUserTaskOut:
    """One task of your lanes with the application's form and what was decided, if done."""
    task = _task(_user(request), taskId)
    return DataUserTaskOut(
        taskName=task.name,
        formVariables=task.application.form_data,
        data=task.result,
        **_task_fields(task),
    )


def _task_result(data: Mapping[str, Any]) -> actions.TaskResult:
    passed = data.get("passed", True)
    if not isinstance(passed, bool):
        raise InvalidInput(
            _("passed 应为 true 或 false。"), code="invalid_input", detail={"field": "passed"}
        )
    texts: dict[str, str] = {}
    for name, keys in {
        "opinion": ("opinion",),
        "reasons": ("reasons",),
        "legal_basis": ("legalBasis", "legal_basis"),
    }.items():
        value = next((data[k] for k in keys if k in data), "")
        if not isinstance(value, str):
            raise InvalidInput(_("该项应为文本。"), code="invalid_input", detail={"field": keys[0]})
        texts[name] = value
    return actions.TaskResult(passed=passed, **texts)


@router.post(
    "/tasks/{taskId}/complete",
    response={200: CompletedTaskOut, **ERRORS},
    auth=session_auth,
)
def complete_task(
    request: HttpRequest,
    taskId: str,
    payload: CompleteIn,
) -> CompletedTaskOut:
    """Complete a task (受理, 审查, 决定, 送达); refusing needs reasons and a legal basis."""
    user = _user(request)
    task = _task(user, taskId)
    result = _task_result(payload.data)
    application = actions.do_complete_task(task, result, acting_user=user)
    return CompletedTaskOut(
        taskId=str(task.pk),
        fileId=application.number,
        serviceId=application.item.code,
        status=_status(application),
        variables={
            "result": AdditionalDataOut(
                data={
                    "passed": result.passed,
                    "opinion": result.opinion,
                    "reasons": result.reasons,
                    "legalBasis": result.legal_basis,
                }
            )
        },
    )


# --- Statistics -------------------------------------------------------------------------


_CLIENT_TOKEN = ClientTokenAuth()

# The specification's role is "the role of the operator", its example (and
# what GovStack's test suite sends) "Handler": whoever handles applications,
# with no lane named. These generic names stand for the staff of every lane;
# a lane role of the same code, if a process had one, is meant first.
OPERATOR_ROLES = frozenset({"handler", "operator"})


def _system_if_any(request: HttpRequest) -> None:
    """Statistics are "for anyone to see" (the specification), counts only; but
    a department system that sends its token is still held to it: a wrong token
    is refused, and the client header must name that system."""
    request.auth = _CLIENT_TOKEN(request)  # type: ignore[attr-defined]


@router.get(
    "/data/statistics",
    response={200: list[StatisticsOut], **ERRORS},
    auth=None,
    exclude_none=True,
)
def statistics(request: HttpRequest, params: Query[StatisticsIn]) -> list[StatisticsOut]:
    """Decisions and 补正 requests, in total or per day, week, month or year; open to anyone."""
    _system_if_any(request)
    _check_client_header(request, required=True)
    if params.startDate and params.endDate and params.startDate > params.endDate:
        raise InvalidInput(
            _("开始日期不能晚于结束日期。"), code="bad_period", detail={"field": "endDate"}
        )
    name = params.registrationName.strip()
    if name and not ServiceItem.objects.filter(Q(name=name) | Q(code=name)).exists():
        # The specification's 404 "Requests not found": no such registration.
        raise NotFound(
            _("没有这个服务事项。"),
            code="unknown_registration",
            detail={"field": "registrationName"},
        )
    tasks = None
    if params.role.strip():
        tasks = selectors.task_role(params.role)
        if tasks is None and params.role.strip().casefold() in OPERATOR_ROLES:
            tasks = Q()
        if tasks is None:
            # Answered as an unknown registration is: nothing to count by.
            raise NotFound(_("没有这个岗位角色。"), code="unknown_role", detail={"field": "role"})
    counts = selectors.decision_counts(
        start=params.startDate,
        end=params.endDate,
        item=name,
        operator=params.operator.strip(),
        tasks=tasks,
        timeframe=params.timeframe,
    )
    return [
        StatisticsOut(
            processed=row.approved + row.rejected + row.sent_back,
            approved=row.approved,
            sentBack=row.sent_back,
            rejected=row.rejected,
            references=StatisticsReferencesOut(
                startDate=row.start,
                endDate=row.end,
                registrationName=params.registrationName or None,
                operator=params.operator or None,
                role=params.role or None,
                timeframeDay=params.timeframe == "day",
                timeframeWeek=params.timeframe == "week",
                timeframeMonth=params.timeframe == "month",
                timeframeYear=params.timeframe == "year",
            ),
        )
        for row in counts
    ]


# GovStack's statistics test suite calls the versioned address.
router.add_api_operation(
    "/data/statistics/1.0",
    ["GET"],
    statistics,
    response={200: list[StatisticsOut], **ERRORS},
    auth=None,
    exclude_none=True,
    include_in_schema=False,
)
