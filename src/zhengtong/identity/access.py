"""The only way interface code gets an account or a client for a principal.

Missing and forbidden raise the same ``NotFound``, so that ids cannot be
probed: a clerk who guesses another department's client id learns nothing.
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from zhengtong.core.errors import NotFound
from zhengtong.identity.models import Audience, SystemClient, User
from zhengtong.identity.permissions import (
    MANAGE_CLIENTS,
    MANAGE_USERS,
    VIEW_USERS,
    has_permission,
)

Principal = User | SystemClient | AbstractBaseUser | AnonymousUser | None


def access_user_by_id(principal: Principal, user_id: int) -> User:
    """Return the account if the principal may see it.

    Everyone sees their own account. Staff accounts are seen by holders of
    ``identity.view_users`` or ``identity.manage_users`` covering one of the
    account's departments; citizen and enterprise accounts belong to no
    department and are seen by any holder of ``identity.manage_users``.
    G2G clients see no accounts.
    """
    if not isinstance(principal, User):
        raise NotFound()
    target = User.objects.filter(pk=user_id).select_related("person").first()
    if target is None:
        raise NotFound()
    if target.pk == principal.pk:
        return target
    if target.audience == Audience.STAFF:
        departments = [
            post.department
            for post in target.posts.filter(is_active=True).select_related("department__region")
        ]
        for perm in (VIEW_USERS, MANAGE_USERS):
            if any(has_permission(principal, perm, department=d) for d in departments):
                return target
    elif has_permission(principal, MANAGE_USERS):
        return target
    raise NotFound()


def access_client_by_id(principal: Principal, client_id: int) -> SystemClient:
    """Return the G2G client if the principal manages clients of its department."""
    if not isinstance(principal, User):
        raise NotFound()
    client = SystemClient.objects.filter(pk=client_id).select_related("department__region").first()
    if client is None or not has_permission(
        principal, MANAGE_CLIENTS, department=client.department
    ):
        raise NotFound()
    return client
