"""Turning whoever made a request into the ``Actor`` recorded in the ledger."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from zhengtong.core.actors import Actor
from zhengtong.identity.models import SystemClient, User

ANONYMOUS = Actor.system("anonymous")


def actor_of(principal: User | SystemClient | AbstractBaseUser | AnonymousUser | None) -> Actor:
    """Return the actor for a user, a G2G client, or nobody (anonymous)."""
    if isinstance(principal, SystemClient):
        department = principal.department
        return Actor(
            kind="client",
            id=principal.key_id,
            label=f"{principal.name}（{department.short_name or department.name}）",
        )
    if isinstance(principal, User) and principal.pk is not None:
        return Actor(
            kind="user", id=str(principal.pk), label=principal.display_name or principal.username
        )
    return ANONYMOUS
