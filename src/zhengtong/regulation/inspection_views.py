"""Pages of random inspections (双随机、一公开): the regulator's tasks and register, public results.

Regulators (``regulation.run_inspections``) announce tasks, draw them when
due, run (or cancel before their draw) supplementary draws (补充抽取) for
inspections left short of inspectors, record each drawn inspection's result
once it has its inspectors (swapped in place by htmx, a partial of the
task's template), and keep the inspector register with its recusal
relations. The public pages (一公开) need no login: every task from its
announcement on, its commitment and registers, after the draw the seed, the
drawn enterprises with their inspectors and the results, the supplementary
draws, the files to download and the page's own check that the transcripts
recompute. Every view parses, fetches through ``inspection_access``, calls
one action and renders; a refused form is shown again with the reason
beside the field.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from zhengtong.core.errors import Conflict, InvalidInput, ZhengtongError
from zhengtong.core.forms import show_refusal
from zhengtong.core.htmx import is_htmx
from zhengtong.core.models import Department
from zhengtong.core.selectors import find_enterprise_by_credit_code, get_region
from zhengtong.identity.actors import actor_of
from zhengtong.identity.auth import page_user
from zhengtong.identity.models import Audience, User
from zhengtong.identity.selectors import posts_of
from zhengtong.regulation import credit_access
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
from zhengtong.regulation.models import (
    DrawState,
    Inspection,
    InspectionOutcome,
    InspectionTask,
    Inspector,
    SupplementaryDraw,
)
from zhengtong.regulation.permissions import RUN_INSPECTIONS
from zhengtong.regulation.problems import show_problems

# Badge classes (portal.css) of the task states, the grades and the outcomes.
STATE_TAGS = {
    DrawState.ANNOUNCED: "tag-soon",
    DrawState.DRAWN: "tag-ok",
    DrawState.CANCELLED: "tag-off",
}
GRADE_TAGS = {"A": "tag-ok", "B": "", "C": "tag-soon", "D": "tag-red"}
OUTCOME_TAGS = {
    InspectionOutcome.PASS: "tag-ok",
    InspectionOutcome.PROBLEMS: "tag-soon",
    InspectionOutcome.FAIL: "tag-red",
    InspectionOutcome.NOT_FOUND: "tag-red",
}
VERIFY_COMMAND = (
    "python -m zhengtong.regulation.inspection_draw verify transcript.json "
    "--announcement announcement.json"
)
SUPPLEMENTARY_VERIFY_COMMAND = (
    "python -m zhengtong.regulation.inspection_draw verify supplementary-N-transcript.json "
    "--announcement supplementary-N-announcement.json --original transcript.json "
    "[--previous supplementary-1-transcript.json ...]"
)
_LIST_SEPARATORS = re.compile(r"[,，、;；\n]+")


# --- forms -----------------------------------------------------------------------------------


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TaskForm(forms.Form):
    # The code, title, matters and ratio are checked by the action alone, which
    # names all of their problems at once: none is "required" here.
    code = forms.CharField(
        label=gettext_lazy("任务编号"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("字母、数字和连字符，公布后不能更改，如 CSHB-2026-01。"),
    )
    title = forms.CharField(label=gettext_lazy("任务名称"), max_length=200, required=False)
    department = forms.ChoiceField(label=gettext_lazy("组织部门"))
    region = forms.CharField(
        label=gettext_lazy("抽查区域"),
        max_length=12,
        help_text=gettext_lazy("行政区划代码，如 430100（长沙市）；区域内的企业为检查对象。"),
    )
    industry_code = forms.CharField(
        label=gettext_lazy("行业代码（选填）"),
        max_length=5,
        required=False,
        help_text=gettext_lazy("国民经济行业分类代码的前缀，如 C（制造业）或 C30。"),
    )
    matters = forms.CharField(
        label=gettext_lazy("检查事项"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    base_ratio = forms.CharField(
        label=gettext_lazy("基准抽查比例"),
        max_length=16,
        required=False,
        help_text=gettext_lazy(
            "如 1/10、0.1 或 10%。各信用等级按评分规则的权重调整：A 级减半，C 级加倍，D 级四倍。"
        ),
    )
    inspectors_per_target = forms.IntegerField(
        label=gettext_lazy("每户检查人员数"),
        min_value=2,
        max_value=MAX_INSPECTORS_PER_TARGET,
        initial=2,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    required_qualification = forms.CharField(
        label=gettext_lazy("所需执法资格（选填）"), max_length=32, required=False
    )
    draw_after = forms.DateTimeField(
        label=gettext_lazy("抽取时间不早于（选填）"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=gettext_lazy("先公告、后抽取：留空则公告后即可抽取。"),
    )

    def __init__(self, *args: Any, departments: list[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["department"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(d.code, d.name) for d in departments]


class ResultForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("检查结果"),
        choices=[("", gettext_lazy("请选择")), *InspectionOutcome.choices],
    )
    inspected_on = forms.DateField(label=gettext_lazy("检查日期"), widget=_date_input())
    findings = forms.CharField(
        label=gettext_lazy("检查情况"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("未发现问题时可不填。"),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("撤销原因"), max_length=300)


class InspectorForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("执法证号"), max_length=32)
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=64)
    department = forms.ChoiceField(label=gettext_lazy("所在部门"))
    qualifications = forms.CharField(
        label=gettext_lazy("执法资格"),
        max_length=400,
        required=False,
        help_text=gettext_lazy("多项用顿号或逗号分隔，如：生态环境执法、排污许可。"),
    )

    def __init__(self, *args: Any, departments: list[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["department"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(d.code, d.name) for d in departments]


class RecusalForm(forms.Form):
    enterprise = forms.CharField(label=gettext_lazy("企业统一社会信用代码"), max_length=18)
    relation = forms.CharField(
        label=gettext_lazy("回避事由"),
        max_length=200,
        help_text=gettext_lazy("如：近亲属任该企业高级管理人员。"),
    )


# --- who may do what -------------------------------------------------------------------------


def _officer(request: HttpRequest) -> User | None:
    """The logged-in member of staff who runs inspections; None when not logged in; else 403."""
    return page_user(request, Audience.STAFF, RUN_INSPECTIONS)


def _task(user: User, code: str) -> InspectionTask:
    try:
        return access.access_task_by_code(user, code)
    except ZhengtongError:
        raise Http404 from None


_TaskPage = Callable[[HttpRequest, User, InspectionTask], HttpResponse]
_SupplementaryPage = Callable[[HttpRequest, User, str, SupplementaryDraw], HttpResponse]
T = TypeVar("T")


def _departments(user: User) -> list[Department]:
    """The departments the user runs inspections for, the user's own first."""
    own = set(posts_of(user).values_list("department_id", flat=True))
    departments = list(access.inspection_departments_of(user))
    return sorted(departments, key=lambda d: d.pk not in own)


# --- the regulator's tasks -------------------------------------------------------------------


def _announce(user: User, form: TaskForm) -> InspectionTask | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        department = access.access_department_for_inspections(user, data["department"])
        try:
            region = get_region(data["region"])
        except ZhengtongError:
            raise InvalidInput(
                _("没有该行政区划代码。"),
                code="unknown_region",
                detail={"fields": {"region": "invalid"}},
            ) from None
        draw_after: dt.datetime | None = data["draw_after"]
        return do_announce_inspection_task(
            data["code"],
            data["title"],
            department,
            region,
            data["matters"],
            data["base_ratio"],
            actor=actor_of(user),
            industry_code=data["industry_code"],
            inspectors_per_target=data["inspectors_per_target"],
            required_qualification=data["required_qualification"],
            draw_after=draw_after,
        )
    except ZhengtongError as error:
        show_problems(form, error)
        return None


@require_http_methods(["GET", "HEAD", "POST"])
def inspection_tasks(request: HttpRequest) -> HttpResponse:
    """The tasks of the regulator's departments, and the form to announce one."""
    user = _officer(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    departments = _departments(user)
    if request.method == "POST":
        form = TaskForm(request.POST, departments=departments)
        task = _announce(user, form)
        if task is not None:
            messages.success(
                request, _("抽查任务已公告，承诺值和名录摘要已公开。到抽取时间后即可抽取。")
            )
            return redirect("regulation:inspection_task", task.code)
    else:
        initial: dict[str, Any] = {"inspectors_per_target": 2}
        if departments:
            initial.update(department=departments[0].code, region=departments[0].region_id)
        form = TaskForm(initial=initial, departments=departments)
    context = {
        "tasks": [
            (task, STATE_TAGS[DrawState(task.state)]) for task in access.tasks_of(user)[:200]
        ],
        "form": form,
        "has_departments": bool(departments),
    }
    return render(
        request,
        "regulation/inspection_tasks.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


@dataclass(frozen=True, slots=True)
class InspectionRow:
    view: selectors.InspectionView
    form: ResultForm | None
    grade_tag: str
    outcome_tag: str

    @property
    def inspection(self) -> Inspection:
        return self.view.inspection


def _row(
    view: selectors.InspectionView, form: ResultForm | None = None, *, editable: bool = True
) -> InspectionRow:
    """An inspection's row; one still without a result gets its form, when ``editable``."""
    inspection = view.inspection
    # A short inspection waits for its supplementary draw; the row says so instead.
    if inspection.outcome or inspection.shortfall or not editable:
        form = None
    elif form is None:
        form = ResultForm(
            prefix=f"result-{inspection.pk}", initial={"inspected_on": timezone.localdate()}
        )
    outcome = InspectionOutcome(inspection.outcome) if inspection.outcome else None
    return InspectionRow(
        view=view,
        form=form,
        grade_tag=GRADE_TAGS.get(inspection.credit_class, ""),
        outcome_tag=OUTCOME_TAGS[outcome] if outcome is not None else "",
    )


def _task_context(task: InspectionTask) -> dict[str, Any]:
    """What both the regulator's and the public page show of a task."""
    targets, inspectors = selectors.register_sizes(task)
    differences = selectors.verification_of(task)
    return {
        "task": task,
        "state_tag": STATE_TAGS[DrawState(task.state)],
        "class_rows": [(row, GRADE_TAGS[row.credit_class]) for row in selectors.class_rows(task)],
        "register_targets": targets,
        "register_inspectors": inspectors,
        "seed": selectors.seed_of(task),
        "differences": differences,
        "verified": differences == [],
        "verify_command": VERIFY_COMMAND,
        "supplementary_draws": selectors.supplementary_views(task),
        "supplementary_verify_command": SUPPLEMENTARY_VERIFY_COMMAND,
    }


def _credit_files(user: credit_access.Principal, enterprise_ids: list[int]) -> set[int]:
    """The enterprises among these whose credit file the user keeps (the row links to it)."""
    return set(
        credit_access.credit_enterprises(user)
        .filter(pk__in=enterprise_ids)
        .values_list("pk", flat=True)
    )


def _task_page(
    request: HttpRequest,
    task: InspectionTask,
    *,
    cancel_form: CancelForm | None = None,
    supplementary_cancel_form: CancelForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = _task_context(task)
    rows = [_row(view) for view in selectors.inspections_of(task)]
    pending = [v for v in context["supplementary_draws"] if v.draw.state == DrawState.ANNOUNCED]
    context.update(
        rows=rows,
        credit_files=_credit_files(request.user, [row.inspection.enterprise_id for row in rows]),
        due=selectors.is_due(task),
        cancel_form=cancel_form or CancelForm(),
        supplementary_cancel_form=supplementary_cancel_form
        or CancelForm(prefix="supplementary-cancel"),
        # The regulator's page offers the supplementary draw beside each shortfall.
        can_supplement=task.state == DrawState.DRAWN and not pending,
        supplementary_pending=pending[0] if pending else None,
        supplementary_due=bool(pending) and timezone.now() >= pending[0].draw.draw_after,
    )
    return render(request, "regulation/inspection_task.html", context, status=status)


@require_safe
def inspection_task(request: HttpRequest, code: str) -> HttpResponse:
    """One task: its announcement, the draw button when due, the drawn targets and result forms."""
    user = _officer(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    return _task_page(request, _task(user, code))


def _officer_task_page(view: _TaskPage) -> Callable[[HttpRequest, str], HttpResponse]:
    """Give the view the logged-in officer and the task by its code; others log in first."""

    @functools.wraps(view)
    def with_task(request: HttpRequest, code: str) -> HttpResponse:
        user = _officer(request)
        if user is None:
            return redirect_to_login(reverse("regulation:inspection_task", args=[code]))
        return view(request, user, _task(user, code))

    return with_task


def _officer_supplementary_page(
    view: _SupplementaryPage,
) -> Callable[[HttpRequest, str, int], HttpResponse]:
    """Give the view the logged-in officer, the task's code and its supplementary draw by number."""

    @functools.wraps(view)
    def with_draw(request: HttpRequest, code: str, number: int) -> HttpResponse:
        user = _officer(request)
        if user is None:
            return redirect_to_login(reverse("regulation:inspection_task", args=[code]))
        try:
            supplementary = access.access_supplementary_draw(user, code, number)
        except ZhengtongError:
            raise Http404 from None
        return view(request, user, code, supplementary)

    return with_draw


def _to_supplementary_draws(code: str) -> HttpResponse:
    return redirect(reverse("regulation:inspection_task", args=[code]) + "#supplementary")


def _unless_refused(request: HttpRequest, act: Callable[[], T]) -> T | None:
    """Run an action; a refusal becomes the error message of the next page (and None)."""
    try:
        return act()
    except ZhengtongError as error:
        messages.error(request, str(error.message))
        return None


@require_POST
@_officer_task_page
def draw_task(request: HttpRequest, user: User, task: InspectionTask) -> HttpResponse:
    """Draw the task now (it must be due)."""
    drawn = _unless_refused(request, lambda: do_draw_inspection_task(task, actor=actor_of(user)))
    if drawn is not None:
        messages.success(
            request,
            _("已抽取 %(n)d 户检查对象，种子和抽取记录已公开。") % {"n": drawn.inspections.count()},
        )
    return redirect("regulation:inspection_task", task.code)


# The forms below post to their own URLs and a refused form is shown again
# there; a GET on such a URL (a reload, the language switch returning to the
# page) goes back to the page the form lives on rather than answering 405.
_FORM_METHODS = ["GET", "HEAD", "POST"]


@require_http_methods(_FORM_METHODS)
@_officer_task_page
def cancel_task(request: HttpRequest, user: User, task: InspectionTask) -> HttpResponse:
    """Cancel the task before its draw, with a reason."""
    if request.method != "POST":
        return redirect("regulation:inspection_task", task.code)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            do_cancel_inspection_task(task, form.cleaned_data["reason"], actor=actor_of(user))
        except ZhengtongError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("抽查任务已撤销，种子已公开。"))
            return redirect("regulation:inspection_task", task.code)
    return _task_page(request, task, cancel_form=form, status=400)


@require_POST
@_officer_task_page
def announce_supplementary(request: HttpRequest, user: User, task: InspectionTask) -> HttpResponse:
    """Announce a supplementary draw for the task's short inspections (due at once)."""
    supplementary = _unless_refused(
        request, lambda: do_announce_supplementary_draw(task, actor=actor_of(user))
    )
    if supplementary is not None:
        messages.success(
            request,
            _("第 %(n)d 次补充抽取已公告，承诺值和检查人员名录摘要已公开，现在即可抽取。")
            % {"n": supplementary.number},
        )
    return _to_supplementary_draws(task.code)


@require_POST
@_officer_supplementary_page
def draw_supplementary(
    request: HttpRequest, user: User, code: str, supplementary: SupplementaryDraw
) -> HttpResponse:
    """Draw an announced supplementary draw; its seed and transcript are published."""
    drawn = _unless_refused(
        request, lambda: do_draw_supplementary_inspectors(supplementary, actor=actor_of(user))
    )
    if drawn is not None:
        transcript = selectors.public_supplementary_transcript(drawn)
        entries = transcript["result"]["inspections"] if transcript is not None else []
        short = sum(1 for entry in entries if entry["shortfall"])
        if short:
            messages.warning(
                request,
                _(
                    "补充抽取已完成，种子和抽取记录已公开；"
                    "仍有 %(n)d 户检查人员不足，需再次补充抽取。"
                )
                % {"n": short},
            )
        else:
            messages.success(
                request, _("补充抽取已完成，检查人员已全部补足，种子和抽取记录已公开。")
            )
    return _to_supplementary_draws(code)


@require_http_methods(_FORM_METHODS)
@_officer_supplementary_page
def cancel_supplementary(
    request: HttpRequest, user: User, code: str, supplementary: SupplementaryDraw
) -> HttpResponse:
    """Cancel an announced supplementary draw before it is drawn, with a reason."""
    if request.method != "POST":
        return _to_supplementary_draws(code)
    form = CancelForm(request.POST, prefix="supplementary-cancel")
    if form.is_valid():
        try:
            do_cancel_supplementary_draw(
                supplementary, reason=form.cleaned_data["reason"], actor=actor_of(user)
            )
        except Conflict as error:
            # Drawn or cancelled meanwhile: the form is gone from the page, the message says why.
            messages.error(request, str(error.message))
            return _to_supplementary_draws(code)
        except ZhengtongError as error:
            show_refusal(form, error)
        else:
            messages.success(
                request,
                _("第 %(n)d 次补充抽取已撤销，种子已公开；现在可以重新公告补充抽取。")
                % {"n": supplementary.number},
            )
            return _to_supplementary_draws(code)
    return _task_page(request, _task(user, code), supplementary_cancel_form=form, status=400)


@require_POST
def record_result(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a drawn inspection's result; htmx gets the inspection's row back."""
    user = _officer(request)
    if user is None:
        return redirect_to_login(reverse("regulation:inspection_tasks"))
    try:
        inspection = access.access_inspection_by_id(user, pk)
    except ZhengtongError:
        raise Http404 from None
    form = ResultForm(request.POST, prefix=f"result-{inspection.pk}")
    failed = True
    if form.is_valid():
        data = form.cleaned_data
        try:
            do_record_inspection_result(
                inspection,
                data["outcome"],
                data["findings"],
                data["inspected_on"],
                actor=actor_of(user),
            )
            failed = False
        except ZhengtongError as error:
            show_refusal(form, error)
    if is_htmx(request):
        # Errors come back with 200: htmx swaps only successful answers.
        fresh = selectors.inspection_by_id(inspection.pk) or inspection
        row = _row(selectors.inspection_view(fresh), form if failed else None)
        return render(
            request,
            "regulation/inspection_task.html#inspection_row",
            {
                "row": row,
                "task": fresh.task,
                "credit_files": _credit_files(user, [fresh.enterprise_id]),
            },
        )
    if failed:
        problems = [str(e) for errors in form.errors.values() for e in errors]
        messages.error(request, "；".join(problems) or _("检查结果未能录入。"))
    else:
        messages.success(request, _("检查结果已录入并公示，已记入企业信用记录。"))
    return redirect("regulation:inspection_task", inspection.task.code)


# --- the inspector register ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InspectorRow:
    inspector: Inspector
    recusal_form: RecusalForm


def _inspectors_page(
    request: HttpRequest,
    user: User,
    *,
    form: InspectorForm | None = None,
    failed_recusal: tuple[str, RecusalForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    departments = _departments(user)
    rows = []
    for inspector in access.inspectors_of(user):
        recusal_form = RecusalForm(prefix=f"recusal-{inspector.code}")
        if failed_recusal is not None and failed_recusal[0] == inspector.code:
            recusal_form = failed_recusal[1]
        rows.append(InspectorRow(inspector, recusal_form))
    context = {
        "rows": rows,
        "form": form
        or InspectorForm(
            initial={"department": departments[0].code} if departments else None,
            departments=departments,
        ),
        "has_departments": bool(departments),
    }
    return render(request, "regulation/inspection_inspectors.html", context, status=status)


def _qualifications(text: str) -> list[str]:
    return [item.strip() for item in _LIST_SEPARATORS.split(text) if item.strip()]


@require_http_methods(["GET", "HEAD", "POST"])
def inspectors(request: HttpRequest) -> HttpResponse:
    """The inspectors of the regulator's departments with their recusals; the form to add one."""
    user = _officer(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    if request.method != "POST":
        return _inspectors_page(request, user)
    form = InspectorForm(request.POST, departments=_departments(user))
    if form.is_valid():
        data = form.cleaned_data
        try:
            department = access.access_department_for_inspections(user, data["department"])
            inspector = do_register_inspector(
                data["code"],
                data["name"],
                department,
                _qualifications(data["qualifications"]),
                actor=actor_of(user),
            )
        except ZhengtongError as error:
            show_refusal(form, error)
        else:
            messages.success(
                request, _("%(name)s 已登记到检查人员名录库。") % {"name": inspector.name}
            )
            return redirect("regulation:inspectors")
    return _inspectors_page(request, user, form=form, status=400)


def _inspector(user: User, code: str) -> Inspector:
    try:
        return access.access_inspector_by_code(user, code)
    except ZhengtongError:
        raise Http404 from None


@require_http_methods(_FORM_METHODS)
def add_recusal(request: HttpRequest, code: str) -> HttpResponse:
    """Record a relation that bars the inspector from one enterprise."""
    user = _officer(request)
    if user is None:
        return redirect_to_login(reverse("regulation:inspectors"))
    inspector = _inspector(user, code)
    if request.method != "POST":
        return redirect("regulation:inspectors")
    form = RecusalForm(request.POST, prefix=f"recusal-{inspector.code}")
    if form.is_valid():
        enterprise = find_enterprise_by_credit_code(form.cleaned_data["enterprise"])
        if enterprise is None:
            form.add_error("enterprise", _("没有该统一社会信用代码的企业。"))
        else:
            try:
                do_add_recusal(
                    inspector, enterprise, form.cleaned_data["relation"], actor=actor_of(user)
                )
            except ZhengtongError as error:
                show_refusal(form, error)
            else:
                messages.success(
                    request,
                    _("已登记 %(inspector)s 对 %(enterprise)s 的回避关系。")
                    % {"inspector": inspector.name, "enterprise": enterprise.name},
                )
                return redirect("regulation:inspectors")
    return _inspectors_page(request, user, failed_recusal=(inspector.code, form), status=400)


@require_POST
def remove_recusal(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Remove a recusal relation that no longer holds."""
    user = _officer(request)
    if user is None:
        return redirect_to_login(reverse("regulation:inspectors"))
    inspector = _inspector(user, code)
    recusal = inspector.recusals.select_related("enterprise").filter(pk=pk).first()
    if recusal is None:
        raise Http404
    do_remove_recusal(recusal, actor=actor_of(user))
    messages.success(request, _("回避关系已删除。"))
    return redirect("regulation:inspectors")


@require_POST
def set_inspector_active(request: HttpRequest, code: str) -> HttpResponse:
    """Take an inspector off the register, or back on it."""
    user = _officer(request)
    if user is None:
        return redirect_to_login(reverse("regulation:inspectors"))
    inspector = _inspector(user, code)
    active = request.POST.get("is_active") == "1"
    do_set_inspector_active(inspector, active, actor=actor_of(user))
    if active:
        messages.success(request, _("%(name)s 已恢复在册。") % {"name": inspector.name})
    else:
        messages.success(
            request,
            _("%(name)s 已停用，此后公告的任务不再抽取。") % {"name": inspector.name},
        )
    return redirect("regulation:inspectors")


# --- public (一公开) -------------------------------------------------------------------------


@require_safe
def public_inspections(request: HttpRequest) -> HttpResponse:
    """Every random-inspection task, newest first, with its state."""
    tasks = selectors.tasks_listed()[: selectors.MAX_LISTED]
    return render(
        request,
        "regulation/public_inspections.html",
        {"tasks": [(task, STATE_TAGS[DrawState(task.state)]) for task in tasks]},
    )


def _public_task(code: str) -> InspectionTask:
    try:
        return access.access_public_task_by_code(code)
    except ZhengtongError:
        raise Http404 from None


@require_safe
def public_inspection(request: HttpRequest, code: str) -> HttpResponse:
    """One task as published: the announcement, then the draw, the results and how to verify."""
    task = _public_task(code)
    context = _task_context(task)
    context["rows"] = [_row(view, editable=False) for view in selectors.inspections_of(task)]
    return render(request, "regulation/public_inspection.html", context)


def _json_file(document: dict[str, Any], filename: str) -> HttpResponse:
    body = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    response = HttpResponse(body.encode("utf-8"), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
def public_announcement(request: HttpRequest, code: str) -> HttpResponse:
    """The announcement as JSON, the file the verifier compares the transcript with."""
    return _json_file(selectors.public_announcement(_public_task(code)), "announcement.json")


def _public_supplementary(code: str, number: int) -> SupplementaryDraw:
    try:
        return access.access_public_supplementary_draw(code, number)
    except ZhengtongError:
        raise Http404 from None


@require_safe
def public_supplementary_announcement(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """A supplementary draw's announcement as JSON."""
    return _json_file(
        selectors.public_supplementary_announcement(_public_supplementary(code, number)),
        f"supplementary-{number}-announcement.json",
    )


@require_safe
def public_supplementary_transcript(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """A supplementary draw's transcript as JSON once drawn (404 before)."""
    transcript = selectors.public_supplementary_transcript(_public_supplementary(code, number))
    if transcript is None:
        raise Http404
    return _json_file(transcript, f"supplementary-{number}-transcript.json")


@require_safe
def public_transcript(request: HttpRequest, code: str) -> HttpResponse:
    """The transcript as JSON once the task is drawn (404 before)."""
    transcript = selectors.public_transcript(_public_task(code))
    if transcript is None:
        raise Http404
    return _json_file(transcript, "transcript.json")
