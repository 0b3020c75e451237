"""Admin pages for the routing data; every save and delete goes through an action."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from zhengtong.core.admin_actions import ActionAdminMixin
from zhengtong.hotline import routing_actions
from zhengtong.hotline.models import PlaceAlias, RoutingRule, TimeLimitRule
from zhengtong.hotline.permissions import MANAGE_ROUTING
from zhengtong.identity.actors import actor_of
from zhengtong.identity.permissions import has_permission


class _RoutingDataAdmin(ActionAdminMixin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_permission(request.user, MANAGE_ROUTING)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_permission(request.user, MANAGE_ROUTING)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return has_permission(request.user, MANAGE_ROUTING)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_permission(request.user, MANAGE_ROUTING)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_permission(request.user, MANAGE_ROUTING)


@admin.register(RoutingRule)
class RoutingRuleAdmin(_RoutingDataAdmin, admin.ModelAdmin[RoutingRule]):
    list_display = ("region", "category", "department")
    list_filter = ("category",)
    autocomplete_fields = ()
    fields = ("region", "category", "department")
    actions = None

    def save_model(
        self, request: HttpRequest, obj: RoutingRule, form: ModelForm[RoutingRule], change: bool
    ) -> None:
        actor = actor_of(request.user)
        if change:
            # A rule moved to another region or category replaces the old one.
            original = RoutingRule.objects.get(pk=obj.pk)
            if (original.region_id, original.category) != (obj.region_id, obj.category):
                routing_actions.do_remove_routing_rule(original, actor=actor)
        saved = routing_actions.do_set_routing_rule(
            obj.region, obj.category, obj.department, actor=actor
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: RoutingRule) -> None:
        routing_actions.do_remove_routing_rule(obj, actor=actor_of(request.user))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RoutingRule]) -> None:
        for rule in queryset:
            self.delete_model(request, rule)


@admin.register(PlaceAlias)
class PlaceAliasAdmin(_RoutingDataAdmin, admin.ModelAdmin[PlaceAlias]):
    list_display = ("name", "region")
    search_fields = ("name",)
    fields = ("name", "region")
    actions = None

    def save_model(
        self, request: HttpRequest, obj: PlaceAlias, form: ModelForm[PlaceAlias], change: bool
    ) -> None:
        saved = routing_actions.do_set_place_alias(
            obj.name, obj.region, actor=actor_of(request.user)
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: PlaceAlias) -> None:
        routing_actions.do_remove_place_alias(obj, actor=actor_of(request.user))


@admin.register(TimeLimitRule)
class TimeLimitRuleAdmin(_RoutingDataAdmin, admin.ModelAdmin[TimeLimitRule]):
    list_display = ("urgency", "category", "dispatch_hours", "reply_amount", "reply_unit")
    fields = ("urgency", "category", "dispatch_hours", "reply_amount", "reply_unit")
    actions = None

    def save_model(
        self,
        request: HttpRequest,
        obj: TimeLimitRule,
        form: ModelForm[TimeLimitRule],
        change: bool,
    ) -> None:
        saved = routing_actions.do_set_time_limit(
            obj.urgency,
            obj.category,
            obj.dispatch_hours,
            obj.reply_amount,
            obj.reply_unit,
            actor=actor_of(request.user),
        )
        obj.pk = saved.pk
