"""The citizens' pages: 我要反映, following a case by its tracking link, 我的诉求, the callback.

Anyone may submit (anonymously too) and follow a case with the tracking
link given at submission; a logged-in citizen's account is the contact and
their cases are listed under 我的诉求. The timeline shows departments, never
the names of the staff who handled the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from zhengtong.core.errors import ZhengtongError
from zhengtong.core.masking import mask_name, mask_phone
from zhengtong.hotline import selectors
from zhengtong.hotline.access import (
    access_case_by_tracking_code,
    access_own_case,
    may_open_own_case,
)
from zhengtong.hotline.actions import CaseInput, do_rate_case, do_submit_case
from zhengtong.hotline.forms import RatingForm, SubmitForm, read_photos
from zhengtong.hotline.models import Case, CaseAttachment, CaseEvent
from zhengtong.hotline.people import account_name, account_phone
from zhengtong.hotline.states import CaseState, Channel, EventKind
from zhengtong.hotline.views import STATE_TAGS, apply_errors, refuse_on, signed_in, unsent_form
from zhengtong.identity.actors import actor_of
from zhengtong.identity.models import Audience, User


def _account(request: HttpRequest) -> User | None:
    """The citizen or enterprise user submitting with their account (staff submit as the public)."""
    user = signed_in(request)
    if user is None or user.audience == Audience.STAFF:
        return None
    return user


def _track_url(case: Case) -> str:
    return reverse("hotline:track", args=[case.tracking_code])


# --- 我要反映 ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    """The citizen's message form; on success the case number and tracking link."""
    user = _account(request)
    phone = account_phone(user)
    form = SubmitForm(
        request.POST or None,
        request.FILES or None,
        has_account=user is not None,
        account_phone=mask_phone(phone),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            anonymous = bool(d["anonymous"])
            data = CaseInput(
                content=d["content"],
                channel=Channel.WEB,
                title=d["title"],
                location_text=d["location_text"],
                anonymous=anonymous,
                contact_name=d["contact_name"] or (account_name(user) if user else ""),
                contact_phone=d["contact_phone"] or phone,
                attachments=read_photos(d["photos"]),
                submission_key=d["submission"],
            )
            try:
                case = do_submit_case(
                    data,
                    actor=actor_of(user),
                    citizen_id=user.pk if user is not None else None,
                )
            except ZhengtongError as error:
                apply_errors(form, error)
            else:
                return redirect(f"{_track_url(case)}?submitted=1")
        status = 400
    context = {"form": form, "account": user, "account_phone": mask_phone(phone)}
    return render(request, "hotline/submit.html", context, status=status)


# --- following a case ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PublicStep:
    event: CaseEvent
    label: str
    department: str
    note: str


def _public_label(event: CaseEvent) -> str:
    if event.kind == EventKind.RETURNED:
        return _("退回12345热线重新派单")
    if event.kind == EventKind.RECALLED:
        return _("12345热线重新派单")
    if event.kind == EventKind.EXTENSION_DECIDED:
        approved = bool((event.data or {}).get("approved"))
        return _("同意延期答复") if approved else _("延期申请未获同意")
    if event.kind == EventKind.QUEUED:
        return _("转人工派单")
    if event.kind == EventKind.DEADLINE_RECOUNTED:
        due = parse_datetime(str((event.data or {}).get("reply_due", "")))
        if due is not None:
            shown = date_format(timezone.localtime(due), "Y-m-d H:i")
            return _("答复期限按节假日安排调整为 %(due)s") % {"due": shown}
    return str(EventKind(event.kind).label)


def public_timeline(case: Case) -> list[PublicStep]:
    """The case's steps as the citizen sees them: department names, their own comment only."""
    steps = []
    for public in selectors.public_history_of(case):
        event = public.event
        department = public.department.name if public.department else ""
        if event.kind == EventKind.DEADLINE_RECOUNTED:
            # The calendar moved the date, not the department: the label
            # says so with the new date, which a note beside a department
            # name would read as the department's word.
            steps.append(PublicStep(event, _public_label(event), "", ""))
            continue
        if event.kind in (EventKind.ROUTED, EventKind.DISPATCHED) and department:
            department = _("转交 %(name)s 办理") % {"name": department}
        note = public.note
        # An earlier reply stays readable after a reopened case is answered
        # again; the current one is on the page's 答复 panel already.
        if event.kind == EventKind.REPLIED and note == case.reply:
            note = ""
        steps.append(PublicStep(event, _public_label(event), department, note))
    return steps


def _rate(request: HttpRequest, case: Case, form: RatingForm) -> Case | None:
    if not form.is_valid():
        return None
    try:
        return do_rate_case(
            case,
            form.cleaned_data["rating"],
            actor=actor_of(signed_in(request)),
            comment=form.cleaned_data["comment"],
        )
    except ZhengtongError as error:
        refuse_on(error)
        rated = _rated_already(case, form) if error.status == 409 else None
        if rated is not None:
            return rated
        apply_errors(form, error)
        return None


def _rated_already(case: Case, form: RatingForm) -> Case | None:
    """The case, if this same rating was just recorded (the form sent twice), else None.

    A double tap sends the rating twice; the second is refused, as the case
    is closed (or reopened by 不满意), and must be answered as the first was.
    """
    fresh = selectors.case_by_number(case.number)
    event = selectors.last_event(case, EventKind.RATED)
    if fresh is None or event is None:
        return None
    same = (event.data or {}).get("rating") == form.cleaned_data["rating"] and (
        event.note == form.cleaned_data["comment"].strip()
    )
    return fresh if same else None


def _case_page(
    request: HttpRequest, case: Case, *, here: str, attachment_url: str, extra: dict[str, Any]
) -> HttpResponse:
    """The track page for either way in: rating on POST, then the state and timeline."""
    form = RatingForm(request.POST or None)
    status = 200
    if request.method == "POST":
        rated = _rate(request, case, form)
        if rated is not None:
            if rated.state == CaseState.HANDLING:
                messages.warning(request, _("已收到您的评价。工单已重新交办理部门办理。"))
            else:
                messages.success(request, _("感谢您的评价，工单已办结。"))
            return redirect(here)
        status = 400
    may_rate = case.state == CaseState.REPLIED
    context = {
        "case": case,
        # The case a repeat was merged into, linked when it is the signed-in
        # citizen's own: a tracking link opens its own case only.
        "merged_into_url": _merged_into_url(signed_in(request), case),
        "state_tag": STATE_TAGS.get(case.state, ""),
        "timeline": public_timeline(case),
        "reply_due": selectors.awaited_reply_due(case),
        "contact_name": mask_name(case.contact_name),
        "contact_phone": mask_phone(case.contact_phone),
        "attachments": list(case.attachments.order_by("pk")),
        "attachment_url": attachment_url,
        "may_rate": may_rate,
        # Rated meanwhile (the callback by telephone, or this form sent twice):
        # the refusal and the comment typed are shown, not lost with the form.
        "unsent": unsent_form(form) if status == 400 and not may_rate else None,
        "form": form,
        "here": here,
        **extra,
    }
    return render(request, "hotline/track.html", context, status=status)


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest, code: str) -> HttpResponse:
    """A case followed by its tracking link, with or without an account."""
    try:
        case = access_case_by_tracking_code(code)
    except ZhengtongError as error:
        refuse_on(error)
        raise
    here = _track_url(case)
    return _case_page(
        request,
        case,
        here=here,
        attachment_url=here + "files/",
        extra={
            "submitted": request.GET.get("submitted") == "1",
            "track_link": request.build_absolute_uri(here),
        },
    )


@require_safe
def track_attachment(request: HttpRequest, code: str, pk: int) -> FileResponse:
    try:
        case = access_case_by_tracking_code(code)
    except ZhengtongError as error:
        refuse_on(error)
        raise
    return attachment_response(case, pk)


def attachment_response(case: Case, pk: int) -> FileResponse:
    """A photo or PDF of the case, shown inline and never run as a page."""
    attachment: CaseAttachment | None = case.attachments.filter(pk=pk).first()
    if attachment is None:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=attachment.content_type, filename=attachment.name)
    response["Content-Disposition"] = response["Content-Disposition"].replace(
        "attachment", "inline"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
def mine(request: HttpRequest) -> HttpResponse:
    """我的诉求: the cases the citizen submitted with their account, newest first."""
    user = signed_in(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    rows = [
        (case, STATE_TAGS.get(case.state, ""), _merged_into_url(user, case))
        for case in selectors.cases_of_citizen(user.pk)[:500]
    ]
    return render(request, "hotline/mine.html", {"rows": rows})


def _merged_into_url(user: User | None, case: Case) -> str:
    """The page of the case a repeat was merged into, when the citizen may open it as theirs."""
    original = case.merged_into
    if original is None or not may_open_own_case(user, original):
        return ""
    return reverse("hotline:my_case", args=[original.number])


@require_http_methods(["GET", "POST"])
def my_case(request: HttpRequest, number: str) -> HttpResponse:
    user = signed_in(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    try:
        case = access_own_case(user, number)
    except ZhengtongError as error:
        refuse_on(error)
        raise
    here = reverse("hotline:my_case", args=[case.number])
    return _case_page(
        request,
        case,
        here=here,
        attachment_url=reverse("hotline:track", args=[case.tracking_code]) + "files/",
        extra={"mine": True},
    )
