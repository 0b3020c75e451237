"""Reading accounts, posts, memberships and G2G clients."""

from django.db.models import QuerySet
from django.utils import timezone

from zhengtong.core.models import Department
from zhengtong.identity.models import EnterpriseMembership, Role, StaffPost, SystemClient, User


def posts_of(user: User) -> QuerySet[StaffPost]:
    """Return the user's active posts, with department, role and regions loaded."""
    return (
        StaffPost.objects.filter(user=user, is_active=True)
        .select_related("department__region", "role", "scope_region")
        .order_by("department__code", "role__code")
    )


def memberships_of(user: User) -> QuerySet[EnterpriseMembership]:
    """Return the user's current standing to act for enterprises (expired ones left out)."""
    today = timezone.localdate()
    return (
        EnterpriseMembership.objects.filter(user=user, is_active=True)
        .exclude(valid_until__lt=today)
        .select_related("enterprise")
        .order_by("enterprise__name")
    )


def roles_of(user: User) -> list[Role]:
    """Return the roles the user holds, through posts or by audience."""
    from zhengtong.identity.permissions import grants_of

    codes = {grant.role_code for grant in grants_of(user)}
    return list(Role.objects.filter(code__in=codes).order_by("code"))


def clients_of_departments(departments: QuerySet[Department]) -> QuerySet[SystemClient]:
    """Return the G2G clients of the given departments, revoked ones included."""
    return (
        SystemClient.objects.filter(department__in=departments)
        .select_related("department")
        .order_by("department__code", "name", "id")
    )


def get_role(code: str) -> Role | None:
    """Return the role with this code, or None."""
    return Role.objects.filter(code=code).first()
