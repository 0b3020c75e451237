"""Read-only admin for service items and outgoing messages; changes go through the actions."""

from django.contrib import admin
from django.http import HttpRequest

from zhengtong.eservices.models import Material, OutgoingMessage, ServiceItem
from zhengtong.eservices.permissions import MANAGE_ITEMS, VIEW_OUTGOING_MESSAGES
from zhengtong.identity.permissions import has_permission


class MaterialInline(admin.TabularInline[Material, ServiceItem]):
    model = Material
    fields = ("position", "name", "form", "medium", "copies", "requirement", "source", "notes")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: ServiceItem | None = None) -> bool:
        return False


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin[ServiceItem]):
    list_display = ("code", "name", "item_type", "department", "state")
    list_filter = ("state", "item_type", "target")
    search_fields = ("=code", "name")
    fields = (
        "code",
        "name",
        "item_type",
        "department",
        "target",
        "handling_kind",
        "statutory_limit_days",
        "committed_limit_days",
        "onsite_visits",
        "online_depth",
        "process_id",
        "state",
        "published_at",
    )
    readonly_fields = fields
    inlines = [MaterialInline]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_permission(request.user, MANAGE_ITEMS)

    def has_view_permission(self, request: HttpRequest, obj: ServiceItem | None = None) -> bool:
        return has_permission(request.user, MANAGE_ITEMS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ServiceItem | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ServiceItem | None = None) -> bool:
        return False


@admin.register(OutgoingMessage)
class OutgoingMessageAdmin(admin.ModelAdmin[OutgoingMessage]):
    """For the platform's operators: which SMS and e-mail a gateway refused, and why.

    The text is left out: it tells of other people's applications.
    """

    list_display = ("created_at", "channel", "user", "state", "attempts", "next_attempt_at")
    list_filter = ("state", "channel")
    fields = (
        "user",
        "channel",
        "created_at",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    )
    readonly_fields = fields

    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_permission(request.user, VIEW_OUTGOING_MESSAGES)

    def has_view_permission(self, request: HttpRequest, obj: OutgoingMessage | None = None) -> bool:
        return has_permission(request.user, VIEW_OUTGOING_MESSAGES)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: OutgoingMessage | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: OutgoingMessage | None = None
    ) -> bool:
        return False
