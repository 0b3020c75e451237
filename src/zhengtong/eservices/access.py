"""Who may see and change which service items.

Published and suspended items are public (a suspended guide says so). Drafts
are seen by those who manage the implementing department's items; anyone
else gets the same ``NotFound`` as for a code that does not exist.
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from zhengtong.core.errors import NotFound, PermissionDenied
from zhengtong.core.models import Department
from zhengtong.eservices.models import ServiceItem
from zhengtong.eservices.permissions import MANAGE_ITEMS
from zhengtong.eservices.selectors import with_parts
from zhengtong.eservices.states import ItemState
from zhengtong.identity.models import SystemClient
from zhengtong.identity.permissions import departments_in_scope, has_permission

Principal = AbstractBaseUser | AnonymousUser | SystemClient | None
PUBLIC_STATES = (ItemState.PUBLISHED, ItemState.SUSPENDED)


def may_manage(principal: Principal, item: ServiceItem) -> bool:
    return not isinstance(principal, SystemClient) and has_permission(
        principal, MANAGE_ITEMS, department=item.department
    )


def may_see(principal: Principal, item: ServiceItem) -> bool:
    return item.state in PUBLIC_STATES or may_manage(principal, item)


def access_item_by_code(principal: Principal, code: str) -> ServiceItem:
    """Find an item by its code, or answer NotFound for missing and unseen alike."""
    item = with_parts(ServiceItem.objects.filter(code=code)).first()
    if item is None or not may_see(principal, item):
        raise NotFound()
    return item


def require_manage(principal: Principal, item: ServiceItem) -> None:
    if not may_manage(principal, item):
        raise PermissionDenied()


def managed_departments(principal: Principal) -> QuerySet[Department]:
    if isinstance(principal, SystemClient):
        return Department.objects.none()
    return departments_in_scope(principal, MANAGE_ITEMS).order_by("code")


def access_department_for_items(principal: Principal, department_code: str) -> Department:
    """The department whose items the principal manages, or NotFound."""
    department = managed_departments(principal).filter(code=department_code).first()
    if department is None:
        raise NotFound()
    return department
