"""The portal's pages: parse, check access, call the action, render.

Entry pages are for one audience each. A visitor who is not logged in is sent
to log in; a user of another audience gets the 403 page, which says why.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from zhengtong.core.errors import NotAuthenticated, NotFound, Throttled, ZhengtongError
from zhengtong.core.htmx import is_htmx
from zhengtong.core.masking import mask_address, mask_id_number, mask_name, mask_phone
from zhengtong.core.redirects import local_path, posted_form
from zhengtong.identity.access import access_client_by_id
from zhengtong.identity.actions import (
    do_change_own_password,
    do_issue_client,
    do_log_in,
    do_log_out,
    do_revoke_client,
    do_rotate_client_secret,
)
from zhengtong.identity.actors import actor_of
from zhengtong.identity.models import Audience, SystemClient, User
from zhengtong.identity.permissions import departments_in_scope, role_label, scope_choices
from zhengtong.identity.selectors import clients_of_departments, memberships_of, posts_of
from zhengtong.portal import entries, offerings
from zhengtong.portal.forms import IssueClientForm, LoginForm, PasswordChangeForm

View = Callable[..., HttpResponse]


def entry_page(allows: Callable[[Any], bool], refusal: str | Promise) -> Callable[[View], View]:
    """Guard an entry page: log in first, then the audience rule must allow the user."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return _send_to_log_in(request)
            if not allows(request.user):
                raise PermissionDenied(refusal)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _send_to_log_in(request: HttpRequest) -> HttpResponse:
    if not is_htmx(request):
        return redirect_to_login(request.get_full_path())
    # A partial request whose session ran out: swapping the login page into
    # the section would be wrong, so htmx is told to load it as a page, and to
    # come back to the page the user was on.
    current = urlsplit(request.headers.get("HX-Current-URL", ""))
    back = urlunsplit(("", "", current.path, current.query, "")) or reverse("portal:home")
    response = HttpResponse(status=204)
    response["HX-Redirect"] = redirect_to_login(back).url
    return response


def _known_user(request: HttpRequest) -> User:
    # Only reached behind a guard (entry_page) that turned anonymous visitors away.
    user = request.user
    assert isinstance(user, User)
    return user


# --- public pages ---------------------------------------------------------------------------


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request, "portal/home.html", {"cards": offerings.cards(offerings.PUBLIC_OFFERINGS)}
    )


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    # The static file's address is resolved per request: in production it
    # carries the content hash from the collected files' manifest. Not a
    # permanent redirect: browsers would keep it after the next release
    # changed the hash.
    return HttpResponseRedirect(static("portal/favicon.svg"))


@require_safe
def developer(request: HttpRequest) -> HttpResponse:
    return _render_developer(request)


# --- logging in and out ---------------------------------------------------------------------


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
@never_cache
def log_in(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    if request.method == "GET" and request.user.is_authenticated:
        return redirect(next_url or entries.home_url_for(request.user))
    status = 200
    if request.method == "POST":
        form = LoginForm(request.POST)
        if form.is_valid():
            try:
                user = do_log_in(
                    request, form.cleaned_data["username"], form.cleaned_data["password"]
                )
            except Throttled as exc:
                form.add_error(
                    None,
                    _throttled_text(
                        exc,
                        _("登录失败次数过多，请 %(minutes)d 分钟后再试。"),
                        _("登录失败次数过多，请稍后再试。"),
                    ),
                )
                status = 429
            except NotAuthenticated:
                form.add_error(None, _("用户名或密码不正确。"))
            else:
                return HttpResponseRedirect(next_url or entries.home_url_for(user))
    else:
        form = LoginForm()
    return render(request, "portal/login.html", {"form": form, "next": next_url}, status=status)


def _throttled_text(exc: Throttled, in_minutes: Promise, later: Promise) -> str:
    """When to try again: in so many minutes, or later when the refusal does not say."""
    seconds = exc.detail.get("retry_after")
    if isinstance(seconds, int) and seconds > 0:
        return str(in_minutes) % {"minutes": (seconds + 59) // 60}
    return str(later)


def _safe_next(request: HttpRequest) -> str:
    return local_path(request, request.POST.get("next") or request.GET.get("next"))


@require_POST
def log_out(request: HttpRequest) -> HttpResponse:
    do_log_out(request)
    messages.success(request, _("您已安全退出。"))
    return redirect("portal:home")


# --- pages for logged-in users --------------------------------------------------------------


@login_required
@require_safe
@never_cache
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    person = user.person
    real_name: list[tuple[str | Promise, str]] = []
    if person is not None:
        real_name = [
            (_("姓名"), mask_name(person.name)),
            (_("公民身份号码"), mask_id_number(person.id_number)),
            (_("手机号码"), mask_phone(person.phone) if person.phone else ""),
            (_("住址"), mask_address(person.address) if person.address else ""),
        ]
    context = {
        "account": user,
        "audience_label": user.get_audience_display(),
        "real_name": real_name,
        "memberships": memberships_of(user) if user.audience == Audience.ENTERPRISE else [],
        "posts": _post_rows(user) if user.audience == Audience.STAFF else [],
    }
    return render(request, "portal/profile.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("current", "password", "again")
@never_cache
def change_password(request: HttpRequest) -> HttpResponse:
    """修改密码: the current password, then the new one twice."""
    form = PasswordChangeForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_valid():
        try:
            do_change_own_password(
                request, form.cleaned_data["current"], form.cleaned_data["password"]
            )
        except Throttled as exc:
            form.add_error(
                None,
                _throttled_text(
                    exc,
                    _("密码错误次数过多，请 %(minutes)d 分钟后再试。"),
                    _("密码错误次数过多，请稍后再试。"),
                ),
            )
            status = 429
        except ZhengtongError as error:
            field = "current" if error.code == "wrong_password" else "password"
            form.add_error(field, str(error.message))
        else:
            messages.success(request, _("密码已修改。在其他设备上的登录已经失效。"))
            return redirect("portal:profile")
    return render(request, "portal/change_password.html", {"form": form}, status=status)


@entry_page(
    entries.may_use_citizen_services,
    _("“我要办事”面向以个人身份登录的公众。当前账号不能使用此页面。"),
)
@require_safe
def citizen(request: HttpRequest) -> HttpResponse:
    return render(
        request, "portal/citizen.html", {"cards": offerings.cards(offerings.CITIZEN_OFFERINGS)}
    )


@entry_page(
    entries.may_use_enterprise_services,
    _("“企业服务”面向企业的法定代表人和授权经办人。当前账号不能使用此页面。"),
)
@require_safe
def enterprise(request: HttpRequest) -> HttpResponse:
    user = _known_user(request)
    return render(
        request,
        "portal/enterprise.html",
        {
            "cards": offerings.cards(offerings.ENTERPRISE_OFFERINGS),
            "memberships": memberships_of(user),
        },
    )


@entry_page(entries.may_use_workbench, _("工作台仅供具有工作台权限的工作人员使用。"))
@require_safe
@never_cache
def workbench(request: HttpRequest) -> HttpResponse:
    user = _known_user(request)
    return render(
        request,
        "portal/workbench.html",
        {
            "posts": _post_rows(user),
            "cards": offerings.cards(offerings.WORKBENCH_OFFERINGS, user),
            "audit_url": entries.safe_reverse("ledger:entries")
            if entries.may_view_audit(user)
            else "",
            "may_manage_clients": entries.may_manage_clients(user),
        },
    )


def _post_rows(user: User) -> list[dict[str, Any]]:
    rows = []
    for post in posts_of(user):
        region = post.scope_region or post.department.region
        rows.append(
            {
                "department": post.department.name,
                "role": role_label(post.role),
                "scope": post.get_scope_display(),
                "scope_region": region.name if post.scope == "region" else "",
            }
        )
    return rows


# --- G2G credentials ------------------------------------------------------------------------

# never_cache on the credential views: a secret is in their response only and
# must not stay in any cache.
MANAGE_CLIENTS_REFUSAL = _("只有具有接入系统管理权限的工作人员可以管理接口凭证。")


@entry_page(entries.may_manage_clients, MANAGE_CLIENTS_REFUSAL)
@posted_form("portal:developer")
@never_cache
def issue_client(request: HttpRequest) -> HttpResponse:
    user = _known_user(request)
    form = _issue_form(user, request.POST)
    if not form.is_valid():
        return _render_developer(request, form=form, status=400)
    try:
        client, secret = do_issue_client(
            form.cleaned_data["department"],
            form.cleaned_data["name"],
            form.cleaned_data["scopes"],
            actor=actor_of(user),
        )
    except ZhengtongError as exc:
        field = exc.detail.get("field")
        form.add_error(field if field in form.fields else None, str(exc.message))
        return _render_developer(request, form=form, status=exc.status)
    return _render_developer(
        request,
        revealed={"client": client, "token": f"{client.key_id}.{secret}", "issued": True},
    )


@entry_page(entries.may_manage_clients, MANAGE_CLIENTS_REFUSAL)
@posted_form("portal:developer")
@never_cache
def rotate_client(request: HttpRequest, client_id: int) -> HttpResponse:
    user = _known_user(request)
    client = _access_client(user, client_id)
    try:
        secret = do_rotate_client_secret(
            client, actor=actor_of(user), seen_rotation=request.POST.get("seen_rotation")
        )
    except ZhengtongError as exc:
        return _render_developer(request, error=str(exc.message), status=exc.status)
    return _render_developer(
        request,
        revealed={"client": client, "token": f"{client.key_id}.{secret}", "issued": False},
    )


@entry_page(entries.may_manage_clients, MANAGE_CLIENTS_REFUSAL)
@posted_form("portal:developer")
@never_cache
def revoke_client(request: HttpRequest, client_id: int) -> HttpResponse:
    user = _known_user(request)
    client = _access_client(user, client_id)
    try:
        do_revoke_client(client, actor=actor_of(user))
    except ZhengtongError as exc:
        return _render_developer(request, error=str(exc.message), status=exc.status)
    return _render_developer(
        request, notice=_("已吊销“%(name)s”的接口凭证。") % {"name": client.name}
    )


def _access_client(user: User, client_id: int) -> SystemClient:
    try:
        return access_client_by_id(user, client_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _issue_form(user: User, data: Any = None) -> IssueClientForm:
    return IssueClientForm(
        data,
        departments=departments_in_scope(user, "identity.manage_clients"),
        scope_choices=scope_choices(),
    )


def _focus_first_error(form: IssueClientForm) -> None:
    # After a swap or a reload the keyboard and screen reader land on what went wrong.
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs["autofocus"] = True
            return


def _render_developer(
    request: HttpRequest,
    *,
    form: IssueClientForm | None = None,
    revealed: dict[str, Any] | None = None,
    notice: str | Promise | None = None,
    error: str | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "api_docs_url": reverse("api:openapi-view"),
        "api_root": request.build_absolute_uri("/api/"),
        "may_manage_clients": entries.may_manage_clients(request.user),
        "revealed": revealed,
        "notice": notice,
        "error": error,
    }
    if context["may_manage_clients"]:
        user = _known_user(request)
        departments = departments_in_scope(user, "identity.manage_clients")
        context["clients"] = clients_of_departments(departments)
        context["form"] = form or _issue_form(user)
        if form is not None:
            _focus_first_error(form)
    template = "portal/developer.html"
    if is_htmx(request) and request.method == "POST":
        template += "#client-management"
    return render(request, template, context, status=status)
