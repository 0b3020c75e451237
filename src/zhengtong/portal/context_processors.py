"""Template context shared by every page."""

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from zhengtong.portal.entries import NavItem, nav_items


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Supply the entries with what the current user may open and where they are.

    ``nav_items`` holds every entry (the landing page presents them all);
    ``nav_shown`` those the header shows. Both are computed only when a
    template uses them, so partial responses cost nothing.
    """

    def items() -> list[NavItem]:
        match = getattr(request, "resolver_match", None)
        user = getattr(request, "user", None) or AnonymousUser()
        return nav_items(
            user,
            match.view_name if match else None,
            list(match.namespaces) if match else [],
        )

    all_items = SimpleLazyObject(items)
    return {
        "nav_items": all_items,
        "nav_shown": SimpleLazyObject(lambda: [item for item in all_items if item.shown]),
    }
