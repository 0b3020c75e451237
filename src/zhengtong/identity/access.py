"""The only way interface code gets an account or a client for a principal.

Missing and forbidden raise the same ``NotFound``, so that ids cannot be
probed: a clerk who guesses another department's client id learns nothing.
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from zhengtong.core.errors import NotFound
from zhengtong.identity.models import SystemClient, User
from zhengtong.identity.permissions import MANAGE_CLIENTS, has_permission
from zhengtong.identity.selectors import accounts_managed_by, accounts_seen_by

Principal = User | SystemClient | AbstractBaseUser | AnonymousUser | None


def access_user_by_id(principal: Principal, user_id: int) -> User:
    """Return the account if the principal may see it.

    Everyone sees their own account. Staff accounts are seen by holders of
    ``identity.view_users`` or ``identity.manage_users`` covering one of the
    account's departments; citizen and enterprise accounts by holders of
    ``identity.manage_users`` whose region holds them (``accounts_managed_by``).
    G2G clients see no accounts.
    """
    if not isinstance(principal, User):
        raise NotFound()
    target = accounts_seen_by(principal).filter(pk=user_id).select_related("person").first()
    if target is None:
        raise NotFound()
    return target


def access_user_to_manage_by_id(principal: Principal, user_id: int) -> User:
    """Return the account if the principal administers it (not merely sees it)."""
    if not isinstance(principal, User):
        raise NotFound()
    target = accounts_managed_by(principal).filter(pk=user_id).select_related("person").first()
    if target is None or target.pk == principal.pk:
        raise NotFound()
    return target


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
