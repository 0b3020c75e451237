"""The auditor's page: search the ledger, and check an entry's proof in the browser."""

from dataclasses import dataclass

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from zhengtong.core.htmx import is_htmx
from zhengtong.ledger.access import access_entries_by_filters, may_view_entries
from zhengtong.ledger.encoding import epoch_micros
from zhengtong.ledger.forms import EntrySearchForm
from zhengtong.ledger.labels import action_label, subject_type_label
from zhengtong.ledger.models import LedgerEntry
from zhengtong.ledger.selectors import EntryFilters, EntryPage, latest_signed_tree_head

PAGE_SIZE = 50


def entries(request: HttpRequest) -> HttpResponse:
    """Search form and results; an htmx request gets only the results partial."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not may_view_entries(request.user):
        raise PermissionDenied
    form = EntrySearchForm(request.GET or None)
    page = EntryPage([], None)
    if not form.is_bound:
        # No search yet: the newest entries.
        page = access_entries_by_filters(request.user, EntryFilters(), limit=PAGE_SIZE)
    elif form.is_valid():
        page = access_entries_by_filters(
            request.user, form.filters(), before=form.cleaned_data.get("before"), limit=PAGE_SIZE
        )
    sth = latest_signed_tree_head()
    context = {
        "form": form,
        "page": page,
        "rows": [_row(entry) for entry in page.entries],
        "sth": sth,
        "sth_root": bytes(sth.root_hash).hex() if sth is not None else "",
        "next_query": _next_query(request, page),
        "sth_url": reverse("api:ledger_latest_sth"),
    }
    template = "ledger/entries.html"
    if is_htmx(request):
        template += "#results"
    return render(request, template, context)


@dataclass(frozen=True, slots=True)
class EntryRow:
    """An entry, its readable names, and what the page's script needs to recompute its leaf."""

    entry: LedgerEntry
    action_label: str
    subject_label: str
    recorded_at_us: int
    data_hash: str
    leaf_hash: str
    proof_url: str


def _row(entry: LedgerEntry) -> EntryRow:
    return EntryRow(
        entry=entry,
        action_label=action_label(entry.action),
        subject_label=subject_type_label(entry.subject_type),
        recorded_at_us=epoch_micros(entry.recorded_at),
        data_hash=bytes(entry.data_hash).hex(),
        leaf_hash=bytes(entry.leaf_hash).hex(),
        proof_url=reverse("api:ledger_inclusion_proof", kwargs={"seq": entry.seq}),
    )


def _next_query(request: HttpRequest, page: EntryPage) -> str:
    if page.next_before is None:
        return ""
    query = request.GET.copy()
    query["before"] = str(page.next_before)
    return query.urlencode()
