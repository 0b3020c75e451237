"""Reading accounts, posts, memberships and G2G clients."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import connections, router
from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from zhengtong.core.models import Department
from zhengtong.core.sql import RowLoader, driver_cursor, driver_sql
from zhengtong.identity.models import (
    Audience,
    EnterpriseMembership,
    Role,
    ScopeLevel,
    StaffPost,
    SystemClient,
    User,
)
from zhengtong.identity.permissions import (
    MANAGE_USERS,
    VIEW_USERS,
    departments_in_scope,
    holds_installation_wide,
    regions_in_scope,
)


def posts_of(user: User) -> QuerySet[StaffPost]:
    """Return the user's active posts, with department, role and regions loaded."""
    return (
        StaffPost.objects.filter(user=user, is_active=True)
        .select_related("department__region", "role", "scope_region")
        .order_by("department__code", "role__code")
    )


def own_post_departments(user: object, permission: str) -> set[int]:
    """Return the ids of the active departments the user's own posts with ``permission`` sit in.

    Whatever the posts' reach: a region-wide post may oversee every department
    of its region, but what is a department's own business (its catalog
    entries, its data, the lists headed 本部门) follows the post's department.
    """
    if not isinstance(user, User) or not user.is_active:
        return set()
    return {
        post.department_id
        for post in posts_of(user)
        if permission in post.role.permissions and post.department.is_active
    }


def departments_with_permission(permission: str) -> QuerySet[Department]:
    """Return the active departments where an active account's active post holds ``permission``.

    A post over a region covers that region's departments. Used to offer only
    departments where someone can act on what is sent to them.
    """
    roles = [
        pk
        for pk, permissions in Role.objects.values_list("pk", "permissions")
        if permission in (permissions or [])
    ]
    posts = StaffPost.objects.filter(
        is_active=True, user__is_active=True, role_id__in=roles, department__is_active=True
    )
    covered = Q(pk__in=posts.filter(scope=ScopeLevel.DEPARTMENT).values("department_id"))
    for area, own in posts.filter(scope=ScopeLevel.REGION).values_list(
        "scope_region__path", "department__region__path"
    ):
        path = (area or own).rstrip("/")
        covered |= Q(region__path=path) | Q(region__path__startswith=path + "/")
    return Department.objects.filter(covered, is_active=True)


def memberships_of(user: User) -> QuerySet[EnterpriseMembership]:
    """Return the user's current standing to act for enterprises (expired ones left out)."""
    today = timezone.localdate()
    return (
        EnterpriseMembership.objects.filter(user=user, is_active=True)
        .exclude(valid_until__lt=today)
        .select_related("enterprise")
        .order_by("enterprise__name")
    )


def accounts_acting_for(holder_id: str) -> QuerySet[User]:
    """Return the active accounts of a person (by 身份证号) or that act for an
    enterprise now (by 统一社会信用代码): whom to tell about what they hold."""
    today = timezone.localdate()
    current = EnterpriseMembership.objects.filter(
        enterprise__credit_code=holder_id, is_active=True
    ).exclude(valid_until__lt=today)
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(audience=Audience.CITIZEN, person__id_number=holder_id)
            | Q(audience=Audience.ENTERPRISE, pk__in=current.values("user_id"))
        )
        .order_by("pk")
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


def accounts_managed_by(principal: AbstractBaseUser | AnonymousUser | None) -> QuerySet[User]:
    """Return the accounts the principal administers with ``identity.manage_users``.

    Staff accounts by their active posts' departments; citizen accounts by
    the region of their real-name record and enterprise accounts by the
    region of the enterprises they act for, which only region-wide posts
    reach. Whoever administers every department administers every account,
    those that no department or region places included.
    """
    if holds_installation_wide(principal, MANAGE_USERS):
        return User.objects.all()
    regions = regions_in_scope(principal, MANAGE_USERS)
    public = Q(audience=Audience.CITIZEN, person__region__in=regions) | Q(
        audience=Audience.ENTERPRISE,
        enterprise_memberships__is_active=True,
        enterprise_memberships__enterprise__region__in=regions,
    )
    return User.objects.filter(
        Q(pk__in=_staff_in_scope(principal, MANAGE_USERS))
        | Q(pk__in=User.objects.filter(public).values("pk"))
    )


def accounts_seen_by(principal: AbstractBaseUser | AnonymousUser | None) -> QuerySet[User]:
    """Return the accounts the principal may see: its own, its staff's and those it administers."""
    own = Q(pk=principal.pk) if isinstance(principal, User) and principal.pk else Q(pk__in=[])
    return User.objects.filter(
        own
        | Q(pk__in=_staff_in_scope(principal, VIEW_USERS))
        | Q(pk__in=accounts_managed_by(principal).values("pk"))
    )


def _staff_in_scope(
    principal: AbstractBaseUser | AnonymousUser | None, perm: str
) -> QuerySet[StaffPost, int]:
    """The ids of staff with an active post in a department where the principal holds ``perm``."""
    return StaffPost.objects.filter(
        is_active=True, department__in=departments_in_scope(principal, perm)
    ).values_list("user_id", flat=True)


def acting_for(departments: QuerySet[Department], *, ref_field: str) -> Q:
    """Return a filter on ``ref_field``, an actor reference, for whoever acts for the departments.

    That is the staff who hold or held a post in one of them (what someone did
    before a post ended stays theirs to answer for) and the departments' G2G
    clients, with references made as ``actor_of`` makes them.
    """
    staff = (
        StaffPost.objects.filter(department__in=departments)
        .annotate(ref=Concat(Value("user:"), Cast("user_id", CharField())))
        .values("ref")
    )
    clients = (
        SystemClient.objects.filter(department__in=departments)
        .annotate(ref=Concat(Value("client:"), "key_id"))
        .values("ref")
    )
    return Q(**{f"{ref_field}__in": staff}) | Q(**{f"{ref_field}__in": clients})


def get_role(code: str) -> Role | None:
    """Return the role with this code, or None."""
    return Role.objects.filter(code=code).first()


_CLIENTS = RowLoader(SystemClient, "c")
_CLIENT_DEPARTMENTS = RowLoader(Department, "d")
_ACTIVE_CLIENT_SQL: dict[tuple[str, str], str] = {}


def active_client(key_id: str) -> SystemClient | None:
    """The unrevoked client with this key id, with its department."""
    return _first_active_client("key_id", key_id)


def active_client_named(name: str) -> SystemClient | None:
    """The first issued unrevoked client of this name, with its department."""
    return _first_active_client("name", name)


def _first_active_client(column: str, value: str) -> SystemClient | None:
    # In SQL rather than through the ORM: every G2G call (and every online
    # application's credit check) asks, and building the query cost several
    # times more than running it.
    using = router.db_for_read(SystemClient)
    sql = _ACTIVE_CLIENT_SQL.get((using, column))
    if sql is None:
        quote = connections[using].ops.quote_name
        sql = _ACTIVE_CLIENT_SQL[using, column] = driver_sql(
            using,
            f"SELECT {_CLIENTS.columns(using)}, {_CLIENT_DEPARTMENTS.columns(using)}"  # noqa: S608
            f" FROM {_CLIENTS.table(using)} JOIN {_CLIENT_DEPARTMENTS.table(using)}"
            f" ON d.{quote('id')} = c.{quote('department_id')}"
            f" WHERE c.{quote(column)} = %s AND c.{quote('revoked_at')} IS NULL"
            f" ORDER BY c.{quote('id')} LIMIT 1",
        )
    cursor = driver_cursor(using)
    cursor.execute(sql, [value])
    row = cursor.fetchone()
    if row is None:
        return None
    client = _CLIENTS.load(using, row)
    department = _CLIENT_DEPARTMENTS.load(using, row, _CLIENTS.width)
    SystemClient.department.field.set_cached_value(client, department)
    return client
