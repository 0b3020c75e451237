"""The regulator's credit-repair queue (信用修复审核): pending requests first, grant or refuse.

Each request is a row with the record, what the enterprise corrected and
promised and what granting would change; the grant and refuse forms swap the
row by htmx (a partial of the same template) and fall back to a redirect
without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from zhengtong.core.errors import ZhengtongError
from zhengtong.core.htmx import is_htmx
from zhengtong.core.redirects import local_path
from zhengtong.identity.actors import actor_of
from zhengtong.identity.auth import page_user
from zhengtong.identity.models import Audience, User
from zhengtong.regulation import credit_access
from zhengtong.regulation import enterprise_selectors as mine
from zhengtong.regulation.models import CreditRepair, RepairState
from zhengtong.regulation.permissions import MANAGE_CREDIT
from zhengtong.regulation.repair_actions import do_decide_credit_repair


def _credit_regulator(request: HttpRequest) -> User | None:
    """The logged-in regulator who decides repairs; None when not logged in; 403 otherwise."""
    return page_user(request, Audience.STAFF, MANAGE_CREDIT)


@dataclass(frozen=True, slots=True)
class RepairRow:
    repair: CreditRepair
    label: str
    state_tag: str
    effect: mine.RepairEffect | None
    # The enterprise's credit file, for a regulator who keeps it; else empty.
    credit_url: str = ""
    grant_error: str = ""
    refuse_error: str = ""
    note: str = ""


def _rows(user: User, repairs: list[CreditRepair], **errors: str) -> list[RepairRow]:
    effects = mine.repair_effects(repairs)
    # The queue's and the credit files' scopes are both the credit posts' regions,
    # but the link is offered only where credit_detail would open the file.
    kept = set(
        credit_access.credit_enterprises(user)
        .filter(pk__in={repair.enterprise_id for repair in repairs})
        .values_list("pk", flat=True)
    )
    return [
        RepairRow(
            repair=repair,
            label=mine.record_label(repair.record),
            state_tag=mine.REPAIR_STATE_TAGS.get(repair.state, ""),
            effect=effects.get(repair.pk),
            credit_url=reverse("regulation:credit_detail", args=[repair.enterprise.credit_code])
            if repair.enterprise_id in kept
            else "",
            **errors,
        )
        for repair in repairs
    ]


@require_safe
def repairs(request: HttpRequest) -> HttpResponse:
    """The repair requests of the regulator's regions: pending first, then the decided."""
    user = _credit_regulator(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    state = request.GET.get("state", "")
    if state not in RepairState.values:
        state = ""
    listed = mine.repair_queue(user, state)
    context = {
        "rows": _rows(user, listed),
        "state": state,
        "states": RepairState.choices,
        "pending": sum(1 for repair in listed if repair.state == RepairState.SUBMITTED),
        "next_url": request.get_full_path(),
    }
    return render(request, "regulation/repair_queue.html", context)


def _queue_url(request: HttpRequest) -> str:
    """The queue as the form's page showed it (its ``next``, say ``?state=submitted``)."""
    queue = reverse("regulation:repairs")
    target = local_path(request, request.POST.get("next"), under=queue)
    # Only the queue itself with its filter, not another page below its path.
    return target if target and urlsplit(target).path == queue else queue


@require_POST
def decide_repair(request: HttpRequest, pk: int) -> HttpResponse:
    """Grant or refuse one request (``decision`` grant or refuse; a refusal needs a note)."""
    user = _credit_regulator(request)
    if user is None:
        return redirect_to_login(reverse("regulation:repairs"))
    try:
        repair = mine.access_repair_for_decision(user, pk)
    except ZhengtongError:
        raise Http404 from None
    grant = request.POST.get("decision") == "grant"
    note = request.POST.get("note", "")
    errors: dict[str, str] = {}
    try:
        do_decide_credit_repair(repair, grant, note, actor=actor_of(user))
    except ZhengtongError as error:
        errors = {"grant_error" if grant else "refuse_error": str(error.message), "note": note}
    if is_htmx(request):
        fresh = mine.access_repair_for_decision(user, pk)
        (row,) = _rows(user, [fresh], **errors)
        context = {"row": row, "next_url": local_path(request, request.POST.get("next"))}
        return render(request, "regulation/repair_queue.html#repair_row", context)
    if errors:
        messages.error(request, errors.get("grant_error") or errors.get("refuse_error", ""))
    elif grant:
        messages.success(request, _("已同意信用修复，企业信用等级已重新评定。"))
    else:
        messages.success(request, _("已决定不予修复。"))
    return redirect(_queue_url(request))
