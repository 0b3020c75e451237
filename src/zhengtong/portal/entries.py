"""The portal's entry points: who each one is for, and who may open it.

The same rules decide what the navigation shows and what the entry pages
allow, so that a link is never shown to someone the page would turn away.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhengtong.identity.permissions import (
    MANAGE_CLIENTS,
    USE_CITIZEN_SERVICES,
    USE_ENTERPRISE_SERVICES,
    USE_WORKBENCH,
    VIEW_ENTRIES,
    has_permission,
)

AnyUser = AbstractBaseUser | AnonymousUser


def may_use_citizen_services(user: AnyUser) -> bool:
    return has_permission(user, USE_CITIZEN_SERVICES)


def may_use_enterprise_services(user: AnyUser) -> bool:
    # Held through a current membership: an expired agent's authorisation ends it.
    return has_permission(user, USE_ENTERPRISE_SERVICES)


def may_use_workbench(user: AnyUser) -> bool:
    return has_permission(user, USE_WORKBENCH)


def may_manage_clients(user: AnyUser) -> bool:
    return has_permission(user, MANAGE_CLIENTS)


def may_view_audit(user: AnyUser) -> bool:
    return has_permission(user, VIEW_ENTRIES)


def _everyone(user: AnyUser) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Entry:
    key: str
    url_name: str
    label: str | Promise
    audience: str | Promise
    description: str | Promise
    # Who may open the page; anonymous visitors are sent to log in first.
    allows: Callable[[AnyUser], bool]
    # The page answers everyone, logged in or not.
    public: bool = False
    # URL namespaces whose pages count as "inside" this entry, for highlighting.
    namespaces: tuple[str, ...] = ()


ENTRIES: tuple[Entry, ...] = (
    Entry(
        key="citizen",
        url_name="portal:citizen",
        label=_("我要办事"),
        audience=pgettext_lazy("audience", "公众"),
        description=_("个人办事指南、在线申请、12345 留言，查看谁使用了我的数据。"),
        allows=may_use_citizen_services,
    ),
    Entry(
        key="enterprise",
        url_name="portal:enterprise",
        label=_("企业服务"),
        audience=pgettext_lazy("audience", "企业"),
        description=_("企业开办、经营许可、电子证照和信用信息，法定代表人和经办人在线办理。"),
        allows=may_use_enterprise_services,
    ),
    Entry(
        key="workbench",
        url_name="portal:workbench",
        label=_("工作台"),
        audience=pgettext_lazy("audience", "工作人员"),
        description=_("受理、审核和办结事项，处理 12345 工单，查看本人岗位和数据范围。"),
        allows=may_use_workbench,
    ),
    Entry(
        key="developer",
        url_name="portal:developer",
        label=_("开放接口"),
        audience=pgettext_lazy("audience", "部门系统"),
        description=_("部门业务系统通过接口共享数据：接口文档、认证方式和接入凭证管理。"),
        allows=_everyone,
        public=True,
    ),
    Entry(
        key="audit",
        url_name="ledger:entries",
        label=_("审计"),
        audience=pgettext_lazy("audience", "审计人员"),
        description=_("防篡改的操作记录：每一次办理、共享和授权都可追溯、可验证。"),
        allows=may_view_audit,
        namespaces=("ledger",),
    ),
)


@dataclass(frozen=True, slots=True)
class NavItem:
    key: str
    label: str | Promise
    audience: str | Promise
    description: str | Promise
    url: str
    # The current user may open it (anonymous visitors: after logging in).
    allowed: bool
    # It appears in the header: every entry for visitors, only their own for users.
    shown: bool
    active: bool


def home_url_for(user: AnyUser) -> str:
    """Return the entry page a user lands on after logging in."""
    for entry in ENTRIES:
        if not entry.public and entry.allows(user):
            url = safe_reverse(entry.url_name)
            if url:
                return url
    return reverse("portal:home")


def nav_items(user: AnyUser, view_name: str | None, namespaces: list[str]) -> list[NavItem]:
    """Return the entries for the header and the landing page, marked for this user."""
    items = []
    for entry in ENTRIES:
        url = safe_reverse(entry.url_name)
        if not url:
            # An entry whose app is not installed is left out rather than linked to nowhere.
            continue
        allowed = entry.allows(user)
        active = view_name == entry.url_name or any(ns in namespaces for ns in entry.namespaces)
        items.append(
            NavItem(
                key=entry.key,
                label=entry.label,
                audience=entry.audience,
                description=entry.description,
                url=url,
                allowed=allowed,
                shown=allowed or not user.is_authenticated,
                active=active,
            )
        )
    return items


def safe_reverse(url_name: str) -> str:
    """Return the URL of a page, or "" while the app that provides it is not installed."""
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return ""
