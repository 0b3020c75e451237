"""Data-quality pages: the panel on a catalog entry's page and the data bureau's overview.

Quality figures are no personal data, so the panel is shown to everyone who
may see the entry. Record values are never shown; example keys (of duplicate
records and of invalid values) only to the provider's data officers and the
data bureau, since the keys of many datasets are 身份证号.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from zhengtong.catalog.access import access_resource_by_code, may_edit, may_review
from zhengtong.catalog.models import Resource, UpdateCycle
from zhengtong.catalog.states import ResourceState
from zhengtong.core.errors import NotFound
from zhengtong.core.htmx import is_htmx
from zhengtong.exchange import quality
from zhengtong.exchange.access import may_oversee, overseen_departments, oversees_provider
from zhengtong.exchange.models import HostedDataset, QualityReport, Timeliness


def _timeliness_view(figures: dict[str, Any], resource: Resource) -> dict[str, Any]:
    timing = dict(figures.get("timeliness", {}))
    for name in ("last_update", "expected", "late_after"):
        value = timing.get(name)
        timing[name] = parse_datetime(value) if value else None
    # The state and the expected update were judged against the cycle of the
    # time of measurement; the entry's cycle may have changed since.
    cycle = timing.get("update_cycle")
    timing["update_cycle_label"] = (
        UpdateCycle(cycle).label
        if cycle in UpdateCycle.values
        else resource.get_update_cycle_display()
    )
    return timing


def panel(request: HttpRequest, slug: str) -> HttpResponse:
    """The latest quality report of a catalog entry's hosted dataset, for the entry's page."""
    try:
        resource = access_resource_by_code(request.user, slug)
    except NotFound:
        raise Http404 from None
    dataset = HostedDataset.objects.filter(resource=resource).first()
    if dataset is None:
        # Not held by the platform: nothing to measure, and nothing to show.
        return HttpResponse("")
    dataset.resource = resource
    report = quality.latest_report(dataset)
    figures = report.figures if report else {}
    context = {
        "resource": resource,
        "report": report,
        "figures": figures,
        "timing": _timeliness_view(figures, resource),
        "history": quality.report_history(dataset, limit=6)[1:] if report else [],
        # Keys identify subjects; only those who fix the data see them.
        "show_keys": may_edit(request.user, resource) or may_review(request.user, resource),
        # The overview lists the departments the reviewer's region reaches:
        # it is offered where it would list this entry.
        "may_oversee": oversees_provider(request.user, resource),
    }
    return render(request, "exchange/quality_panel.html", context)


@dataclass(frozen=True)
class Row:
    dataset: HostedDataset
    report: QualityReport | None

    def figure(self, part: str) -> dict[str, Any]:
        figures: dict[str, Any] = self.report.figures if self.report else {}
        value = figures.get(part)
        return value if isinstance(value, dict) else {}

    @property
    def completeness(self) -> float | None:
        return _number(self.figure("completeness").get("percent"))

    @property
    def validity(self) -> float | None:
        return _number(self.figure("validity").get("percent"))

    @property
    def duplicates(self) -> int | None:
        value = self.figure("duplicates").get("records")
        return int(value) if self.report and value is not None else None

    @property
    def records(self) -> int | None:
        return int(self.report.figures.get("records", 0)) if self.report else None

    @property
    def last_update(self) -> dt.datetime | None:
        value = self.figure("timeliness").get("last_update")
        return parse_datetime(value) if value else None


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


# Sort keys give the worst first; a leading "-" in the address reverses them.
# Datasets never measured count as the worst of all.
_NEVER = float("-inf")
SORTS: dict[str, tuple[Any, Callable[[Row], Any]]] = {
    "score": (_("得分"), lambda r: r.report.score if r.report else _NEVER),
    "completeness": (_("完整性"), lambda r: _or_never(r.completeness)),
    "validity": (_("有效性"), lambda r: _or_never(r.validity)),
    "timeliness": (
        _("及时性"),
        lambda r: quality.TIMELINESS_RANK[Timeliness(r.report.timeliness)] if r.report else _NEVER,
    ),
    "duplicates": (_("重复记录"), lambda r: -r.duplicates if r.duplicates is not None else _NEVER),
    "last_update": (
        _("最后更新"),
        lambda r: r.last_update.timestamp() if r.last_update else _NEVER,
    ),
}


def _or_never(value: float | None) -> float:
    return _NEVER if value is None else value


def overview(request: HttpRequest) -> HttpResponse:
    """Every hosted dataset of the departments the data bureau oversees, worst first."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not may_oversee(request.user):
        raise DjangoPermissionDenied
    sort = str(request.GET.get("sort", "score"))
    reverse = sort.startswith("-")
    column = sort.removeprefix("-")
    if column not in SORTS:
        column, reverse = "score", False
    # As on the requests page, a reviewer oversees the departments its post's
    # region reaches: a district's data bureau its district's, the city's all.
    # Only what is shared: a retired (已下架) entry's dataset takes no more
    # uploads, so it went on to rank among the worst as 更新逾期, a lateness
    # no department can mend.
    datasets = HostedDataset.objects.filter(
        resource__provider__in=overseen_departments(request.user),
        resource__state=ResourceState.PUBLISHED,
    )
    rows = [Row(d, r) for d, r in quality.datasets_with_latest_report(datasets)]
    # Ties keep the catalog's order (by resource code).
    rows.sort(key=lambda r: r.dataset.resource.code)
    rows.sort(key=SORTS[column][1], reverse=reverse)
    columns = [
        (name, label, name == column, f"-{name}" if name == column and not reverse else name)
        for name, (label, _key) in SORTS.items()
    ]
    context = {"rows": rows, "columns": columns, "column": column, "reverse": reverse}
    template = "exchange/quality_overview.html"
    if is_htmx(request):
        template += "#table"
    return render(request, template, context)
