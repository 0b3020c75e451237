"""Who may read what in the ledger.

Tree heads, proofs and the public key reveal only hashes and are public.
Entries name actors and subjects, so searching them needs the permission
``ledger.view_entries`` (the auditor role holds it), and shows the entries
of the auditor's scope: what the staff and the G2G clients of the departments
it audits did. An auditor of every department (the city's 安全审计员) sees
every entry, those of the public and of the platform itself included.
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from zhengtong.core.errors import NotAuthenticated, PermissionDenied
from zhengtong.identity.permissions import (
    departments_in_scope,
    has_permission,
    holds_installation_wide,
)
from zhengtong.identity.selectors import acting_for
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
    return search_entries(filters, before=before, limit=limit, within=entries_in_scope(user))


def entries_in_scope(user: AbstractBaseUser | AnonymousUser | None) -> Q | None:
    """Return the filter of the entries the user may read; None for every entry."""
    if holds_installation_wide(user, VIEW_ENTRIES):
        return None
    return acting_for(departments_in_scope(user, VIEW_ENTRIES), ref_field="actor_ref")
