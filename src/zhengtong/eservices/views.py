"""The public guide pages (办事指南): thin wrappers around access and selectors."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from zhengtong.core.errors import NotFound
from zhengtong.core.htmx import is_htmx
from zhengtong.eservices.access import access_item_by_code
from zhengtong.eservices.application_actions import (
    applicant_kind_of,
    applicant_kinds_for,
    applicant_refusal,
    enterprise_link_refusal,
    is_application_form,
    needs_no_upload,
)
from zhengtong.eservices.forms import GuideSearchForm
from zhengtong.eservices.selectors import ItemFilters, search_items
from zhengtong.eservices.states import ItemState
from zhengtong.portal.entries import safe_reverse


def guides(request: HttpRequest) -> HttpResponse:
    form = GuideSearchForm(request.GET or None)
    filters = ItemFilters()
    problems: list[str] = []
    if form.is_valid():
        d = form.cleaned_data
        filters = ItemFilters(
            d["q"], d["target"], d["department"].code if d["department"] else "", d["item_type"]
        )
    elif form.is_bound:
        # A search that cannot be run (too long, an unknown department) says
        # why where the results go, instead of listing every item as if asked.
        problems = [str(e) for errors in form.errors.values() for e in errors]
    hits = search_items(filters) if not problems else []
    context = {"form": form, "hits": hits, "query": filters.query, "problems": problems}
    template = "eservices/guides.html"
    if is_htmx(request):
        template += "#results"
    return render(request, template, context)


def apply_url(code: str) -> str:
    """The address of the online application for an item, or "" until that page exists."""
    url = safe_reverse("eservices:apply")
    return f"{url}?item={code}" if url else ""


def guide(request: HttpRequest, code: str) -> HttpResponse:
    try:
        item = access_item_by_code(request.user, code)
    except NotFound:
        raise Http404 from None
    materials = list(item.materials.all())
    online_forms = {m.pk for m in materials if is_application_form(m)}
    published = item.state == ItemState.PUBLISHED
    # Without a process nothing can be applied for online, whatever the guide's
    # data say about 网办深度: the guide sends the applicant to the place instead.
    online = bool(item.process_id)
    # Told before starting, by the rule the submission applies, when the user's kind may not apply.
    refusal = applicant_refusal(item, request.user) if published else ""
    # Staff, or an account without a real-name record: the apply page would
    # refuse them, so the guide offers no button to press.
    no_applicant = request.user.is_authenticated and applicant_kind_of(request.user) is None
    if published and not refusal and no_applicant:
        refusal = _("只有实名认证的个人或企业用户可以在线申请。")
    # The kinds that may apply answer a refusal of the user's kind only.
    kinds = applicant_kinds_for(item) if refusal else []
    if published and not refusal:
        # An enterprise account acting for no enterprise would be asked to
        # choose one after pressing start, with none to choose from.
        refusal = enterprise_link_refusal(request.user)
    context = {
        "item": item,
        "materials": materials,
        "online_forms": online_forms,
        "procedures": list(item.special_procedures.all()),
        "co_departments": list(item.co_departments.all()),
        "exempt_count": sum(1 for m in materials if needs_no_upload(m)),
        "online": online,
        "apply_url": apply_url(item.code) if published and online and not refusal else "",
        "refusal": refusal,
        "applicant_kinds": kinds,
    }
    return render(request, "eservices/guide.html", context)
