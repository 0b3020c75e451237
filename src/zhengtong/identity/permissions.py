"""Permissions are code, roles are data, and staff posts give them a scope.

Every permission code and every G2G API scope is defined here (or in another
app's ``permissions.py``, which ``IdentityConfig.ready`` imports) with a
translatable description. Roles are rows of ``identity.Role`` holding lists
of permission codes; the built-in roles are seeded by a data migration and may
be edited by administrators like any other data.

Who holds a role:

* staff hold roles through ``StaffPost`` rows, each in one department and with
  a scope: a DEPARTMENT-scoped post covers only its own department; a
  REGION-scoped post covers every department whose region lies inside the
  post's scope region (a city leader covers the city and its districts);
* citizens hold the ``citizen`` role by being citizens;
* enterprise users hold ``enterprise_legal`` or ``enterprise_agent`` through
  their active enterprise memberships.

Roles held by audience (citizen, enterprise) are not tied to a department, so
they never satisfy a check that names a department or a region.

Django's superuser flag grants nothing here: domain permissions come only from
roles, so that every power a person has can be read from the data.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from zhengtong.core.errors import PermissionDenied
from zhengtong.core.models import Department, Region
from zhengtong.identity.models import (
    Audience,
    EnterpriseRelation,
    Role,
    ScopeLevel,
    User,
)


@dataclass(frozen=True, slots=True)
class Permission:
    code: str
    description: str | Promise


@dataclass(frozen=True, slots=True)
class Scope:
    code: str
    description: str | Promise


class UnknownPermission(LookupError):
    """A permission or scope code that no app defines: a programming error."""


PERMISSIONS: dict[str, Permission] = {}
SCOPES: dict[str, Scope] = {}


def define_permission(code: str, description: str | Promise) -> str:
    """Register a permission code and return it, so modules can keep it in a constant."""
    _check_code(code)
    existing = PERMISSIONS.get(code)
    if existing is not None and existing.description != description:
        raise ValueError(f"permission {code!r} is already defined differently")
    PERMISSIONS[code] = Permission(code, description)
    return code


def define_scope(code: str, description: str | Promise) -> str:
    """Register a G2G API scope and return it."""
    _check_code(code)
    existing = SCOPES.get(code)
    if existing is not None and existing.description != description:
        raise ValueError(f"scope {code!r} is already defined differently")
    SCOPES[code] = Scope(code, description)
    return code


def _check_code(code: str) -> None:
    app, _sep, name = code.partition(".")
    if not app or not name or not code.replace(".", "").replace("_", "").isalnum():
        raise ValueError(f"codes look like '<app>.<verb>_<noun>', not {code!r}")


# The permissions of the platform's shared apps. Domain apps define theirs in
# their own ``permissions.py`` with ``define_permission``.
VIEW_PERSON = define_permission("core.view_person", _("查看自然人登记信息"))
VIEW_ENTERPRISE = define_permission("core.view_enterprise", _("查看企业登记信息"))
MANAGE_REGISTERS = define_permission("core.manage_registers", _("维护行政区划和部门登记"))
VIEW_USERS = define_permission("identity.view_users", _("查看用户和岗位"))
MANAGE_USERS = define_permission("identity.manage_users", _("管理用户、岗位和角色"))
MANAGE_CLIENTS = define_permission("identity.manage_clients", _("管理接入系统（G2G）及其接口凭证"))
AUTHORISE_AGENTS = define_permission("identity.authorise_agents", _("授权企业经办人"))
USE_ADMIN_SITE = define_permission("identity.use_admin_site", _("使用管理后台"))
VIEW_ENTRIES = define_permission("ledger.view_entries", _("查看审计记录"))
VERIFY_LEDGER = define_permission("ledger.verify_ledger", _("校验审计日志的完整性"))
USE_WORKBENCH = define_permission("portal.use_workbench", _("使用工作人员工作台"))
USE_CITIZEN_SERVICES = define_permission("portal.use_citizen_services", _("以个人身份在线办事"))
USE_ENTERPRISE_SERVICES = define_permission(
    "portal.use_enterprise_services", _("以企业身份在线办事")
)

READ_REGISTERS = define_scope("core.read_registers", _("读取行政区划和部门登记"))
READ_LEDGER_PROOFS = define_scope("ledger.read_proofs", _("读取审计日志的签名树头和证明"))

# Display names of the built-in roles, so that they follow the user's language;
# the rows themselves are seeded by migration 0002 and may be renamed.
CITIZEN = "citizen"
ENTERPRISE_LEGAL = "enterprise_legal"
ENTERPRISE_AGENT = "enterprise_agent"
CLERK = "clerk"
REVIEWER = "reviewer"
LEADER = "leader"
AUDITOR = "auditor"
ADMINISTRATOR = "administrator"
BUILT_IN_ROLE_NAMES: dict[str, str] = {
    CITIZEN: gettext_noop("公众"),
    ENTERPRISE_LEGAL: gettext_noop("企业法定代表人"),
    ENTERPRISE_AGENT: gettext_noop("企业经办人"),
    CLERK: gettext_noop("窗口受理人员"),
    REVIEWER: gettext_noop("审核人员"),
    LEADER: gettext_noop("领导"),
    AUDITOR: gettext_noop("审计人员"),
    ADMINISTRATOR: gettext_noop("系统管理员"),
}


def define_role_name(code: str, name: str) -> str:
    """Register the name another app's migration seeds a built-in role with; return the code.

    ``name`` is marked with ``gettext_noop``: ``role_label`` shows it in the
    reader's language as long as the role keeps that name.
    """
    existing = BUILT_IN_ROLE_NAMES.get(code)
    if existing is not None and existing != name:
        raise ValueError(f"role {code!r} is already named {existing!r}")
    BUILT_IN_ROLE_NAMES[code] = name
    return code


def role_label(role: Role) -> str:
    """Return the role's name in the active language (built-in names are translated)."""
    # A built-in role that an administrator renamed keeps the name it was given.
    if BUILT_IN_ROLE_NAMES.get(role.code) == role.name:
        return gettext(role.name)
    return role.name


def permission_choices() -> list[tuple[str, str]]:
    """Return (code, description) pairs of every defined permission, for forms."""
    return [(p.code, f"{p.code} — {p.description}") for p in sorted_permissions()]


def sorted_permissions() -> list[Permission]:
    return [PERMISSIONS[code] for code in sorted(PERMISSIONS)]


def scope_choices() -> list[tuple[str, str]]:
    return [(s.code, f"{s.code} — {s.description}") for _c, s in sorted(SCOPES.items())]


def require_known_permission(code: str) -> None:
    if code not in PERMISSIONS:
        raise UnknownPermission(f"no app defines the permission {code!r}")


def require_known_scope(code: str) -> None:
    if code not in SCOPES:
        raise UnknownPermission(f"no app defines the scope {code!r}")


@dataclass(frozen=True, slots=True)
class Grant:
    """The permissions one role gives one user, and where they apply.

    ``department_id`` is set for a DEPARTMENT-scoped post, ``area_path`` (the
    materialised region path) for a REGION-scoped post; neither for roles held
    by audience, which apply to the user's own affairs only.
    """

    role_code: str
    permissions: frozenset[str]
    department_id: int | None = None
    department_region_path: str | None = None
    area_path: str | None = None

    @property
    def is_scoped(self) -> bool:
        return self.department_id is not None or self.area_path is not None

    def covers_department(self, department: Department) -> bool:
        if self.area_path is not None:
            return path_within(department.region.path, self.area_path)
        return self.department_id is not None and department.pk == self.department_id

    def covers_region(self, region: Region, *, with_department: bool) -> bool:
        if self.area_path is not None:
            return path_within(region.path, self.area_path)
        # A department post reaches a region only for its own department's
        # work there; on its own a region names other departments' work too.
        return (
            with_department
            and self.department_region_path is not None
            and path_within(region.path, self.department_region_path)
        )


def path_within(path: str, ancestor_path: str) -> bool:
    """Return whether a region path lies inside (or is) the ancestor's path."""
    path, ancestor_path = path.rstrip("/"), ancestor_path.rstrip("/")
    return path == ancestor_path or path.startswith(ancestor_path + "/")


_GRANTS_CACHE = "_identity_grants"


def grants_of(user: AbstractBaseUser | AnonymousUser | None) -> tuple[Grant, ...]:
    """Return what the user's roles grant; cached on the user object for the request."""
    if not isinstance(user, User) or not user.is_active or user.pk is None:
        return ()
    cached: tuple[Grant, ...] | None = getattr(user, _GRANTS_CACHE, None)
    if cached is None:
        cached = _load_grants(user)
        setattr(user, _GRANTS_CACHE, cached)
    return cached


def forget_grants(user: User) -> None:
    """Drop the cached grants after the user's posts or memberships changed."""
    if hasattr(user, _GRANTS_CACHE):
        delattr(user, _GRANTS_CACHE)


def _load_grants(user: User) -> tuple[Grant, ...]:
    grants: list[Grant] = []
    if user.audience == Audience.STAFF:
        posts = user.posts.filter(is_active=True, department__is_active=True).select_related(
            "role", "department__region", "scope_region"
        )
        for post in posts:
            permissions = frozenset(post.role.permissions)
            if post.scope == ScopeLevel.REGION:
                area = post.scope_region or post.department.region
                grants.append(Grant(post.role.code, permissions, area_path=area.path))
            else:
                grants.append(
                    Grant(
                        post.role.code,
                        permissions,
                        department_id=post.department_id,
                        department_region_path=post.department.region.path,
                    )
                )
        return tuple(grants)
    role_codes = _audience_role_codes(user)
    for role in Role.objects.filter(code__in=role_codes):
        grants.append(Grant(role.code, frozenset(role.permissions)))
    return tuple(grants)


def _audience_role_codes(user: User) -> set[str]:
    if user.audience == Audience.CITIZEN:
        return {CITIZEN}
    if user.audience != Audience.ENTERPRISE:
        return set()
    today = timezone.localdate()
    relations = {
        m.relation
        for m in user.enterprise_memberships.filter(is_active=True)
        if _still_valid(m.valid_until, today)
    }
    codes = set()
    if EnterpriseRelation.LEGAL_REPRESENTATIVE in relations:
        codes.add(ENTERPRISE_LEGAL)
    if EnterpriseRelation.AGENT in relations:
        codes.add(ENTERPRISE_AGENT)
    return codes


def _still_valid(valid_until: date | None, today: date) -> bool:
    return valid_until is None or valid_until >= today


def has_permission(
    user: AbstractBaseUser | AnonymousUser | None,
    perm: str,
    *,
    department: Department | None = None,
    region: Region | None = None,
) -> bool:
    """Return whether the user holds ``perm``, for the department and/or region if given.

    Without a department or region the question is "anywhere at all" (for
    showing a menu entry); list pages should filter with
    ``departments_in_scope`` and object pages ask about the object's department.
    """
    require_known_permission(perm)
    for grant in grants_of(user):
        if perm not in grant.permissions:
            continue
        if department is None and region is None:
            return True
        if not grant.is_scoped:
            continue
        if department is not None and not grant.covers_department(department):
            continue
        if region is not None and not grant.covers_region(
            region, with_department=department is not None
        ):
            continue
        return True
    return False


def require_permission(user: AbstractBaseUser | AnonymousUser | None, perm: str) -> None:
    """Refuse with ``permission_denied`` unless the user holds ``perm`` somewhere."""
    if not has_permission(user, perm):
        raise PermissionDenied(code="permission_denied")


def permissions_of(user: AbstractBaseUser | AnonymousUser | None) -> frozenset[str]:
    """Return every permission the user holds somewhere (for navigation)."""
    result: set[str] = set()
    for grant in grants_of(user):
        result |= grant.permissions
    return frozenset(result)


def departments_in_scope(
    user: AbstractBaseUser | AnonymousUser | None, perm: str
) -> QuerySet[Department]:
    """Return the departments where the user holds ``perm``, for filtering list pages."""
    condition = _scope_condition(user, perm, path_field="region__path", department_field="pk")
    if condition is None:
        return Department.objects.none()
    return Department.objects.filter(condition)


def regions_in_scope(user: AbstractBaseUser | AnonymousUser | None, perm: str) -> QuerySet[Region]:
    """Return the regions where the user holds ``perm`` (through region-wide posts only).

    A department post reaches no region on its own, as ``has_permission`` decides.
    """
    condition = _scope_condition(user, perm, path_field="path", department_field=None)
    if condition is None:
        return Region.objects.none()
    return Region.objects.filter(condition)


def holds_installation_wide(user: AbstractBaseUser | AnonymousUser | None, perm: str) -> bool:
    """Return whether the user holds ``perm`` for every department of the installation.

    Things shared by every department (role definitions, for one) are for such
    a holder only: the city's administrator, not a county's.
    """
    if not has_permission(user, perm):
        return False
    return not Department.objects.exclude(pk__in=departments_in_scope(user, perm)).exists()


def _scope_condition(
    user: AbstractBaseUser | AnonymousUser | None,
    perm: str,
    *,
    path_field: str,
    department_field: str | None,
) -> Q | None:
    """The filter on ``path_field`` (and ``department_field``) that the user's grants cover.

    None when no grant of ``perm`` covers anything, so that callers answer an
    empty queryset rather than an unfiltered one.
    """
    require_known_permission(perm)
    condition = Q()
    matched = False
    for grant in grants_of(user):
        if perm not in grant.permissions or not grant.is_scoped:
            continue
        if grant.area_path is not None:
            area = grant.area_path.rstrip("/")
            condition |= Q(**{path_field: area}) | Q(**{f"{path_field}__startswith": area + "/"})
        elif department_field is not None:
            condition |= Q(**{department_field: grant.department_id})
        else:
            continue
        matched = True
    return condition if matched else None


def unknown_codes(codes: Iterable[str]) -> list[str]:
    """Return those of ``codes`` that no app defines as permissions."""
    return sorted({code for code in codes if code not in PERMISSIONS})
