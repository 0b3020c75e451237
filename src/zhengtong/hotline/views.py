"""The hotline's management pages (分拨模型, 诉求统计与热点) and what every hotline page shares.

Citizens' pages are in ``citizen_views``, the 12345 centre's and the
departments' in ``staff_views``. Every view parses, fetches through
``access``, calls one action and renders; htmx requests get a partial of the
same template.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from zhengtong.core.errors import ZhengtongError
from zhengtong.core.files import write_durably
from zhengtong.core.htmx import is_htmx
from zhengtong.core.i18n import stored_text
from zhengtong.core.models import Region
from zhengtong.core.punctuation import listed
from zhengtong.core.redirects import posted_form
from zhengtong.hotline import selectors
from zhengtong.hotline.access import (
    access_case_for_staff,
    access_classifier_version,
    access_heat_alert_by_id,
    may_manage_routing,
    overview_area,
    require_routing_manager,
)
from zhengtong.hotline.actions import do_acknowledge_heat_alert
from zhengtong.hotline.categories import category_name
from zhengtong.hotline.classifier_actions import do_activate_classifier, do_queue_training
from zhengtong.hotline.forms import CORRECTIONS_ONLY, SHARED_DATA, UPLOADED, TrainForm
from zhengtong.hotline.management.commands.hotline_train import default_data
from zhengtong.hotline.models import Case, ClassifierVersion
from zhengtong.hotline.permissions import (
    DISPATCH,
    ENTER_CALLS,
    HANDLE,
    MANAGE_ROUTING,
    SUPERVISE,
    VIEW_OVERVIEW,
)
from zhengtong.hotline.states import TrainingState
from zhengtong.hotline.tasks import train_classifier
from zhengtong.identity.actors import actor_of
from zhengtong.identity.auth import page_user
from zhengtong.identity.models import Audience, User
from zhengtong.identity.permissions import grants_of, has_permission

# --- shared by every hotline page -------------------------------------------------------

# Badge classes (portal.css) of the case states and the deadline lights.
STATE_TAGS = {
    "dispatching": "tag-soon",
    "assigned": "",
    "handling": "",
    "replied": "tag-ok",
    "closed": "tag-off",
    "merged": "tag-off",
}
LIGHT_TAGS = {"yellow": "tag-soon", "red": "tag-red"}


def signed_in(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def staff_member(request: HttpRequest, *permissions: str) -> User | None:
    """The logged-in member of staff holding one of ``permissions`` (if any are named).

    None when not logged in; 403 for other accounts and missing permissions.
    """
    return page_user(request, Audience.STAFF, *permissions)


def require(user: User, *permissions: str) -> None:
    """Refuse (403) unless the user holds one of the permissions somewhere."""
    if not any(has_permission(user, permission) for permission in permissions):
        raise DjangoPermissionDenied


def staff_case(user: User, number: str) -> Case:
    """The case a member of staff may see, or the page's 404 or 403."""
    try:
        return access_case_for_staff(user, number)
    except ZhengtongError as error:
        refuse_on(error)
        raise


def refuse_on(error: ZhengtongError) -> None:
    """Turn "not found" and "forbidden" refusals into the pages' 404 and 403."""
    if error.status == 403:
        raise DjangoPermissionDenied from None
    if error.status == 404:
        raise Http404 from None


def apply_errors(form: forms.Form, error: ZhengtongError) -> None:
    """Show an action's refusal next to the field it concerns, else above the form."""
    fields = error.detail.get("fields")
    placed = False
    if isinstance(fields, dict):
        for name, text in fields.items():
            if name in form.fields:
                form.add_error(name, str(text))
                placed = True
    if not placed:
        form.add_error(None, str(error.message))


@dataclass(frozen=True, slots=True)
class Unsent:
    """A step refused because the case moved on meanwhile, and what its form held."""

    errors: list[str]
    texts: list[tuple[str, str]]  # label, what was typed


def unsent_form(form: forms.Form) -> Unsent:
    """The refusal and the typed text of a form the page no longer offers.

    Someone else took the step first (a colleague replied, asked for more
    time or sent the case back; the callback was recorded by telephone): the
    step's form is gone from the page, so its refusal and what was typed in
    it are shown above the case instead of being lost with the form.
    """
    errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
    texts = [
        (str(bound.label), str(bound.value()))
        for bound in form
        if isinstance(bound.field, forms.CharField)
        and not isinstance(bound.field.widget, forms.HiddenInput)
        and str(bound.value() or "").strip()
    ]
    return Unsent(errors, texts)


@dataclass(frozen=True, slots=True)
class NavLink:
    url_name: str
    label: str
    current: bool
    # Heat-jump alerts the leader was told of and has not acknowledged (the overview's link).
    unread: int = 0


def worklist_areas(user: User) -> str:
    """The regions whose cases the user's worklist shows, by name ("" for department posts).

    A leader's post covers a region (a city leader the city, a district
    leader the district), and their worklist every department there; a
    handler's or a department head's covers their department only.
    """
    paths = {
        grant.area_path.rstrip("/")
        for grant in grants_of(user)
        if grant.area_path is not None and grant.permissions & {HANDLE, SUPERVISE}
    }
    # An area inside another the user covers adds nothing to the name.
    widest = sorted(
        path for path in paths if not any(path.startswith(other + "/") for other in paths)
    )
    if not widest:
        return ""
    codes = [path.rsplit("/", 1)[-1] for path in widest]
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    return listed(names.get(code, code) for code in codes)


def worklist_label(user: User) -> str:
    """The worklist's name by what it covers: 本部门工单, or 长沙市工单 for a city leader."""
    areas = worklist_areas(user)
    return _("%(area)s工单") % {"area": areas} if areas else _("本部门工单")


def hotline_nav(user: User | None, current: str) -> list[NavLink]:
    """The hotline pages the member of staff may open, for the line under each page head."""
    if user is None:
        return []
    links = (
        ("hotline:call_new", _("来电登记"), (ENTER_CALLS,)),
        ("hotline:dispatch", _("派单"), (DISPATCH,)),
        ("hotline:worklist", worklist_label(user), (HANDLE, SUPERVISE)),
        ("hotline:models", _("分拨模型"), (MANAGE_ROUTING,)),
        ("hotline:overview", _("诉求统计与热点"), (VIEW_OVERVIEW,)),
    )
    return [
        NavLink(
            name,
            label,
            name == current,
            # Told on every hotline page, not only once the overview is opened.
            _unacknowledged_alerts(user) if name == "hotline:overview" else 0,
        )
        for name, label, needed in links
        if any(has_permission(user, p) for p in needed)
    ]


def _unacknowledged_alerts(user: User) -> int:
    """How many alerts the overview's alert log shows the user as 未确认.

    Counted from the log itself, in the area the user's overview follows
    now: a notice of an alert outside it (given under a post held before)
    is not shown there, and an alert in it raised before the post came is.
    """
    return sum(
        1 for item in selectors.alert_log(user, overview_area(user)) if item.acknowledged_at is None
    )


def percent(value: float | None) -> int | None:
    return None if value is None else round(value * 100)


# --- 分拨模型 ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VersionRow:
    version: ClassifierVersion
    macro_f1: float | None
    # Activating a version older than the active one is a rollback.
    rollback: bool

    @property
    def running(self) -> bool:
        return self.version.state in (TrainingState.QUEUED, TrainingState.RUNNING)


def _version_rows(versions: Iterable[ClassifierVersion]) -> list[VersionRow]:
    listed = list(versions)
    active = next((v.number for v in listed if v.is_active), None)
    return [
        VersionRow(
            v,
            v.report.get("macro_f1_mean") if v.report else None,
            active is not None and v.number < active,
        )
        for v in listed
    ]


def _training_directory() -> Path:
    path = Path(settings.DATA_DIR) / "hotline-training"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _keep_upload(upload: UploadedFile[bytes]) -> Path:
    """Store an uploaded training CSV where the background task can read it."""
    upload.seek(0)
    payload = upload.read()
    digest = hashlib.sha256(payload).hexdigest()
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    path = _training_directory() / f"upload-{stamp}-{digest[:12]}.csv"
    # Accepted here, read later by the task: it must outlive a power cut.
    write_durably(path, payload)
    return path


def _queue_training(user: User, form: TrainForm) -> ClassifierVersion:
    source = form.cleaned_data["source"]
    include = bool(form.cleaned_data["include_corrections"])
    data_path: Path | None = None
    label = ""
    if source == SHARED_DATA:
        data_path = default_data()
        if data_path is None:
            raise forms.ValidationError(_("共享数据目录中没有标注留言，请上传 CSV。"))
        label = data_path.name
    elif source == UPLOADED:
        upload = form.cleaned_data["csv_file"]
        data_path = _keep_upload(upload)
        # Stored with what it was made from: the models page shows it in
        # each reader's language.
        label = stored_text(gettext_noop("上传：%(name)s"), name=upload.name)
    elif source != CORRECTIONS_ONLY:
        raise forms.ValidationError(_("请选择训练数据。"))
    version = do_queue_training(
        actor=actor_of(user), data_path=data_path, include_corrections=include, source=label
    )
    # The training runs in a worker once the version's row is committed.
    transaction.on_commit(lambda: train_classifier.enqueue(version.pk))
    return version


@require_http_methods(["GET", "POST"])
def models(request: HttpRequest) -> HttpResponse:
    """The classifier versions, training progress, a training form, activation and rollback."""
    user = staff_member(request, MANAGE_ROUTING)
    if user is None:
        return redirect_to_login(request.get_full_path())
    versions = selectors.classifier_versions()
    if is_htmx(request) and request.GET.get("version"):
        try:
            number = int(request.GET["version"])
        except ValueError:
            raise Http404 from None
        rows = [r for r in _version_rows(versions) if r.version.number == number]
        if not rows:
            raise Http404
        context = {"row": rows[0], "may_manage": may_manage_routing(user)}
        return render(request, "hotline/models.html#version_row", context)
    # The versions are open to every holder of the permission; changing them
    # needs it for the whole city, and the page offers only what the user may do.
    may_manage = may_manage_routing(user)
    if request.method == "POST" and not may_manage:
        raise DjangoPermissionDenied
    shared = default_data()
    form = TrainForm(
        request.POST or None, request.FILES or None, shared_name=shared.name if shared else ""
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                version = _queue_training(user, form)
            except forms.ValidationError as error:
                form.add_error(None, error)
            except ZhengtongError as error:
                refuse_on(error)
                apply_errors(form, error)
            else:
                messages.success(
                    request,
                    _("已提交训练：版本 v%(n)d，完成后可在此启用。") % {"n": version.number},
                )
                return redirect("hotline:models")
        status = 400
    return _models_page(request, user, form, status=status)


@dataclass(frozen=True, slots=True)
class UnmappedActivation:
    """A version whose activation waits for the administrator to confirm it."""

    version: ClassifierVersion
    # The categories no routing rule sends anywhere, as the reader names them.
    categories: list[str]


def _models_page(
    request: HttpRequest,
    user: User,
    form: TrainForm | None = None,
    *,
    status: int = 200,
    confirm: UnmappedActivation | None = None,
) -> HttpResponse:
    may_manage = may_manage_routing(user)
    if form is None:
        shared = default_data()
        form = TrainForm(shared_name=shared.name if shared else "")
    rows = _version_rows(selectors.classifier_versions())
    context = {
        "rows": rows,
        "active": next((r.version for r in rows if r.version.is_active), None),
        "form": form if may_manage else None,
        "may_manage": may_manage,
        "threshold": percent(float(settings.HOTLINE_CONFIDENCE)),
        "nav": hotline_nav(user, "hotline:models"),
        "confirm": confirm,
    }
    return render(request, "hotline/models.html", context, status=status)


@posted_form("hotline:models")
def activate_model(request: HttpRequest, number: int) -> HttpResponse:
    """Route with this version from now on; an older version is a rollback.

    A version with categories no routing rule sends anywhere is activated
    only when the page's warning is confirmed.
    """
    user = staff_member(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    try:
        version = access_classifier_version(user, number)
        require_routing_manager(user)
        active = do_activate_classifier(
            version,
            actor=actor_of(user),
            confirm_unmapped=request.POST.get("confirm_unmapped") == "1",
        )
    except ZhengtongError as error:
        refuse_on(error)
        if error.code == "unmapped_categories":
            unmapped = [category_name(label) for label in error.detail.get("labels", [])]
            return _models_page(
                request, user, status=409, confirm=UnmappedActivation(version, unmapped)
            )
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("已启用版本 v%(n)d。") % {"n": active.number})
    return redirect("hotline:models")


@dataclass(frozen=True, slots=True)
class ConfusionRow:
    label: str
    cells: list[tuple[int, bool]]  # count, on the diagonal
    total: int


@require_safe
def model_report(request: HttpRequest, number: int) -> HttpResponse:
    """One version's cross-validated report: per-class figures and the confusion matrix."""
    user = staff_member(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    try:
        version = access_classifier_version(user, number)
    except ZhengtongError as error:
        refuse_on(error)
        raise
    report: dict[str, Any] = version.report or {}
    labels: list[str] = list(report.get("labels") or [])
    confusion: list[list[int]] = list(report.get("confusion") or [])
    rows = [
        ConfusionRow(label, [(n, i == j) for j, n in enumerate(line)], sum(line))
        for i, (label, line) in enumerate(zip(labels, confusion, strict=False))
    ]
    context = {
        "version": version,
        "report": report,
        "per_class": report.get("per_class") or [],
        "labels": labels,
        "confusion": rows,
        "macro_f1": report.get("macro_f1_mean"),
        "nav": hotline_nav(user, "hotline:models"),
    }
    return render(request, "hotline/model.html", context)


# --- 诉求统计与热点 -----------------------------------------------------------------------

OVERVIEW_DAYS = (7, 30, 90)


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    count: int
    share: int  # percent of the largest bar, for its length


def _bars(pairs: Iterable[tuple[str, int]], unnamed: str) -> list[Bar]:
    listed = list(pairs)
    top = max((n for _name, n in listed), default=0) or 1
    return [Bar(name or unnamed, n, round(100 * n / top)) for name, n in listed]


# The trend's drawing height in SVG units (the bars' width adds up to 100).
TREND_HEIGHT = 42.0


@dataclass(frozen=True, slots=True)
class DayBar:
    day: dt.date
    count: int
    x: float
    height: float

    @property
    def top(self) -> float:
        return round(TREND_HEIGHT - self.height, 2)


def _trend(by_day: list[tuple[dt.date, int]], first: dt.date, last: dt.date) -> list[DayBar]:
    counts = dict(by_day)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    top = max(counts.values(), default=0) or 1
    width = 100 / max(len(days), 1)
    return [
        DayBar(
            day,
            counts.get(day, 0),
            round(i * width, 3),
            round((TREND_HEIGHT - 2) * counts.get(day, 0) / top, 2),
        )
        for i, day in enumerate(days)
    ]


@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    """Volumes by category, district and day, callback satisfaction and the hot issues."""
    user = staff_member(request, VIEW_OVERVIEW)
    if user is None:
        return redirect_to_login(request.get_full_path())
    try:
        days = int(request.GET.get("days", "30"))
    except ValueError:
        days = 30
    if days not in OVERVIEW_DAYS:
        days = 30
    now = timezone.now()
    since = now - dt.timedelta(days=days)
    # A district leader sees their district's figures and issues, a city leader the city's.
    area = overview_area(user)
    figures = selectors.overview(since, now, within=area)
    hot = selectors.hot_issues(
        days=days, now=now, limit=10 if area is None else selectors.AREA_ISSUES
    )
    found = selectors.issues_within(hot, area, 10)
    issues = [
        (item.issue, item.jumped_by, [hot.cases[key] for key in item.keys if key in hot.cases])
        for item in found
    ]
    jumps = [(item.issue, item.jumped_by) for item in found if item.jumped_by is not None]
    trend = _trend(figures.by_day, timezone.localtime(since).date(), timezone.localtime(now).date())
    context = {
        "days": days,
        "choices": OVERVIEW_DAYS,
        "figures": figures,
        "satisfaction": percent(figures.satisfaction),
        "rated": sum(figures.ratings.values()),
        "by_category": _bars(
            ((category_name(name), n) for name, n in figures.by_category), _("未分类")
        ),
        "by_district": _bars(figures.by_district, _("未识别区县")),
        "trend": trend,
        "bar_width": round(0.8 * 100 / len(trend), 3),
        "peak": max((bar.count for bar in trend), default=0),
        "first_day": trend[0].day,
        "last_day": trend[-1].day,
        "issues": issues,
        "jumps": jumps,
        "hot_computed_at": hot.computed_at,
        "hot_pending": hot.pending,
        # Kept when the snapshot's jumps are gone: the alerts leaders were told of.
        "alerts": selectors.alert_log(user, area),
        "nav": hotline_nav(user, "hotline:overview"),
    }
    return render(request, "hotline/overview.html", context)


@require_POST
def acknowledge_alert(request: HttpRequest, pk: int) -> HttpResponse:
    """Acknowledge a heat-jump alert of the alert log, and go back to it."""
    user = staff_member(request, VIEW_OVERVIEW)
    if user is None:
        return redirect_to_login(request.get_full_path())
    try:
        found = access_heat_alert_by_id(user, pk)
        do_acknowledge_heat_alert(found, acting_user=user)
    except ZhengtongError as error:
        refuse_on(error)
        # Acknowledged already (another tab, a double click): said, not an error page.
        messages.info(request, str(error.message))
    else:
        messages.success(request, _("已确认热点预警：%(label)s。") % {"label": found.alert.label})
    days = request.POST.get("days", "")
    query = f"?days={days}" if days.isdigit() and int(days) in OVERVIEW_DAYS else ""
    return redirect(reverse("hotline:overview") + query + "#alert-log")
