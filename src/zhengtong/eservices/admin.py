"""Read-only admin for service items; changes go through the API and its actions."""

from django.contrib import admin
from django.http import HttpRequest

from zhengtong.eservices.models import Material, ServiceItem
from zhengtong.eservices.permissions import MANAGE_ITEMS
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
