"""Permission questions in templates: whether to show a link or a button at all.

The pages behind them check again; this only keeps a menu from offering
what would answer 403.
"""

from django import template
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from zhengtong.identity.permissions import has_permission

register = template.Library()


@register.filter(name="holds")
def holds(user: AbstractBaseUser | AnonymousUser | None, perm: str) -> bool:
    """``{% if user|holds:"catalog.review" %}``: the user holds the permission anywhere."""
    return has_permission(user, perm)
