"""The catalog API, mounted at /api/catalog/.

Reading the published catalog, the negative list and the DCAT export is public;
data officers and the data bureau write with their session.
"""

from dataclasses import asdict
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from zhengtong.catalog import actions
from zhengtong.catalog.access import (
    Principal,
    access_department_for_editing,
    access_resource_by_code,
    may_edit,
    may_review,
    may_see,
    require_edit,
    require_review,
    visible_referenced_by,
    visible_related,
)
from zhengtong.catalog.actions import ItemInput, NegativeReviewInput, ResourceInput
from zhengtong.catalog.models import Resource, ResourceRevision
from zhengtong.catalog.revisions import open_revision, revision_changes, revision_content
from zhengtong.catalog.schemas import (
    ItemOut,
    NegativeEntryOut,
    NegativeReviewIn,
    ResourceDraftIn,
    ResourceIn,
    ResourceOut,
    ResourceReasonIn,
    ResourceSummaryOut,
    RevisionChangeOut,
    RevisionIn,
    RevisionOut,
)
from zhengtong.catalog.selectors import (
    FILTER_CHOICES,
    MAX_QUERY_LENGTH,
    NegativeEntry,
    SearchFilters,
    dcat_catalog,
    filter_problems,
    negative_line,
    negative_list,
    open_resources,
    search_resources,
    state_reason,
)
from zhengtong.core.errors import InvalidInput, NotFound
from zhengtong.core.punctuation import listed
from zhengtong.core.schemas import ERROR_RESPONSES, ErrorOut
from zhengtong.identity.actors import actor_of
from zhengtong.identity.auth import session_auth

router = Router(tags=["catalog"])
ERRORS = ERROR_RESPONSES


class ResourceSearchIn(Schema):
    q: str = Field("", max_length=MAX_QUERY_LENGTH, description="words to search for")
    category: str = Field("", description="类: 1, 2 or 3; empty for all")
    provider: str = Field("", description="the provider department's code; empty for all")
    share_attribute: str = Field(
        "", description="unconditional, conditional or none; empty for all"
    )


def summary_out(resource: Resource, score: int = 0) -> ResourceSummaryOut:
    return ResourceSummaryOut(
        code=resource.code,
        name=resource.name,
        classification=resource.classification,
        provider_code=resource.provider.code,
        provider_name=resource.provider.name,
        share_attribute=resource.share_attribute,
        open_attribute=resource.open_attribute,
        state=resource.state,
        score=score,
    )


def resource_out(resource: Resource, principal: Principal) -> ResourceOut:
    return ResourceOut(
        **summary_out(resource).dict(),
        version=resource.version,
        abstract=resource.abstract,
        keywords=resource.keywords,
        format=resource.format,
        share_conditions=resource.share_conditions,
        share_method=resource.share_method,
        open_conditions=resource.open_conditions,
        update_cycle=resource.update_cycle,
        legal_basis=resource.legal_basis,
        publish_date=resource.publish_date,
        related=[r.code for r in visible_related(principal, resource)],
        referenced_by=[r.code for r in visible_referenced_by(principal, resource)],
        extension=resource.extension,
        state_reason=state_reason(resource),
        items=[
            ItemOut(
                code=i.code,
                name=i.name,
                data_type=i.data_type,
                length=i.length,
                is_personal=i.is_personal,
                sensitivity=i.sensitivity,
                share_attribute=i.effective_share,
                legal_basis=i.legal_basis,
            )
            for i in resource.items.order_by("position")
        ],
    )


def resource_input(payload: ResourceIn) -> ResourceInput:
    data = payload.dict()
    items = [ItemInput(**item) for item in data.pop("items")]
    data.pop("department_code")
    data.pop("version", None)
    return ResourceInput(**data, items=items)


def _invalid_filter(filters: SearchFilters) -> InvalidInput | None:
    # A filter that names no value there is would answer an empty list, which
    # reads as "nothing of the kind published": the caller is told instead.
    problems = filter_problems(filters)
    if not problems:
        return None
    values = {
        "category": filters.category,
        "provider": filters.provider,
        "share_attribute": filters.share_attribute,
    }
    named = listed(f"{name}=“{values[name]}”" for name in problems)
    return InvalidInput(
        _("查询条件的值不是可选的值：%(filters)s。") % {"filters": named},
        code="invalid_filter",
        status=422,
        detail={
            "fields": problems,
            "accepted": {name: FILTER_CHOICES[name] for name in problems if name in FILTER_CHOICES},
        },
    )


@router.get("/resources", response=list[ResourceSummaryOut])
def list_resources(
    request: HttpRequest, filters: Query[ResourceSearchIn]
) -> list[ResourceSummaryOut]:
    """Search the published catalog (Chinese words are cut with rjieba), best match first.

    A filter whose value is not one there is (a category other than 1, 2 and 3,
    an unknown department code) is refused with ``invalid_filter``.
    """
    search = SearchFilters(filters.q, filters.category, filters.provider, filters.share_attribute)
    refusal = _invalid_filter(search)
    if refusal is not None:
        raise refusal
    hits = search_resources(search)
    return [summary_out(hit.resource, hit.score) for hit in hits]


@router.get("/resources/{slug}", response={200: ResourceOut, 404: ErrorOut})
def get_resource(request: HttpRequest, slug: str) -> ResourceOut:
    """One entry with its items; the code's "/" is written "-" in the address."""
    return resource_out(access_resource_by_code(request.user, slug), request.user)


@router.get("/negative-list", response=list[NegativeEntryOut])
def get_negative_list(request: HttpRequest) -> list[NegativeEntryOut]:
    """The 不予共享 resources and items with their legal basis, scope and review date."""
    return [negative_entry_out(e) for e in negative_list()]


def negative_entry_out(e: NegativeEntry) -> NegativeEntryOut:
    return NegativeEntryOut(
        resource_code=e.resource.code,
        resource_name=e.resource.name,
        provider_name=e.resource.provider.name,
        item_code=e.item.code if e.item else "",
        item_name=e.item.name if e.item else "",
        legal_basis=e.legal_basis,
        scope=e.scope,
        review_date=e.review_date,
        missing=e.missing,
        review_due=e.review_due,
        last_review_id=e.last_review_id,
        fingerprint=e.fingerprint,
    )


@router.get("/dcat.jsonld", response=dict[str, Any], url_name="catalog_dcat")
def dcat(request: HttpRequest) -> dict[str, Any]:
    """The open part of the published catalog as DCAT-AP JSON-LD."""
    base = f"{request.scheme}://{request.get_host()}"
    return dcat_catalog(base, list(open_resources()))


@router.post("/resources", response={201: ResourceOut, **ERRORS}, auth=session_auth)
def create_resource(request: HttpRequest, payload: ResourceIn) -> Status[ResourceOut]:
    """Create a draft for one of the departments where you are a data officer.

    A review date (``review_date``, of the entry or an item) before today is
    refused with ``review_date_in_past`` (400), the fields named in
    ``detail.fields``.
    """
    department = access_department_for_editing(request.user, payload.department_code)
    resource = actions.do_create_resource(
        department,
        resource_input(payload),
        actor=actor_of(request.user),
        sees=lambda r: may_see(request.user, r),
    )
    return Status(201, resource_out(resource, request.user))


@router.put("/resources/{slug}", response={200: ResourceOut, **ERRORS}, auth=session_auth)
def update_resource(request: HttpRequest, slug: str, payload: ResourceDraftIn) -> ResourceOut:
    """Replace a draft's content.

    Send the ``version`` you read: if the draft was saved since (by another
    officer), the save is refused with ``stale_draft`` (409) and nothing is
    written over.

    ``department_code`` must be the entry's provider: another is refused with
    ``department_fixed`` (400). ``related`` names only entries you may see, as
    the answer lists them; links to entries you may not see stay. A review
    date set or changed to a day before today is refused with
    ``review_date_in_past`` (400); one the draft held already is kept.
    """
    resource = access_resource_by_code(request.user, slug)
    require_edit(request.user, resource)
    changed = actions.do_update_resource(
        resource,
        resource_input(payload),
        actor=actor_of(request.user),
        sees=lambda r: may_see(request.user, r),
        department_code=payload.department_code,
        version=payload.version,
    )
    return resource_out(changed, request.user)


def _step(
    request: HttpRequest, slug: str, step: str, reason: str = "", version: int | None = None
) -> ResourceOut:
    resource = access_resource_by_code(request.user, slug)
    actor = actor_of(request.user)
    if step == "submit":
        require_edit(request.user, resource)
        return resource_out(actions.do_submit_resource(resource, actor=actor), request.user)
    require_review(request.user, resource)
    if step == "review":
        changed = actions.do_review_resource(resource, actor=actor, version=version)
    elif step == "return":
        changed = actions.do_return_resource(resource, reason, actor=actor)
    elif step == "publish":
        changed = actions.do_publish_resource(resource, actor=actor)
    else:
        changed = actions.do_retire_resource(resource, reason, actor=actor)
    return resource_out(changed, request.user)


@router.post("/resources/{slug}/submit", response={200: ResourceOut, **ERRORS}, auth=session_auth)
def submit_resource(request: HttpRequest, slug: str) -> ResourceOut:
    """Send a draft to the data bureau for review."""
    return _step(request, slug, "submit")


@router.post("/resources/{slug}/review", response={200: ResourceOut, **ERRORS}, auth=session_auth)
def review_resource(request: HttpRequest, slug: str, version: int | None = None) -> ResourceOut:
    """Approve a submitted entry (data bureau).

    ``?version=`` the entry's version as you read it: an entry returned,
    edited and submitted again since is refused with ``stale_review`` (409),
    so that an approval is of the content its reviewer saw.
    """
    return _step(request, slug, "review", version=version)


@router.post("/resources/{slug}/return", response={200: ResourceOut, **ERRORS}, auth=session_auth)
def return_resource(request: HttpRequest, slug: str, payload: ResourceReasonIn) -> ResourceOut:
    """Return a submitted entry to its department's draft, with a reason (data bureau)."""
    return _step(request, slug, "return", payload.reason)


@router.post("/resources/{slug}/publish", response={200: ResourceOut, **ERRORS}, auth=session_auth)
def publish_resource(request: HttpRequest, slug: str) -> ResourceOut:
    """Publish a reviewed entry (data bureau)."""
    return _step(request, slug, "publish")


@router.post("/resources/{slug}/retire", response={200: ResourceOut, **ERRORS}, auth=session_auth)
def retire_resource(request: HttpRequest, slug: str, payload: ResourceReasonIn) -> ResourceOut:
    """Take a published entry out of the catalog (data bureau)."""
    return _step(request, slug, "retire", payload.reason)


@router.post(
    "/resources/{slug}/negative-review",
    response={200: NegativeEntryOut, **ERRORS},
    auth=session_auth,
)
def review_negative_line(
    request: HttpRequest, slug: str, payload: NegativeReviewIn
) -> NegativeEntryOut:
    """Record the periodic review of a published negative-list line (data bureau):
    its legal basis, scope and next review date. What is shared does not change.
    A next review date not after today is refused with ``review_date_in_past`` (400).

    Send the line's ``last_review_id`` as you read it (from the negative list; 0
    for a line never reviewed): if the line was reviewed since, the review is
    refused with ``stale_negative_review`` (409) and nothing is written over;
    the same review sent again by the same reviewer is recorded once and
    answered as the first time. Without it, the review is unconditional.

    Send the line's ``fingerprint`` as you read it, too: if the line's name,
    legal basis, scope or review date changed since (a change of the entry
    applied meanwhile), the review is refused with ``stale_negative_review``
    (409); if the line left the negative list since (made shareable, its item
    taken out), with ``not_on_negative_list`` (409). Without it, the review
    is recorded on the line as it stands."""
    resource = access_resource_by_code(request.user, slug)
    require_review(request.user, resource)
    actions.do_review_negative_line(
        resource,
        payload.item_code,
        NegativeReviewInput(payload.legal_basis, payload.scope, payload.review_date, payload.note),
        actor=actor_of(request.user),
        last_review=payload.last_review_id,
        fingerprint=payload.fingerprint,
    )
    line = negative_line(resource, payload.item_code)
    assert line is not None
    return negative_entry_out(line)


# --- changes of published entries (目录变更) ------------------------------------------


def revision_out(revision: ResourceRevision, principal: Principal) -> RevisionOut:
    return RevisionOut(
        resource_code=revision.resource.code,
        state=revision.state,
        version=revision.version,
        returned_reason=revision.returned_reason,
        content=revision_content(revision, principal),
        changes=[RevisionChangeOut(**asdict(c)) for c in _changes(revision, principal)],
    )


def _changes(revision: ResourceRevision, principal: Principal) -> list[Any]:
    # An applied or discarded change no longer differs from anything shown.
    if revision.state not in ("draft", "submitted"):
        return []
    return revision_changes(revision, principal)


def _open_revision(request: HttpRequest, slug: str) -> ResourceRevision:
    resource = access_resource_by_code(request.user, slug)
    if not (may_edit(request.user, resource) or may_review(request.user, resource)):
        raise NotFound()
    revision = open_revision(resource)
    if revision is None:
        raise NotFound(_("这条目录没有未完成的变更。"), code="no_open_revision")
    return revision


@router.post("/resources/{slug}/revision", response={201: RevisionOut, **ERRORS}, auth=session_auth)
def open_resource_revision(request: HttpRequest, slug: str) -> Status[RevisionOut]:
    """Start a change of a published entry of your department; the entry stays
    published and served until the data bureau applies the change."""
    resource = access_resource_by_code(request.user, slug)
    require_edit(request.user, resource)
    revision = actions.do_open_revision(resource, actor=actor_of(request.user))
    return Status(201, revision_out(revision, request.user))


@router.get("/resources/{slug}/revision", response={200: RevisionOut, **ERRORS}, auth=session_auth)
def get_resource_revision(request: HttpRequest, slug: str) -> RevisionOut:
    """The entry's open change with what it changes (the provider's officers, the data bureau)."""
    return revision_out(_open_revision(request, slug), request.user)


@router.put("/resources/{slug}/revision", response={200: RevisionOut, **ERRORS}, auth=session_auth)
def update_resource_revision(request: HttpRequest, slug: str, payload: RevisionIn) -> RevisionOut:
    """Replace the open change's content (the whole entry as changed; same code and
    provider: another ``department_code`` is refused with ``department_fixed``).

    Send the ``version`` you read: if the change was saved since (by another
    officer, or by a negative-list review carried into it), the save is
    refused with ``stale_revision`` (409) and nothing is written over.
    """
    revision = _open_revision(request, slug)
    require_edit(request.user, revision.resource)
    changed = actions.do_update_revision(
        revision,
        resource_input(payload),
        actor=actor_of(request.user),
        sees=lambda r: may_see(request.user, r),
        version=payload.version,
        department_code=payload.department_code,
    )
    return revision_out(changed, request.user)


def _revision_step(
    request: HttpRequest, slug: str, step: str, reason: str = "", version: int | None = None
) -> RevisionOut:
    revision = _open_revision(request, slug)
    actor = actor_of(request.user)
    if step in ("submit", "discard"):
        require_edit(request.user, revision.resource)
        if step == "submit":
            return revision_out(actions.do_submit_revision(revision, actor=actor), request.user)
        return revision_out(actions.do_discard_revision(revision, actor=actor), request.user)
    require_review(request.user, revision.resource)
    if step == "return":
        return revision_out(actions.do_return_revision(revision, reason, actor=actor), request.user)
    return revision_out(
        actions.do_apply_revision(revision, actor=actor, version=version), request.user
    )


@router.post(
    "/resources/{slug}/revision/submit", response={200: RevisionOut, **ERRORS}, auth=session_auth
)
def submit_resource_revision(request: HttpRequest, slug: str) -> RevisionOut:
    """Send the change to the data bureau (data officer)."""
    return _revision_step(request, slug, "submit")


@router.post(
    "/resources/{slug}/revision/discard", response={200: RevisionOut, **ERRORS}, auth=session_auth
)
def discard_resource_revision(request: HttpRequest, slug: str) -> RevisionOut:
    """Drop a draft change (data officer); the entry stays as it is."""
    return _revision_step(request, slug, "discard")


@router.post(
    "/resources/{slug}/revision/return", response={200: RevisionOut, **ERRORS}, auth=session_auth
)
def return_resource_revision(
    request: HttpRequest, slug: str, payload: ResourceReasonIn
) -> RevisionOut:
    """Return a submitted change to the provider's officers, with a reason (data bureau)."""
    return _revision_step(request, slug, "return", payload.reason)


@router.post(
    "/resources/{slug}/revision/apply", response={200: RevisionOut, **ERRORS}, auth=session_auth
)
def apply_resource_revision(
    request: HttpRequest, slug: str, version: int | None = None
) -> RevisionOut:
    """Approve a submitted change: the published entry becomes what it says (data bureau).

    ``?version=`` the change's version as you read it: a change saved since is
    refused with ``stale_review`` (409).
    """
    return _revision_step(request, slug, "apply", version=version)
