"""The exchange's pages: applications and grants, dataset uploads, 我的数据使用记录.

Each view parses its input, fetches through ``access``, calls one action and
renders; the rules live in the actions and the access functions.
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from zhengtong.catalog.access import access_resource_by_code, editable_departments, may_edit
from zhengtong.catalog.models import InformationItem, Resource
from zhengtong.catalog.selectors import Verdict, share_decision
from zhengtong.catalog.states import ResourceState
from zhengtong.core.calendar import SHANGHAI
from zhengtong.core.errors import InvalidInput, NotFound, ZhengtongError
from zhengtong.core.htmx import is_htmx
from zhengtong.core.redirects import local_path, redirect_back
from zhengtong.exchange import actions, selectors
from zhengtong.exchange.access import (
    access_application_by_id,
    access_client_for_applying,
    access_grant_by_id,
    access_own_hosted_dataset_by_code,
    applying_departments,
    clients_for_applying,
    may_answer,
    may_load,
    may_oversee,
    may_revoke,
    may_withdraw,
    overseen_departments,
    own_departments,
    require_answer,
    require_revoke,
    require_withdraw,
)
from zhengtong.exchange.forms import (
    ApplyForm,
    ChangeProxiedForm,
    DatasetUploadForm,
    GrantForm,
    GrantTermsForm,
    ReasonForm,
    RegisterDatasetForm,
    RegisterProxiedForm,
)
from zhengtong.exchange.governed import key_hash
from zhengtong.exchange.models import AccessApplication, ApplicationState, DatasetVersion, Grant
from zhengtong.exchange.permissions import READ_SHARED
from zhengtong.identity.actors import actor_of
from zhengtong.identity.models import Audience, User
from zhengtong.identity.selectors import memberships_of
from zhengtong.ledger.actions import canonical_json
from zhengtong.ledger.selectors import latest_signed_tree_head, tree_state


def _staff(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def _refuse_on(error: ZhengtongError) -> None:
    if error.status == 403:
        raise DjangoPermissionDenied from None
    if error.status == 404:
        raise Http404 from None


# --- Applying ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemChoice:
    """One item as the application form shows it."""

    item: InformationItem
    verdict: str
    # Why the item cannot be asked for: its negative-list basis.
    reason: str


def _item_choices(resource: Resource) -> list[ItemChoice]:
    items = list(resource.items.order_by("position"))
    decision = share_decision(resource, [i.code for i in items])
    rows = []
    for item in items:
        verdict = decision.items[item.code]
        reason = ""
        if verdict == Verdict.NEVER:
            reason = item.legal_basis or resource.legal_basis or _("列入负面清单")
        rows.append(ItemChoice(item, str(verdict), reason))
    return rows


def apply(request: HttpRequest, slug: str) -> HttpResponse:
    """A data officer applies for items of another department's published resource."""
    user = _staff(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    try:
        resource = access_resource_by_code(user, slug)
    except NotFound:
        raise Http404 from None
    if resource.state != ResourceState.PUBLISHED:
        raise Http404
    # Only a system that may read shared data can use a grant.
    clients = [c for c in clients_for_applying(user, resource) if READ_SHARED in c.scopes]
    departments = applying_departments(user)
    if not clients and not departments.exists():
        raise DjangoPermissionDenied
    # The provider's own officers are offered 申请使用 on the entry too; told
    # that they had no system, they went to issue one for data their systems
    # already read without a grant.
    own_only = not departments.exclude(pk=resource.provider_id).exists()
    choices = _item_choices(resource)
    shareable = [c.item for c in choices if c.verdict != Verdict.NEVER]
    form = ApplyForm(request.POST or None, clients=clients, items=shareable)
    if request.method == "POST" and form.is_valid():
        try:
            client = access_client_for_applying(user, form.cleaned_data["client"])
            application = actions.do_apply_for_access(
                resource, client, form.to_input(), actor=actor_of(user)
            )
        except ZhengtongError as error:
            form.add_error(None, str(error.message))
        else:
            days = settings.EXCHANGE_ANSWER_WORKING_DAYS
            messages.success(
                request,
                ngettext(
                    "申请已提交，提供部门将在%(days)d个工作日内答复。",
                    "申请已提交，提供部门将在%(days)d个工作日内答复。",
                    days,
                )
                % {"days": days},
            )
            return redirect("exchange:application", pk=application.pk)
    checked = set(form["item_codes"].value() or [])
    clear = set(form["clear_codes"].value() or [])
    return render(
        request,
        "exchange/apply.html",
        {
            "resource": resource,
            "form": form,
            "choices": choices,
            "checked": checked,
            "clear": clear,
            "has_clients": bool(clients),
            "own_only": own_only,
            "answer_days": settings.EXCHANGE_ANSWER_WORKING_DAYS,
        },
    )


# --- 数据共享申请 ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApplicationRow:
    application: AccessApplication
    days_left: int
    overdue: bool
    # Granted or refused after the answer period: once answered, an overdue
    # application left the data bureau's overdue list, and nothing showed
    # that its answer came late.
    answered_late: bool
    # Granted fewer items than applied for: shown as 部分同意, not 已同意.
    partial: bool = False

    @property
    def state_label(self) -> str:
        if self.partial:
            return _("部分同意")
        return str(self.application.get_state_display())


_ANSWERED = (ApplicationState.GRANTED, ApplicationState.REFUSED)


def _rows(applications: list[AccessApplication]) -> list[ApplicationRow]:
    now = timezone.now()
    rows = []
    for a in applications:
        pending = a.state == ApplicationState.PENDING
        days = selectors.working_days_left(a, now) if pending else 0
        late = a.state in _ANSWERED and a.answered_at is not None and a.answered_at > a.due_at
        rows.append(
            ApplicationRow(a, days, pending and a.due_at < now, late, selectors.granted_in_part(a))
        )
    return rows


@dataclass(frozen=True, slots=True)
class GrantRow:
    grant: Grant
    item_names: list[str]
    clear_names: list[str]
    days: int
    # One of selectors.grant_status's answers.
    status: str


def _grant_rows(grants: list[Grant]) -> list[GrantRow]:
    names = selectors.item_names({g.resource_id for g in grants})
    now = timezone.now()
    rows = []
    for g in grants:
        named = names.get(g.resource_id, {})
        rows.append(
            GrantRow(
                g,
                [named.get(code, code) for code in g.fields],
                [named.get(code, code) for code in g.clear_fields],
                selectors.grant_days(g),
                selectors.grant_status(g, now),
            )
        )
    return rows


def requests(request: HttpRequest) -> HttpResponse:
    """Applications to answer, applications made, grants given and held, overdue answers."""
    user = _staff(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    return _requests_page(request, user)


def _requests_page(
    request: HttpRequest, user: User, *, revoke: tuple[int, ReasonForm] | None = None
) -> HttpResponse:
    """The requests page; ``revoke`` is a refused revocation: its grant and its form as typed."""
    oversee = may_oversee(user)
    if not applying_departments(user).exists() and not oversee:
        raise DjangoPermissionDenied
    # The 本部门 lists hold the officer's own departments only; what a
    # region-wide post reaches beyond them is the data bureau's overview.
    departments = own_departments(user)
    # The data bureau's overview reaches as far as its review does.
    overseen = overseen_departments(user)
    pending_only = request.GET.get("pending") == "1"
    incoming = selectors.applications_to_answer(departments)
    if pending_only:
        incoming = incoming.filter(state=ApplicationState.PENDING)
    context = {
        "pending_only": pending_only,
        "incoming": _rows(list(incoming[:200])),
        "outgoing": _rows(list(selectors.applications_made(departments)[:200])),
        "overdue": _rows(list(selectors.overdue_applications(overseen)[:200])) if oversee else None,
        "overview": _rows(list(selectors.all_applications(overseen)[:200])) if oversee else None,
        "given": _grant_rows(list(selectors.grants_given(departments)[:200])),
        "held": _grant_rows(list(selectors.grants_held(departments)[:200])),
        "now": timezone.now(),
        "revoke_form": ReasonForm(),
        # The grant whose revocation was refused, and its form as typed.
        "revoke_pk": revoke[0] if revoke is not None else None,
        "revoke_refused": revoke[1] if revoke is not None else None,
        "answer_days": settings.EXCHANGE_ANSWER_WORKING_DAYS,
    }
    template = "exchange/requests.html"
    if is_htmx(request):
        template += "#incoming"
    return render(request, template, context)


def application(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    try:
        found = access_application_by_id(user, pk)
    except NotFound:
        raise Http404 from None
    return _application_page(request, user, found)


def _application_page(
    request: HttpRequest,
    user: User,
    found: AccessApplication,
    *,
    answer: dict[str, object] | None = None,
    revoke_form: ReasonForm | None = None,
    terms_form: GrantTermsForm | None = None,
) -> HttpResponse:
    """The application's page; ``answer`` is a refused answer's input, ``revoke_form``
    a refused revocation's form and ``terms_form`` a refused change of the grant's
    terms, each shown again as typed."""
    pending = found.state == ApplicationState.PENDING
    names = dict(found.resource.items.values_list("code", "name"))
    grant: Grant | None = getattr(found, "grant", None)
    grant_row = _grant_rows([grant])[0] if grant is not None else None
    # A grant that expired, or whose system was stopped, has ended by
    # itself: it is shown as such and, as on 数据共享申请, offers no revocation.
    in_force = grant_row is not None and grant_row.status == selectors.GRANT_ACTIVE
    context = {
        "application": found,
        "row": _rows([found])[0],
        "item_names": [_item_name(names, code) for code in found.fields],
        "clear_names": [_item_name(names, code) for code in found.clear_fields],
        "can_answer": pending and may_answer(user, found),
        "can_withdraw": pending and may_withdraw(user, found),
        # An item a change of the catalog entry took out since the application
        # was filed can no longer be granted (unknown_item): it is not offered.
        "grant_form": GrantForm(
            answer if answer is not None and answer.get("step") == "grant" else None,
            items=[(c, names[c]) for c in found.fields if c in names],
            clear_items=[(c, names[c]) for c in found.clear_fields if c in names],
        ),
        "refuse_form": ReasonForm(),
        "refuse_reason": answer.get("reason", "")
        if answer is not None and answer.get("step") == "refuse"
        else "",
        "grant": grant,
        "grant_row": grant_row,
        "grant_in_force": in_force,
        "can_revoke": grant is not None and in_force and may_revoke(user, grant),
        "revoke_form": revoke_form or ReasonForm(),
        # The same officers who may end a grant in force may change its terms.
        "terms_form": terms_form
        if terms_form is not None
        else (_terms_form(grant) if grant is not None and in_force else None),
        "terms_changes": selectors.grant_terms_changes(grant) if grant is not None else [],
    }
    return render(request, "exchange/application.html", context)


def _terms_form(grant: Grant, data: QueryDict | None = None) -> GrantTermsForm:
    """The form to change a grant's terms, filled with the terms in force."""
    return GrantTermsForm(
        data,
        # Beside the revocation's reason on the same page.
        prefix="terms",
        initial={
            "rate_per_minute": grant.rate_per_minute,
            "expires_on": grant.expires_at.astimezone(SHANGHAI).date(),
        },
    )


def _expiry_on(grant: Grant, day: date) -> datetime | None:
    """The expiry the provider chose by its date; None when it is the date in force.

    A grant runs whole days from its start, so the new expiry falls on the
    chosen day at the time of day the grant started; the last day of the
    period applied for then ends exactly where the period does. The date in
    force leaves the expiry as it is, to the second.
    """
    if day == grant.expires_at.astimezone(SHANGHAI).date():
        return None
    return datetime.combine(day, grant.starts_at.astimezone(SHANGHAI).time(), tzinfo=SHANGHAI)


def _item_name(names: dict[str, str], code: str) -> str:
    """An applied-for item by its name, or by its code, marked, once the entry has it no more."""
    if code in names:
        return names[code]
    return _("%(code)s（已从目录中删去）") % {"code": code}


def _reason_problem(form: GrantForm | ReasonForm) -> str:
    """What is wrong with the form's reason, in words; empty if nothing is."""
    errors = form.errors.get("reason")
    if not errors:
        return ""
    return _("理由：%(problem)s") % {"problem": " ".join(str(e) for e in errors)}


def _posted_reason(request: HttpRequest) -> str:
    """The posted reason, checked as its form checks it; a blank one is the action's to refuse.

    Without the check a reason over 500 characters was cut without a word and
    control characters were kept, invisible to whoever reads the answer.
    """
    reason = str(request.POST.get("reason", ""))
    if not reason.strip():
        return reason
    form = ReasonForm({"reason": reason})
    if not form.is_valid():
        raise InvalidInput(_reason_problem(form), code="invalid_reason")
    return str(form.cleaned_data["reason"])


@require_POST
def answer(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Grant, refuse or withdraw an application."""
    user = _staff(request)
    if user is None:
        return redirect_to_login(reverse("exchange:application", kwargs={"pk": pk}))
    actor = actor_of(user)
    try:
        found = access_application_by_id(user, pk)
        if step == "grant":
            require_answer(user, found)
            form = GrantForm(
                request.POST,
                items=[(c, c) for c in found.fields],
                clear_items=[(c, c) for c in found.clear_fields],
            )
            if not form.is_valid():
                problem = _reason_problem(form)
                if not problem and "days" in form.errors:
                    problem = _("同意的使用期限应在1天到所申请的%(days)d天之间。") % {
                        "days": found.duration_days
                    }
                raise InvalidInput(
                    problem or _("请选择同意的信息项并填写调用上限。"), code="invalid_answer"
                )
            grant = actions.do_grant_application(
                found,
                actor=actor,
                reason=form.cleaned_data["reason"],
                fields=form.cleaned_data["item_codes"],
                rate_per_minute=form.cleaned_data["rate_per_minute"],
                clear_fields=form.agreed_clear_fields(),
                days=form.cleaned_data["days"],
            )
            messages.success(request, _granted_message(found, grant))
        elif step == "refuse":
            require_answer(user, found)
            actions.do_refuse_application(found, actor=actor, reason=_posted_reason(request))
            messages.success(request, _("已拒绝该申请。"))
        elif step == "withdraw":
            require_withdraw(user, found)
            actions.do_withdraw_application(found, actor=actor)
            messages.success(request, _("已撤回该申请。"))
        else:
            raise Http404
    except ZhengtongError as error:
        _refuse_on(error)
        messages.error(request, str(error.message))
        if step in ("grant", "refuse"):
            return _answer_again(request, user, pk, step)
    return redirect("exchange:application", pk=pk)


def _granted_message(application: AccessApplication, grant: Grant) -> str:
    """What the provider is told of a grant: in full, or in part and how."""
    fewer_items = not set(application.fields) <= set(grant.fields)
    agreed_days = selectors.grant_days(grant)
    shorter = agreed_days < application.duration_days
    counts = {
        "granted": len(grant.fields),
        "asked": len(application.fields),
        "agreed_days": agreed_days,
        "asked_days": application.duration_days,
    }
    if fewer_items and shorter:
        return (
            _(
                "已部分同意该申请（同意%(granted)d项，申请%(asked)d项；"
                "同意使用%(agreed_days)d天，申请%(asked_days)d天），授权即时生效。"
            )
            % counts
        )
    if fewer_items:
        return _("已部分同意该申请（同意%(granted)d项，申请%(asked)d项），授权即时生效。") % counts
    if shorter:
        return (
            _("已部分同意该申请（同意使用%(agreed_days)d天，申请%(asked_days)d天），授权即时生效。")
            % counts
        )
    return _("已同意该申请，授权即时生效。")


def _answer_again(request: HttpRequest, user: User, pk: int, step: str) -> HttpResponse:
    """Show a refused grant or refusal again with what the provider typed.

    Redirected, the page came back with the opinion or reason, the items
    ticked and the rate all gone. An application answered or withdrawn
    meanwhile is no longer answered here, so its page is shown afresh.
    """
    try:
        found = access_application_by_id(user, pk)
    except NotFound:
        raise Http404 from None
    if found.state != ApplicationState.PENDING:
        return redirect("exchange:application", pk=pk)
    answer: dict[str, object] = {
        "step": step,
        "reason": str(request.POST.get("reason", "")),
        "rate_per_minute": str(request.POST.get("rate_per_minute", "")),
        "item_codes": request.POST.getlist("item_codes"),
        "clear_codes": request.POST.getlist("clear_codes"),
        "clear_offered": request.POST.get("clear_offered", ""),
        "days": str(request.POST.get("days", "")),
    }
    return _application_page(request, user, found, answer=answer)


@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request)
    if user is None:
        return redirect_to_login(reverse("exchange:requests"))
    try:
        grant = access_grant_by_id(user, pk)
        require_revoke(user, grant)
        actions.do_revoke_grant(grant, actor=actor_of(user), reason=_posted_reason(request))
    except ZhengtongError as error:
        _refuse_on(error)
        messages.error(request, str(error.message))
        return _revoke_again(request, user, pk)
    messages.success(request, _("授权已撤销，此后的调用将被拒绝。"))
    return redirect_back(request, "exchange:requests", under="/exchange/")


@require_http_methods(["GET", "HEAD", "POST"])
def change_terms(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the rate limit or the expiry of a grant in force (变更授权条件)."""
    user = _staff(request)
    if user is None:
        return redirect_to_login(reverse("exchange:requests"))
    try:
        grant = access_grant_by_id(user, pk)
        require_revoke(user, grant)
    except ZhengtongError as error:
        _refuse_on(error)
        raise
    if request.method != "POST":
        # A refused form is shown again at this URL: a reload or the language
        # switch asks it with GET, and goes back to the grant's page.
        return _back_to_grant(request, grant)
    form = _terms_form(grant, request.POST)
    if form.is_valid():
        try:
            actions.do_change_grant_terms(
                grant,
                actor=actor_of(user),
                reason=form.cleaned_data["reason"],
                rate_per_minute=form.cleaned_data["rate_per_minute"],
                expires_at=_expiry_on(grant, form.cleaned_data["expires_on"]),
            )
        except ZhengtongError as error:
            _refuse_on(error)
            if error.code == "no_change":
                # A form sent twice finds its change made the first time.
                messages.info(request, str(error.message))
                return _back_to_grant(request, grant)
            if error.code in ("grant_revoked", "grant_expired", "client_revoked", "not_published"):
                messages.error(request, str(error.message))
                return _back_to_grant(request, grant)
            form.add_error(_TERMS_FIELDS.get(error.code), str(error.message))
        else:
            messages.success(request, _("授权条件已变更，此后的调用按新条件办理。"))
            return _back_to_grant(request, grant)
    if grant.application_id is None:
        for problems in form.errors.values():
            messages.error(request, " ".join(str(p) for p in problems))
        return _back_to_grant(request, grant)
    found = access_application_by_id(user, grant.application_id)
    return _application_page(request, user, found, terms_form=form)


# The form field each refusal of a terms change is about.
_TERMS_FIELDS = {
    "invalid_rate": "rate_per_minute",
    "expiry_in_past": "expires_on",
    "expiry_beyond_period": "expires_on",
    "reason_required": "reason",
    "control_character": "reason",
}


def _back_to_grant(request: HttpRequest, grant: Grant) -> HttpResponse:
    if grant.application_id is not None:
        return redirect("exchange:application", pk=grant.application_id)
    return redirect_back(request, "exchange:requests", under="/exchange/")


def _revoke_again(request: HttpRequest, user: User, pk: int) -> HttpResponse:
    """Show a refused revocation again with the reason as the provider typed it.

    Redirected, the page came back with an empty reason: a long reason with
    one invisible character pasted into it was lost for good. A grant that
    has ended meanwhile is no longer revoked here, so its page is shown afresh.
    """
    try:
        grant = access_grant_by_id(user, pk)
    except NotFound:
        raise Http404 from None
    if selectors.grant_status(grant) != selectors.GRANT_ACTIVE or not may_revoke(user, grant):
        return redirect_back(request, "exchange:requests", under="/exchange/")
    form = ReasonForm({"reason": str(request.POST.get("reason", ""))})
    form.is_valid()
    back = local_path(request, request.POST.get("next", ""), under="/exchange/")
    application = grant.application
    if application is not None and back == reverse(
        "exchange:application", kwargs={"pk": application.pk}
    ):
        found = access_application_by_id(user, application.pk)
        return _application_page(request, user, found, revoke_form=form)
    return _requests_page(request, user, revoke=(grant.pk, form))


# --- Hosted datasets -----------------------------------------------------------------------


# Why a department API's settings were refused, in the officer's words: the
# action's reason is for developers (the API returns it in detail.reason).
# Lazy: translated when shown, in the officer's language, not once at import.
_UPSTREAM_PROBLEMS = {
    "base_url": gettext_lazy(
        "接口地址须为完整的 http 或 https 地址，不含空格、用户名和密码、查询参数，"
        "且不超过 300 个字符。"
    ),
    "path_template": gettext_lazy("路径模板须以 / 开头，并含且只含一个 {key}。"),
    "auth_header": gettext_lazy(
        "接口凭据只能含英文字母、数字、空格和英文符号，首尾不能有空格，不能换行，"
        "且不超过 500 个字符。"
    ),
}


def _upstream_problem(error: ZhengtongError) -> str:
    if error.code != "invalid_upstream":
        return str(error.message)
    detail = error.detail or {}
    field = str(detail.get("field") or "")
    reason = str(detail.get("reason") or "")
    if not field:
        field = next((name for name in _UPSTREAM_PROBLEMS if reason.startswith(name)), "")
    return str(_UPSTREAM_PROBLEMS.get(field, error.message))


def datasets(request: HttpRequest) -> HttpResponse:
    """The officer's departments' published resources and whether the platform holds their data."""
    user = _staff(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    departments = editable_departments(user)
    if not departments.exists():
        raise DjangoPermissionDenied
    return render(
        request,
        "exchange/datasets.html",
        {"resources": selectors.hostable_resources(departments)},
    )


def dataset(request: HttpRequest, slug: str) -> HttpResponse:
    """Register a resource as hosted, upload its data and read its versions."""
    user = _staff(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    try:
        resource = access_resource_by_code(user, slug)
    except NotFound:
        raise Http404 from None
    hosted = getattr(resource, "hosted_dataset", None)
    # A resource served from the provider's own API is not hosted, and cannot
    # be: the page says so instead of offering a registration that the action
    # refuses as "already hosted".
    proxied = selectors.proxied_dataset_of(resource) if hosted is None else None
    # A retired (已下架) resource's hosted data stays on view with its
    # versions, and the page says why it takes no more uploads.
    retired = resource.state == ResourceState.RETIRED and hosted is not None
    if not may_edit(user, resource) or (resource.state != ResourceState.PUBLISHED and not retired):
        raise Http404
    items = list(resource.items.order_by("position"))
    report = None
    removes = request.method == "POST" and request.POST.get("serve") == "remove_proxied"
    unserved = hosted is None and proxied is None and request.method == "POST" and not removes
    # Two forms register an unserved resource: hosting, or the department's API.
    connects = unserved and request.POST.get("serve") == "proxied"
    registers = unserved and not connects
    register_form = RegisterDatasetForm(request.POST if registers else None, items=items)
    proxied_form = RegisterProxiedForm(
        request.POST if connects else None, items=items, prefix="proxied"
    )
    upload_form = DatasetUploadForm(
        request.POST if hosted is not None and request.method == "POST" else None,
        request.FILES if hosted is not None and request.method == "POST" else None,
    )
    actor = actor_of(user)
    if registers and register_form.is_valid():
        try:
            actions.do_register_hosted_dataset(
                resource, register_form.cleaned_data["key_item_code"], actor=actor
            )
        except ZhengtongError as error:
            register_form.add_error(None, str(error.message))
        else:
            messages.success(request, _("已开始托管该目录的数据，现在可以上传数据文件。"))
            return redirect("exchange:dataset", slug=resource.slug)
    # Only the provider department's own officers load data, or point the
    # exchange at their system; a region-wide post sees the page without
    # the upload form or the API form.
    loads = may_load(user, resource)
    changes_api = proxied is not None and request.POST.get("serve") == "change_proxied"
    change_form = (
        ChangeProxiedForm(
            request.POST if changes_api else None,
            prefix="change",
            initial={
                "base_url": proxied.base_url,
                "path_template": proxied.path_template,
                "max_concurrency": proxied.max_concurrency,
                "batch_deadline": proxied.batch_deadline,
            },
        )
        if proxied is not None
        else None
    )
    if (connects or changes_api or removes) and not loads:
        raise Http404
    # Removal asks first: the first press shows what stops, the confirmed
    # second one disconnects. A second removal (another tab, a resent form)
    # finds nothing connected and says so instead of acting again.
    confirm_removal = removes and proxied is not None and request.POST.get("confirm") != "1"
    if removes and not confirm_removal:
        if proxied is None:
            messages.error(request, _("该目录没有接入部门接口。"))
            return redirect("exchange:dataset", slug=resource.slug)
        try:
            actions.do_remove_proxied_dataset(proxied, actor=actor)
        except ZhengtongError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(
                request, _("已断开部门接口。现在可以托管该目录的数据，或重新接入部门接口。")
            )
        return redirect("exchange:dataset", slug=resource.slug)
    if changes_api and proxied is not None and change_form is not None and change_form.is_valid():
        try:
            actions.do_change_proxied_dataset(proxied, change_form.changes(), actor=actor)
        except ZhengtongError as error:
            change_form.add_error(None, _upstream_problem(error))
        else:
            messages.success(request, _("接口设置已修改，下一次共享调用起生效。"))
            return redirect("exchange:dataset", slug=resource.slug)
    if connects and proxied_form.is_valid():
        data = proxied_form.cleaned_data
        try:
            actions.do_register_proxied_dataset(
                resource,
                data["key_item_code"],
                data["base_url"].strip(),
                actor=actor,
                path_template=data["path_template"].strip(),
                auth_header=data["auth_header"],
                max_concurrency=data["max_concurrency"],
                batch_deadline=data["batch_deadline"],
            )
        except ZhengtongError as error:
            proxied_form.add_error(None, _upstream_problem(error))
        else:
            messages.success(request, _("已接入部门接口，共享调用将经该接口查询数据。"))
            return redirect("exchange:dataset", slug=resource.slug)
    if request.method == "POST" and hosted is not None and not loads:
        raise Http404
    if request.method == "POST" and hosted is not None and upload_form.is_valid():
        dataset = access_own_hosted_dataset_by_code(user, resource.code)
        upload = upload_form.cleaned_data["file"]
        data = upload.read()
        try:
            rows = upload_form.rows(data)
            report = actions.do_load_dataset_rows(
                dataset,
                rows,
                actor=actor,
                source_name=str(upload.name or ""),
                sha256=hashlib.sha256(data).hexdigest(),
                keep_problems=True,
            )
        except ZhengtongError as error:
            upload_form.add_error("file", str(error.message))
    served = hosted or proxied
    key_code = served.key_item_code if served is not None else ""
    versions = selectors.dataset_versions(hosted) if hosted is not None else []
    # ``?version=<n>``: an earlier load's report, with the rows it left out.
    if report is None and request.method == "GET":
        shown = _int_param(request, "version")
        report = next((_kept_report(v) for v in versions if v.number == shown), None)
    records = selectors.record_count(hosted) if hosted is not None else 0
    return render(
        request,
        "exchange/dataset.html",
        {
            "resource": resource,
            "hosted": hosted,
            "proxied": proxied,
            "key_name": next((i.name for i in items if i.code == key_code), ""),
            "register_form": register_form,
            "proxied_form": proxied_form,
            "change_form": change_form,
            "upload_form": upload_form,
            "report": report,
            "may_load": loads,
            "confirm_removal": confirm_removal,
            "retired": retired,
            "versions": versions,
            "records": records,
        },
    )


def _kept_report(version: DatasetVersion) -> actions.LoadReport:
    """A load's report as its version kept it."""
    return actions.LoadReport(
        version=version,
        accepted=version.accepted,
        rejected=version.rejected,
        created=version.created,
        updated=version.updated,
        unchanged=version.accepted - version.created - version.updated,
        problems=tuple(
            actions.RowProblem(p.row, p.reason, p.item, code=p.code)
            for p in version.shown_problems()
        ),
    )


# --- 我的数据使用记录 ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Subject:
    """Whose data a page lists: the person, or one enterprise the user acts for."""

    label: str
    key_hash: str


# Uses listed per subject on one page; older ones are reached by "更早的记录".
USES_PER_PAGE = 50


def _subjects(user: User) -> list[Subject]:
    if user.audience not in (Audience.CITIZEN, Audience.ENTERPRISE):
        raise DjangoPermissionDenied
    # A person sees reads of their own data whichever account they log in
    # with: a legal representative's enterprise account is also theirs.
    subjects = []
    if user.person is not None:
        subjects.append(Subject(str(_("本人")), key_hash(user.person.id_number)))
    if user.audience == Audience.ENTERPRISE:
        subjects += [
            Subject(
                _("企业：%(name)s") % {"name": m.enterprise.name},
                key_hash(m.enterprise.credit_code),
            )
            for m in memberships_of(user)
        ]
    return subjects


@dataclass(frozen=True, slots=True)
class UsesSection:
    """One subject's uses on the page, and where its older uses begin."""

    index: int
    subject: Subject
    uses: list[selectors.DataUse]
    older_than: int | None


def _page_of_uses(index: int, subject: Subject, before: int | None) -> UsesSection:
    uses = selectors.data_uses(subject.key_hash, before=before, limit=USES_PER_PAGE + 1)
    more = len(uses) > USES_PER_PAGE
    uses = uses[:USES_PER_PAGE]
    return UsesSection(index, subject, uses, uses[-1].ledger_seq if more and uses else None)


def _int_param(request: HttpRequest, name: str) -> int | None:
    # ASCII digits only, and no more than a row id has (core.converters): str.isdigit
    # also takes "²", which int() refuses, and int() refuses over 4,300 digits.
    value = request.GET.get(name, "")
    return int(value) if re.fullmatch(r"[0-9]{1,18}", value) else None


def my_data_uses(request: HttpRequest) -> HttpResponse:
    """Which department's system read which of my (or my enterprise's) data, when and why.

    ``?subject=<n>&before=<ledger seq>`` lists one subject's older uses.
    """
    user = _staff(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    subjects = _subjects(user)
    chosen, before = _int_param(request, "subject"), _int_param(request, "before")
    if chosen is not None and before is not None and chosen < len(subjects):
        sections = [_page_of_uses(chosen, subjects[chosen], before)]
    else:
        before = None
        sections = [_page_of_uses(n, s, None) for n, s in enumerate(subjects)]
    return render(
        request,
        "exchange/my_data_uses.html",
        {
            "sections": sections,
            "older": before is not None,
            "enterprise": user.audience == Audience.ENTERPRISE,
        },
    )


def my_data_use(request: HttpRequest, seq: int) -> HttpResponse:
    """One use with its ledger entry: the data digest and, once sealed, the inclusion proof."""
    user = _staff(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    found = None
    for subject in _subjects(user):
        found = selectors.data_use(subject.key_hash, seq)
        if found is not None:
            break
    if found is None:
        raise Http404
    state = tree_state()
    sth = latest_signed_tree_head()
    sealed = sth is not None and seq < sth.tree_size
    proof_url = ""
    if sealed and sth is not None:
        proof_url = (
            reverse("api:ledger_inclusion_proof", kwargs={"seq": seq})
            + f"?tree_size={sth.tree_size}"
        )
    return render(
        request,
        "exchange/my_data_use.html",
        {
            "use": found,
            "data_hash": state.hasher.digest(canonical_json(found.data)).hex(),
            "hash_algorithm": state.hasher.name,
            "sealed": sealed,
            "proof_url": proof_url,
        },
    )
