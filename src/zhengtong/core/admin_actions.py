"""Admin plumbing shared by every app whose admin saves through actions."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse


class ActionAdminMixin:
    """Saves through an action instead of inside the admin's own transaction.

    The admin wraps saving in a transaction; an action opens a durable one and
    writes its ledger entry, so the action must be the outermost transaction.
    """

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # _changeform_view is the admin's form handling without the atomic wrapper.
        return self._changeform_view(request, object_id, form_url, extra_context)  # type: ignore[attr-defined,no-any-return]


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Shows rows that only actions write: no adding, changing or deleting here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # No bulk "delete selected" either.
        return {}
