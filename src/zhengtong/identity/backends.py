"""Django's permission checks answered from the platform's roles.

Django's own screens (the admin site's register pages) ask
``user.has_perm(code)``; for a platform permission code this backend answers
with ``has_permission``, so a role that grants ``core.manage_registers`` opens
the register pages as it opens the platform's own, and Django's model
permissions (never granted here) give nothing. Asked about an object, it
answers for that object's place: a ``Region`` is checked as a region, a
``Department`` as a department.
"""

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from zhengtong.core.models import Department, Region
from zhengtong.identity.permissions import PERMISSIONS, has_permission, regions_in_scope


class RolePermissionBackend(BaseBackend):
    """Answers ``has_perm`` for platform permission codes; authenticates nobody."""

    def has_perm(
        self, user_obj: AbstractBaseUser | AnonymousUser, perm: str, obj: Any = None
    ) -> bool:
        if perm not in PERMISSIONS or not user_obj.is_active:
            return False
        if isinstance(obj, Region):
            return has_permission(user_obj, perm, region=obj)
        if isinstance(obj, Department):
            return has_permission(user_obj, perm, department=obj)
        return obj is None and has_permission(user_obj, perm)

    def regions_with_perm(
        self, user_obj: AbstractBaseUser | AnonymousUser, perm: str
    ) -> QuerySet[Region]:
        """Return the regions for which ``has_perm(user_obj, perm, region)`` says yes.

        The register pages offer these regions only; ``core`` cannot ask the
        roles itself, as it may not depend on this app.
        """
        if perm not in PERMISSIONS or not user_obj.is_active:
            return Region.objects.none()
        return regions_in_scope(user_obj, perm)
