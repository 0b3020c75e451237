"""Admin pages for the routing data; every save and delete goes through an action."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse

from zhengtong.core.admin_actions import ActionAdminMixin
from zhengtong.core.errors import InvalidInput
from zhengtong.hotline import routing_actions
from zhengtong.hotline.access import may_manage_routing
from zhengtong.hotline.models import PlaceAlias, RoutingRule, TimeLimitRule
from zhengtong.hotline.permissions import MANAGE_ROUTING
from zhengtong.identity.actors import actor_of
from zhengtong.identity.models import User
from zhengtong.identity.permissions import has_permission


def _manages_routing(request: HttpRequest) -> bool:
    """The routing data route the whole city: changing it needs the permission city-wide."""
    user = request.user
    return isinstance(user, User) and may_manage_routing(user)


class _RoutingDataAdmin(ActionAdminMixin):
    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # As for saving (``ActionAdminMixin``): the admin deletes inside a
        # transaction of its own, and the remove action must open the
        # outermost, durable one to write its ledger entry.
        return self._delete_view(request, object_id, extra_context)  # type: ignore[attr-defined,no-any-return]

    # A department's or a district's administrator may look; the city's changes.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_permission(request.user, MANAGE_ROUTING)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_permission(request.user, MANAGE_ROUTING)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _manages_routing(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _manages_routing(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _manages_routing(request)


# The field of the form each refusal of the routing-data checks belongs to.
_FIELD_OF_CODE = {
    "invalid_category": "category",
    "invalid_topic": "topic",
    "topic_needs_keywords": "keywords",
    "keywords_need_topic": "keywords",
    "invalid_keywords": "keywords",
    "invalid_rule_region": "region",
    "inactive_department": "department",
    "invalid_alias": "name",
    "invalid_alias_region": "region",
    "invalid_urgency": "urgency",
    "invalid_unit": "reply_unit",
}


def _refusal(form: forms.BaseForm, error: InvalidInput) -> None:
    """Show what the action would refuse beside its field, not as a server error on saving."""
    field = _FIELD_OF_CODE.get(error.code)
    form.add_error(field if field in form.fields else None, str(error.message))


class RoutingRuleForm(forms.ModelForm[RoutingRule]):
    """Shows a topic without keywords, a retired department (and the like) beside the form."""

    class Meta:
        model = RoutingRule
        fields = ("region", "category", "topic", "keywords", "department")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        region, department = data.get("region"), data.get("department")
        try:
            if region is None or department is None or not data.get("category"):
                # Django reports the missing field; the topic is checked on its own.
                data["topic"], data["keywords"] = routing_actions.topic_and_keywords(
                    data.get("topic") or "", data.get("keywords") or ""
                )
            else:
                data["category"], data["topic"], data["keywords"] = (
                    routing_actions.check_routing_rule(
                        region,
                        data["category"],
                        department,
                        data.get("topic") or "",
                        data.get("keywords") or "",
                    )
                )
        except InvalidInput as error:
            _refusal(self, error)
        return data


class PlaceAliasForm(forms.ModelForm[PlaceAlias]):
    class Meta:
        model = PlaceAlias
        fields = ("name", "region")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("name") and data.get("region") is not None:
            try:
                data["name"] = routing_actions.check_place_alias(data["name"], data["region"])
            except InvalidInput as error:
                _refusal(self, error)
        return data


class TimeLimitRuleForm(forms.ModelForm[TimeLimitRule]):
    class Meta:
        model = TimeLimitRule
        fields = ("urgency", "category", "dispatch_hours", "reply_amount", "reply_unit")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        numbers = (data.get("dispatch_hours"), data.get("reply_amount"))
        if data.get("urgency") and data.get("reply_unit") and None not in numbers:
            try:
                data["category"] = routing_actions.check_time_limit(
                    data["urgency"],
                    data.get("category") or "",
                    data["dispatch_hours"],
                    data["reply_amount"],
                    data["reply_unit"],
                )
            except InvalidInput as error:
                _refusal(self, error)
        return data


@admin.register(RoutingRule)
class RoutingRuleAdmin(_RoutingDataAdmin, admin.ModelAdmin[RoutingRule]):
    form = RoutingRuleForm
    list_display = ("region", "category", "topic", "keywords", "department")
    list_filter = ("category",)
    autocomplete_fields = ()
    fields = ("region", "category", "topic", "keywords", "department")
    actions = None

    def save_model(
        self, request: HttpRequest, obj: RoutingRule, form: ModelForm[RoutingRule], change: bool
    ) -> None:
        actor = actor_of(request.user)
        original = RoutingRule.objects.get(pk=obj.pk) if change else None
        saved = routing_actions.do_set_routing_rule(
            obj.region,
            obj.category,
            obj.department,
            actor=actor,
            topic=obj.topic,
            keywords=obj.keywords,
        )
        if original is not None and original.pk != saved.pk:
            # A rule moved to another region, category or topic replaces the
            # old one. It is removed only once the new one is saved, so that a
            # refused change never leaves the category without its rule.
            routing_actions.do_remove_routing_rule(original, actor=actor)
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: RoutingRule) -> None:
        routing_actions.do_remove_routing_rule(obj, actor=actor_of(request.user))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RoutingRule]) -> None:
        for rule in queryset:
            self.delete_model(request, rule)


@admin.register(PlaceAlias)
class PlaceAliasAdmin(_RoutingDataAdmin, admin.ModelAdmin[PlaceAlias]):
    form = PlaceAliasForm
    list_display = ("name", "region")
    search_fields = ("name",)
    fields = ("name", "region")
    actions = None

    def save_model(
        self, request: HttpRequest, obj: PlaceAlias, form: ModelForm[PlaceAlias], change: bool
    ) -> None:
        actor = actor_of(request.user)
        original = PlaceAlias.objects.get(pk=obj.pk) if change else None
        saved = routing_actions.do_set_place_alias(obj.name, obj.region, actor=actor)
        if original is not None and original.pk != saved.pk:
            # A renamed alias replaces the old name, which would otherwise
            # still resolve to the region.
            routing_actions.do_remove_place_alias(original, actor=actor)
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: PlaceAlias) -> None:
        routing_actions.do_remove_place_alias(obj, actor=actor_of(request.user))


@admin.register(TimeLimitRule)
class TimeLimitRuleAdmin(_RoutingDataAdmin, admin.ModelAdmin[TimeLimitRule]):
    form = TimeLimitRuleForm
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
        actor = actor_of(request.user)
        original = TimeLimitRule.objects.get(pk=obj.pk) if change else None
        saved = routing_actions.do_set_time_limit(
            obj.urgency,
            obj.category,
            obj.dispatch_hours,
            obj.reply_amount,
            obj.reply_unit,
            actor=actor,
        )
        if original is not None and original.pk != saved.pk:
            # A limit moved to another urgency or category replaces the old
            # one, which would otherwise go on setting the deadlines it set.
            routing_actions.do_remove_time_limit(original, actor=actor)
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: TimeLimitRule) -> None:
        routing_actions.do_remove_time_limit(obj, actor=actor_of(request.user))
