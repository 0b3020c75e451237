"""Credit pages: the regulator's credit files and the public scorecard and dishonesty list.

Regulators (``regulation.manage_credit``) see the graded enterprises of
their region, each enterprise's grade with its explanation and records, and
record facts, list and remove seriously dishonest enterprises there. The
scorecard and the list (信用公示) are public; administrators
(``regulation.manage_scorecard``) publish a new scorecard version on its
page. Every view parses, fetches through ``credit_access``, calls one action
and renders; a refused form is shown again with the reason beside the field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from zhengtong.core.errors import ZhengtongError
from zhengtong.core.forms import OneTimeKeyField, show_refusal
from zhengtong.core.models import Enterprise
from zhengtong.core.validators import normalise
from zhengtong.identity.actors import actor_of
from zhengtong.identity.auth import page_user
from zhengtong.identity.models import Audience, User
from zhengtong.identity.permissions import has_permission
from zhengtong.identity.selectors import posts_of
from zhengtong.regulation import credit_access
from zhengtong.regulation import credit_scorecard as scoring
from zhengtong.regulation.credit_actions import do_publish_scorecard, do_record_credit
from zhengtong.regulation.credit_selectors import active_scorecard, credit_grade, listing_search
from zhengtong.regulation.listing_actions import (
    MAX_AUTHORITY,
    MAX_LEGAL_BASIS,
    MAX_REASON,
    MAX_REMOVAL_REASON,
    do_list_serious_dishonesty,
    do_remove_listing,
)
from zhengtong.regulation.models import (
    CreditKind,
    CreditRecord,
    CreditRepair,
    CreditStanding,
    DishonestyListing,
    RepairState,
)
from zhengtong.regulation.permissions import MANAGE_CREDIT, MANAGE_SCORECARD
from zhengtong.regulation.problems import show_problems
from zhengtong.regulation.views import staff_member

PAGE_SIZE = 50
CREDIT_CODE_LENGTH = 18
# A listing's usual term: three years (《失信行为纠正后的信用信息修复管理办法（试行）》).
LISTING_YEARS = 3
# Badge classes (portal.css) of the grades.
GRADE_TAGS = {"A": "tag-ok", "B": "", "C": "tag-soon", "D": "tag-red"}


# --- forms -----------------------------------------------------------------------------------


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _severity_choices() -> list[tuple[str, str]]:
    choices = [("", _("不分情节（投诉、报警、表彰等）"))]
    choices += [
        (severity, _(label)) for (_kind, severity), label in scoring.SEVERITY_LABELS.items()
    ]
    return choices


class CreditRecordForm(forms.Form):
    # The form's one-time key: the same form sent twice (a double click, a
    # resend after the network timed out) makes one record, not two that
    # would lower the grade twice.
    submission = OneTimeKeyField()
    # Listings have their own form: they need a legal basis and a term.
    kind = forms.ChoiceField(
        label=gettext_lazy("类型"),
        choices=[c for c in CreditKind.choices if c[0] != CreditKind.SERIOUS_DISHONESTY],
    )
    severity = forms.ChoiceField(
        label=gettext_lazy("情节"),
        required=False,
        help_text=gettext_lazy("行政处罚和监督检查须选择情节，其他类型不选。"),
    )
    occurred_on = forms.DateField(label=gettext_lazy("发生日期"), widget=_date_input())
    count = forms.IntegerField(label=gettext_lazy("次数"), min_value=1, max_value=10_000, initial=1)
    # Not required here: the action names an empty description together with
    # the record's other problems.
    description = forms.CharField(
        label=gettext_lazy("内容"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    authority = forms.CharField(label=gettext_lazy("认定部门"), max_length=128, required=False)
    source_ref = forms.CharField(
        label=gettext_lazy("来源"),
        max_length=128,
        required=False,
        help_text=gettext_lazy("如处罚决定书文号；同一来源只登记一次。"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The record and listing forms share a page and field names: distinct ids.
        kwargs.setdefault("auto_id", "record-%s")
        super().__init__(*args, **kwargs)
        severity = self.fields["severity"]
        assert isinstance(severity, forms.ChoiceField)
        severity.choices = _severity_choices()


class ListingForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("列入事由"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    legal_basis = forms.CharField(
        label=gettext_lazy("认定依据"),
        max_length=MAX_LEGAL_BASIS,
        help_text=gettext_lazy("法律、法规或党中央、国务院政策文件的名称和条款。"),
    )
    authority = forms.CharField(label=gettext_lazy("认定部门"), max_length=MAX_AUTHORITY)
    listed_on = forms.DateField(label=gettext_lazy("列入日期"), widget=_date_input())
    expires_on = forms.DateField(label=gettext_lazy("有效期至"), widget=_date_input())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "listing-%s")
        super().__init__(*args, **kwargs)


class RemovalForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("移出原因"),
        max_length=MAX_REMOVAL_REASON,
        help_text=gettext_lazy("如：信用修复申请已核准、认定决定被撤销。"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "removal-%s")
        super().__init__(*args, **kwargs)


class ScorecardForm(forms.Form):
    config = forms.CharField(
        label=gettext_lazy("评分规则（JSON）"),
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "code-input"}),
    )
    note = forms.CharField(label=gettext_lazy("修订说明"), max_length=300)


# --- who may do what -------------------------------------------------------------------------


def _credit_regulator(request: HttpRequest) -> User | None:
    return page_user(request, Audience.STAFF, MANAGE_CREDIT)


def _enterprise(user: User, credit_code: str) -> Enterprise:
    try:
        return credit_access.access_enterprise_by_credit_code(user, credit_code)
    except ZhengtongError:
        raise Http404 from None


# --- the regulator's list --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GradeCount:
    grade: str
    count: int
    tag: str


@require_safe
def credit_list(request: HttpRequest) -> HttpResponse:
    """The graded enterprises of the regulator's region, by grade and by name or code."""
    user = _credit_regulator(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    query = request.GET.get("q", "").strip()[:100]
    grade = request.GET.get("grade", "").strip().upper()
    if grade not in scoring.GRADES:
        grade = ""
    standings = CreditStanding.objects.filter(
        enterprise__in=credit_access.credit_enterprises(user)
    ).select_related("enterprise", "enterprise__region")
    if query:
        standings = standings.filter(listing_search(query))
    counted = dict(standings.values_list("grade").annotate(n=Count("pk")).values_list("grade", "n"))
    counts = [GradeCount(g, counted.get(g, 0), GRADE_TAGS[g]) for g in scoring.GRADES]
    if grade:
        standings = standings.filter(grade=grade)
    # The files that need attention first: the lowest grades and scores.
    standings = standings.order_by("-grade", "score", "enterprise__name")
    page = Paginator(standings, PAGE_SIZE).get_page(request.GET.get("page"))
    # A code searched for in full opens the file even before its first record.
    code = normalise(query)
    exact = (
        credit_access.credit_enterprises(user).filter(credit_code=code).first()
        if len(code) == CREDIT_CODE_LENGTH
        else None
    )
    return render(
        request,
        "regulation/credit_list.html",
        {
            "page": page,
            "exact": exact,
            "counts": counts,
            "total": sum(c.count for c in counts),
            "query": query,
            "grade": grade,
            "grade_tags": GRADE_TAGS,
        },
    )


# --- one enterprise's credit file ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordRow:
    record: CreditRecord
    kind_label: str
    severity_label: str


def _record_rows(enterprise: Enterprise) -> list[RecordRow]:
    rows = []
    for record in CreditRecord.objects.filter(enterprise=enterprise).order_by(
        "-occurred_on", "-pk"
    ):
        severity = scoring.SEVERITY_LABELS.get((record.kind, record.severity))
        rows.append(
            RecordRow(
                record=record,
                kind_label=record.get_kind_display(),
                severity_label=_(severity) if severity else "",
            )
        )
    return rows


def _repairs_url() -> str:
    # The repair queue is its own page; linked only where it is installed.
    try:
        return reverse("regulation:repairs")
    except NoReverseMatch:
        return ""


def _detail(
    request: HttpRequest,
    enterprise: Enterprise,
    *,
    record_form: CreditRecordForm | None = None,
    listing_form: ListingForm | None = None,
    removal_form: RemovalForm | None = None,
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    current = DishonestyListing.objects.filter(enterprise=enterprise, removed_at=None).first()
    authority = ""
    if isinstance(request.user, User):
        # The regulator's own bureau is the usual deciding authority.
        post = next(
            (p for p in posts_of(request.user) if MANAGE_CREDIT in p.role.permissions), None
        )
        authority = post.department.name if post is not None else ""
    context = {
        "enterprise": enterprise,
        "grade": credit_grade(enterprise),
        "grade_tags": GRADE_TAGS,
        "records": _record_rows(enterprise),
        "listing": current,
        "past_listings": DishonestyListing.objects.filter(enterprise=enterprise)
        .exclude(removed_at=None)
        .order_by("-listed_on", "-pk"),
        "record_form": record_form or CreditRecordForm(initial={"occurred_on": today, "count": 1}),
        "listing_form": listing_form
        or ListingForm(
            initial={
                "listed_on": today,
                "expires_on": scoring.add_months(today, 12 * LISTING_YEARS),
                "authority": authority,
            }
        ),
        "removal_form": removal_form or RemovalForm(),
        "repairs_url": _repairs_url(),
        "pending_repairs": CreditRepair.objects.filter(
            enterprise=enterprise, state=RepairState.SUBMITTED
        ).count(),
    }
    return render(request, "regulation/credit_detail.html", context, status=status)


@require_safe
def credit_detail(request: HttpRequest, credit_code: str) -> HttpResponse:
    """An enterprise's grade, its explanation and records, and the forms to change them."""
    user = _credit_regulator(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    return _detail(request, _enterprise(user, credit_code))


def _back_to(enterprise: Enterprise) -> HttpResponse:
    return redirect("regulation:credit_detail", credit_code=enterprise.credit_code)


# The forms below post to their own URLs and a refused form is shown again
# there; a GET on such a URL (a reload, the language switch returning to the
# page) goes back to the page the form lives on rather than answering 405.
_FORM_METHODS = ["GET", "HEAD", "POST"]


@require_http_methods(_FORM_METHODS)
def record_credit(request: HttpRequest, credit_code: str) -> HttpResponse:
    """Put a fact (a penalty, an inspection result ...) on the enterprise's credit file."""
    user = _credit_regulator(request)
    if user is None:
        return redirect_to_login(reverse("regulation:credit_list"))
    enterprise = _enterprise(user, credit_code)
    if request.method != "POST":
        return _back_to(enterprise)
    form = CreditRecordForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            do_record_credit(
                enterprise,
                data["kind"],
                data["occurred_on"],
                data["description"],
                actor=actor_of(user),
                severity=data["severity"],
                count=data["count"],
                authority=data["authority"],
                source_ref=data["source_ref"].strip(),
                form_key=data["submission"],
            )
        except ZhengtongError as error:
            show_problems(form, error)
        else:
            # The same form sent again is answered as the first sending was.
            messages.success(request, _("信用记录已登记，信用等级已重新评定。"))
            return _back_to(enterprise)
    return _detail(request, enterprise, record_form=form, status=400)


@require_http_methods(_FORM_METHODS)
def list_enterprise(request: HttpRequest, credit_code: str) -> HttpResponse:
    """Put the enterprise on the serious-dishonesty list."""
    user = _credit_regulator(request)
    if user is None:
        return redirect_to_login(reverse("regulation:credit_list"))
    enterprise = _enterprise(user, credit_code)
    if request.method != "POST":
        return _back_to(enterprise)
    form = ListingForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            do_list_serious_dishonesty(
                enterprise,
                data["reason"],
                data["legal_basis"],
                data["authority"],
                data["listed_on"],
                data["expires_on"],
                actor=actor_of(user),
            )
        except ZhengtongError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("已列入严重失信主体名单，名单将通过共享交换平台发布。"))
            return _back_to(enterprise)
    return _detail(request, enterprise, listing_form=form, status=400)


@require_http_methods(_FORM_METHODS)
def remove_listing(request: HttpRequest, pk: int) -> HttpResponse:
    """Take the enterprise off the serious-dishonesty list, with the reason."""
    user = _credit_regulator(request)
    if user is None:
        return redirect_to_login(reverse("regulation:credit_list"))
    try:
        listing = credit_access.access_listing_by_id(user, pk)
    except ZhengtongError:
        raise Http404 from None
    if request.method != "POST":
        return _back_to(listing.enterprise)
    form = RemovalForm(request.POST)
    if form.is_valid():
        try:
            do_remove_listing(listing, form.cleaned_data["reason"], actor=actor_of(user))
        except ZhengtongError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("已移出严重失信主体名单，信用等级已重新评定。"))
            return _back_to(listing.enterprise)
    return _detail(request, listing.enterprise, removal_form=form, status=400)


# --- the public scorecard --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleRow:
    kind: str
    label: str
    points: int
    validity_months: int
    cap: int | None
    # The cap's size: the points at most taken off (negative cap) or added.
    cap_size: int
    decay: bool
    # The first row of a kind carries its cap and decay for the whole kind.
    first: bool
    rows: int


def _rule_rows(card: scoring.Scorecard) -> list[RuleRow]:
    rows = []
    for kind in scoring.SCORED_KINDS:
        rule = card.rules[kind]
        severities = scoring.SEVERITIES[kind]
        for index, severity in enumerate(severities):
            label = scoring.SEVERITY_LABELS.get((kind, severity), scoring.KIND_LABELS[kind])
            rows.append(
                RuleRow(
                    kind=kind,
                    label=_(label),
                    points=rule.points[severity],
                    validity_months=rule.validity_months,
                    cap=rule.cap,
                    cap_size=abs(rule.cap or 0),
                    decay=rule.decay == "linear",
                    first=index == 0,
                    rows=len(severities),
                )
            )
    return rows


@dataclass(frozen=True, slots=True)
class GradeRule:
    grade: str
    threshold: int | None
    weight: str
    tag: str


def _fraction(value: Fraction) -> str:
    return (
        str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    )


def _grade_rules(card: scoring.Scorecard) -> list[GradeRule]:
    return [
        GradeRule(
            grade=g,
            threshold=card.thresholds.get(g),
            weight=_fraction(card.draw_weights[g]),
            tag=GRADE_TAGS[g],
        )
        for g in scoring.GRADES
    ]


@require_http_methods(["GET", "HEAD", "POST"])
def credit_scorecard(request: HttpRequest) -> HttpResponse:
    """How grades are computed, from the active version; administrators publish a new one."""
    may_publish = has_permission(request.user, MANAGE_SCORECARD)
    form: ScorecardForm | None = None
    problems: list[str] = []
    if request.method == "POST":
        user = staff_member(request)
        if user is None:
            return redirect_to_login(request.get_full_path())
        if not may_publish:
            raise DjangoPermissionDenied
        form = ScorecardForm(request.POST)
        if form.is_valid():
            text = form.cleaned_data["config"]
            try:
                # The scorecard's own reading names a JSON error by line and column.
                scoring.Scorecard.from_json(text)
                version = do_publish_scorecard(
                    json.loads(text), form.cleaned_data["note"], actor=actor_of(user)
                )
            except scoring.ScorecardError as error:
                problems = list(error.problems)
            except ZhengtongError as error:
                problems = [str(p) for p in error.detail.get("problems", [])]
                if not problems:
                    show_refusal(form, error)
            else:
                messages.success(
                    request,
                    _("评分规则第 %(number)d 版已启用，全部企业已按新规则重新评定。")
                    % {"number": version.number},
                )
                return redirect("regulation:credit_scorecard")
    version, card = active_scorecard()
    if may_publish and form is None:
        form = ScorecardForm(initial={"config": card.to_json()})
    context = {
        "version": version,
        "card": card,
        "rules": _rule_rows(card),
        "grades": _grade_rules(card),
        "form": form if may_publish else None,
        "problems": problems,
    }
    return render(
        request,
        "regulation/credit_scorecard.html",
        context,
        status=400 if form is not None and (problems or form.errors) else 200,
    )


# --- the public list (信用公示) ---------------------------------------------------------------


@require_safe
def dishonesty_list(request: HttpRequest) -> HttpResponse:
    """The enterprises now on the serious-dishonesty list, for anyone to read."""
    query = request.GET.get("q", "").strip()[:100]
    listings = credit_access.current_listings()
    if query:
        listings = listings.filter(listing_search(query))
    page = Paginator(listings.order_by("-listed_on", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "regulation/credit_dishonesty_list.html",
        {"page": page, "query": query, "today": timezone.localdate()},
    )
