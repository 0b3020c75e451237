"""Who may read what in the ledger.

Tree heads, proofs and the public key reveal only hashes and are public.
Entries name actors and subjects, so searching them needs the permission
``ledger.view_entries`` (the auditor role holds it).
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from zhengtong.core.errors import NotAuthenticated, PermissionDenied
from zhengtong.identity.permissions import has_permission
from zhengtong.ledger.selectors import EntryFilters, EntryPage, search_entries

VIEW_ENTRIES = "ledger.view_entries"


def may_view_entries(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    return user is not None and user.is_authenticated and has_permission(user, VIEW_ENTRIES)


def require_entry_viewer(user: AbstractBaseUser | AnonymousUser | None) -> None:
    """Raise unless ``user`` may search the ledger's entries."""
    if user is None or not user.is_authenticated:
        raise NotAuthenticated()
    if not has_permission(user, VIEW_ENTRIES):
        raise PermissionDenied()


def access_entries_by_filters(
    user: AbstractBaseUser | AnonymousUser | None,
    filters: EntryFilters,
    *,
    before: int | None = None,
    limit: int = 50,
) -> EntryPage:
    """Return a page of entries matching ``filters`` for a user allowed to search them."""
    require_entry_viewer(user)
    return search_entries(filters, before=before, limit=limit)
