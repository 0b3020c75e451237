"""The licences' pages: public verification, 我的证照, printing, share links, and
the issuing department's list of the licences it issued, where one is revoked."""

import base64
import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from zhengtong.core.errors import NotFound, ZhengtongError
from zhengtong.identity.actors import actor_of
from zhengtong.licences import actions, presentation, selectors
from zhengtong.licences.access import (
    access_issued_licence,
    access_licence_by_number,
    access_licence_share,
    holders_of,
    issued_licences,
    my_licences,
)
from zhengtong.licences.models import Licence, LicenceShare
from zhengtong.licences.pdf import licence_pdf
from zhengtong.licences.qr import qr_svg, verification_url
from zhengtong.licences.selectors import ShareState
from zhengtong.licences.sharing import DEFAULT_SHARE_DAYS, SHARE_DAYS, share_token

PRINT_CSS = Path(__file__).resolve().parent / "static" / "licences" / "print.css"


def _licence_context(
    request: HttpRequest, licence: Licence, *, masked: bool, digest: str | None = None
) -> dict[str, Any]:
    url = verification_url(licence, request)
    verification = selectors.verify_licence(licence, digest)
    return {
        "licence": licence,
        "verification": verification,
        "void": presentation.void_notice(licence, verification.status),
        "rows": presentation.field_rows(licence, masked=masked),
        "holder_name": presentation.holder_name(licence, masked=masked),
        "holder_id": presentation.holder_id(licence, masked=masked),
        "verification_url": url,
        "qr": qr_svg(url),
    }


def _holder_context(request: HttpRequest, licence: Licence) -> dict[str, Any]:
    """The licence as its holder sees it: in full, and with a QR code only while it is valid."""
    context = _licence_context(request, licence, masked=False)
    withheld = presentation.qr_withheld_reason(context["verification"].status)
    if withheld is not None:
        context["qr"] = None
    context["qr_withheld"] = withheld
    return context


def verify(request: HttpRequest, number: str) -> HttpResponse:
    """Anyone, without logging in: is this licence genuine and in force?"""
    licence = selectors.licence_by_number(number)
    if licence is None:
        return render(request, "licences/verify.html", {"number": number}, status=404)
    context = _licence_context(request, licence, masked=True, digest=request.GET.get("s") or None)
    verification = context["verification"]
    if not (verification.digest_ok and verification.signature_ok):
        # The code scanned is not this licence's, or its content is not what was
        # signed: no genuine-looking code to pass on.
        context["qr"] = None
    return render(request, "licences/verify.html", context)


def _refuse_on(error: ZhengtongError) -> None:
    if isinstance(error, NotFound):
        raise Http404 from None
    raise DjangoPermissionDenied(str(error.message)) from None


def mine(request: HttpRequest) -> HttpResponse:
    """我的证照: the user's own licences, or their enterprises'."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        holders = holders_of(request.user)
    except ZhengtongError as error:
        _refuse_on(error)
        raise
    licences = [
        (licence, selectors.verify_licence(licence)) for licence in my_licences(request.user)
    ]
    return render(
        request,
        "licences/mine.html",
        {"holders": holders, "licences": licences, "enterprise": len(holders) > 1},
    )


def _my_licence(request: HttpRequest, number: str) -> Licence:
    try:
        return access_licence_by_number(request.user, number)
    except ZhengtongError as error:
        _refuse_on(error)
        raise


@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, number: str) -> HttpResponse:
    """One of my licences in full, with its QR code, print and share links."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    licence = _my_licence(request, number)
    share: LicenceShare | None = None
    share_error = ""
    status = 200
    chosen_days = DEFAULT_SHARE_DAYS
    if request.method == "POST":
        try:
            days = int(request.POST.get("days", ""))
        except ValueError:
            days = 0
        # The form keeps the lifetime just chosen: shown the default again, a
        # holder who shares once more would get a link of another lifetime.
        if days in SHARE_DAYS:
            chosen_days = days
        try:
            share = actions.do_share_licence(licence, days, actor=actor_of(request.user))
        except ZhengtongError as error:
            share_error, status = str(error.message), error.status
    context = _holder_context(request, licence)
    context.update(
        {
            "share_days": SHARE_DAYS,
            "chosen_days": chosen_days,
            "share_error": share_error,
            "share": share,
            "share_url": (
                request.build_absolute_uri(reverse("licences:share", args=[share_token(share.key)]))
                if share
                else ""
            ),
            "open_shares": list(selectors.open_shares_of(licence)),
        }
    )
    return render(request, "licences/detail.html", context, status=status)


@require_POST
def withdraw_share(request: HttpRequest, number: str, share_id: int) -> HttpResponse:
    """Withdraw one of the licence's share links; back to the licence, saying what happened."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("licences:detail", args=[number]))
    try:
        share = access_licence_share(request.user, number, share_id)
    except ZhengtongError as error:
        _refuse_on(error)
        raise
    try:
        actions.do_withdraw_licence_share(share, actor=actor_of(request.user))
    except ZhengtongError as error:
        # Withdrawn meanwhile (another tab, a colleague) or expired: said on the page.
        messages.error(request, str(error.message))
    else:
        until = timezone.localtime(share.expires_at).strftime("%Y-%m-%d %H:%M")
        messages.success(
            request,
            _("已撤回有效期至 %(until)s 的分享链接，持有该链接的人不能再查看这张证照。")
            % {"until": until},
        )
    return redirect("licences:detail", share.licence.number)


@cache
def _print_css() -> tuple[str, str]:
    css = PRINT_CSS.read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return css, f"'sha256-{digest}'"


def printable(request: HttpRequest, number: str) -> HttpResponse:
    """The licence as one self-contained HTML page to print, or as a PDF file (``?download=1``)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    licence = _my_licence(request, number)
    context = _holder_context(request, licence)
    if request.GET.get("download"):
        pdf = licence_pdf(
            licence,
            holder_name=context["holder_name"],
            holder_id=context["holder_id"],
            rows=context["rows"],
            verification_url=context["verification_url"],
            void=context["void"],
            qr_withheld=context["qr_withheld"],
        )
        download = HttpResponse(pdf, content_type="application/pdf")
        download.headers["Content-Disposition"] = f'attachment; filename="{licence.number}.pdf"'
        download.headers["Cache-Control"] = "private, no-store"
        return download
    css, css_hash = _print_css()
    context["css"] = css
    response = HttpResponse(render_to_string("licences/print.html", context, request=request))
    # The page carries its own style so that a saved copy prints the same;
    # the policy admits that one style block by its hash, and the platform's
    # own font (a saved copy opened offline falls back to the system's fonts).
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'self' {css_hash}; font-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )
    return response


def share(request: HttpRequest, token: str) -> HttpResponse:
    """A licence shown to whoever holds its share link, until the link expires or is withdrawn."""
    shared = selectors.shared_licence(token)
    if shared.licence is None or shared.state != ShareState.OPEN:
        # Nothing of the licence: a withdrawn link was sent to someone who
        # should not see it, and an expired or forged one shows nothing either.
        return render(request, "licences/shared.html", {"gone": shared.state}, status=410)
    licence = shared.licence
    context = _licence_context(request, licence, masked=False)
    if not context["verification"].signature_ok:
        # Its content is not what was signed: as on the verification page, no
        # genuine-looking code for the recipient to pass on.
        context["qr"] = None
    # A person's 身份证号 stays masked even for the recipient of a link.
    context["holder_id"] = presentation.holder_id(licence, masked=True)
    context["expires_at"] = shared.expires_at
    return render(request, "licences/shared.html", context)


# --- The issuing department: its licences, and revoking one ------------------------------

ISSUED_PER_PAGE = 50


def issued(request: HttpRequest) -> HttpResponse:
    """已签发证照: the licences the user's departments issued, found by number or holder."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    query = request.GET.get("q", "").strip()
    too_long = len(query) > selectors.MAX_ISSUED_QUERY
    try:
        found = issued_licences(request.user, "" if too_long else query)
    except ZhengtongError as error:
        _refuse_on(error)
        raise
    page = Paginator(found.none() if too_long else found, ISSUED_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "licences/issued.html",
        {
            "query": query,
            "too_long": too_long,
            "max_query": selectors.MAX_ISSUED_QUERY,
            "page": page,
            "rows": [(licence, selectors.verify_licence(licence)) for licence in page],
        },
    )


@require_http_methods(["GET", "POST"])
def issued_detail(request: HttpRequest, number: str) -> HttpResponse:
    """One issued licence in full; its deciders may revoke it with a reason."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        licence = access_issued_licence(request.user, number)
    except ZhengtongError as error:
        _refuse_on(error)
        raise
    reason = ""
    revoke_error = ""
    status = 200
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        try:
            actions.do_revoke_licence(licence, reason, actor=actor_of(request.user))
        except ZhengtongError as error:
            revoke_error, status = str(error.message), error.status
            # Revoked meanwhile by someone else: show it as it now stands.
            licence.refresh_from_db(fields=["revoked_at", "revoke_reason"])
        else:
            return redirect(f"{reverse('licences:issued_detail', args=[licence.number])}?revoked=1")
    context = _licence_context(request, licence, masked=False)
    context.update(
        {
            "reason": reason,
            "revoke_error": revoke_error,
            "max_reason": actions.MAX_REVOKE_REASON,
            "just_revoked": request.GET.get("revoked") == "1" and licence.revoked_at is not None,
        }
    )
    return render(request, "licences/issued_detail.html", context, status=status)
