"""The catalog's pages: thin wrappers around access, selectors and actions."""

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from zhengtong.catalog import actions
from zhengtong.catalog.access import (
    access_resource_by_code,
    editable_departments,
    may_edit,
    may_review,
    may_see,
    overseen_department_ids,
    own_entry_states,
    require_edit,
    require_review,
    visible_codes,
    visible_referenced_by,
    visible_related,
    workbench_resources,
)
from zhengtong.catalog.forms import (
    DraftForm,
    NegativeReviewForm,
    ReasonForm,
    ResourceForm,
    RevisionForm,
    SearchForm,
    UploadForm,
)
from zhengtong.catalog.labels import RESOURCE_HEADINGS
from zhengtong.catalog.models import Resource, ResourceRevision
from zhengtong.catalog.permissions import REVIEW_RESOURCES
from zhengtong.catalog.revisions import open_revision, revision_changes, revisions_waiting
from zhengtong.catalog.selectors import (
    SearchFilters,
    negative_line,
    negative_lines_needing_attention,
    negative_list,
    negative_reviews,
    search_resources,
    state_reason,
    taken_codes,
)
from zhengtong.catalog.states import ResourceState, RevisionState
from zhengtong.catalog.xlsx import RowProblem, export_workbook, joined_reasons, parse_workbook
from zhengtong.core.errors import NotFound, ZhengtongError
from zhengtong.core.htmx import is_htmx
from zhengtong.core.models import Department
from zhengtong.core.punctuation import sentences
from zhengtong.core.redirects import posted_form
from zhengtong.identity.actors import actor_of
from zhengtong.identity.permissions import departments_in_scope, has_permission

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def browse(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    filters = form.filters() if form.is_bound else SearchFilters()
    # A query that cannot be searched says why where the results go, instead
    # of listing every entry as if nothing had been asked.
    problems = form.query_problems() if form.is_bound else []
    hits = search_resources(filters) if not problems else []
    context = {"form": form, "hits": hits, "query": filters.query, "problems": problems}
    template = "catalog/browse.html"
    if is_htmx(request):
        template += "#results"
    return render(request, template, context)


def _resource(request: HttpRequest, slug: str) -> Resource:
    try:
        return access_resource_by_code(request.user, slug)
    except NotFound:
        raise Http404 from None


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _detail_page(request, _resource(request, slug))


# The steps the data bureau takes with a reason, which its form asks for.
_REASON_STEPS = ("return", "retire")


def _detail_page(
    request: HttpRequest, resource: Resource, refused: tuple[str, ReasonForm, str] | None = None
) -> HttpResponse:
    """The entry's page; ``refused`` is a step with a reason that was refused: its
    name, its form as filled in and why it was refused."""
    editor = may_edit(request.user, resource)
    reviewer = may_review(request.user, resource)
    offered: list[tuple[str, str]] = []
    if resource.state == ResourceState.DRAFT and editor:
        offered.append(("submit", _("提交审核")))
    if resource.state == ResourceState.SUBMITTED and reviewer:
        offered += [("review", _("审核通过")), ("return", _("退回修改"))]
    if resource.state == ResourceState.REVIEWED and reviewer:
        offered.append(("publish", _("发布")))
    if resource.state == ResourceState.PUBLISHED and reviewer:
        offered.append(("retire", _("下架")))
    # (step, label, its reason form or None); a refused step shows what was typed.
    steps: list[tuple[str, str, ReasonForm | None]] = [
        (step, label, _reason_form(step, refused)) for step, label in offered
    ]
    # A step refused because the entry moved on meanwhile is offered no more:
    # its reason is shown with the refusal, so that it is not lost.
    kept_reason = ""
    if refused is not None and refused[0] not in dict(offered):
        kept_reason = str(refused[1].data.get("reason", ""))
    # Retired entries stay listed, marked as such: a reader following the
    # catalog's links learns that the entry is gone rather than missing.
    related = visible_related(request.user, resource)
    referenced_by = [r for r in visible_referenced_by(request.user, resource) if r not in related]
    context = {
        "resource": resource,
        "items": resource.items.order_by("position"),
        # As the API gives them; a value that is no text is shown as JSON, not as Python.
        "extension": [
            (name, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
            for name, value in resource.extension.items()
        ],
        "related": related,
        "referenced_by": referenced_by,
        "transitions": resource.transitions.order_by("at", "pk") if editor or reviewer else [],
        "state_reason": state_reason(resource),
        "negative_reviews": negative_reviews(resource),
        "revision": open_revision(resource) if editor or reviewer else None,
        "can_revise": editor and resource.state == ResourceState.PUBLISHED,
        "can_edit": editor and resource.state == ResourceState.DRAFT,
        "steps": steps,
        "refusal": refused[2] if refused is not None else "",
        "kept_reason": kept_reason,
    }
    return render(request, "catalog/detail.html", context)


def _reason_form(step: str, refused: tuple[str, ReasonForm, str] | None) -> ReasonForm | None:
    if step not in _REASON_STEPS:
        return None
    if refused is not None and refused[0] == step:
        return refused[1]
    return ReasonForm()


@posted_form(lambda slug, step: reverse("catalog:detail", kwargs={"slug": slug}))
def step(request: HttpRequest, slug: str, step: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    resource = _resource(request, slug)
    actor = actor_of(request.user)
    reason = str(request.POST.get("reason", ""))
    try:
        if step == "submit":
            require_edit(request.user, resource)
            actions.do_submit_resource(resource, actor=actor)
        else:
            require_review(request.user, resource)
            if step == "review":
                actions.do_review_resource(resource, actor=actor, version=_shown_version(request))
            elif step == "return":
                actions.do_return_resource(resource, reason, actor=actor)
            elif step == "publish":
                actions.do_publish_resource(resource, actor=actor)
            elif step == "retire":
                actions.do_retire_resource(resource, reason, actor=actor)
            else:
                raise Http404
    except ZhengtongError as error:
        if error.status == 403:
            raise DjangoPermissionDenied from None
        if step in _REASON_STEPS:
            # The page again, the reason as it was typed and why it was refused,
            # rather than a redirect that would drop what was written.
            return _detail_page(request, resource, _refused_with_reason(request, step, error))
        messages.error(request, _refusal_text(error))
    else:
        messages.success(request, _("操作已完成。"))
    return redirect("catalog:detail", slug=resource.slug)


def _shown_version(request: HttpRequest) -> int | None:
    """The version of the entry or change the page showed, which its approval carries."""
    text = str(request.POST.get("version", ""))
    return int(text) if text.isdecimal() else None


# The refusals name the API's fields; where the form calls one otherwise.
_FORM_FIELDS = {"department_code": "department"}


def _show_refusal(form: forms.Form, error: ZhengtongError) -> None:
    """Put each of the refusal's field reasons beside its field; the rest heads the form."""
    problems = error.detail.get("fields", {})
    if not problems:
        form.add_error(None, str(error.message))
    for field, reason in problems.items():
        field = _FORM_FIELDS.get(field, field)
        form.add_error(field if field in form.fields else None, reason)


def _refusal_text(error: ZhengtongError) -> str:
    """The refusal with each of its fields' reasons, named as the form and workbook name them.

    A draft stored before a rule was made is refused at submission with the
    problems the edit form would show beside their fields.
    """
    parts = [str(error.message)]
    for field, reason in error.detail.get("fields", {}).items():
        if field.startswith("items."):
            code = field.removeprefix("items.")
            parts.append(_("信息项“%(code)s”：%(reason)s") % {"code": code, "reason": reason})
        elif field in RESOURCE_HEADINGS:
            # In the reader's language, as the form's labels: the workbook's
            # Chinese headings are msgids of those labels.
            column = _(RESOURCE_HEADINGS[field])
            parts.append(_("“%(column)s”：%(reason)s") % {"column": column, "reason": reason})
        else:
            parts.append(str(reason))
    return sentences(parts)


def negative(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/negative_list.html", {"entries": negative_list()})


def negative_review(request: HttpRequest, slug: str) -> HttpResponse:
    """The data bureau's periodic review of one negative-list line (``?item=`` names
    an item refused on its own; without it, the whole resource)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    resource = _resource(request, slug)
    if not may_review(request.user, resource):
        raise DjangoPermissionDenied
    item_code = str(request.GET.get("item", ""))
    line = negative_line(resource, item_code)
    # A form posted on a line that left the list meanwhile (made shareable, or
    # its item taken out, by a change applied) is refused by the action, what
    # was typed still in it, rather than with "page not found".
    if line is None and request.method != "POST":
        raise Http404
    initial: dict[str, object] = {}
    if line is not None:
        initial = {
            "legal_basis": line.legal_basis,
            "scope": line.scope,
            "last_review": line.last_review_id,
            "fingerprint": line.fingerprint,
        }
    form = NegativeReviewForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_review_negative_line(
                resource,
                item_code,
                form.to_input(),
                actor=actor_of(request.user),
                last_review=form.cleaned_data["last_review"],
                fingerprint=form.shown_fingerprint(),
            )
        except ZhengtongError as error:
            _show_refusal(form, error)
            if error.code == "stale_negative_review" and "fingerprint" in error.detail:
                # The page now shows the line as it stands, above the form.
                form.add_error(
                    None,
                    _(
                        "您填写的内容仍在下方；请先另行保存这些内容，"
                        "然后请重新加载页面，在这一项现在的内容上填写。"
                    ),
                )
            elif error.code == "stale_negative_review":
                # As for a draft: the form keeps what was typed and the review
                # it was filled in on, so that saving it again is refused too.
                form.add_error(
                    None,
                    _(
                        "您填写的内容仍在下方；请先另行保存这些内容，"
                        "然后请重新加载页面，在最新的复核结果上填写。"
                    ),
                )
        else:
            messages.success(request, _("负面清单复核已记录。"))
            return redirect("catalog:workbench")
    return render(
        request,
        "catalog/negative_review.html",
        {"form": form, "line": line, "item_code": item_code, "resource": resource},
    )


def workbench(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    departments = editable_departments(request.user)
    rows = workbench_resources(request.user)
    # A reviewer with nothing waiting sees an empty list, not a refusal.
    may_review_any = has_permission(request.user, REVIEW_RESOURCES)
    if not departments.exists() and not rows.exists() and not may_review_any:
        raise DjangoPermissionDenied
    lines = negative_lines_needing_attention(overseen_department_ids(request.user))
    return render(
        request,
        "catalog/workbench.html",
        {
            "resources": rows,
            "can_create": departments.exists(),
            "negative_lines": lines,
            "revisions": revisions_waiting(
                departments.values_list("pk", flat=True),
                departments_in_scope(request.user, REVIEW_RESOURCES),
            ),
            # The lines the reader may review: the data bureau's, not the provider's.
            "reviewable": {e.resource.pk for e in lines if may_review(request.user, e.resource)},
        },
    )


def edit(request: HttpRequest, slug: str = "") -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    departments = editable_departments(request.user)
    resource = _resource(request, slug) if slug else None
    if resource is not None:
        if not may_edit(request.user, resource):
            raise DjangoPermissionDenied
        if resource.state != ResourceState.DRAFT and request.method != "POST":
            # The form of an entry submitted meanwhile (by a colleague, or from
            # another tab): its page says where it stands, where a refusal
            # would read as having no right to it. A form posted all the same
            # is refused by the action, what was typed still in it.
            messages.error(request, _("只有草稿可以修改。"))
            return redirect("catalog:detail", slug=resource.slug)
    elif not departments.exists():
        raise DjangoPermissionDenied
    form: ResourceForm
    if resource is None:
        form = ResourceForm(request.POST or None, departments=departments, principal=request.user)
    else:
        initial = ResourceForm.initial_from(resource, request.user)
        form = DraftForm(
            request.POST or None,
            initial={**initial, "version": resource.version},
            departments=departments,
            principal=request.user,
        )
    if request.method == "POST" and form.is_valid():
        actor = actor_of(request.user)
        try:
            if resource is None:
                resource = actions.do_create_resource(
                    form.cleaned_data["department"], form.to_input(), actor=actor, sees=form.sees
                )
            else:
                resource = actions.do_update_resource(
                    resource,
                    form.to_input(),
                    actor=actor,
                    sees=form.sees,
                    department_code=form.cleaned_data["department"].code,
                    version=form.cleaned_data["version"],
                )
        except ZhengtongError as error:
            _show_refusal(form, error)
            code = str(error.detail.get("code", ""))
            own = own_entry_states(request.user, [code]) if error.code == "code_taken" else {}
            if resource is None and own:
                # Saved once already (a second click, or the form again after
                # going back): say so, lest the entry be made again under another code.
                form.add_error(
                    "code",
                    _(
                        "资源代码“%(code)s”已是您部门的目录（%(state)s），本次未重复新建；"
                        "如需修改，请在该目录的页面上修改。"
                    )
                    % {"code": code, "state": own[code]},
                )
            if error.code == "stale_draft":
                # As for a change: the form keeps what was typed and the
                # version it was filled in on, so that saving it again is refused too.
                form.add_error(
                    None,
                    _(
                        "您填写的内容仍在下方；请先另行保存这些内容，"
                        "然后请重新加载页面，在最新的草稿上修改。"
                    ),
                )
        else:
            messages.success(request, _("草稿已保存。"))
            return redirect("catalog:detail", slug=resource.slug)
    return render(request, "catalog/edit.html", {"form": form, "resource": resource})


def upload(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    departments = editable_departments(request.user)
    if not departments.exists():
        raise DjangoPermissionDenied
    form = UploadForm(request.POST or None, request.FILES or None, departments=departments)
    problems: list[RowProblem] = []
    created: list[Resource] = []
    if request.method == "POST" and form.is_valid():
        user = request.user
        parsed = parse_workbook(
            form.cleaned_data["file"],
            taken=taken_codes,
            visible=lambda codes: visible_codes(user, codes),
            own=lambda codes: own_entry_states(user, codes),
        )
        problems = list(parsed.problems)
        if parsed.resources:
            try:
                created = actions.do_import_resources(
                    form.cleaned_data["department"],
                    parsed.resources,
                    actor=actor_of(user),
                    sees=lambda r: may_see(user, r),
                )
            except ZhengtongError as error:
                # A code taken, or a related entry gone, since the workbook was
                # read: nothing was imported.
                fields = error.detail.get("fields", {})
                reason = joined_reasons([str(error.message), *fields.values()])
                problems.insert(0, RowProblem("", 0, reason))
    return render(
        request,
        "catalog/upload.html",
        {"form": form, "problems": problems, "created": created},
    )


def export(request: HttpRequest) -> HttpResponse:
    """The published catalog, or with ?mine=1 the officer's own entries, as a workbook."""
    if request.GET.get("mine") and request.user.is_authenticated:
        resources = list(workbench_resources(request.user))
    else:
        resources = list(Resource.objects.filter(state=ResourceState.PUBLISHED))
    # A published entry may link to a draft that the reader is not to learn of.
    workbook = export_workbook(resources, lambda r: visible_related(request.user, r))
    response = HttpResponse(workbook, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="catalog.xlsx"'
    return response


# --- changes of published entries (目录变更) ------------------------------------------


def _revision_of(request: HttpRequest, slug: str) -> tuple[Resource, ResourceRevision | None]:
    """The entry and its open change (None when it has none), for its officers and
    the data bureau."""
    resource = _resource(request, slug)
    if not (may_edit(request.user, resource) or may_review(request.user, resource)):
        raise Http404
    return resource, open_revision(resource)


def _no_open_revision(request: HttpRequest, resource: Resource) -> HttpResponse:
    # The change was applied, discarded or retired with its entry since the
    # page was opened (by a colleague, or by a second click): the entry's
    # page says so, where a "page not found" would leave the reader guessing.
    messages.error(request, _("这条目录没有未完成的变更。"))
    return redirect("catalog:detail", slug=resource.slug)


def revision(request: HttpRequest, slug: str) -> HttpResponse:
    """The open change: what it changes, its form for the officers while a draft,
    and the data bureau's decision once submitted."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    resource, change = _revision_of(request, slug)
    if change is None:
        return _no_open_revision(request, resource)
    data = request.POST if request.method == "POST" else None
    return _revision_page(request, resource, change, data)


def _revision_page(
    request: HttpRequest,
    resource: Resource,
    change: ResourceRevision,
    data: QueryDict | None,
    refused: tuple[str, ReasonForm, str] | None = None,
) -> HttpResponse:
    """The change's page; ``data`` is the officers' form as posted, ``refused`` a step
    with a reason that was refused (its name, its form as filled in, why)."""
    editing = may_edit(request.user, resource) and change.state == RevisionState.DRAFT
    form = None
    # A form posted on a change submitted meanwhile is refused by the action,
    # what was typed still in it, rather than with a refusal of the page.
    if editing or (data is not None and may_edit(request.user, resource)):
        initial = ResourceForm.initial_from_input(
            actions.input_from_json(change.content), resource.provider.code, request.user
        )
        form = RevisionForm(
            data or None,
            initial={**initial, "version": change.version},
            departments=Department.objects.filter(pk=resource.provider_id),
            principal=request.user,
        )
        if data is not None and form.is_valid():
            try:
                actions.do_update_revision(
                    change,
                    form.to_input(),
                    actor=actor_of(request.user),
                    sees=form.sees,
                    version=form.cleaned_data["version"],
                    department_code=form.cleaned_data["department"].code,
                )
            except ZhengtongError as error:
                _show_refusal(form, error)
                if error.code == "stale_revision":
                    # The form keeps what was typed, and the version it was
                    # filled in on, so that saving it again is refused too.
                    form.add_error(
                        None,
                        _(
                            "您填写的内容仍在下方；请先另行保存这些内容，"
                            "然后请重新加载页面，在最新的变更草稿上修改。"
                        ),
                    )
            else:
                messages.success(request, _("变更草稿已保存。"))
                return redirect("catalog:revision", slug=resource.slug)
    elif data is not None:
        raise DjangoPermissionDenied
    offered: list[tuple[str, str]] = []
    if editing:
        offered += [("submit", _("提交变更")), ("discard", _("撤销变更"))]
    if change.state == RevisionState.SUBMITTED and may_review(request.user, resource):
        offered += [("apply", _("审核通过，变更生效")), ("return", _("退回修改"))]
    steps = [(step, label, _reason_form(step, refused)) for step, label in offered]
    kept_reason = ""
    if refused is not None and refused[0] not in dict(offered):
        kept_reason = str(refused[1].data.get("reason", ""))
    context = {
        "resource": resource,
        "revision": change,
        "changes": revision_changes(change, request.user),
        "form": form,
        "steps": steps,
        "refusal": refused[2] if refused is not None else "",
        "kept_reason": kept_reason,
    }
    return render(request, "catalog/revision.html", context)


def _refused_with_reason(
    request: HttpRequest, step: str, error: ZhengtongError
) -> tuple[str, ReasonForm, str]:
    """The refused step, its reason form as typed, and why it was refused: beside the
    reason when the reason was at fault, above the steps otherwise."""
    form = ReasonForm(request.POST)
    form.is_valid()
    about_reason = "reason" in error.detail.get("fields", {}) or error.code == "reason_required"
    if about_reason:
        form.add_error("reason", str(error.message))
    return step, form, "" if about_reason else _refusal_text(error)


@posted_form(lambda slug, step: reverse("catalog:revision", kwargs={"slug": slug}))
def revision_step(request: HttpRequest, slug: str, step: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    resource = _resource(request, slug)
    actor = actor_of(request.user)
    reason = str(request.POST.get("reason", ""))
    try:
        if step == "open":
            require_edit(request.user, resource)
            actions.do_open_revision(resource, actor=actor)
            return redirect("catalog:revision", slug=resource.slug)
        resource, change = _revision_of(request, slug)
        if change is None:
            return _no_open_revision(request, resource)
        if step in ("submit", "discard"):
            require_edit(request.user, resource)
            if step == "submit":
                actions.do_submit_revision(change, actor=actor)
            else:
                actions.do_discard_revision(change, actor=actor)
        elif step in ("apply", "return"):
            require_review(request.user, resource)
            if step == "apply":
                actions.do_apply_revision(change, actor=actor, version=_shown_version(request))
            else:
                actions.do_return_revision(change, reason, actor=actor)
        else:
            raise Http404
    except ZhengtongError as error:
        if error.status == 403:
            raise DjangoPermissionDenied from None
        still_open = open_revision(resource)
        if step == "return" and still_open is not None:
            # As for an entry's return: what was typed stays, with why it was refused.
            refused = _refused_with_reason(request, step, error)
            return _revision_page(request, resource, still_open, None, refused)
        messages.error(request, _refusal_text(error))
        if still_open is not None:
            return redirect("catalog:revision", slug=resource.slug)
    else:
        messages.success(request, _("操作已完成。"))
        if step in ("submit", "return"):
            return redirect("catalog:revision", slug=resource.slug)
    return redirect("catalog:detail", slug=resource.slug)
