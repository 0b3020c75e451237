"""The enterprise's own pages (G2B): credit, monitoring, alarms, inspections and credit repair.

An enterprise user sees the enterprise they act for (a chooser first when
they act for several, ``?uscc=``); staff and citizens are refused (403) and
visitors are sent to log in. The monitoring charts are the regulator's own
(``views.charts_of``) and the alarm rows are laid out by the same helper as
the regulator's page (``views.alarm_rows``), so both sides see one state.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from zhengtong.core.errors import InvalidInput, NotFound, PermissionDenied, ZhengtongError
from zhengtong.core.models import Enterprise
from zhengtong.identity.actors import actor_of
from zhengtong.identity.auth import page_user
from zhengtong.identity.models import Audience, User
from zhengtong.regulation import enterprise_selectors as mine
from zhengtong.regulation import selectors
from zhengtong.regulation.models import CreditRepair
from zhengtong.regulation.problems import field_messages
from zhengtong.regulation.repair_actions import (
    checked_request,
    do_request_credit_repair,
    do_withdraw_credit_repair,
    eligibility_now,
)
from zhengtong.regulation.views import (
    CHART_HEIGHT,
    CHART_WIDTH,
    PLOT_BOTTOM,
    PLOT_LEFT,
    PLOT_RIGHT,
    PLOT_TOP,
    WINDOW,
    Chart,
    alarm_rows,
    charts_of,
)

# The standard credit commitment (信用承诺书) offered in the request form; the
# enterprise may adapt it and must confirm it.
STANDARD_COMMITMENT = gettext_lazy(
    "本企业郑重承诺：已按要求纠正失信行为、履行相关法定义务，所填整改情况和提交的材料真实、"
    "准确、完整；今后将严格遵守法律法规，诚信经营，自觉接受政府部门和社会监督。如有虚假或违反"
    "承诺，愿意承担相应法律责任，并同意将承诺履行情况记入信用记录。"
)


# A record that may be repaired now, or once its wait or the pending request is
# over, has an effect worth showing; the other refusals are final.
_PREDICTABLE = frozenset({"", "repair_too_early", "repair_pending"})


def _enterprise_user(request: HttpRequest) -> User | None:
    """The logged-in enterprise user; None when not logged in; 403 for other accounts."""
    return page_user(request, Audience.ENTERPRISE)


def _my_url(enterprise: Enterprise, anchor: str = "") -> str:
    url = reverse("regulation:my_credit") + "?" + urlencode({"uscc": enterprise.credit_code})
    return url + (f"#{anchor}" if anchor else "")


def _plot() -> dict[str, int]:
    # The regulator's point page lays its charts out with the same numbers.
    return {
        "left": PLOT_LEFT,
        "right": PLOT_RIGHT,
        "top": PLOT_TOP,
        "bottom": PLOT_BOTTOM,
        "label_x": PLOT_LEFT - 5,
        "label_y": CHART_HEIGHT - 7,
        "limit_x": PLOT_LEFT + 4,
    }


@dataclass(frozen=True, slots=True)
class PointBlock:
    summary: selectors.PointSummary
    real_time: bool
    charts: list[Chart]


def _point_blocks(enterprise: Enterprise, now: dt.datetime) -> list[PointBlock]:
    blocks = []
    for summary in mine.points_of(enterprise, now):
        command, charts = charts_of(summary.point, now - WINDOW, now)
        blocks.append(
            PointBlock(summary=summary, real_time=command == selectors.REAL_TIME, charts=charts)
        )
    return blocks


# --- the self-view ---------------------------------------------------------------------------


@require_safe
def my_credit(request: HttpRequest) -> HttpResponse:
    """The enterprise's credit grade and records, repair requests, points, alarms, inspections."""
    user = _enterprise_user(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    enterprises = mine.enterprises_of(user)
    try:
        enterprise = mine.access_enterprise_by_credit_code(user, request.GET.get("uscc", ""))
    except NotFound:
        raise Http404 from None
    except PermissionDenied:
        # No enterprise to act for (an expired authorisation): the chooser says so.
        enterprise = None
    if enterprise is None:
        return render(request, "regulation/my_choose.html", {"enterprises": enterprises})
    now = timezone.now()
    context: dict[str, Any] = {
        "enterprise": enterprise,
        "enterprises": enterprises,
        "file": mine.credit_file(enterprise),
        "points": _point_blocks(enterprise, now),
        "alarm_rows": alarm_rows(mine.alarms_of(enterprise, now)),
        "inspections": mine.inspections_of(enterprise),
        "since": now - WINDOW,
        "until": now,
        "chart_width": CHART_WIDTH,
        "chart_height": CHART_HEIGHT,
        "plot": _plot(),
    }
    return render(request, "regulation/my_credit.html", context)


# --- asking for repair -----------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def my_repair_new(request: HttpRequest, record_id: int) -> HttpResponse:
    """The request form: what the record is, what repair changes, rectification and commitment."""
    user = _enterprise_user(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    try:
        record = mine.access_record_for_member(user, record_id)
    except ZhengtongError:
        raise Http404 from None
    values = {"rectification": "", "commitment": str(STANDARD_COMMITMENT), "confirmed": False}
    errors: dict[str, str] = {}
    problem = ""
    if request.method == "POST":
        values = {
            "rectification": request.POST.get("rectification", ""),
            "commitment": request.POST.get("commitment", ""),
            "confirmed": request.POST.get("confirmed") == "1",
        }
        rectification, commitment = str(values["rectification"]), str(values["commitment"])
        try:
            # The texts' problems are named together with an unchecked confirmation.
            checked_request(rectification, commitment)
        except InvalidInput as error:
            errors = field_messages(error)
        if not values["confirmed"]:
            errors["confirmed"] = _("请阅读并勾选确认信用承诺。")
        if not errors:
            try:
                do_request_credit_repair(
                    record, rectification, commitment, actor=actor_of(user), user=user
                )
            except ZhengtongError as error:
                errors = field_messages(error)
                if not errors:
                    problem = str(error.message)
            else:
                messages.success(request, _("信用修复申请已提交，请等待审核。"))
                return redirect(_my_url(record.enterprise, "repairs"))
    eligibility = eligibility_now(record)
    context = {
        "record": record,
        "label": mine.record_label(record),
        "eligibility": eligibility,
        # Only a record that repair can still lift gets a prediction: for one that
        # takes no points off, or no longer counts, it would foretell a change
        # that no repair makes.
        "effect": mine.repair_effect(record) if eligibility.code in _PREDICTABLE else None,
        "values": values,
        "errors": errors,
        "problem": problem,
        "back_url": _my_url(record.enterprise, "records"),
    }
    return render(
        request, "regulation/my_repair_new.html", context, status=400 if errors or problem else 200
    )


@require_POST
def my_repair_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a pending repair request."""
    user = _enterprise_user(request)
    if user is None:
        return redirect_to_login(reverse("regulation:my_credit"))
    try:
        repair: CreditRepair = mine.access_repair_for_member(user, pk)
    except ZhengtongError:
        raise Http404 from None
    try:
        do_withdraw_credit_repair(repair, actor=actor_of(user), user=user)
    except ZhengtongError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("修复申请已撤回。"))
    return redirect(_my_url(repair.enterprise, "repairs"))
