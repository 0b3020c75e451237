"""Admin plumbing shared by every app whose admin saves through actions."""

from typing import Any

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
