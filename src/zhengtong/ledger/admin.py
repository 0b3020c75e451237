"""Read-only admin pages: the ledger is written by actions and never edited or deleted."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from zhengtong.core.admin_actions import ReadOnlyAdmin
from zhengtong.ledger.access import entries_in_scope, may_view_entries
from zhengtong.ledger.models import LedgerEntry, SignedTreeHead


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "seq",
        "recorded_at",
        "actor_label",
        "actor_ref",
        "action",
        "subject_type",
        "subject_id",
    )
    list_filter = ("action",)
    search_fields = ("=actor_ref", "=actor_label", "=action", "=subject_id")
    date_hierarchy = "recorded_at"
    show_full_result_count = False

    # The same reader and the same scope as the audit page: the superuser flag
    # grants nothing of its own.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_view_entries(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_view_entries(request.user)

    def get_queryset(self, request: HttpRequest) -> QuerySet[LedgerEntry]:
        entries = super().get_queryset(request)
        within = entries_in_scope(request.user)
        return entries if within is None else entries.filter(within)


@admin.register(SignedTreeHead)
class SignedTreeHeadAdmin(ReadOnlyAdmin):
    list_display = ("tree_size", "timestamp", "hash_algorithm", "key_id", "sealed_by")
    show_full_result_count = False
