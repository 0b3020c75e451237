"""The 12345 centre's and the departments' pages: 来电登记, 派单, the worklist, one case.

Agents enter calls; dispatchers work the queue of cases the model left to
them, decide extensions and 催办/督办 overdue cases; departments sign for,
return, ask for more time and reply, seeing the reply's quality score while
they write. Each view fetches through ``access`` and calls one action.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from zhengtong.core.errors import InvalidInput, ZhengtongError
from zhengtong.core.forms import new_form_key
from zhengtong.core.htmx import is_htmx
from zhengtong.core.masking import mask_name, mask_phone
from zhengtong.core.models import Department, Region
from zhengtong.core.punctuation import listed
from zhengtong.core.redirects import posted_form, redirect_back
from zhengtong.hotline import routing, selectors
from zhengtong.hotline.access import (
    access_case_for_staff,
    access_extension_by_id,
    access_import_by_id,
    departure_for_staff,
    handling_department_ids,
    may_open_for_staff,
    may_reveal_contact,
    may_set_urgency,
    returned_by_this_request,
    worklist_department_ids,
)
from zhengtong.hotline.actions import (
    MAX_REPLY_DRAFT,
    CaseInput,
    checked_reply_draft,
    do_decide_extension,
    do_dispatch_case,
    do_mark_notifications_read,
    do_rate_case,
    do_recall_case,
    do_reply_case,
    do_request_extension,
    do_return_case,
    do_reveal_contact,
    do_set_case_urgency,
    do_sign_case,
    do_submit_case,
    do_urge_case,
)
from zhengtong.hotline.categories import category_name
from zhengtong.hotline.citizen_views import attachment_response
from zhengtong.hotline.forms import (
    CallForm,
    DecideExtensionForm,
    DispatchForm,
    ExtensionForm,
    RatingForm,
    RecallForm,
    ReplyForm,
    ReturnForm,
    UrgeForm,
    UrgencyForm,
    department_options,
    district_options,
)
from zhengtong.hotline.imports import do_queue_import, row_error_text
from zhengtong.hotline.models import Case, CaseEvent, ExtensionRequest, ImportState
from zhengtong.hotline.people import actor_name
from zhengtong.hotline.permissions import DISPATCH, ENTER_CALLS, HANDLE, SUPERVISE
from zhengtong.hotline.reply_quality import ReplyScore, readable_score, score_reply
from zhengtong.hotline.states import (
    CaseState,
    Channel,
    EventKind,
    ExtensionState,
    Rating,
    RoutedBy,
    Urgency,
)
from zhengtong.hotline.time_limits import Clock, reply_limit_text
from zhengtong.hotline.views import (
    LIGHT_TAGS,
    STATE_TAGS,
    Unsent,
    apply_errors,
    hotline_nav,
    percent,
    refuse_on,
    require,
    staff_case,
    staff_member,
    unsent_form,
    worklist_areas,
)
from zhengtong.identity.actors import actor_of
from zhengtong.identity.models import User
from zhengtong.identity.permissions import has_permission

QUEUE_PAGE_SIZE = 30
OVERDUE_LIMIT = 50


def _queue_reason(code: str, data: dict[str, Any] | None = None) -> str:
    """Why the model left a case to a dispatcher (a reason of the queued event)."""
    if code == "outside_city":
        places = listed(str(p) for p in (data or {}).get("outside", []))
        return _("事发地点不在本市（%(places)s），请核实后转办") % {"places": places or "—"}
    labels = {
        "low_confidence": _("模型把握不足"),
        "no_model": _("尚无启用的分拨模型"),
        "no_rule": _("该类别在此地区没有分拨规则"),
        "no_handler": _("分拨规则指定的部门没有能签收工单的承办人员"),
        "ambiguous_place": _("事发地点可能属于多个区县"),
    }
    return labels.get(code, code)


def _queue_reasons(data: dict[str, Any] | None) -> list[str]:
    return [_queue_reason(str(code), data) for code in (data or {}).get("reasons", [])]


def _light(clock: Clock) -> str:
    return LIGHT_TAGS.get(clock.level, "")


# --- 来电登记 ----------------------------------------------------------------------------

LAST_CALL = "hotline_last_call"


@dataclass(frozen=True, slots=True)
class SavedCall:
    case: Case
    reasons: list[str]
    confidence: int | None


def _reasons_of(case: Case, history: Iterable[CaseEvent] | None = None) -> list[str]:
    """Why the case waits for a dispatcher: the queue's reasons, or a return's or recall's note."""
    reasons: list[str] = []
    for event in selectors.history_of(case) if history is None else history:
        if event.kind == EventKind.QUEUED:
            reasons = _queue_reasons(event.data)
        elif event.kind == EventKind.RETURNED:
            department = event.department.name if event.department else ""
            reasons = [
                _("%(department)s退回：%(reason)s")
                % {"department": department, "reason": event.note}
            ]
        elif event.kind == EventKind.RECALLED:
            department = event.department.name if event.department else ""
            reasons = [
                _("从%(department)s撤回：%(reason)s")
                % {"department": department, "reason": event.note}
            ]
    return reasons


def _last_call(request: HttpRequest) -> SavedCall | None:
    """The call this agent saved last, shown once.

    Agents may not open cases (access_case_for_staff), so the number comes
    from their own session, where only their own save put it.
    """
    number = request.session.pop(LAST_CALL, None)
    if not isinstance(number, str):
        return None
    case = selectors.case_by_number(number)
    if case is None:
        return None
    return SavedCall(case, _reasons_of(case), percent(case.confidence))


@require_http_methods(["GET", "POST"])
def call_new(request: HttpRequest) -> HttpResponse:
    """An agent enters a call summary; the page then shows where the model sent it."""
    user = staff_member(request, ENTER_CALLS)
    if user is None:
        return redirect_to_login(request.get_full_path())
    form = CallForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            data = CaseInput(
                content=d["content"],
                channel=Channel.PHONE,
                title=d["title"],
                location_text=d["location_text"],
                urgency=d["urgency"],
                anonymous=bool(d["anonymous"]),
                contact_name=d["contact_name"],
                contact_phone=d["contact_phone"],
                submission_key=d["submission"],
            )
            try:
                case = do_submit_case(data, actor=actor_of(user), entered_by=user.username)
            except ZhengtongError as error:
                apply_errors(form, error)
            else:
                request.session[LAST_CALL] = case.number
                messages.success(request, _("来电已登记，工单编号 %(n)s。") % {"n": case.number})
                return redirect("hotline:call_new")
        status = 400
    saved = _last_call(request) if request.method == "GET" else None
    merged_into = saved.case.merged_into if saved is not None else None
    context = {
        "form": form,
        "saved": saved,
        # Agents may not open cases; a dispatcher entering a call may.
        "merged_into_open": merged_into is not None and may_open_for_staff(user, merged_into),
        "nav": hotline_nav(user, "hotline:call_new"),
    }
    return render(request, "hotline/call_new.html", context, status=status)


@posted_form("hotline:call_new")
def import_new(request: HttpRequest) -> HttpResponse:
    """An agent uploads a workbook; its rows are imported in the background."""
    user = staff_member(request, ENTER_CALLS)
    if user is None:
        return redirect_to_login(request.get_full_path())
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise InvalidInput(_("请选择要导入的 XLSX 工作簿。"), code="file_required")
        case_import = do_queue_import(
            upload.read(),
            upload.name or "",
            actor=actor_of(user),
            entered_by=user.username,
            confirm_duplicate=request.POST.get("confirm_duplicate") in ("1", "on", "true"),
        )
    except ZhengtongError as error:
        context = {
            "form": CallForm(),
            "saved": None,
            "import_error": str(error.message),
            # The same workbook was imported before: the uploader may say they mean it.
            "import_duplicate": error.code == "already_imported",
            "nav": hotline_nav(user, "hotline:call_new"),
        }
        return render(request, "hotline/call_new.html", context, status=400)
    return redirect("hotline:import", case_import.pk)


@require_safe
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress and report of an import; htmx polls it while it runs."""
    user = staff_member(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    try:
        case_import = access_import_by_id(user, pk)
    except ZhengtongError as error:
        refuse_on(error)
        raise
    context = {
        "case_import": case_import,
        "row_errors": [(e.get("row"), row_error_text(e)) for e in case_import.errors],
        "running": case_import.state in (ImportState.QUEUED, ImportState.RUNNING),
        "nav": hotline_nav(user, "hotline:call_new"),
    }
    template = "hotline/import.html#progress" if is_htmx(request) else "hotline/import.html"
    return render(request, template, context)


# --- 派单 -------------------------------------------------------------------------------


@dataclass(slots=True)
class QueueRow:
    case: Case
    clock: Clock
    light: str
    reasons: list[str]
    confidence: int | None
    form: DispatchForm
    suggested_department: Department | None = None
    done: bool = False


def _message_text(case: Case) -> str:
    return f"{case.title}\n{case.content}"


def _queue_category(case: Case) -> str:
    """The category a dispatch starts from: a dispatcher's earlier decision, else the model's.

    A case recalled (or returned) after a dispatcher corrected the model keeps
    the person's category; offering the model's guess again would undo the
    correction, and with it the labelled example, on a hurried confirm.
    """
    if case.routed_by == RoutedBy.DISPATCHER and case.category:
        return case.category
    return case.predicted_category


def _suggested_department(
    case: Case, history: Sequence[CaseEvent] | None = None
) -> Department | None:
    """The department the rules give for the case's category (and topic) in its district."""
    found = routing.department_for(
        _queue_category(case), case.district_id or None, text=_message_text(case)
    )
    return _unless_sent_back(
        found, list(selectors.history_of(case)) if history is None else history
    )


def _unless_sent_back(
    department: Department | None, history: Sequence[CaseEvent]
) -> Department | None:
    """The suggestion, unless that department returned the case or the centre recalled it.

    A department that sent the case back said it is not theirs (or nobody
    signed for it there): chosen in advance again, a hurried 派单 returns the
    case to where it came back from. The dispatcher may still pick it.
    """
    if department is None:
        return None
    sent_back = {
        event.department_id
        for event in history
        if event.kind in (EventKind.RETURNED, EventKind.RECALLED)
    }
    return None if department.pk in sent_back else department


def _dispatch_form(
    case: Case,
    categories: list[str],
    data: Any = None,
    suggested: Department | None = None,
    departments: list[tuple[Any, str]] | None = None,
    districts: list[tuple[Any, str]] | None = None,
) -> DispatchForm:
    initial = {
        "category": category if (category := _queue_category(case)) in categories else "",
        "department": suggested.code if suggested else None,
        "district": case.district_id,
        "urgency": case.urgency,
    }
    return DispatchForm(
        data,
        categories=categories,
        departments=departments,
        districts=districts,
        initial=initial,
        prefix=f"c{case.pk}",
    )


@dataclass(frozen=True, slots=True)
class _RowLookups:
    """What a queue row shows besides the case: looked up per page (_queue_rows) or per row."""

    suggested: Department | None
    history: list[CaseEvent]
    # The dispatch form's department and district options; None: the form reads them itself.
    departments: list[tuple[Any, str]] | None = None
    districts: list[tuple[Any, str]] | None = None


def _queue_row(
    case: Case,
    categories: list[str],
    form: DispatchForm | None = None,
    lookups: _RowLookups | None = None,
) -> QueueRow:
    clock = selectors.clock(case)
    if lookups is None:
        history = list(selectors.history_of(case))
        lookups = _RowLookups(_suggested_department(case, history), history)
    suggested = lookups.suggested
    made = form or _dispatch_form(
        case,
        categories,
        suggested=suggested,
        departments=lookups.departments,
        districts=lookups.districts,
    )
    return QueueRow(
        case=case,
        clock=clock,
        light=_light(clock),
        reasons=_reasons_of(case, lookups.history),
        confidence=percent(case.confidence),
        form=made,
        suggested_department=suggested,
        done=case.state != CaseState.DISPATCHING,
    )


def _queue_rows(cases: Sequence[Case], categories: list[str]) -> list[QueueRow]:
    """A page of the queue, with what its rows share looked up once, not once per row."""
    rules = routing.RuleBook(routing.city_region())
    departments = department_options()
    districts = district_options()
    histories = selectors.histories_of(cases)
    rows = []
    for case in cases:
        history = histories.get(case.pk, [])
        suggested = _unless_sent_back(
            rules.department_for(
                _queue_category(case), case.district_id or None, _message_text(case)
            ),
            history,
        )
        lookups = _RowLookups(suggested, history, departments, districts)
        rows.append(_queue_row(case, categories, lookups=lookups))
    return rows


def _overdue_cases(now: dt.datetime) -> list[tuple[Case, Clock]]:
    """Assigned and handled cases past their reply deadline, the longest overdue first."""
    # Narrowed from all departments' open cases: the selectors offer no overdue list.
    cases = (
        selectors.department_cases(Department.objects.values_list("pk", flat=True))
        .filter(state__in=(CaseState.ASSIGNED, CaseState.HANDLING), reply_due__lt=now)
        .order_by("reply_due")[:OVERDUE_LIMIT]
    )
    return [(case, selectors.clock(case, now)) for case in cases]


@dataclass(frozen=True, slots=True)
class Figures:
    received: int
    automatic: int | None
    precision: int | None
    queued: int
    returned_after_model: int
    returned_after_dispatcher: int
    recalled_after_model: int
    recalled_after_dispatcher: int
    corrections: int
    decisions: int
    reasons: list[tuple[str, int]] = field(default_factory=list)
    recall_reasons: list[tuple[str, int]] = field(default_factory=list)


@require_safe
def dispatch(request: HttpRequest) -> HttpResponse:
    """The dispatch queue with the model's suggestions, extensions, overdue cases and figures."""
    user = staff_member(request, DISPATCH)
    if user is None:
        return redirect_to_login(request.get_full_path())
    categories = selectors.categories()
    paginator = Paginator(selectors.dispatch_queue(), QUEUE_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = _queue_rows(list(page.object_list), categories)
    if is_htmx(request):
        return render(request, "hotline/dispatch.html#queue", {"rows": rows, "page": page})
    now = timezone.now()
    routing_figures = selectors.routing_figures(now - dt.timedelta(days=30))
    figures = Figures(
        received=routing_figures.received,
        automatic=percent(routing_figures.automatic_share) if routing_figures.received else None,
        precision=percent(routing_figures.automatic_precision)
        if routing_figures.routed_automatically
        else None,
        queued=routing_figures.queued,
        returned_after_model=routing_figures.returned_after_model,
        returned_after_dispatcher=routing_figures.returned_after_dispatcher,
        recalled_after_model=routing_figures.recalled_after_model,
        recalled_after_dispatcher=routing_figures.recalled_after_dispatcher,
        corrections=routing_figures.corrections,
        decisions=routing_figures.dispatcher_decisions,
        reasons=routing_figures.return_reasons,
        recall_reasons=routing_figures.recall_reasons,
    )
    context = {
        "rows": rows,
        "page": page,
        "extensions": list(selectors.pending_extensions()),
        "overdue": [(case, clock, _light(clock)) for case, clock in _overdue_cases(now)],
        "urge_key": new_form_key(),
        "figures": figures,
        "has_model": routing.active_version() is not None,
        "nav": hotline_nav(user, "hotline:dispatch"),
    }
    return render(request, "hotline/dispatch.html", context)


@require_POST
def dispatch_case(request: HttpRequest, number: str) -> HttpResponse:
    """Send one queued case to a department; htmx swaps its row in the queue."""
    user = staff_member(request, DISPATCH)
    if user is None:
        return redirect_to_login(request.get_full_path())
    case = staff_case(user, number)
    categories = selectors.categories()
    form = _dispatch_form(case, categories, request.POST, _suggested_department(case))
    if form.is_valid():
        try:
            case = do_dispatch_case(
                case,
                form.cleaned_data["category"],
                form.cleaned_data["department"],
                actor=actor_of(user),
                note=form.cleaned_data["note"],
                district=form.cleaned_data["district"],
                urgency=form.cleaned_data["urgency"],
            )
        except ZhengtongError as error:
            refuse_on(error)
            if error.code == "already_dispatched":
                # Sent twice (a double click), or dispatched by a colleague
                # first: the row shows where the case went. The same
                # department is what this click asked for, and is answered
                # as the first click was; another is said above the row.
                case = staff_case(user, number)
                if case.department != form.cleaned_data["department"]:
                    apply_errors(form, error)
            else:
                apply_errors(form, error)
    ok = not form.errors
    if is_htmx(request):
        # htmx swaps only successful responses: the row with its errors is one.
        row = _queue_row(case, categories, None if ok else form)
        return render(request, "hotline/dispatch.html#queue_row", {"row": row})
    if ok:
        messages.success(
            request,
            _("工单 %(n)s 已派至 %(d)s。")
            % {"n": case.number, "d": case.department.name if case.department else ""},
        )
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect_back(request, "hotline:dispatch")


@require_POST
def decide_extension(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_member(request, DISPATCH)
    if user is None:
        return redirect_to_login(request.get_full_path())
    try:
        extension = access_extension_by_id(user, pk)
    except ZhengtongError as error:
        refuse_on(error)
        raise
    form = DecideExtensionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择同意或不同意。"))
        return redirect("hotline:dispatch")
    approve = form.cleaned_data["decision"] == "approve"
    try:
        do_decide_extension(
            extension, approve, actor=actor_of(user), note=form.cleaned_data["note"]
        )
    except ZhengtongError as error:
        refuse_on(error)
        if not (error.code == "already_decided" and _decided_as(user, extension, approve)):
            messages.error(request, str(error.message))
            return redirect("hotline:dispatch")
    text = (
        _("已同意工单 %(n)s 延期 %(d)d 个工作日。")
        if approve
        else _("已不同意工单 %(n)s 的延期申请。")
    )
    messages.success(request, text % {"n": extension.case.number, "d": extension.days})
    return redirect("hotline:dispatch")


def _decided_as(user: User, extension: ExtensionRequest, approve: bool) -> bool:
    """Whether the request was decided as this decision asks (the form sent twice).

    A double click on 同意 sends the decision twice: the first is taken, the
    second refused as decided already, and must be answered as the first
    was, not as a failure. So for a colleague who took the same decision
    first; a contrary decision stays refused.
    """
    wanted = ExtensionState.APPROVED if approve else ExtensionState.REFUSED
    return access_extension_by_id(user, extension.pk).state == wanted


@require_POST
def urge_case(request: HttpRequest, number: str) -> HttpResponse:
    """催办 (or 督办 with ``supervise``) an assigned case; back to where the button was."""
    user = staff_member(request, DISPATCH)
    if user is None:
        return redirect_to_login(request.get_full_path())
    case = staff_case(user, number)
    form = UrgeForm(request.POST)
    supervise = form.is_valid() and bool(form.cleaned_data["supervise"])
    note = form.cleaned_data.get("note", "") if form.is_valid() else ""
    key = form.cleaned_data.get("submission", "") if form.is_valid() else ""
    try:
        do_urge_case(case, actor=actor_of(user), note=note, supervise=supervise, form_key=key)
    except ZhengtongError as error:
        refuse_on(error)
        messages.error(request, str(error.message))
    else:
        done = _("已督办工单 %(n)s。") if supervise else _("已催办工单 %(n)s。")
        messages.success(request, done % {"n": case.number})
    return redirect_back(request, "hotline:dispatch", under="/hotline/")


# --- the worklist (本部门工单; a leader's region) -----------------------------------------


def _department_ids(user: User) -> list[int]:
    """The departments whose cases the user handles or, as their head, follows."""
    return worklist_department_ids(user)


@require_safe
def worklist(request: HttpRequest) -> HttpResponse:
    """The open cases of the user's department, or of the region a leader covers, nearest
    deadline first, and their notifications."""
    user = staff_member(request, HANDLE, SUPERVISE)
    if user is None:
        return redirect_to_login(request.get_full_path())
    ids = _department_ids(user)
    now = timezone.now()
    rows = []
    for case in selectors.department_cases(ids)[:500]:
        clock = selectors.clock(case, now)
        rows.append((case, clock, _light(clock), STATE_TAGS.get(case.state, "")))
    counts = {
        "open": len(rows),
        "assigned": sum(1 for r in rows if r[0].state == CaseState.ASSIGNED),
        "yellow": sum(1 for r in rows if r[1].level == "yellow"),
        "red": sum(1 for r in rows if r[1].level == "red"),
    }
    context = {
        "rows": rows,
        "counts": counts,
        # A leader's worklist covers their city or district, not a department.
        "areas": worklist_areas(user),
        "notifications": selectors.notifications_for(ids),
        "unread": selectors.unread_notification_count(ids),
        "nav": hotline_nav(user, "hotline:worklist"),
    }
    return render(request, "hotline/worklist.html", context)


@require_POST
def read_notifications(request: HttpRequest) -> HttpResponse:
    """Mark the notices the page showed read (已读), and go back to them."""
    user = staff_member(request, HANDLE, SUPERVISE)
    if user is None:
        return redirect_to_login(request.get_full_path())
    # The ids the page listed, not "all": a notice that came in since the
    # page was drawn has not been seen, and stays new.
    ids = [int(v) for v in request.POST.getlist("id") if v.isdigit() and len(v) < 12]
    marked = do_mark_notifications_read(
        ids, actor=actor_of(user), departments=_department_ids(user)
    )
    if marked:
        messages.success(request, _("已将 %(n)s 条通知标为已读。") % {"n": marked})
    return redirect_back(request, reverse("hotline:worklist") + "#notifications", under="/hotline/")


# --- one case -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryRow:
    event: CaseEvent
    label: str
    details: str
    who: str
    note: str


def _who(event: CaseEvent, channel: str) -> str:
    return actor_name(event.actor, channel=channel if event.kind == EventKind.RECEIVED else "")


def _history_details(event: CaseEvent) -> str:
    data: dict[str, Any] = event.data or {}
    if event.kind == EventKind.ROUTED:
        confidence = percent(float(data.get("confidence") or 0))
        if data.get("topic"):
            return _("类别 %(c)s（事项：%(t)s），置信度 %(p)s%%") % {
                "c": category_name(data.get("category", "")),
                "t": data["topic"],
                "p": confidence,
            }
        return _("类别 %(c)s，置信度 %(p)s%%") % {
            "c": category_name(data.get("category", "")),
            "p": confidence,
        }
    if event.kind == EventKind.QUEUED:
        return listed(_queue_reasons(data))
    if event.kind == EventKind.DISPATCHED:
        suggested = category_name(data.get("suggested") or "") or "—"
        details = _("类别 %(c)s（模型建议 %(s)s）") % {
            "c": category_name(data.get("category", "")),
            "s": suggested,
        }
        urgency = (data.get("urgency") or {}).get("to")
        if urgency in Urgency.values:
            details += _("；紧急程度改为%(u)s") % {"u": Urgency(urgency).label}
        placed = (data.get("district") or {}).get("to")
        if placed:
            name = Region.objects.filter(pk=placed).values_list("name", flat=True).first()
            details += _("；事发区县改为%(d)s") % {"d": name or placed}
        return details
    if event.kind == EventKind.URGENCY_CHANGED:
        change = data.get("urgency") or {}
        if change.get("from") in Urgency.values and change.get("to") in Urgency.values:
            return _("紧急程度由%(a)s改为%(b)s，答复期限重新计算") % {
                "a": Urgency(change["from"]).label,
                "b": Urgency(change["to"]).label,
            }
        return ""
    if event.kind == EventKind.EXTENSION_REQUESTED:
        return _("申请延期 %(d)s 个工作日") % {"d": data.get("days", "")}
    if event.kind == EventKind.EXTENSION_DECIDED:
        verdict = _("同意") if data.get("approved") else _("不同意")
        return _("%(v)s延期 %(d)s 个工作日") % {"v": verdict, "d": data.get("days", "")}
    if event.kind == EventKind.REPLIED and data.get("score") is not None:
        return _("答复质量 %(s)s 分") % {"s": data.get("score")}
    if event.kind == EventKind.RATED and data.get("rating") in Rating.values:
        return str(Rating(data["rating"]).label)
    return ""


def _history(case: Case) -> list[HistoryRow]:
    return [
        HistoryRow(
            event,
            str(EventKind(event.kind).label),
            _history_details(event),
            _who(event, case.channel),
            selectors.event_note(event),
        )
        for event in selectors.history_of(case)
    ]


@dataclass(frozen=True, slots=True)
class ScoreBar:
    label: str
    value: int


def score_bars(score: ReplyScore) -> list[ScoreBar]:
    return [
        ScoreBar(_("相关性"), score.relevance),
        ScoreBar(_("完整性"), score.completeness),
        ScoreBar(_("可解释性"), score.interpretability),
        ScoreBar(_("及时性"), score.timeliness),
    ]


def _draft_score(case: Case, draft: str) -> ReplyScore | None:
    # A draft the reply would refuse for its text (blank, invisible characters
    # or punctuation alone) is nothing to score yet, as the API refuses it.
    try:
        text = checked_reply_draft(draft)
    except InvalidInput:
        return None
    return score_reply(
        case.title,
        case.content,
        text,
        received_at=case.dispatched_at or case.received_at,
        replied_at=timezone.now(),
        due_at=case.reply_due,
    )


def _stored_score(case: Case) -> dict[str, Any] | None:
    score = case.reply_score or {}
    if "total" not in score:
        return None
    return {
        "total": score["total"],
        "bars": [
            ScoreBar(_("相关性"), int(score.get("relevance", 0))),
            ScoreBar(_("完整性"), int(score.get("completeness", 0))),
            ScoreBar(_("可解释性"), int(score.get("interpretability", 0))),
            ScoreBar(_("及时性"), int(score.get("timeliness", 0))),
        ],
        "advice": readable_score(score)["advice"],
    }


CASE_ACTIONS = ("sign", "return", "extension", "reply", "dispatch", "recall", "rate", "urgency")


def _run_case_action(
    request: HttpRequest, user: User, case: Case, action: str, form: forms.Form | None
) -> str | None:
    """Run the posted step; return the success message, or None when the form has errors."""
    departments = handling_department_ids(user)
    actor = actor_of(user)
    if action in ("recall", "rate"):
        # The centre's steps: anyone else is refused before the form is read.
        require(user, DISPATCH)
    if action == "urgency" and not may_set_urgency(user, case):
        raise DjangoPermissionDenied
    if form is not None and not form.is_valid():
        return None
    data = form.cleaned_data if form is not None else {}
    try:
        if action == "sign":
            do_sign_case(case, actor=actor, departments=departments)
            return _("已签收，请在答复期限内办理。")
        if action == "return":
            do_return_case(case, data["reason"], actor=actor, departments=departments)
            return _("已退回12345热线重新派单。")
        if action == "extension":
            do_request_extension(
                case, data["days"], data["reason"], actor=actor, departments=departments
            )
            return _("延期申请已提交，等待12345热线审批。")
        if action == "reply":
            replied = do_reply_case(
                case,
                data["reply"],
                actor=actor,
                departments=departments,
                upheld_against=data["upheld_against"],
            )
            if replied.state == CaseState.CLOSED:
                return _("已答复。匿名诉求不回访，工单已办结。")
            return _("已答复，等待回访评价。")
        if action == "dispatch":
            require(user, DISPATCH)
            do_dispatch_case(
                case,
                data["category"],
                data["department"],
                actor=actor,
                note=data["note"],
                district=data["district"],
                urgency=data["urgency"],
            )
            return _("已派单。")
        if action == "urgency":
            changed = do_set_case_urgency(case, data["urgency"], actor=actor, note=data["note"])
            return _("紧急程度已调整为%(u)s，答复期限按新的紧急程度重新计算。") % {
                "u": Urgency(changed.urgency).label
            }
        if action == "recall":
            do_recall_case(case, data["reason"], actor=actor)
            return _("已撤回，工单回到待派单队列，请重新派单。")
        if action == "rate":
            rated = do_rate_case(case, data["rating"], actor=actor, comment=data["comment"])
            return _callback_recorded(rated)
    except ZhengtongError as error:
        refuse_on(error)
        taken = _taken_already(case, action, data) if error.status == 409 else None
        if taken is not None:
            return taken
        # A recall the case's state refuses (signed for meanwhile) is no fault
        # of the form, which the page no longer shows: it says so above the case.
        if form is None or (action == "recall" and error.status == 409):
            messages.error(request, str(error.message))
            return ""
        apply_errors(form, error)
        return None
    raise Http404


def _callback_recorded(case: Case) -> str:
    if case.state == CaseState.HANDLING:
        return _("已记录回访评价：不满意。工单已重新交办理部门办理。")
    return _("已记录回访评价，工单已办结。")


def _taken_already(case: Case, action: str, data: dict[str, Any]) -> str | None:
    """The success message of a step this same form took already (sent twice), else None.

    A double click sends the reply or the extension request twice: the first
    is taken, the second refused as the case has moved on. The second answer
    must then say what the first did, not that the step was refused.
    """
    fresh = selectors.case_by_number(case.number)
    if fresh is None:
        return None
    if action == "reply" and fresh.reply == str(data.get("reply", "")).strip():
        if fresh.state == CaseState.CLOSED and fresh.rating == "":
            return _("已答复。匿名诉求不回访，工单已办结。")
        if fresh.state == CaseState.REPLIED:
            return _("已答复，等待回访评价。")
    if action == "sign" and fresh.state == CaseState.HANDLING:
        # Signed for by this click's twin, or by a colleague: the department
        # has the case either way, which is what the click asked for.
        return _("已签收，请在答复期限内办理。")
    if (
        action == "dispatch"
        and fresh.state != CaseState.DISPATCHING
        and fresh.department is not None
        and fresh.department == data.get("department")
    ):
        # Dispatched to this department by this click's twin or a colleague.
        return _("已派单。")
    if action == "urgency" and fresh.urgency == data.get("urgency"):
        # Graded so by this click's twin or a colleague: what the click asked for.
        return _("紧急程度已调整为%(u)s，答复期限按新的紧急程度重新计算。") % {
            "u": Urgency(fresh.urgency).label
        }
    if action == "rate":
        rated = selectors.last_event(fresh, EventKind.RATED)
        if (
            rated is not None
            and (rated.data or {}).get("rating") == data.get("rating")
            and rated.note == str(data.get("comment", "")).strip()
        ):
            # Recorded by this click's twin: answered as the first click was.
            return _callback_recorded(fresh)
    if action == "extension":
        pending = fresh.extensions.filter(state=ExtensionState.PENDING).first()
        if (
            pending is not None
            and pending.days == data.get("days")
            and pending.reason == str(data.get("reason", "")).strip()
        ):
            return _("延期申请已提交，等待12345热线审批。")
    return None


@require_http_methods(["GET", "POST"])
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    """One case for the centre and the handling department: facts, history and the next steps."""
    user = staff_member(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    try:
        case = access_case_for_staff(user, number)
    except ZhengtongError as error:
        departure = departure_for_staff(user, number) if error.status == 404 else None
        if departure is None:
            refuse_on(error)
            raise
        if _returned_by_this_form(request, user, number):
            # 退回 clicked twice: the first click sent the case back, and the
            # second is answered as the first was, not as text left unsent.
            messages.success(request, _("已退回12345热线重新派单。"))
            return redirect("hotline:case", number=number)
        # A department that lost the case follows an old link to it: it is
        # told why it cannot open it any more, not shown "not found".
        context = {
            "number": number,
            "departure": departure,
            "unsent": _unsent_on_departure(request),
            "nav": hotline_nav(user, ""),
        }
        return render(request, "hotline/case_gone.html", context, status=410)
    posted = request.POST if request.method == "POST" else None
    action = request.POST.get("action", "") if posted is not None else ""
    categories = selectors.categories()
    forms_: dict[str, forms.Form] = {
        "return": ReturnForm(posted if action == "return" else None, prefix="return"),
        "recall": RecallForm(posted if action == "recall" else None, prefix="recall"),
        "urgency": UrgencyForm(
            posted if action == "urgency" else None,
            prefix="urgency",
            initial={"urgency": case.urgency},
        ),
        "rate": _callback_form(posted if action == "rate" else None),
        "extension": ExtensionForm(posted if action == "extension" else None, prefix="extension"),
        "reply": ReplyForm(posted if action == "reply" else None, prefix="reply"),
        "dispatch": _dispatch_form(
            case,
            categories,
            posted if action == "dispatch" else None,
            _suggested_department(case) if case.state == CaseState.DISPATCHING else None,
        ),
    }
    status = 200
    revealed = None
    if action == "reveal":
        # Shown in this answer only, never kept in the session or the URL.
        if not may_reveal_contact(user, case):
            raise DjangoPermissionDenied
        try:
            revealed = do_reveal_contact(case, actor=actor_of(user))
        except ZhengtongError as error:
            refuse_on(error)
            messages.error(request, str(error.message))
            return redirect("hotline:case", number=case.number)
    elif posted is not None:
        if action not in CASE_ACTIONS:
            raise Http404
        done = _run_case_action(request, user, case, action, forms_.get(action))
        if done is not None:
            if done:
                messages.success(request, done)
            return redirect("hotline:case", number=case.number)
        status = 400
    handles = case.department_id is not None and case.department_id in handling_department_ids(user)
    open_for_department = case.state in (CaseState.ASSIGNED, CaseState.HANDLING)
    pending = case.extensions.filter(state=ExtensionState.PENDING).first()
    may_ask_extension = handles and open_for_department and pending is None
    # Past the reply deadline there is nothing left to extend (deadline_passed).
    too_late_to_extend = (
        may_ask_extension and case.reply_due is not None and case.reply_due < timezone.now()
    )
    offered = {
        "reply": handles and case.state == CaseState.HANDLING,
        "return": handles and open_for_department,
        "extension": may_ask_extension and not too_late_to_extend,
        "dispatch": case.state == CaseState.DISPATCHING and has_permission(user, DISPATCH),
        "recall": case.state == CaseState.ASSIGNED and has_permission(user, DISPATCH),
        # The callback (回访): the centre records what the citizen said on the telephone.
        "rate": case.state == CaseState.REPLIED and has_permission(user, DISPATCH),
        # Until the reply: a case the model routed was graded by nobody.
        "urgency": open_for_department and may_set_urgency(user, case),
    }
    unsent = (
        unsent_form(forms_[action])
        if status == 400 and action in offered and not offered[action]
        else None
    )
    draft = str(forms_["reply"].data.get("reply-reply", "")) if action == "reply" else ""
    clock = selectors.clock(case)
    notifications = [
        n for n in selectors.notifications_for(_department_ids(user), 50) if n.case_id == case.pk
    ]
    context = {
        "case": case,
        "notifications": notifications,
        "unread": sum(1 for n in notifications if n.read_at is None),
        "state_tag": STATE_TAGS.get(case.state, ""),
        "clock": clock,
        "reply_limit": reply_limit_text(case) if clock.what == "reply" else "",
        "light": _light(clock),
        "confidence": percent(case.confidence),
        "contact_name": revealed.name if revealed else mask_name(case.contact_name),
        "contact_phone": revealed.phone if revealed else mask_phone(case.contact_phone),
        "contact_revealed": revealed is not None,
        "may_reveal_contact": (
            revealed is None
            and not case.anonymous
            and bool(case.contact_phone)
            and may_reveal_contact(user, case)
        ),
        "attachments": list(case.attachments.order_by("pk")),
        "history": _history(case),
        "reasons": _reasons_of(case) if case.state == CaseState.DISPATCHING else [],
        "linked": [
            (other, percent(similarity)) for other, similarity in selectors.linked_cases(case)
        ],
        "repeats": list(selectors.repeats_of(case)),
        # Named to everyone who sees the repeat, linked for those who may open it.
        "merged_into_open": case.merged_into is not None
        and may_open_for_staff(user, case.merged_into),
        "may_sign": handles and case.state == CaseState.ASSIGNED,
        "may_return": offered["return"],
        "may_extend": offered["extension"],
        "may_reply": offered["reply"],
        "pending_extension": pending,
        "too_late_to_extend": too_late_to_extend,
        "may_dispatch": offered["dispatch"],
        "may_urge": open_for_department and has_permission(user, DISPATCH),
        "urge_key": new_form_key(),
        # Until the department signs for it, the centre may take the case back.
        "may_recall": offered["recall"],
        "may_record_callback": offered["rate"],
        "may_set_urgency": offered["urgency"],
        "urgency_form": forms_["urgency"],
        "rate_form": forms_["rate"],
        "unsent": unsent,
        "return_form": forms_["return"],
        "recall_form": forms_["recall"],
        "extension_form": forms_["extension"],
        "reply_form": forms_["reply"],
        "dispatch_form": forms_["dispatch"],
        "score": _score_context(_draft_score(case, draft)),
        "stored_score": _stored_score(case),
        "nav": hotline_nav(user, ""),
    }
    return render(request, "hotline/case.html", context, status=status)


def _callback_form(data: Any) -> RatingForm:
    """The citizen's rating form, for the dispatcher who asks them on the telephone."""
    form = RatingForm(data, prefix="rate")
    form.fields["rating"].label = _("诉求人对办理结果的评价")
    form.fields["comment"].label = _("诉求人意见（选填）")
    return form


# The department's steps whose form holds text worth keeping.
_DEPARTMENT_FORMS: dict[str, type[forms.Form]] = {
    "reply": ReplyForm,
    "return": ReturnForm,
    "extension": ExtensionForm,
}


def _unsent_on_departure(request: HttpRequest) -> Unsent | None:
    """What a handler typed into a step of a case the department lost meanwhile.

    A colleague returned the case, or the centre recalled it, while the
    handler was writing the reply (or a return's or an extension's reason):
    the page that says the case is gone shows the text back to copy, as
    the case page does for a step someone else took first. It is the
    handler's own text, and says nothing of the case.
    """
    if request.method != "POST":
        return None
    action = request.POST.get("action", "")
    form_class = _DEPARTMENT_FORMS.get(action)
    if form_class is None:
        return None
    texts = unsent_form(form_class(request.POST, prefix=action)).texts
    return Unsent([], texts) if texts else None


def _returned_by_this_form(request: HttpRequest, user: User, number: str) -> bool:
    """Whether the posted form is the return (退回) that took the case from the department."""
    if request.method != "POST" or request.POST.get("action", "") != "return":
        return False
    form = ReturnForm(request.POST, prefix="return")
    if not form.is_valid():
        return False
    return returned_by_this_request(user, number, str(form.cleaned_data["reason"])) is not None


def _score_context(score: ReplyScore | None) -> dict[str, Any] | None:
    if score is None:
        return None
    return {"total": score.total, "bars": score_bars(score), "advice": list(score.advice)}


@require_POST
def reply_preview(request: HttpRequest, number: str) -> HttpResponse:
    """Score a draft reply before it is sent (htmx swaps the score panel while one types)."""
    user = staff_member(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    case = staff_case(user, number)
    if case.department_id not in handling_department_ids(user):
        raise DjangoPermissionDenied
    draft = request.POST.get("reply-reply", "")[:MAX_REPLY_DRAFT]
    context = {"case": case, "score": _score_context(_draft_score(case, draft))}
    return render(request, "hotline/case.html#reply_score", context)


@require_safe
def case_attachment(request: HttpRequest, number: str, pk: int) -> FileResponse:
    user = staff_member(request)
    if user is None:
        raise Http404
    case = staff_case(user, number)
    return attachment_response(case, pk)
