"""Who may see and change which catalog entries.

Published and retired entries are public. Drafts and entries under review are
seen by the provider department's data officers and by the data bureau;
anyone else gets the same ``NotFound`` as for a code that does not exist.
Only the provider department's own officers create, import and edit its
entries; the data bureau reviews, publishes and retires them.
"""

from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from zhengtong.catalog.models import Resource
from zhengtong.catalog.permissions import EDIT_RESOURCES, REVIEW_RESOURCES
from zhengtong.catalog.states import ResourceState
from zhengtong.core.errors import NotFound, PermissionDenied
from zhengtong.core.models import Department
from zhengtong.identity.models import SystemClient
from zhengtong.identity.permissions import departments_in_scope, has_permission
from zhengtong.identity.selectors import own_post_departments

Principal = AbstractBaseUser | AnonymousUser | SystemClient | None
PUBLIC_STATES = (ResourceState.PUBLISHED, ResourceState.RETIRED)


def own_department_ids(user: Principal) -> set[int]:
    """The departments whose catalog the user compiles: those of the user's own posts
    that carry the edit permission, whatever the post's reach.

    A region-wide post (the data bureau's administrator) covers every department
    of its region for oversight, but a department's entries are drafted,
    edited and imported by that department's own officers; the data bureau
    reviews them.
    """
    return own_post_departments(user, EDIT_RESOURCES)


def may_edit(user: Principal, resource: Resource) -> bool:
    return resource.provider_id in own_department_ids(user)


def may_review(user: Principal, resource: Resource) -> bool:
    return not isinstance(user, SystemClient) and has_permission(
        user, REVIEW_RESOURCES, department=resource.provider
    )


def may_see(user: Principal, resource: Resource) -> bool:
    return resource.state in PUBLIC_STATES or may_edit(user, resource) or may_review(user, resource)


def access_resource_by_code(principal: Principal, code: str) -> Resource:
    """Find an entry by its code, or by its slug (the code with "-" for "/")."""
    code = code.replace("-", "/")
    resource = Resource.objects.filter(code=code).select_related("provider__region").first()
    if resource is None or not may_see(principal, resource):
        raise NotFound()
    return resource


def visible_related(principal: Principal, resource: Resource) -> list[Resource]:
    """The entry's related entries that the principal may see, by code.

    A published entry may be linked to a draft; whoever may not see the draft
    is not told that it exists.
    """
    related = resource.related.select_related("provider__region").order_by("code")
    return [r for r in related if may_see(principal, r)]


def visible_referenced_by(principal: Principal, resource: Resource) -> list[Resource]:
    """The entries naming this one as related that the principal may see, by code.

    A link belongs to the entry that names it; the named entry shows it here.
    """
    naming = resource.referenced_by.select_related("provider__region").order_by("code")
    return [r for r in naming if may_see(principal, r)]


def visible_codes(principal: Principal, codes: Iterable[str]) -> set[str]:
    """Those of the codes that name entries the principal may see."""
    found = Resource.objects.filter(code__in=list(codes)).select_related("provider__region")
    return {r.code for r in found if may_see(principal, r)}


def own_entry_states(principal: Principal, codes: Iterable[str]) -> dict[str, str]:
    """Those of the codes that name entries the principal compiles and may still
    change (on their pages), with each one's state; a retired entry keeps its
    code for good and is not among them."""
    found = Resource.objects.filter(code__in=list(codes)).exclude(state=ResourceState.RETIRED)
    return {r.code: r.get_state_display() for r in found if may_edit(principal, r)}


def require_edit(principal: Principal, resource: Resource) -> None:
    if not may_edit(principal, resource):
        raise PermissionDenied()


def require_review(principal: Principal, resource: Resource) -> None:
    if not may_review(principal, resource):
        raise PermissionDenied()


def overseen_department_ids(principal: Principal) -> set[int]:
    """The departments whose published entries the principal answers for: its own
    (the data officer) and those its review covers (the data bureau)."""
    if isinstance(principal, SystemClient):
        return set()
    reviewed = departments_in_scope(principal, REVIEW_RESOURCES).values_list("pk", flat=True)
    return own_department_ids(principal) | set(reviewed)


def editable_departments(principal: Principal) -> QuerySet[Department]:
    """The departments the principal may create and import entries for (its own)."""
    return Department.objects.filter(pk__in=own_department_ids(principal)).order_by("code")


def access_department_for_editing(principal: Principal, department_code: str) -> Department:
    department = editable_departments(principal).filter(code=department_code).first()
    if department is None:
        raise NotFound()
    return department


def workbench_resources(principal: Principal) -> QuerySet[Resource]:
    """The unpublished entries the principal works on: its departments' and, for the
    data bureau, everything waiting for review or publication."""
    if isinstance(principal, SystemClient):
        return Resource.objects.none()
    condition = Q(provider__in=own_department_ids(principal))
    condition |= Q(
        provider__in=departments_in_scope(principal, REVIEW_RESOURCES),
        state__in=[ResourceState.SUBMITTED, ResourceState.REVIEWED],
    )
    return (
        Resource.objects.filter(condition)
        .exclude(state__in=PUBLIC_STATES)
        .select_related("provider")
        .order_by("state", "code")
    )
