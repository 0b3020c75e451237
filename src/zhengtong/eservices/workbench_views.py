"""The staff workbench (工作台): task lists, handling one application, 差评整改.

Each view fetches through ``application_access``, calls one action and
renders; the rules (who may handle which step, what a refusal needs) live in
the actions. Staff of other departments get the same 404 as for a missing task.
"""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zhengtong.catalog.selectors import published_resources
from zhengtong.core.errors import ZhengtongError
from zhengtong.core.htmx import is_htmx
from zhengtong.core.masking import mask_name
from zhengtong.eservices import application_actions as actions
from zhengtong.eservices import application_selectors as selectors
from zhengtong.eservices.application_access import (
    access_rectification_by_id,
    access_task_by_id,
)
from zhengtong.eservices.application_states import OPEN_STATES, ApplicationState
from zhengtong.eservices.forms_engine import fields_of
from zhengtong.eservices.models import (
    ApplicantKind,
    Application,
    ApplicationMaterial,
    ProvisionKind,
    Rating,
    Rectification,
    SupersededMaterial,
    SuspensionKind,
    WorkTask,
)
from zhengtong.eservices.permissions import RESPOND_RATINGS
from zhengtong.eservices.time_limits import stops_clock_at
from zhengtong.identity.models import Audience, User
from zhengtong.identity.permissions import departments_in_scope, has_permission
from zhengtong.licences.models import Licence
from zhengtong.licences.presentation import field_rows

# What the decision buttons say at each step: (pass, refuse); None where a
# step cannot be refused (送达 is done once the licence is handed over).
STEP_CHOICES: dict[str, tuple[Any, Any]] = {
    "accept": (gettext_lazy("予以受理"), gettext_lazy("不予受理")),
    "review": (gettext_lazy("审查通过"), gettext_lazy("审查不通过")),
    "decide": (gettext_lazy("准予许可"), gettext_lazy("不予许可")),
    "deliver": (gettext_lazy("已送达"), None),
}

EVENT_LABELS: dict[str, Any] = {
    "create": gettext_lazy("创建申请"),
    "update": gettext_lazy("修改申请"),
    "upload_material": gettext_lazy("上传材料"),
    "promise_material": gettext_lazy("承诺容缺补交"),
    "submit": gettext_lazy("提交申请"),
    "auto_approve": gettext_lazy("自动审批准予"),
    "auto_reject": gettext_lazy("自动审批不予"),
    "accept": gettext_lazy("受理"),
    "refuse": gettext_lazy("不予受理"),
    "approve": gettext_lazy("准予"),
    "reject": gettext_lazy("不予"),
    "withdraw": gettext_lazy("撤回"),
    "request_correction": gettext_lazy("告知补正"),
    "add_correction": gettext_lazy("补充补正要求"),
    "submit_correction": gettext_lazy("提交补正"),
    "claim_task": gettext_lazy("认领任务"),
    "release_task": gettext_lazy("放弃认领"),
    "complete_accept": gettext_lazy("完成受理环节"),
    "complete_review": gettext_lazy("完成审查环节"),
    "complete_decide": gettext_lazy("完成决定环节"),
    "complete_deliver": gettext_lazy("完成送达环节"),
    "start_special_procedure": gettext_lazy("启动特别程序"),
    "end_special_procedure": gettext_lazy("结束特别程序"),
    "issue_licence": gettext_lazy("签发电子证照"),
    "rate": gettext_lazy("评价"),
    "respond_rating": gettext_lazy("答复差评"),
    "warning": gettext_lazy("时限预警"),
    "deadline_recounted": gettext_lazy("承诺办结时间重新计算"),
    "procedure_overran": gettext_lazy("特别程序超过最长时限"),
    "promise_overdue": gettext_lazy("容缺材料逾期未交"),
}


def _staff(request: HttpRequest) -> User | None:
    """The logged-in member of staff; None when not logged in; 403 for other accounts."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        return None
    if user.audience != Audience.STAFF:
        raise DjangoPermissionDenied
    return user


def _refuse_on(error: ZhengtongError) -> None:
    if error.status == 403:
        raise DjangoPermissionDenied from None
    if error.status == 404:
        raise Http404 from None


def _own_task(request: HttpRequest, task_id: int) -> tuple[User, WorkTask] | HttpResponse:
    """The signed-in staff member and a task they may handle; the log-in page for anyone else."""
    user = _staff(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    try:
        return user, access_task_by_id(user, task_id)
    except ZhengtongError as error:
        _refuse_on(error)
        raise


def applicant_label(application: Application) -> str:
    """The applicant as the workbench lists them: a person's name masked, an enterprise's not."""
    if application.applicant_kind == ApplicantKind.PERSON:
        return mask_name(application.applicant_name)
    return application.applicant_name


# --- 待办 ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaskRow:
    task: WorkTask
    applicant: str
    mine: bool
    # Claimed by a colleague who has left the post: listed to be taken over.
    left: bool = False


def worklist(request: HttpRequest) -> HttpResponse:
    """My claimed tasks and the tasks of my departments' queues I may claim, a page at a time."""
    user = _staff(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    scope = "mine" if request.GET.get("scope") == "mine" else "all"
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    listed = selectors.worklist(user, mine_only=scope == "mine", page=page)
    rows = [
        TaskRow(
            task,
            applicant_label(task.application),
            task.claimed_by_id == user.pk,
            # The list holds others' claims only when they have left the post.
            left=task.claimed_by_id not in (None, user.pk),
        )
        for task in listed.rows
    ]
    may_rectify = departments_in_scope(user, RESPOND_RATINGS).exists()
    context = {
        "scope": scope,
        "rows": rows,
        "counts": listed.counts,
        "page": listed.page,
        "pages": listed.pages,
        "previous_page": listed.page - 1 if listed.page > 1 else None,
        "next_page": listed.page + 1 if listed.page < listed.pages else None,
        "may_rectify": may_rectify,
    }
    template = "eservices/workbench/worklist.html"
    if is_htmx(request):
        template += "#tasks"
    else:
        # The htmx swap of the task list needs no messages: two queries saved.
        context["inbox"] = selectors.inbox_of(user)
        # A bad rating past its deadline shows where the day's work starts,
        # not only on the rectifications page one has to think of opening.
        context["overdue_rectifications"] = (
            selectors.overdue_rectification_count(user, timezone.now()) if may_rectify else 0
        )
    return render(request, template, context)


@require_POST
def claim(request: HttpRequest, task_id: int) -> HttpResponse:
    """Claim a task; htmx swaps the row, a plain form goes on to the task."""
    user = _staff(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    error_message = ""
    try:
        task = access_task_by_id(user, task_id)
        actions.do_claim_task(task, acting_user=user)
    except ZhengtongError as error:
        _refuse_on(error)
        error_message = str(error.message)
    if is_htmx(request):
        row = access_task_by_id(user, task_id)
        return render(
            request,
            "eservices/workbench/_task_row.html",
            {
                "row": TaskRow(row, applicant_label(row.application), row.claimed_by_id == user.pk),
                "error": error_message,
            },
        )
    if error_message:
        messages.error(request, error_message)
        return redirect("eservices:worklist")
    messages.success(request, _("已认领该任务。"))
    return redirect("eservices:work_item", task_id=task_id)


@require_POST
def release(request: HttpRequest, task_id: int) -> HttpResponse:
    """Give back a task one claimed; back to the list, where colleagues can claim it."""
    user = _staff(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    try:
        task = access_task_by_id(user, task_id)
        actions.do_release_task(task, acting_user=user)
    except ZhengtongError as error:
        _refuse_on(error)
        messages.error(request, str(error.message))
        return redirect("eservices:work_item", task_id=task_id)
    messages.success(request, _("已放弃认领，该任务回到待办队列。"))
    return redirect("eservices:worklist")


# --- 办理 ---------------------------------------------------------------------------------


class DecisionForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=gettext_lazy("办理结果"),
        coerce=lambda value: value == "1",
        choices=[("1", ""), ("0", "")],
        widget=forms.RadioSelect,
    )
    opinion = forms.CharField(
        label=gettext_lazy("办理意见"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reasons = forms.CharField(
        label=gettext_lazy("不予的理由"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    legal_basis = forms.CharField(
        label=gettext_lazy("法律依据"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, step: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        yes, no = STEP_CHOICES.get(step, (_("通过"), _("不通过")))
        field = self.fields["passed"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("1", yes), ("0", no)] if no is not None else [("1", yes)]


class CorrectionForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("需要补正的内容（一次性告知）"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    material_ids = forms.TypedMultipleChoiceField(
        label=gettext_lazy("需补正的材料（申请人须重新提交）"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, materials: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["material_ids"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = materials


class ProcedureForm(forms.Form):
    procedure_id = forms.TypedChoiceField(label=gettext_lazy("特别程序"), coerce=int)
    note = forms.CharField(
        label=gettext_lazy("说明"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, procedures: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["procedure_id"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = procedures


@dataclass(frozen=True, slots=True)
class FieldRow:
    name: str
    title: str
    value: Any
    prefilled: bool
    verified: bool


def _field_rows(application: Application) -> list[FieldRow]:
    rows = []
    for name, schema in fields_of(application.item.form_schema).items():
        filled = application.prefilled.get(name)
        info = filled if isinstance(filled, dict) else {}
        value = application.form_data.get(name, "")
        if isinstance(value, bool):
            value = _("是") if value else _("否")
        rows.append(
            FieldRow(
                name,
                str(schema.get("title") or name),
                value,
                bool(info) and info.get("source") != "applicant",
                bool(info.get("verified")),
            )
        )
    return rows


# The items of the serious-dishonesty list by their codes, in the user's language;
# the catalogue's item names (stored in Chinese) name the others.
CREDIT_ITEM_LABELS: dict[str, Any] = {
    "uscc": gettext_lazy("统一社会信用代码"),
    "name": gettext_lazy("主体名称"),
    "reason": gettext_lazy("列入事由"),
    "authority": gettext_lazy("认定部门"),
    "listed_on": gettext_lazy("列入日期"),
    "expires_on": gettext_lazy("有效期至"),
}


def _credit_records(credit: dict[str, Any]) -> list[list[tuple[str, Any]]]:
    """The dishonesty records with the list's item names instead of their codes."""
    records = credit.get("records")
    if not isinstance(records, list):
        return []
    resource = published_resources().filter(code=str(credit.get("resource") or "")).first()
    names = dict(resource.items.values_list("code", "name")) if resource else {}
    names.update(CREDIT_ITEM_LABELS)
    return [
        [(str(names.get(code) or code), value) for code, value in record.items()]
        for record in records
        if isinstance(record, dict)
    ]


@dataclass(frozen=True, slots=True)
class StepResult:
    task: WorkTask
    passed: bool
    # The step's own words for the result (审查不通过, 予以受理).
    outcome: str


def _step_results(tasks: list[WorkTask]) -> list[StepResult]:
    """What each step taken decided, so that a decider sees which department refused and why.

    In 并联审批 a lane's refusal blocks a granting decision (review_not_passed):
    without its reasons and legal basis the decider could neither see the
    refusal nor cite it. Steps closed by a withdrawal decided nothing.
    """
    rows = []
    for task in tasks:
        passed = task.result.get("passed")
        if task.completed_at is None or not isinstance(passed, bool):
            continue
        yes, no = STEP_CHOICES.get(task.step, (_("通过"), _("不通过")))
        rows.append(StepResult(task, passed, str(yes if passed or no is None else no)))
    return rows


def _may_act(task: WorkTask, user: User) -> bool:
    return task.completed_at is None and task.claimed_by_id in (None, user.pk)


def _apply_errors(form: forms.Form, error: ZhengtongError) -> None:
    fields = error.detail.get("fields")
    if isinstance(fields, dict):
        for name, text in fields.items():
            form.add_error(name if name in form.fields else None, str(text))
    form.add_error(None, str(error.message))


def _handle_post(
    request: HttpRequest, user: User, task: WorkTask, forms_: dict[str, forms.Form]
) -> HttpResponse | int:
    """Run the posted action; a response when it succeeded, else the status to show the page with.

    A refusal keeps its own status: a step refused because the application is
    being corrected or changed meanwhile is a conflict (409), not a form
    filled in wrongly (400).
    """
    application = task.application
    action = request.POST.get("action", "")
    form = forms_.get(action)
    if form is None or not form.is_valid():
        return 400
    data = form.cleaned_data
    try:
        if action == "decision":
            application = actions.do_complete_task(
                task,
                actions.TaskResult(
                    passed=data["passed"],
                    opinion=data["opinion"],
                    reasons=data["reasons"],
                    legal_basis=data["legal_basis"],
                ),
                acting_user=user,
            )
            done = _("已办结“%(step)s”环节。") % {"step": task.label}
            if application.state == ApplicationState.APPROVED and application.licence_id:
                done += _("已准予并签发电子证照。")
            messages.success(request, done)
            return redirect("eservices:worklist")
        if action == "correction":
            adding = application.state == ApplicationState.CORRECTING
            actions.do_request_correction(
                application,
                data["note"],
                acting_user=user,
                material_ids=data["material_ids"],
            )
            messages.success(
                request,
                _("已补充到本次补正，申请人将一次补齐。")
                if adding
                else _("已告知申请人补正，办理时限暂停计算。"),
            )
        elif action == "start_procedure":
            procedure = application.item.special_procedures.filter(pk=data["procedure_id"]).first()
            if procedure is None:
                raise Http404
            actions.do_start_special_procedure(
                application, procedure, data["note"], acting_user=user
            )
            messages.success(request, _("已启动特别程序。"))
        elif action == "end_procedure":
            actions.do_end_special_procedure(application, acting_user=user)
            messages.success(request, _("已结束特别程序。"))
    except ZhengtongError as error:
        _refuse_on(error)
        _apply_errors(form, error)
        return error.status
    return redirect("eservices:work_item", task_id=task.pk)


def _licence_held(application: Application) -> Licence | None:
    """A valid licence of the kind this application would issue that the applicant holds already.

    Shown to staff while the application is open, so that a second licence for
    the same premises (or a second of a kind held once per person) is not
    issued where a change or renewal was due.
    """
    if application.state not in OPEN_STATES:
        return None
    code = actions.licence_type_code_for(application.item, application.applicant_kind)
    if not code:
        return None
    held = actions.held_licence(application, code)
    return held if held is not None and held.pk != application.licence_id else None


@dataclass(frozen=True, slots=True)
class RatingRow:
    rating: Rating
    # The rectification a bad rating opened; None for any other rating.
    rectification: Rectification | None
    # Open, and the user answers ratings for its department: a link to the answer form.
    may_answer: bool


def _rating_rows(user: User, application: Application) -> list[RatingRow]:
    """The application's ratings, oldest first, each with its rectification if it opened one."""
    rows = []
    for rating in selectors.ratings_of(application):
        rectification: Rectification | None = getattr(rating, "rectification", None)
        may_answer = (
            rectification is not None
            and rectification.responded_at is None
            and has_permission(user, RESPOND_RATINGS, department=rectification.department)
        )
        rows.append(RatingRow(rating, rectification, may_answer))
    return rows


def work_item(request: HttpRequest, task_id: int) -> HttpResponse:
    """One application beside the form of its current step."""
    found = _own_task(request, task_id)
    if isinstance(found, HttpResponse):
        return found
    user, task = found
    application = task.application
    procedures = [(p.pk, p.name) for p in application.item.special_procedures.all()]
    posted = request.POST if request.method == "POST" else None
    action = request.POST.get("action", "") if posted else ""
    forms_: dict[str, forms.Form] = {
        "decision": DecisionForm(
            posted if action == "decision" else None, step=task.step, prefix="decision"
        ),
        "correction": CorrectionForm(
            posted if action == "correction" else None,
            # Only what the applicant uploads can be asked for anew.
            materials=[
                (m.pk, m.name)
                for m in application.item.materials.all()
                if not actions.needs_no_upload(m)
            ],
            prefix="correction",
        ),
        "start_procedure": ProcedureForm(
            posted if action == "start_procedure" else None,
            procedures=procedures,
            prefix="procedure",
        ),
        "end_procedure": forms.Form(posted if action == "end_procedure" else None),
    }
    status = 200
    if posted is not None:
        if not _may_act(task, user):
            messages.error(request, _("该任务已办结或已由他人认领。"))
            return redirect("eservices:work_item", task_id=task.pk)
        done = _handle_post(request, user, task, forms_)
        if isinstance(done, HttpResponse):
            return done
        status = done
    suspensions = list(selectors.suspensions_of(application))
    running_special = next(
        (s for s in suspensions if s.kind == SuspensionKind.SPECIAL and s.ended_at is None), None
    )
    # In 并联审批 a procedure is ended by the department that started it.
    procedure_department = (
        running_special.department
        if running_special is not None
        and running_special.department_id not in (None, task.department_id)
        else None
    )
    open_state = application.state in (ApplicationState.SUBMITTED, ApplicationState.ACCEPTED)
    # Once decided (the licence awaiting 送达) neither 补正 nor a special
    # procedure may start (already_decided): the page offers neither.
    decided = selectors.is_decided(application)
    held = _licence_held(application)
    materials = list(selectors.materials_of(application))
    superseded = selectors.superseded_materials_of(application)
    now = timezone.now()
    today = timezone.localdate(now)
    # 容缺 materials still to come: the decider sees them before deciding.
    promises = [
        {"row": m, "overdue": m.promised_on is not None and m.promised_on < today}
        for m in materials
        if m.kind == ProvisionKind.COMMITMENT
    ]
    context = {
        "task": task,
        "application": application,
        "applicant": applicant_label(application),
        "fields": _field_rows(application),
        "materials": materials,
        "material_versions": [(m, superseded.get(m.material_id, [])) for m in materials],
        "promises": promises,
        "upload_kind": ProvisionKind.UPLOAD,
        "credit": application.credit_check or {},
        "credit_records": _credit_records(application.credit_check or {}),
        "licence_held": held,
        "licence_held_rows": field_rows(held, masked=False) if held else [],
        "timeline": [
            (e, EVENT_LABELS.get(e.kind, e.kind)) for e in selectors.timeline(application)
        ],
        "limit": selectors.time_limit(application),
        # As on the applicant's page: a finished application's clock is not paused.
        "suspended": any(stops_clock_at(s, now) for s in suspensions),
        "suspensions": [(s, s.overran(now)) for s in suspensions],
        # Each 补正's 补正材料清单, with which of them the applicant has handed in anew.
        "correction_lists": [
            (s, selectors.correction_materials(application, s))
            for s in suspensions
            if s.kind == SuspensionKind.CORRECTION and s.material_ids
        ],
        "step_results": _step_results(list(selectors.tasks_of(application))),
        # A bad rating's rectification beside it, read as the rectifications page reads it
        # (``now`` for 已逾期): those handling the application see what the applicant said.
        "ratings": _rating_rows(user, application),
        "now": now,
        "process_version": selectors.process_version_of(application),
        "may_act": _may_act(task, user) and open_state,
        "may_release": task.completed_at is None and task.claimed_by_id == user.pk,
        # During a 补正 another department may still add what it needs corrected.
        "may_correct": _may_act(task, user) and application.state in OPEN_STATES and not decided,
        "running_special": running_special is not None,
        "procedure_department": procedure_department,
        "has_procedures": bool(procedures) and not decided,
        "decision_form": forms_["decision"],
        "correction_form": forms_["correction"],
        "procedure_form": forms_["start_procedure"],
        "action_error": forms_["end_procedure"].non_field_errors(),
        "refusal_needs_basis": task.step in ("decide", "accept"),
    }
    return render(request, "eservices/workbench/work_item.html", context, status=status)


def material_file(
    request: HttpRequest, task_id: int, material_id: int
) -> HttpResponse | FileResponse:
    """An uploaded material of the task's application, for staff who may handle the task."""
    found = _own_task(request, task_id)
    if isinstance(found, HttpResponse):
        return found
    _, task = found
    row = (
        selectors.materials_of(task.application)
        .filter(material_id=material_id, kind=ProvisionKind.UPLOAD)
        .exclude(file="")
        .last()
    )
    if row is None:
        raise Http404
    return _file_response(row)


def earlier_material_file(
    request: HttpRequest, task_id: int, material_id: int, version_id: int
) -> HttpResponse | FileResponse:
    """An earlier, replaced version of an uploaded material, for staff who may handle the task."""
    found = _own_task(request, task_id)
    if isinstance(found, HttpResponse):
        return found
    _, task = found
    versions = selectors.superseded_materials_of(task.application).get(material_id, [])
    row = next((v for v in versions if v.pk == version_id and v.file), None)
    if row is None:
        raise Http404
    return _file_response(row)


def _file_response(row: ApplicationMaterial | SupersededMaterial) -> FileResponse:
    try:
        handle = row.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, content_type=row.content_type or "application/octet-stream", filename=row.file_name
    )
    response["Content-Disposition"] = response["Content-Disposition"].replace(
        "attachment", "inline"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- 差评整改 -------------------------------------------------------------------------------


class ResponseForm(forms.Form):
    response = forms.CharField(
        label=gettext_lazy("整改情况"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


RECTIFICATIONS_PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class RectificationRow:
    rectification: Rectification
    # The answer form of an open one; an answered one has none.
    form: ResponseForm | None
    # The applicant's rating after the answer, if they rated again.
    follow_up: Rating | None


def rectifications(request: HttpRequest) -> HttpResponse:
    """Bad ratings of my departments, open ones with their answer form, answered ones with
    what was said; ``state`` is open (the default), answered or all."""
    user = _staff(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    if not departments_in_scope(user, RESPOND_RATINGS).exists():
        raise DjangoPermissionDenied
    asked = request.GET.get("state", "")
    # A link cut short or typed by hand falls back to the open ones, and says so.
    known = asked in selectors.RectificationFilter.values
    shown = selectors.RectificationFilter(asked) if known else selectors.RectificationFilter.OPEN
    here = f"{reverse('eservices:rectifications')}?state={shown.value}"
    answering = request.POST.get("rectification", "") if request.method == "POST" else ""
    failed: ResponseForm | None = None
    if answering:
        form = ResponseForm(request.POST, prefix=f"r{answering}")
        try:
            row = access_rectification_by_id(user, int(answering))
        except (ValueError, ZhengtongError):
            raise Http404 from None
        if form.is_valid():
            try:
                actions.do_respond_to_rating(row, form.cleaned_data["response"], acting_user=user)
            except ZhengtongError as error:
                _refuse_on(error)
                if error.code == "already_responded":
                    # Sent twice (or answered by a colleague meanwhile): the row
                    # has left the list, so its form could show no error.
                    messages.warning(request, str(error.message))
                    return redirect(here)
                _apply_errors(form, error)
            else:
                messages.success(request, _("整改情况已答复。"))
                return redirect(here)
        failed = form
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    listed = selectors.rectifications_for(user, shown)
    total = listed.count()
    pages = max(1, -(-total // RECTIFICATIONS_PAGE_SIZE))
    page = min(max(page, 1), pages)
    first = (page - 1) * RECTIFICATIONS_PAGE_SIZE
    rows = [
        RectificationRow(
            r,
            None
            if r.responded_at is not None
            else failed
            if failed is not None and str(r.pk) == answering
            else ResponseForm(prefix=f"r{r.pk}"),
            selectors.follow_up_rating(r),
        )
        for r in listed[first : first + RECTIFICATIONS_PAGE_SIZE]
    ]
    return render(
        request,
        "eservices/workbench/rectifications.html",
        {
            "rows": rows,
            "now": timezone.now(),
            "state": shown.value,
            "states": selectors.RectificationFilter.choices,
            "unknown_state": asked[:40] if asked and not known else "",
            "here": here,
            "page": page,
            "pages": pages,
            "previous_page": page - 1 if page > 1 else None,
            "next_page": page + 1 if page < pages else None,
        },
        status=400 if failed is not None else 200,
    )
